// HttpUrl: an absolute http:// or https:// URL split into what an HTTP/1.1 client needs
// (host, port, request target), for outbound requests such as webhooks.
//
// Accepted: scheme "http" or "https" (case-insensitive), a host that is an IPv4 address, a
// bracketed IPv6 address or a name of letters, digits, '-' and '.', an optional port
// (1-65535; default 80 or 443), and an optional path and query (default "/"; a fragment is
// dropped). Refused, with a message: anything else, user info ("user@host") included.
// Pure; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast::http {

struct HttpUrl {
  bool tls = false;   // https
  std::string host;   // without brackets for IPv6
  bool ipv6 = false;  // host was bracketed
  uint16_t port = 0;
  std::string target;     // origin-form request target: path and query, at least "/"
  std::string authority;  // host[:port] as the Host header names it
};

// Returns "" or what is wrong with `text`.
[[nodiscard]] std::string ParseHttpUrl(std::string_view text, HttpUrl* out);

}  // namespace ringcast::http
