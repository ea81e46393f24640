// Server-side RFC 6455 frame parser: client bytes in, whole messages and control frames out.
//
// Owns: the per-connection parsing state (<= 64 bytes inline) and, only while a message or a
// control frame straddles two Consume() calls, a heap buffer for its payload. Pure and resumable:
// no I/O, correct under any split of the input (the same events and the same failure for every
// split). Single-threaded: the connection's shard thread. Callbacks must not call back into the
// parser. Views handed to callbacks are valid only during the callback.
//
// Why not wslay's event API (wslay stays as the unit tests' differential oracle): a wslay event
// context costs 8.6 KiB (we target < 1 KiB per idle connection), it mallocs and copies per frame
// and again per message, unmasks byte by byte, and a frame-level error makes it close without a
// status code. Here a message that is complete inside one Consume() chunk is delivered as a view
// into that chunk (zero copy; fragments are compacted in place), and every failure carries the
// close code Autobahn|Testsuite expects (1002 protocol, 1007 bad UTF-8, 1009 too big).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ws/utf8.h"

namespace ringcast::ws {

enum class Opcode : uint8_t {
  kContinuation = 0,
  kText = 1,
  kBinary = 2,
  kClose = 8,
  kPing = 9,
  kPong = 10,
};

// Close status codes (RFC 6455 7.4.1).
inline constexpr uint16_t kCloseNormal = 1000;
inline constexpr uint16_t kCloseGoingAway = 1001;
inline constexpr uint16_t kCloseProtocolError = 1002;
inline constexpr uint16_t kCloseUnsupportedData = 1003;
inline constexpr uint16_t kCloseNoStatus = 1005;  // never on the wire
inline constexpr uint16_t kCloseAbnormal = 1006;  // never on the wire
inline constexpr uint16_t kCloseInvalidPayload = 1007;
inline constexpr uint16_t kClosePolicyViolation = 1008;
inline constexpr uint16_t kCloseMessageTooBig = 1009;
inline constexpr uint16_t kCloseInternalError = 1011;

// Whether a peer may put `code` in a close frame: 1000-1003, 1007-1014, 3000-4999.
// 1004-1006 and 1015 are reserved and must never be sent; 0-999, 1016-2999 and 5000+ are not
// assigned. 1012 (service restart), 1013 (try again later) and 1014 (bad gateway) are registered
// with IANA and are accepted (as Node's ws does); Autobahn tests neither them nor 1015.
bool IsValidWireCloseCode(uint16_t code);

struct FrameLimits {
  size_t max_message_bytes = 64 * 1024;  // clamped to 4 GiB - 1
  size_t max_fragments = 1024;           // data frames per message
  bool validate_utf8 = true;             // false: text and close reasons are not checked (tests)
};

class FrameEvents {
 public:
  virtual ~FrameEvents() = default;
  // Return false to stop parsing at once (the caller is closing the connection).
  virtual bool OnMessage(Opcode op, std::string_view payload) = 0;  // kText or kBinary, complete
  virtual bool OnPing(std::string_view payload) = 0;
  virtual bool OnPong(std::string_view payload) = 0;
  virtual bool OnClose(uint16_t code, std::string_view reason) = 0;  // 1005 for an empty payload
};

struct ConsumeResult {
  size_t consumed;               // bytes of data parsed (all of them unless stopped or failed)
  uint16_t fail_code;            // 0: fine; else fail the connection with this close code
  std::string_view fail_reason;  // static text for logs and the close frame
};

class FrameParser {
 public:
  explicit FrameParser(const FrameLimits& limits);
  ~FrameParser();
  FrameParser(FrameParser&& other) noexcept;
  FrameParser& operator=(FrameParser&& other) noexcept;
  FrameParser(const FrameParser&) = delete;
  FrameParser& operator=(const FrameParser&) = delete;

  // Parses data[0, len), unmasking it in place (data is the caller's scratch). Partial headers
  // and payloads are kept, so `consumed` is `len` unless a callback returned false (then it
  // ends after the frame that produced that event, and a later call may go on from there), a
  // close frame was delivered (it ends after that frame), or the input failed (fail_code set).
  // After a close or a failure the parser is finished: Consume() returns {0, 0, {}} until
  // Reset().
  [[nodiscard]] ConsumeResult Consume(char* data, size_t len, FrameEvents& events);

  bool InMessage() const { return msg_op_ != 0; }
  // Payload bytes held from earlier chunks (message so far plus a partial control frame).
  size_t BufferedBytes() const { return msg_len_ + ctrl_len_; }
  // Heap bytes owned right now (0 for an idle connection that never straddled a chunk, and at
  // most kRetainedBufferBytes between messages).
  size_t AllocatedBytes() const;
  bool Finished() const { return state_ == kDead; }
  // Back to the initial state; frees the buffers.
  void Reset();

  // A message buffer at most this large is kept for the next message; larger ones are freed.
  static constexpr uint32_t kRetainedBufferBytes = 256;

 private:
  enum State : uint8_t { kHeader = 0, kPayload = 1, kDead = 2 };
  enum class Step : uint8_t { kContinue, kStop, kClosed, kFail };
  struct Failure {
    uint16_t code = 0;
    std::string_view reason;
  };
  // The open message's bytes that lie, unmasked and contiguous, in the current chunk.
  struct Run {
    char* start = nullptr;
    size_t len = 0;
  };

  Failure CheckFirstBytes(uint8_t b0, uint8_t b1) const;
  Failure StartFrame(const uint8_t* header, const Run& run);
  Step AddPayload(char* p, size_t n, Run& run, FrameEvents& events, Failure* fail);
  Step FinishFrame(char* p, size_t n, Run& run, FrameEvents& events, Failure* fail);
  Step DeliverControl(std::string_view payload, FrameEvents& events, Failure* fail);
  Step DeliverMessage(Run& run, FrameEvents& events, Failure* fail);
  bool EnsureMessageCapacity(uint64_t need);
  void ReleaseControlBuffer();
  void Destroy();

  char* msg_buf_ = nullptr;   // message bytes carried over from earlier chunks
  char* ctrl_buf_ = nullptr;  // partial control payload (125 bytes max), freed after delivery
  uint32_t msg_len_ = 0;
  uint32_t msg_cap_ = 0;
  uint32_t frame_left_ = 0;  // payload bytes of the current frame still to come
  uint32_t mask_ = 0;        // wire key bytes in memory order, rotated to the next byte
  uint32_t max_message_;
  uint32_t max_fragments_;
  uint32_t fragments_ = 0;  // data frames in the open message
  uint8_t hdr_[14];         // a header that straddles chunks
  uint8_t hdr_len_ = 0;
  uint8_t ctrl_len_ = 0;
  Utf8Validator utf8_;  // the open text message
  uint8_t state_ : 2 = kHeader;
  uint8_t validate_utf8_ : 1;
  uint8_t frame_fin_ : 1 = 0;
  uint8_t frame_op_ : 4 = 0;
  uint8_t msg_op_ = 0;  // 0 none, else Opcode::kText or kBinary of the open message
};

// It lives in every connection.
static_assert(sizeof(FrameParser) <= 64, "FrameParser must stay within one cache line");

}  // namespace ringcast::ws
