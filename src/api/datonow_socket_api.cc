#include "api/datonow_socket_api.h"

#include "engine/channel_name.h"
#include "engine/datonow_channels.h"
#include "http/response.h"
#include "simdjson.h"
#include "util/json_writer.h"

namespace ringcast::api {

namespace dom = simdjson::dom;

const char* ParseDatonowSubscribe(std::string_view body, DatonowSubscribeFields* out) {
  *out = DatonowSubscribeFields();
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return "The body is empty";
  dom::parser parser;
  dom::element root;
  if (parser.parse(body.data(), body.size()).get(root)) return "The body is not valid JSON";
  dom::object obj;
  if (root.get_object().get(obj)) return "The body must be a JSON object";
  // Each field under the guide's camelCase name or Pusher's snake_case one (SDKs differ).
  struct Field {
    const char* name;
    const char* alias;
    std::string* dst;
    bool required;
    const char* missing;
    const char* wrong;
  };
  const Field fields[] = {
      {"appKey", "app_key", &out->app_key, true, "appKey is required", "appKey must be a string"},
      {"socketId", "socket_id", &out->socket_id, true, "socketId is required",
       "socketId must be a string"},
      {"channel", "channel_name", &out->channel, true, "channel is required",
       "channel must be a string"},
      {"auth", "auth", &out->auth, false, nullptr, "auth must be a string"},
      {"channel_data", "channelData", &out->channel_data, false, nullptr,
       "channel_data must be a string"},
  };
  for (const Field& f : fields) {
    dom::element v;
    if ((obj[f.name].get(v) != simdjson::SUCCESS || v.is_null()) &&
        (obj[f.alias].get(v) != simdjson::SUCCESS || v.is_null())) {
      if (f.required) return f.missing;
      continue;
    }
    std::string_view text;
    if (v.get_string().get(text)) return f.wrong;
    if (f.required && text.empty()) return f.missing;
    f.dst->assign(text);
  }
  return nullptr;
}

namespace {
void Error(HttpCall* call, int status, std::string_view message) {
  call->response.clear();
  http::AppendJsonError(&call->response, status, message, call->keep_alive);
}
}  // namespace

bool DatonowSocketApi::Handle(HttpCall* call, int64_t now_ms, engine::PublishRequest* out,
                              bool* elsewhere) {
  if (call->method != "POST") {
    Error(call, 405, "Use POST");
    return false;
  }
  DatonowSubscribeFields f;
  const char* err = ParseDatonowSubscribe(call->body, &f);
  // appKey is read first: a body with a good appKey and a bad later field names its app too.
  const uint32_t app =
      f.app_key.empty() ? engine::AppRegistry::kNone : apps_->IndexByKey(f.app_key);
  // Every request naming a configured app counts against its REST budget, refused ones too.
  if (limiter_ != nullptr && app != engine::AppRegistry::kNone) {
    if (const int64_t wait_s = limiter_->Check(app, now_ms); wait_s != 0) {
      DatonowRateLimited(call, limiter_->limit(app), wait_s);
      return false;
    }
  }
  if (err != nullptr) {
    Error(call, 400, err);
    return false;
  }
  if (app == engine::AppRegistry::kNone || !apps_->app(app).enabled) {
    Error(call, 403, "Unknown appKey");
    return false;
  }
  if (const char* err = engine::ChannelNameError(f.channel, max_name_, /*allow_internal=*/false)) {
    Error(call, 400, err);
    return false;
  }
  uint32_t shard = 0;
  uint64_t serial = 0;
  std::string socket_channel = engine::datonow::SocketChannel(f.socket_id);
  if (!ids_->Parse(f.socket_id, &shard, &serial) || occupancy_->Mask(app, socket_channel) == 0) {
    if (elsewhere == nullptr) {
      Error(call, 404, "No such socket connected for this app");
      return false;
    }
    *elsewhere = true;  // maybe on another node
  }
  const bool subscribe = call->path == "/api/subscribe";
  std::string command;
  {
    util::JsonObject o(&command);
    o.Str("event", subscribe ? "datonow:subscribe" : "datonow:unsubscribe");
    std::string data;
    util::JsonObject d(&data);
    d.Str("channel", f.channel);
    if (!f.auth.empty()) d.Str("auth", f.auth);
    if (!f.channel_data.empty()) d.Str("channel_data", f.channel_data);
    d.Close();
    o.Raw("data", data);
    o.Close();
  }
  out->app = app;
  out->event = std::string(engine::datonow::kSocketCommandEvent);
  out->data = std::move(command);
  out->channels.assign(1, std::move(socket_channel));
  std::string body;
  util::JsonObject(&body)
      .Str("socketId", f.socket_id)
      .Str("channel", f.channel)
      .Str("status", "pending")
      .Close();
  call->response.clear();
  http::AppendResponse(&call->response, 202, "application/json", body, call->keep_alive);
  return true;
}

}  // namespace ringcast::api
