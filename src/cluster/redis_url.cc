// See redis_url.h.
#include "cluster/redis_url.h"

namespace ringcast::cluster {
namespace {

bool Fail(std::string* error, std::string_view why) {
  *error = "redis url: ";
  *error += why;
  return false;
}

// Decimal digits only, at most `max`.
bool ParseNumber(std::string_view s, uint64_t max, uint64_t* out) {
  if (s.empty() || s.size() > 10) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) return false;
  *out = v;
  return true;
}

// %XX escapes in the user and password (a password may hold '@', ':' or '/').
bool Unescape(std::string_view s, std::string* out) {
  out->clear();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out->push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return false;  // needs two hex digits
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int hi = hex(s[i + 1]);
    const int lo = hex(s[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

}  // namespace

bool ParseRedisUrl(std::string_view text, RedisUrl* out, std::string* error) {
  constexpr std::string_view kScheme = "redis://";
  if (text.substr(0, 9) == "rediss://") {
    return Fail(error, "rediss:// (TLS to Redis) is not supported; use redis:// on a private link");
  }
  if (text.substr(0, kScheme.size()) != kScheme) return Fail(error, "must start with redis://");
  std::string_view rest = text.substr(kScheme.size());
  RedisUrl url;
  // /DB
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    uint64_t n = 0;
    if (!db.empty()) {
      if (!ParseNumber(db, 1u << 20, &n)) return Fail(error, "the database must be a number");
      url.db = static_cast<uint32_t>(n);
    }
  }
  // user:password@
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    size_t colon = userinfo.find(':');
    std::string_view user = colon == std::string_view::npos ? userinfo : userinfo.substr(0, colon);
    std::string_view pass =
        colon == std::string_view::npos ? std::string_view() : userinfo.substr(colon + 1);
    if (colon == std::string_view::npos) {  // redis://password@host, as redis-cli -u reads it
      pass = user;
      user = {};
    }
    if (!Unescape(user, &url.user) || !Unescape(pass, &url.password)) {
      return Fail(error, "bad %-escape in the user or password");
    }
  }
  // HOST[:PORT], HOST may be [IPv6]
  std::string_view host = rest;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return Fail(error, "unclosed [ in the host");
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Fail(error, "junk after the host");
      port = after.substr(1);
      if (port.empty()) return Fail(error, "empty port");
    }
  } else if (size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (port.empty()) return Fail(error, "empty port");
  }
  if (host.empty()) return Fail(error, "no host");
  for (char c : host) {
    if (c <= ' ' || c == '/' || c == '@' || c == '?' || c == '#') {
      return Fail(error, "bad character in the host");
    }
  }
  url.host = std::string(host);
  if (!port.empty()) {
    uint64_t n = 0;
    if (!ParseNumber(port, 65535, &n) || n == 0) return Fail(error, "the port must be 1-65535");
    url.port = static_cast<uint16_t>(n);
  }
  *out = std::move(url);
  return true;
}

}  // namespace ringcast::cluster
