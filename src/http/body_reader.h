// BodyReader: reads one request body after its head, by Content-Length or chunked coding
// (RFC 9112 sections 6 and 7.1).
//
// Owns a small state machine and counters, never the bytes: Feed() takes whatever bytes arrived,
// appends the decoded body to the caller's string and says how many input bytes it used. It is
// resumable at every byte and stops exactly at the end of the body, so the bytes after it (the
// next pipelined request) are left for the RequestParser. Chunk extensions are checked for stray
// control bytes and ignored; trailer fields are skipped. Chunked framing needs CRLF (no bare LF).
// No I/O, no exceptions; the only allocation is the caller's body string growing. One reader per
// connection, used by the thread that owns it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/request.h"
#include "http/request_parser.h"

namespace ringcast::http {

class BodyReader {
 public:
  // Prepares to read the body that `head` announces. A head with neither Content-Length nor
  // chunked has no body: the first Feed() returns kDone and uses no bytes.
  void Start(const RequestHead& head, const Limits& limits);

  // Consumes a prefix of `in`, appending decoded body bytes to *body (discarded when body is
  // nullptr); *consumed is set to the number of bytes used. kNeedMore means every byte of `in`
  // was used and the body goes on; kDone means the body ended at in[*consumed]; kError is sticky.
  [[nodiscard]] ParseState Feed(std::string_view in, size_t* consumed, std::string* body);

  // 400 (bad chunk syntax), 413 (body over max_body_bytes), 431 (trailers over max_head_bytes);
  // 0 unless kError.
  int error_status() const { return error_status_; }
  std::string_view error_message() const { return error_message_; }
  // Decoded body bytes so far.
  uint64_t body_bytes() const { return body_bytes_; }

 private:
  enum class Step : uint8_t {
    kLength,       // Content-Length: copying `remaining_` more bytes
    kChunkSize,    // hex digits of a chunk size (at least one seen when size_digits_ > 0)
    kChunkSizeWs,  // whitespace after the size: only ';' may follow
    kChunkExt,     // chunk extension, ignored up to CR
    kChunkSizeLf,  // CR seen after the size line
    kChunkData,    // copying `remaining_` more bytes of chunk data
    kChunkDataCr,  // CRLF after chunk data
    kChunkDataLf,
    kTrailerStart,  // start of a trailer line, or CR of the final empty line
    kTrailerLine,   // skipping a trailer field line up to CR
    kTrailerLf,
    kFinalLf,  // LF of the final empty line
    kDone,
    kError,
  };

  // Records the error and returns false.
  bool Fail(int status, std::string_view message);
  // Handles one byte of chunked framing (every step but the two data copies); false on error.
  [[nodiscard]] bool StepChunkFraming(char c);

  Step step_ = Step::kDone;
  uint64_t remaining_ = 0;   // bytes left in the body (kLength) or current chunk (kChunkData)
  uint64_t body_bytes_ = 0;  // decoded so far
  uint64_t max_body_bytes_ = 0;
  uint64_t max_line_bytes_ = 0;  // cap on one chunk-size line and on the trailer section
  uint64_t line_bytes_ = 0;      // bytes of the current chunk-size line or trailer section
  uint32_t size_digits_ = 0;
  int error_status_ = 0;
  std::string_view error_message_;  // always a string literal
};

}  // namespace ringcast::http
