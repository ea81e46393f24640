// RequestParser: strict, resumable parser for one HTTP/1.1 request head (RFC 9112 sections 2-6).
//
// Owns only its scan position and a few counters; never the bytes. The caller accumulates the
// bytes of the current request in one buffer and calls Parse() with all of them after each read.
// Bytes already passed must not change between calls, but the buffer may move (views are rebuilt
// from the buffer of the call that returns kDone). Each byte is scanned once, so feeding a head
// byte by byte costs O(n) in total. No I/O, no allocation, no exceptions; one parser per
// connection, used by the thread that owns the connection.
//
// Flow: skip empty lines before the request-line; take complete lines (CRLF, or a bare LF) one by
// one, checking each as it completes, so most bad input fails before the head is complete; at the
// empty line, fill the RequestHead and derive its framing (request_parser.cc has the details).
// kDone and kError are sticky until Reset(). Pipelining: after kDone the caller drops
// head_size() bytes, reads the body with BodyReader, calls Reset() and parses what is left.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/request.h"

namespace ringcast::http {

struct Limits {
  size_t max_head_bytes = 16384;    // request-line + headers + final empty line (431 beyond)
  size_t max_body_bytes = 1 << 20;  // decoded body (413 beyond)
};

enum class ParseState { kNeedMore, kDone, kError };

class RequestParser {
 public:
  explicit RequestParser(const Limits& limits);

  // Parses `buf`, all bytes received so far for this request (a prefix of what the previous call
  // saw, extended). On kDone `*head` is filled with views into `buf`; on any other result its
  // contents are unspecified. On kError the caller answers error_status() and closes.
  [[nodiscard]] ParseState Parse(std::string_view buf, RequestHead* head);

  // Bytes of the head including the final empty line (and any empty lines before the
  // request-line); valid on kDone.
  size_t head_size() const { return head_size_; }
  // The HTTP status to answer with (400, 411, 413, 431, 501, 505); 0 unless kError.
  int error_status() const { return error_status_; }
  // A short static description of the error; empty unless kError.
  std::string_view error_message() const { return error_message_; }
  ParseState state() const { return state_; }
  const Limits& limits() const { return limits_; }

  // Forgets the current request; the next Parse() starts a new one.
  void Reset();

 private:
  [[nodiscard]] ParseState Fail(int status, std::string_view message);
  // Fills `head` from the complete head buf[0, head_size_) and checks framing.
  [[nodiscard]] ParseState Finish(std::string_view buf, size_t replay_end, RequestHead* head);

  Limits limits_;
  ParseState state_ = ParseState::kNeedMore;
  size_t line_begin_ = 0;          // start of the first line not yet complete
  size_t scan_pos_ = 0;            // bytes in [line_begin_, scan_pos_) hold no LF
  size_t request_line_begin_ = 0;  // valid once have_request_line_
  bool have_request_line_ = false;
  size_t header_count_ = 0;  // header lines checked so far
  size_t head_size_ = 0;
  int error_status_ = 0;
  std::string_view error_message_;  // always a string literal
};

}  // namespace ringcast::http
