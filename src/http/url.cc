// ParseHttpUrl: scheme, authority, target, in that order (see url.h).
#include "http/url.h"

#include <charconv>

#include "http/syntax.h"

namespace ringcast::http {
namespace {

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.';
}

bool TargetChar(char c) {
  auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f;  // no spaces, controls or raw non-ASCII in a request line
}

}  // namespace

std::string ParseHttpUrl(std::string_view text, HttpUrl* out) {
  *out = HttpUrl();
  std::string_view rest;
  if (StartsWithNoCase(text, "http://")) {
    rest = text.substr(7);
  } else if (StartsWithNoCase(text, "https://")) {
    out->tls = true;
    rest = text.substr(8);
  } else {
    return "URL must start with http:// or https://";
  }
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) return "URL must not carry user info";
  std::string_view host;
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return "URL has an unclosed '[' in its host";
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return "URL has bytes after its IPv6 host";
      port = after.substr(1);
      if (port.empty()) return "URL has an empty port";
    }
    for (char c : host) {
      if (HexDigitValue(c) < 0 && c != ':' && c != '.') {
        return "URL has an invalid IPv6 host";
      }
    }
    out->ipv6 = true;
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return "URL has an empty port";
    }
    for (char c : host) {
      if (!NameChar(c)) return "URL has an invalid character in its host";
    }
  }
  if (host.empty()) return "URL has no host";
  out->port = out->tls ? 443 : 80;
  if (!port.empty()) {
    unsigned v = 0;
    auto r = std::from_chars(port.data(), port.data() + port.size(), v);
    if (r.ec != std::errc() || r.ptr != port.data() + port.size() || v == 0 || v > 65535) {
      return "URL has an invalid port";
    }
    out->port = static_cast<uint16_t>(v);
  }
  target = target.substr(0, target.find('#'));
  for (char c : target) {
    if (!TargetChar(c)) return "URL path has a space, control or non-ASCII byte";
  }
  out->host = std::string(host);
  out->authority = std::string(authority);
  if (target.empty()) {
    out->target = "/";
  } else if (target[0] == '?') {
    out->target = "/" + std::string(target);
  } else {
    out->target = std::string(target);
  }
  return "";
}

}  // namespace ringcast::http
