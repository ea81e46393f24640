// ClientFrameReader: the client side of RFC 6455 framing: unmasked server frames in, whole
// messages and control frames out. (ws/frame_parser.h is the server side and requires masks.)
//
// Owns: per-connection parsing state (about 40 bytes inline) and, only while a message or a
// control frame straddles two Consume() calls or is fragmented, a heap buffer for its payload,
// released as soon as the message has been delivered (idle connections hold no buffer).
// Pure and resumable: no I/O; correct under any split of the input. Single-threaded: the
// connection's worker thread. Sinks must not call back into the reader.
// Views handed to the sink are valid only during the call. A message that lies whole inside
// one input chunk is handed out as a view into that chunk (zero copy), so when the caller's
// chunks have kPadding readable bytes after their end, every view has them too (assembled
// messages are copied into a buffer with that much spare capacity): simdjson may read ahead.
// Errors (a masked frame, RSV bits, an unknown opcode, a bad control frame, a continuation
// out of place, a message over the limit) stop parsing; the caller fails the connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ws/frame_parser.h"

namespace ringcast::bench {

class FrameSink {
 public:
  virtual ~FrameSink() = default;
  // Return false to stop parsing at once (the caller is closing the connection).
  virtual bool OnMessage(ws::Opcode op, std::string_view payload) = 0;  // kText or kBinary
  virtual bool OnPing(std::string_view payload) = 0;
  virtual bool OnPong(std::string_view payload) = 0;
  virtual bool OnClose(uint16_t code, std::string_view reason) = 0;  // 1005 when empty
};

struct FrameReadResult {
  size_t consumed;    // bytes parsed (all unless stopped or failed)
  const char* error;  // nullptr, or a static description of the protocol violation
};

class ClientFrameReader {
 public:
  static constexpr size_t kPadding = 64;

  explicit ClientFrameReader(size_t max_message_bytes = size_t{16} << 20)
      : max_message_bytes_(max_message_bytes) {}

  [[nodiscard]] FrameReadResult Consume(const char* data, size_t len, FrameSink* sink);

  // True while no frame is partly read (a clean place for the stream to end).
  bool idle() const { return !in_frame_ && header_len_ == 0 && message_op_ == 0; }

 private:
  // Parses header_[0..header_len_); returns nullptr or an error, and sets *need when more
  // header bytes are required.
  const char* ParseHeader(size_t* need);
  // A whole frame payload is available (`payload`, inside assembled_ when from_buffer);
  // delivers it. Returns false when the sink asked to stop.
  bool FinishFrame(std::string_view payload, bool from_buffer, FrameSink* sink);

  size_t max_message_bytes_;
  std::string assembled_;      // payload of a straddling or fragmented message; empty otherwise
  uint64_t remaining_ = 0;     // payload bytes of the current frame not yet seen
  uint32_t control_mark_ = 0;  // where a straddling control frame's payload starts in assembled_
  uint8_t header_[14];
  uint8_t header_len_ = 0;
  uint8_t frame_op_ = 0;
  uint8_t message_op_ = 0;  // opcode of the data message in progress (fragmented), or 0
  bool frame_fin_ = false;
  bool in_frame_ = false;  // header parsed, payload pending
};

}  // namespace ringcast::bench
