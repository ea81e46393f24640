// RequestHead: the parsed head of one HTTP/1.1 request, as views into the caller's buffer.
//
// Owns nothing: every string_view points into the buffer that RequestParser::Parse was given on
// the call that returned kDone, so a head is valid only while that buffer is alive and unchanged.
// Plain data plus read-only lookups; any thread may read a head it owns. Fixed capacity
// (kMaxHeaders) so that parsing never allocates. Header names keep the sender's case; every
// lookup here compares names and tokens ASCII-case-insensitively.
// Invariants after a successful parse: header_count <= kMaxHeaders; chunked implies
// content_length == -1; path and query are sub-views of target.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace ringcast::http {

enum class Method : uint8_t { kGet, kHead, kPost, kPut, kDelete, kOptions, kPatch, kOther };

// Maps an exact (case-sensitive, RFC 9110 section 9.1) method name to its enum; kOther otherwise.
Method ParseMethod(std::string_view name);

struct Header {
  std::string_view name;
  std::string_view value;  // without leading or trailing whitespace
};

struct RequestHead {
  static constexpr size_t kMaxHeaders = 64;

  Method method = Method::kOther;
  std::string_view method_name;  // as sent, e.g. "GET"
  std::string_view target;       // request-target as sent, e.g. "/apps/1/events?x=1"
  std::string_view path;         // target up to '?'; for absolute-form only the path part
  std::string_view query;        // raw text after '?', without it, not decoded
  uint8_t version_minor = 1;     // HTTP/1.0 or HTTP/1.1

  std::array<Header, kMaxHeaders> headers;
  size_t header_count = 0;

  // Derived by the parser from the headers above.
  int64_t content_length = -1;  // -1 when there is no Content-Length header
  bool chunked = false;         // Transfer-Encoding: chunked
  bool keep_alive = false;      // 1.1: unless "Connection: close"; 1.0: only with keep-alive
  bool upgrade = false;         // Connection has token "upgrade" and an Upgrade header exists

  std::span<const Header> header_list() const { return {headers.data(), header_count}; }

  // Value of the first header called `name` (any case); an empty view when there is none.
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  // True when any header called `header` holds `token` in its comma-separated list (tokens
  // compared ignoring case, optional whitespace around list elements ignored).
  bool HasToken(std::string_view header, std::string_view token) const;
};

}  // namespace ringcast::http
