// ResponseReader: a small resumable HTTP/1.1 response reader for ringcast's outbound clients:
// ringcast-bench (the WebSocket upgrade answer: 101, no body, the bytes after it are frames; the
// answers of the Pusher HTTP API on keep-alive connections; the head of an SSE stream, whose
// body runs until close and is the caller's) and the webhook client
// (webhooks/outbound_request.h). Bodies: Content-Length, chunked with trailers, or until close.
//
// Owns: the response head while it is incomplete (at most kMaxHeadBytes) and the first
// kMaxKeptBody bytes of the body (error messages for the report); longer bodies are counted,
// not kept. Pure: bytes in, state out, no I/O, correct under any split of the input.
// Single-threaded: the thread that owns the connection. After kDone the accessors describe the
// response until Reset(); Feed consumes nothing past the end of the response (pipelined or framed
// bytes that follow belong to the caller).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast::http {

class ResponseReader {
 public:
  static constexpr size_t kMaxHeadBytes = 16 * 1024;
  static constexpr size_t kMaxKeptBody = 4096;

  enum class State { kNeedMore, kDone, kError };
  struct Result {
    size_t consumed;
    State state;
  };

  Result Feed(const char* data, size_t len);
  void Reset();

  int status() const { return status_; }
  // The server will close the connection after this response (Connection: close, HTTP/1.0).
  bool closes() const { return closes_; }
  std::string_view body() const { return body_; }
  // The body was longer than what is kept (max_kept_body bytes, kMaxKeptBody by default).
  bool body_truncated() const { return truncated_; }
  // How much of a body is kept from now on (survives Reset).
  void set_max_kept_body(size_t n) { max_kept_ = n; }
  std::string_view websocket_accept() const { return accept_; }
  std::string_view content_type() const { return content_type_; }
  const char* error() const { return error_; }

 private:
  enum class Phase : uint8_t {
    kHead,
    kBody,
    kChunkSize,
    kChunkData,
    kChunkDataEnd,
    kTrailer,
    kDone
  };

  bool ParseHead();  // head_ holds the complete head; sets error_ on failure
  void KeepBody(const char* data, size_t n);
  // Reads one CRLF-terminated line into line_; true when complete.
  bool ReadLine(const char* data, size_t len, size_t* pos);

  std::string head_;
  std::string body_;
  std::string line_;
  std::string accept_;
  std::string content_type_;
  uint64_t remaining_ = 0;
  const char* error_ = nullptr;
  int status_ = 0;
  Phase phase_ = Phase::kHead;
  bool closes_ = false;
  bool truncated_ = false;
  size_t max_kept_ = kMaxKeptBody;
};

}  // namespace ringcast::http
