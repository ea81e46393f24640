// RequestParser implementation (contract in request_parser.h).
//
// Scanning: memchr for LF from scan_pos_, never past max_head_bytes (the "window"); each complete
// line is checked at once and, while it is checked, written into the caller's head. Lines checked
// in earlier calls were written with views into that call's buffer, so when the empty line
// arrives Finish() replays them (same checks, which cannot fail now) against the current buffer:
// one extra pass over bytes that arrived in earlier calls, none in the common one-read case.
// Same verdict under any split: lines are judged in byte order and only inside the window, so a
// bad line before the limit is a 400 and anything else unfinished at the limit is a 431, however
// the bytes arrive; the early first-byte check gives the same status as the full line check.
// Framing (RFC 9112 section 6) is decided once, in Finish(), from one pass over the headers.

#include "http/request_parser.h"

#include <algorithm>
#include <cstring>

#include "http/syntax.h"
#include "util/log.h"

namespace ringcast::http {
namespace {

// The outcome of checking one line: status 0 when it is well formed.
struct LineCheck {
  int status = 0;
  std::string_view message;
};

constexpr LineCheck kLineOk{};

LineCheck Bad(std::string_view message) { return {400, message}; }

bool AllTchar(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), IsTchar); }

// request-target bytes: VCHAR only (no SP, CTL, DEL, obs-text) and no fragment.
bool ValidTargetChars(std::string_view target) {
  for (char c : target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '#') return false;
  }
  return true;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

// Sets head->target, path and query from a target whose characters are already checked.
LineCheck SplitTarget(std::string_view target, RequestHead* head) {
  head->target = target;
  std::string_view path_and_query = target;
  if (target == "*") {
    if (head->method != Method::kOptions) return Bad("'*' target is only for OPTIONS");
    head->path = target;
    head->query = {};
    return kLineOk;
  }
  if (target.front() != '/') {
    // absolute-form: http[s]://authority/path?query, reduced to its path and query.
    size_t scheme_len = 0;
    if (StartsWithIgnoreCase(target, "http://")) {
      scheme_len = 7;
    } else if (StartsWithIgnoreCase(target, "https://")) {
      scheme_len = 8;
    } else {
      return Bad("request-target must start with '/'");
    }
    const std::string_view rest = target.substr(scheme_len);
    const size_t authority_end = rest.find_first_of("/?");
    if (authority_end == 0) return Bad("absolute-form target without a host");
    if (authority_end == std::string_view::npos || rest[authority_end] != '/') {
      return Bad("absolute-form target without a path");
    }
    path_and_query = rest.substr(authority_end);
  }
  const size_t question = path_and_query.find('?');
  head->path = path_and_query.substr(0, question);
  head->query =
      question == std::string_view::npos ? std::string_view() : path_and_query.substr(question + 1);
  return kLineOk;
}

// request-line = method SP request-target SP HTTP-version (without its line ending).
LineCheck CheckRequestLine(std::string_view line, RequestHead* head) {
  // Same verdict as the early first-byte check in Parse(), whatever the split of the input.
  if (!IsTchar(line.front())) return Bad("invalid method");
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return Bad("malformed request line");
  const std::string_view method = line.substr(0, sp1);
  if (!AllTchar(method)) return Bad("invalid method");
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return Bad("malformed request line");
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (target.empty() || !ValidTargetChars(target)) return Bad("invalid request-target");
  const std::string_view version = line.substr(sp2 + 1);
  // HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive.
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || !is_digit(version[5]) ||
      version[6] != '.' || !is_digit(version[7])) {
    return Bad("malformed HTTP version");
  }
  if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
    return {505, "HTTP version not supported"};
  }
  head->method_name = method;
  head->method = ParseMethod(method);
  head->version_minor = static_cast<uint8_t>(version[7] - '0');
  return SplitTarget(target, head);
}

// field-line = field-name ":" OWS field-value OWS (without its line ending).
LineCheck CheckHeaderLine(std::string_view line, Header* out) {
  if (IsOws(line.front())) return Bad("obs-fold or whitespace before a header name");
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return Bad("header line without ':'");
  const std::string_view name = line.substr(0, colon);
  if (!name.empty() && IsOws(name.back())) return Bad("whitespace before ':' in a header");
  if (!AllTchar(name)) return Bad("invalid header name");
  const std::string_view value = line.substr(colon + 1);
  if (!std::all_of(value.begin(), value.end(), IsFieldValueChar)) {
    return Bad("control character in a header value");
  }
  out->name = name;
  out->value = TrimOws(value);
  return kLineOk;
}

// Returns the line starting at `begin` without its ending; *next is the byte after its LF. The
// caller guarantees there is an LF.
std::string_view LineAt(std::string_view buf, size_t begin, size_t* next) {
  const size_t lf = buf.find('\n', begin);
  *next = lf + 1;
  std::string_view line = buf.substr(begin, lf - begin);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

enum class LengthCheck { kNone, kValid, kInvalid, kConflict };

// Merges one Content-Length field value into *length. A value may be a list of equal numbers
// ("42, 42"), as left by an intermediary that combined repeated fields.
LengthCheck MergeContentLength(std::string_view value, LengthCheck state, int64_t* length) {
  while (true) {
    const size_t comma = value.find(',');
    const std::string_view element = TrimOws(value.substr(0, comma));
    if (element.empty()) return LengthCheck::kInvalid;
    int64_t n = 0;
    for (char c : element) {
      if (c < '0' || c > '9') return LengthCheck::kInvalid;
      if (n > (INT64_MAX - (c - '0')) / 10) return LengthCheck::kInvalid;
      n = n * 10 + (c - '0');
    }
    if (state == LengthCheck::kValid && n != *length) return LengthCheck::kConflict;
    state = LengthCheck::kValid;
    *length = n;
    if (comma == std::string_view::npos) return state;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace

RequestParser::RequestParser(const Limits& limits) : limits_(limits) {}

void RequestParser::Reset() {
  const Limits limits = limits_;
  *this = RequestParser(limits);
}

ParseState RequestParser::Fail(int status, std::string_view message) {
  state_ = ParseState::kError;
  error_status_ = status;
  error_message_ = message;
  return state_;
}

ParseState RequestParser::Parse(std::string_view buf, RequestHead* head) {
  if (state_ != ParseState::kNeedMore) return state_;
  RC_CHECK(buf.size() >= scan_pos_);  // the caller must keep every byte it passed before
  // Lines that ended before replay_end were checked by earlier calls, whose views into `head`
  // pointed into the caller's buffer of that time; Finish() rebuilds them from `buf`.
  const size_t replay_end = line_begin_;
  // Only the first max_head_bytes can belong to an acceptable head.
  const size_t window = std::min(buf.size(), limits_.max_head_bytes);
  while (scan_pos_ < window) {
    const void* lf = std::memchr(buf.data() + scan_pos_, '\n', window - scan_pos_);
    if (lf == nullptr) {
      scan_pos_ = window;
      break;
    }
    const size_t begin = line_begin_;
    std::string_view line = LineAt(buf, begin, &line_begin_);
    scan_pos_ = line_begin_;
    LineCheck check;
    if (!have_request_line_) {
      if (line.empty()) continue;  // RFC 9112 section 2.2: ignore empty lines before it
      check = CheckRequestLine(line, head);
      have_request_line_ = true;
      request_line_begin_ = begin;
    } else if (line.empty()) {
      head_size_ = line_begin_;
      return Finish(buf, replay_end, head);
    } else if (header_count_ == RequestHead::kMaxHeaders) {
      check = Bad("too many header fields");
    } else {
      check = CheckHeaderLine(line, &head->headers[header_count_++]);
    }
    if (check.status != 0) return Fail(check.status, check.message);
  }
  // Fail fast on bytes that cannot start a request-line (a TLS ClientHello, binary noise) instead
  // of waiting for a line ending that may never come.
  if (!have_request_line_ && line_begin_ < buf.size()) {
    const char c = buf[line_begin_];
    if (!IsTchar(c) && c != '\r') return Fail(400, "invalid method");
  }
  if (buf.size() > limits_.max_head_bytes) return Fail(431, "request head too large");
  return ParseState::kNeedMore;
}

ParseState RequestParser::Finish(std::string_view buf, size_t replay_end, RequestHead* head) {
  if (replay_end > request_line_begin_) {
    size_t pos = request_line_begin_;
    RC_CHECK(CheckRequestLine(LineAt(buf, pos, &pos), head).status == 0);
    for (size_t i = 0; pos < replay_end; ++i) {
      RC_CHECK(CheckHeaderLine(LineAt(buf, pos, &pos), &head->headers[i]).status == 0);
    }
  }
  head->header_count = header_count_;

  // One pass over the headers for everything that decides framing and connection reuse.
  size_t host_count = 0;
  LengthCheck length_check = LengthCheck::kNone;
  int64_t content_length = -1;
  bool has_transfer_encoding = false;
  size_t codings = 0;
  size_t chunked_codings = 0;
  bool chunked_last = false;
  bool connection_close = false;
  bool connection_keep_alive = false;
  bool connection_upgrade = false;
  bool has_upgrade = false;
  for (const Header& h : head->header_list()) {
    if (EqualsIgnoreCase(h.name, "content-length")) {
      if (length_check != LengthCheck::kInvalid && length_check != LengthCheck::kConflict) {
        length_check = MergeContentLength(h.value, length_check, &content_length);
      }
    } else if (EqualsIgnoreCase(h.name, "transfer-encoding")) {
      has_transfer_encoding = true;
      ForEachListElement(h.value, [&](std::string_view coding) {
        ++codings;
        chunked_last = EqualsIgnoreCase(coding, "chunked");
        if (chunked_last) ++chunked_codings;
      });
    } else if (EqualsIgnoreCase(h.name, "connection")) {
      ForEachListElement(h.value, [&](std::string_view option) {
        if (EqualsIgnoreCase(option, "close")) connection_close = true;
        if (EqualsIgnoreCase(option, "keep-alive")) connection_keep_alive = true;
        if (EqualsIgnoreCase(option, "upgrade")) connection_upgrade = true;
      });
    } else if (EqualsIgnoreCase(h.name, "host")) {
      ++host_count;
    } else if (EqualsIgnoreCase(h.name, "upgrade")) {
      has_upgrade = true;
    }
  }

  // RFC 9112 section 3.2: exactly one Host in HTTP/1.1, at most one in HTTP/1.0.
  if (host_count > 1) return Fail(400, "more than one Host header");
  if (host_count == 0 && head->version_minor == 1) return Fail(400, "missing Host header");
  // RFC 9112 section 6.1-6.3: refuse any framing two parties could read differently.
  if (has_transfer_encoding && length_check != LengthCheck::kNone) {
    return Fail(400, "both Content-Length and Transfer-Encoding");
  }
  if (length_check == LengthCheck::kInvalid) return Fail(400, "invalid Content-Length");
  if (length_check == LengthCheck::kConflict) return Fail(400, "conflicting Content-Length values");
  if (has_transfer_encoding) {
    if (head->version_minor == 0) return Fail(400, "Transfer-Encoding in an HTTP/1.0 request");
    if (codings == 0) return Fail(400, "empty Transfer-Encoding");
    if (chunked_codings > 1) return Fail(400, "chunked applied more than once");
    if (codings != 1 || !chunked_last) return Fail(501, "unsupported Transfer-Encoding");
  }
  if (content_length > 0 && static_cast<uint64_t>(content_length) > limits_.max_body_bytes) {
    return Fail(413, "request body too large");
  }
  const bool needs_body = head->method == Method::kPost || head->method == Method::kPut ||
                          head->method == Method::kPatch;
  if (needs_body && !has_transfer_encoding && length_check == LengthCheck::kNone) {
    return Fail(411, "Content-Length required");
  }

  head->content_length = content_length;
  head->chunked = has_transfer_encoding;
  head->keep_alive =
      head->version_minor == 1 ? !connection_close : connection_keep_alive && !connection_close;
  head->upgrade = connection_upgrade && has_upgrade;
  state_ = ParseState::kDone;
  return state_;
}

}  // namespace ringcast::http
