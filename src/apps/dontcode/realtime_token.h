// DontCode realtime connection tokens (docs/protocols/dontcode.md): a server SDK mints one for
// a browser with the app secret; the browser connects to /realtime?token= with it and may use
// only the channels it names.
//
// A token is a compact HS256 JWT signed with the app secret. Header
// {"alg":"HS256","typ":"JWT","kid":"<app key>"} (the key names the app whose secret checks it),
// claims {"sub"?: identity, "channels": [...], "iat": s, "exp": s}. Verification is cheapest
// first: size and shape, the app by kid, the signature, then the claims and the expiry.
// Pure functions over the read-only app registry: any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/app_registry.h"

namespace ringcast::apps::dontcode {

inline constexpr size_t kMaxTokenChannels = 100;
inline constexpr size_t kMaxIdentityBytes = 256;
inline constexpr size_t kMaxChannelBytes = 200;
inline constexpr int64_t kDefaultTtlS = 3600;
inline constexpr int64_t kMaxTtlS = 7 * 86400;

struct RealtimeGrant {
  uint32_t app = engine::AppRegistry::kNone;
  std::string identity;  // "" when the token names none
  std::vector<std::string> channels;
  int64_t exp_s = 0;  // Unix seconds
};

// The token of `grant` for app `app_key` signed with `secret`, issued at `iat_s`.
std::string MintToken(std::string_view app_key, std::string_view secret,
                      const RealtimeGrant& grant, int64_t iat_s);

enum class TokenCheck { kOk, kMalformed, kBadSignature, kExpired };

// Checks `token` at `now_s` and fills `out` (also when kExpired: the claims held).
TokenCheck VerifyToken(const engine::AppRegistry& apps, std::string_view token, int64_t now_s,
                       RealtimeGrant* out);

// Null when `name` may be a realtime channel (the generic rule of engine/channel_name.h, at most
// kMaxChannelBytes), else why not.
const char* RealtimeChannelError(std::string_view name);

// Whether `grant` names `channel` (a linear scan: at most kMaxTokenChannels).
bool Allows(const RealtimeGrant& grant, std::string_view channel);

}  // namespace ringcast::apps::dontcode
