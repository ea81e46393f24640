// RedisUrl: the `--redis-url` value, redis://[[user]:password@]HOST[:PORT][/DB] (docs/cluster.md,
// "Configuration"). HOST is an IPv4 address, a bracketed IPv6 address or a host name (resolved
// once at start-up, not on the control plane's loop); PORT defaults to 6379, DB to 0. `rediss://`
// (TLS) is refused: hiredis' reader has no TLS and ringcast's outbound TLS is not wired to Redis.
// Thread rules: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast::cluster {

struct RedisUrl {
  std::string host;
  uint16_t port = 6379;
  std::string user;      // empty: AUTH with the password alone (or no AUTH)
  std::string password;  // empty: no AUTH
  uint32_t db = 0;
};

// False with *error set ("redis url: ...") when `text` is not such a URL.
bool ParseRedisUrl(std::string_view text, RedisUrl* out, std::string* error);

}  // namespace ringcast::cluster
