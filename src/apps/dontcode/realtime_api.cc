#include "apps/dontcode/realtime_api.h"

#include <simdjson.h>

#include "apps/dontcode/realtime_token.h"
#include "apps/dontcode/realtime_wire.h"
#include "auth/crypto.h"
#include "engine/channel_name.h"
#include "http/query.h"
#include "http/response.h"
#include "util/clock.h"
#include "util/json_writer.h"

namespace ringcast::apps::dontcode {

namespace {

void Error(api::HttpCall* call, int status, std::string_view message) {
  call->response.clear();
  http::AppendJsonError(&call->response, status, message, call->keep_alive);
}

void Json(api::HttpCall* call, std::string_view body) {
  call->response.clear();
  http::AppendResponse(&call->response, 200, "application/json", body, call->keep_alive);
}

constexpr std::string_view kPresencePath = "/realtime/presence/";

}  // namespace

uint32_t RealtimeApi::AppOfBearer(const engine::AppRegistry& apps,
                                  std::string_view authorization) {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() <= kScheme.size()) return engine::AppRegistry::kNone;
  for (size_t i = 0; i < kScheme.size(); ++i) {  // the scheme is case-insensitive (RFC 9110)
    const char c = authorization[i];
    const char want = kScheme[i];
    if (c != want && !(c >= 'A' && c <= 'Z' && c + 32 == want) &&
        !(c >= 'a' && c <= 'z' && c - 32 == want)) {
      return engine::AppRegistry::kNone;
    }
  }
  const std::string_view secret = authorization.substr(kScheme.size());
  uint32_t found = engine::AppRegistry::kNone;
  for (uint32_t i = 0; i < apps.size(); ++i) {
    const config::AppConfig& app = apps.app(i);
    if (app.enabled && !app.secret.empty() && auth::ConstantTimeEquals(app.secret, secret)) {
      found = i;
    }
  }
  return found;
}

RealtimeApi::Result RealtimeApi::Handle(api::HttpCall* call, int64_t now_s, bool tls) {
  Result r;
  if (call->bearer_app >= apps_->size()) {  // checked on the shard; kept for direct callers
    Error(call, 401, "Authorization: Bearer <app secret> required");
    return r;
  }
  const std::string_view path = call->path;
  if (path == "/realtime/tokens" || path == "/realtime/publish") {
    if (call->method != "POST") {
      Error(call, 405, "Use POST");
      return r;
    }
    if (path == "/realtime/tokens") {
      MintToken(call, now_s, tls);
      return r;
    }
    if (ParsePublish(call, &r.publish)) r.kind = Result::Kind::kPublish;
    return r;
  }
  if (path.starts_with(kPresencePath)) {
    if (call->method != "GET" && call->method != "HEAD") {
      Error(call, 405, "Use GET");
      return r;
    }
    std::string channel;
    if (!http::PercentDecode(path.substr(kPresencePath.size()), &channel, false) ||
        RealtimeChannelError(channel) != nullptr) {
      Error(call, 400, "Expected /realtime/presence/{channel} with a valid channel name");
      return r;
    }
    r.kind = Result::Kind::kPresence;
    r.app = call->bearer_app;
    r.channel = std::move(channel);
    return r;
  }
  Error(call, 404, "Not found");
  return r;
}

void RealtimeApi::MintToken(api::HttpCall* call, int64_t now_s, bool tls) {
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(call->body).get_object().get(o)) {
    Error(call, 400, "Expected a JSON object");
    return;
  }
  RealtimeGrant grant;
  grant.app = call->bearer_app;
  simdjson::dom::array channels;
  if (o["channels"].get_array().get(channels) || channels.size() == 0 ||
      channels.size() > kMaxTokenChannels) {
    Error(call, 400, "channels: Expected an array of 1 to 100 channel names");
    return;
  }
  for (simdjson::dom::element e : channels) {
    std::string_view name;
    if (e.get_string().get(name)) {
      Error(call, 400, "channels: Expected strings");
      return;
    }
    if (const char* why = RealtimeChannelError(name)) {
      Error(call, 400, std::string("channels: ") + why);
      return;
    }
    if (!Allows(grant, name)) grant.channels.emplace_back(name);
  }
  simdjson::dom::element identity;
  if (o["identity"].get(identity) == simdjson::SUCCESS && !identity.is_null()) {
    std::string_view id;
    if (identity.get_string().get(id) || id.empty() || id.size() > kMaxIdentityBytes) {
      Error(call, 400, "identity: Expected a string of 1 to 256 bytes");
      return;
    }
    grant.identity = std::string(id);
  }
  int64_t ttl = kDefaultTtlS;
  simdjson::dom::element ttl_value;
  if (o["ttl_s"].get(ttl_value) == simdjson::SUCCESS && !ttl_value.is_null()) {
    if (ttl_value.get_int64().get(ttl) || ttl < 1 || ttl > kMaxTtlS) {
      Error(call, 400, "ttl_s: Expected an integer from 1 to 604800");
      return;
    }
  }
  grant.exp_s = now_s + ttl;
  const config::AppConfig& app = apps_->app(grant.app);
  std::string url = tls ? "wss://" : "ws://";
  url += call->host.empty() ? std::string_view("localhost") : std::string_view(call->host);
  url += "/realtime";
  std::string body;
  util::JsonObject(&body)
      .Str("url", url)
      .Str("token", dontcode::MintToken(app.key, app.secret, grant, now_s))
      .Str("expiresAt", util::IsoTimeMs(grant.exp_s * 1000))
      .Close();
  Json(call, body);
}

bool RealtimeApi::ParsePublish(api::HttpCall* call, engine::PublishRequest* out) {
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(call->body).get_object().get(o)) {
    Error(call, 400, "Expected a JSON object");
    return false;
  }
  std::string_view channel;
  if (o["channel"].get_string().get(channel)) {
    Error(call, 400, "channel: Expected a string");
    return false;
  }
  if (const char* why = RealtimeChannelError(channel)) {
    Error(call, 400, std::string("channel: ") + why);
    return false;
  }
  simdjson::dom::element data;
  if (o["data"].get(data)) {
    Error(call, 400, "data: required");
    return false;
  }
  std::string_view event = wire::kMessageEvent;
  simdjson::dom::element event_value;
  if (o["event"].get(event_value) == simdjson::SUCCESS && !event_value.is_null()) {
    if (event_value.get_string().get(event) ||
        engine::EventNameError(event, 200) != nullptr || event.starts_with("pusher")) {
      Error(call, 400, "event: Expected an event name (not pusher*)");
      return false;
    }
  }
  // A string is published as its text (as a Pusher trigger's data), anything else as JSON.
  std::string_view text;
  std::string bytes =
      data.get_string().get(text) == simdjson::SUCCESS ? std::string(text) : simdjson::minify(data);
  if (bytes.size() > max_data_bytes_) {
    Error(call, 413, "data is larger than max_event_data_bytes");
    return false;
  }
  out->app = call->bearer_app;
  out->event = std::string(event);
  out->data = std::move(bytes);
  out->channels.emplace_back(channel);
  return true;
}

void RealtimeApi::AnswerDelivered(api::HttpCall* call, uint64_t delivered) {
  std::string body;
  util::JsonObject(&body).Int("delivered", static_cast<int64_t>(delivered)).Close();
  Json(call, body);
}

void RealtimeApi::AnswerPresence(api::HttpCall* call,
                                 const std::vector<std::pair<std::string, std::string>>& members) {
  std::string body = "[";
  for (size_t i = 0; i < members.size(); ++i) {
    if (i > 0) body += ',';
    wire::AppendMember(&body, members[i].first, members[i].second);
  }
  body += ']';
  Json(call, body);
}

}  // namespace ringcast::apps::dontcode
