#include "apps/dontcode/realtime_token.h"

#include <simdjson.h>

#include "auth/jwt.h"
#include "engine/channel_name.h"
#include "util/json_writer.h"

namespace ringcast::apps::dontcode {

std::string MintToken(std::string_view app_key, std::string_view secret,
                      const RealtimeGrant& grant, int64_t iat_s) {
  std::string header;
  util::JsonObject(&header).Str("alg", "HS256").Str("typ", "JWT").Str("kid", app_key).Close();
  std::string claims = "{";
  if (!grant.identity.empty()) {
    claims += "\"sub\":";
    util::AppendJsonString(&claims, grant.identity);
    claims += ',';
  }
  claims += "\"channels\":[";
  for (size_t i = 0; i < grant.channels.size(); ++i) {
    if (i > 0) claims += ',';
    util::AppendJsonString(&claims, grant.channels[i]);
  }
  claims += "],\"iat\":";
  util::AppendInt(&claims, iat_s);
  claims += ",\"exp\":";
  util::AppendInt(&claims, grant.exp_s);
  claims += '}';
  return auth::SignJwtHs256(header, claims, secret);
}

namespace {

// The app named by the unverified header's kid (kNone when it names none we know).
uint32_t AppOfHeader(const engine::AppRegistry& apps, std::string_view token) {
  const size_t dot = token.find('.');
  if (dot == std::string_view::npos || dot > 1024) return engine::AppRegistry::kNone;
  std::string header;
  if (!auth::Base64UrlDecode(token.substr(0, dot), &header)) return engine::AppRegistry::kNone;
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  std::string_view alg, kid;
  if (parser.parse(header).get_object().get(o) || o["alg"].get_string().get(alg) ||
      alg != "HS256" || o["kid"].get_string().get(kid)) {
    return engine::AppRegistry::kNone;
  }
  return apps.IndexByKey(kid);
}

}  // namespace

TokenCheck VerifyToken(const engine::AppRegistry& apps, std::string_view token, int64_t now_s,
                       RealtimeGrant* out) {
  *out = RealtimeGrant{};
  if (token.empty() || token.size() > auth::kMaxJwtBytes) return TokenCheck::kMalformed;
  const uint32_t app = AppOfHeader(apps, token);
  if (app == engine::AppRegistry::kNone || !apps.app(app).enabled) return TokenCheck::kMalformed;
  std::string header, claims;
  if (auth::VerifyJwtHs256(token, apps.app(app).secret, &header, &claims) != nullptr) {
    return TokenCheck::kBadSignature;
  }
  // Signed by the app's secret: the claims are ours, still checked as strictly as a request.
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  simdjson::dom::array channels;
  int64_t exp = 0;
  if (parser.parse(claims).get_object().get(o) || o["channels"].get_array().get(channels) ||
      o["exp"].get_int64().get(exp)) {
    return TokenCheck::kMalformed;
  }
  std::string_view sub;
  if (o["sub"].get_string().get(sub) == simdjson::SUCCESS) {
    if (sub.size() > kMaxIdentityBytes) return TokenCheck::kMalformed;
    out->identity = std::string(sub);
  }
  for (simdjson::dom::element e : channels) {
    std::string_view name;
    if (e.get_string().get(name) || RealtimeChannelError(name) != nullptr ||
        out->channels.size() >= kMaxTokenChannels) {
      return TokenCheck::kMalformed;
    }
    out->channels.emplace_back(name);
  }
  out->app = app;
  out->exp_s = exp;
  return now_s >= exp ? TokenCheck::kExpired : TokenCheck::kOk;
}

const char* RealtimeChannelError(std::string_view name) {
  return engine::GenericChannelNameError(name, kMaxChannelBytes);
}

bool Allows(const RealtimeGrant& grant, std::string_view channel) {
  for (const std::string& c : grant.channels) {
    if (c == channel) return true;
  }
  return false;
}

}  // namespace ringcast::apps::dontcode
