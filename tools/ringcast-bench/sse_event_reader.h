// SseEventReader: the client side of a text/event-stream body (the WHATWG "event stream"
// interpretation, as EventSource reads it): bytes in, whole events (type, data) out.
//
// Lines end with LF, CRLF or a lone CR. A line `field: value` (one space after the colon is
// dropped) sets `event` (the type), appends to `data` (several data lines join with LF), and
// `id` / `retry` / unknown fields are ignored; a line starting with ':' is a comment (ringcast's
// heartbeat) and only counted. A blank line ends the event: it is handed out when it has at least
// one data line (type "message" when no event line came), otherwise dropped, as the spec says.
// Owns: per-stream parsing state: the partial line while one straddles two Consume() calls, and
// the event's type and data (kept between events, so an open stream allocates only while its
// events grow). Pure and resumable: no I/O; correct under any split of the input.
// Single-threaded: the stream's worker thread. The views handed to the sink are valid only during
// the call; `data` has kPadding readable bytes after its end (simdjson may read ahead).
// Errors (an event or a line over the limit) stop parsing; the caller fails the stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast::bench {

class SseSink {
 public:
  virtual ~SseSink() = default;
  // One complete event. Return false to stop parsing at once (the caller is closing).
  virtual bool OnSseEvent(std::string_view type, std::string_view data) = 0;
};

struct SseReadResult {
  size_t consumed;    // bytes parsed (all unless stopped or failed)
  const char* error;  // nullptr, or a static description
};

class SseEventReader {
 public:
  static constexpr size_t kPadding = 64;

  explicit SseEventReader(size_t max_event_bytes = size_t{1} << 20)
      : max_event_bytes_(max_event_bytes) {}

  [[nodiscard]] SseReadResult Consume(const char* data, size_t len, SseSink* sink);

  uint64_t comments() const { return comments_; }
  // True between events (no partial line, no field of an unfinished event).
  bool idle() const { return line_.empty() && !has_data_ && event_.empty(); }

 private:
  // Applies one complete line (without its terminator). False when the sink asked to stop or
  // the event grew past the limit (error_ set).
  bool Line(std::string_view line, SseSink* sink);

  size_t max_event_bytes_;
  std::string line_;   // a line straddling two Consume() calls
  std::string event_;  // the type of the event in progress ("" = none given)
  std::string data_;   // its data lines, joined with '\n'
  uint64_t comments_ = 0;
  const char* error_ = nullptr;
  bool has_data_ = false;
  bool skip_lf_ = false;  // the last chunk ended in CR: a leading LF completes that CRLF
};

}  // namespace ringcast::bench
