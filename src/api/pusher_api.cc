#include "api/pusher_api.h"

#include <simdjson.h>

#include <algorithm>

#include "api/request_head.h"
#include "auth/request_signature.h"
#include "engine/channel_name.h"
#include "engine/datonow_channels.h"
#include "http/query.h"
#include "http/response.h"
#include "util/clock.h"
#include "util/json_writer.h"
#include "util/utf8_truncate.h"

namespace ringcast::api {

namespace {

const std::string* FindParam(const std::vector<auth::QueryParam>& params, std::string_view key) {
  for (const auth::QueryParam& p : params) {
    if (p.key == key) return &p.value;
  }
  return nullptr;
}

bool HasInfo(const std::string* info, std::string_view attr) {
  if (info == nullptr) return false;
  std::string_view s = *info;
  while (!s.empty()) {
    size_t comma = s.find(',');
    if (s.substr(0, comma) == attr) return true;
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

void PusherApi::Reply(HttpCall* call, int status, std::string_view json) {
  call->response.clear();
  http::AppendResponse(&call->response, status, "application/json", json, call->keep_alive);
}

void PusherApi::Error(HttpCall* call, int status, std::string_view message) {
  call->response.clear();
  http::AppendJsonError(&call->response, status, message, call->keep_alive);
}

ApiResult PusherApi::Handle(HttpCall* call, int64_t now_s) {
  // Route, query and signature (the shard checked them too, before reading the body), then the
  // body against body_md5.
  RestHead head = CheckRestHead(*apps_, call->method, call->path, call->query, now_s);
  if (!head.ok()) {
    call->response.clear();
    AppendRestHeadRefusal(&call->response, head, call->keep_alive);
    return {};
  }
  auth::VerifyResult v = auth::VerifyBodyMd5(head.params, call->body);
  if (!v.ok()) {
    Error(call, v.status, v.message);
    return {};
  }
  if (head.route == RestRoute::kEvents || head.route == RestRoute::kBatchEvents) {
    return HandleEvents(call, head.app, head.route == RestRoute::kBatchEvents);
  }
  if (head.route == RestRoute::kTerminateUser) {
    const std::string& user = head.segments[3];
    if (user.empty() || user.size() > apps_->app(head.app).max_presence_user_id_length) {
      Error(call, 400, "Invalid user id");
      return {};
    }
    ApiResult result;
    result.terminate = ApiResult::Terminate{head.app, user};
    Reply(call, 200, "{}");
    return result;
  }
  if (head.route == RestRoute::kChannelUsers) {
    HandleUsers(call, head.app, head.segments[3], local_);
    if (!cluster_queries_ || !IsOk(*call)) return {};
    ApiResult result;
    result.cluster_query = ApiResult::ClusterQuery{
        ApiResult::ClusterQuery::Kind::kUsers, head.app, head.segments[3],
        [this, call, app = head.app, channel = head.segments[3]](const ChannelView& view) {
          call->response.clear();
          HandleUsers(call, app, channel, view);
          return ApiResult();
        }};
    return result;
  }
  ApiResult local = HandleChannels(call, head.app, head.segments, local_);
  if (!cluster_queries_ || (!local.count && !IsOk(*call))) return local;
  // Valid (the local answer is thrown away): the same query on the cluster's state.
  ApiResult result;
  ApiResult::ClusterQuery q;
  q.app = head.app;
  if (head.segments.size() == 4) {
    q.kind = ApiResult::ClusterQuery::Kind::kChannel;
    q.name = head.segments[3];
  } else {
    std::vector<auth::QueryParam> params;
    (void)http::ParseQuery(call->query, &params, /*plus_as_space=*/false);
    const std::string* prefix = FindParam(params, "filter_by_prefix");
    if (prefix != nullptr) q.name = *prefix;
  }
  q.finish = [this, call, app = head.app, seg = head.segments](const ChannelView& view) {
    call->response.clear();
    return HandleChannels(call, app, seg, view);
  };
  result.cluster_query = std::move(q);
  return result;
}

bool PusherApi::IsOk(const HttpCall& call) {
  return call.response.compare(0, 12, "HTTP/1.1 200") == 0;
}

void PusherApi::HandleUsers(HttpCall* call, uint32_t app, const std::string& channel,
                            const ChannelView& view) {
  if (engine::ChannelNameError(channel, config_->limits.max_channel_name_length, true)) {
    Error(call, 400, "Invalid channel name");
    return;
  }
  if (engine::KindOf(channel) != engine::ChannelKind::kPresence) {
    Error(call, 400, "Users are only available for presence channels");
    return;
  }
  std::vector<std::string_view> ids;
  view.ForEachUser(app, channel, [&](std::string_view id) { ids.push_back(id); });
  std::sort(ids.begin(), ids.end());
  std::string body = "{\"users\":[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) body.push_back(',');
    body += "{\"id\":";
    util::AppendJsonString(&body, ids[i]);
    body.push_back('}');
  }
  body += "]}";
  Reply(call, 200, body);
}

ApiResult PusherApi::HandleEvents(HttpCall* call, uint32_t app, bool batch) {
  const config::Limits& limits = config_->limits;
  simdjson::dom::element root;
  if (parser_.parse(call->body).get(root)) {
    Error(call, 400, "Request body is not valid JSON");
    return {};
  }
  std::vector<engine::PublishRequest> events;
  std::vector<std::string> infos;  // per event: its "info" attribute list (may be empty)

  // Reads one event object; returns "" or the error (status in *status).
  auto read_event = [&](simdjson::dom::element el, bool single_channel_only, int* status) {
    std::string err;
    simdjson::dom::object obj;
    if (el.get_object().get(obj)) return std::string("Event must be a JSON object");
    engine::PublishRequest ev;
    ev.app = app;
    std::string_view sv;
    simdjson::dom::element name_el;
    if (obj["name"].get(name_el) || name_el.get_string().get(sv)) {
      return std::string("Missing or non-string \"name\"");
    }
    if (const char* e = engine::EventNameError(sv, limits.max_event_name_length)) {
      return std::string("Invalid event name: ") + e;
    }
    ev.event = std::string(sv);
    simdjson::dom::element data_el;
    if (obj["data"].get(data_el)) return std::string("Missing \"data\"");
    if (data_el.get_string().get(sv) == simdjson::SUCCESS) {
      ev.data = std::string(sv);
    } else {
      ev.data = simdjson::minify(data_el);  // non-string data is relayed as its JSON text
    }
    if (ev.data.size() > limits.max_event_data_bytes) {
      *status = 413;
      return "Event data too large: " + std::to_string(ev.data.size()) + " bytes, limit " +
             std::to_string(limits.max_event_data_bytes);
    }

    simdjson::dom::element ch_el;
    if (obj["channels"].get(ch_el) == simdjson::SUCCESS && !single_channel_only) {
      simdjson::dom::array arr;
      if (ch_el.get_array().get(arr)) return std::string("\"channels\" must be an array");
      for (simdjson::dom::element c : arr) {
        if (c.get_string().get(sv)) return std::string("Channel names must be strings");
        ev.channels.emplace_back(sv);
      }
    } else if (obj["channel"].get(ch_el) == simdjson::SUCCESS) {
      if (ch_el.get_string().get(sv)) return std::string("\"channel\" must be a string");
      ev.channels.emplace_back(sv);
    }
    if (ev.channels.empty()) return std::string("No channels given");
    if (ev.channels.size() > limits.max_channels_per_event) {
      return "Too many channels: " + std::to_string(ev.channels.size()) + ", limit " +
             std::to_string(limits.max_channels_per_event);
    }
    for (const std::string& c : ev.channels) {
      if (const char* e =
              engine::ChannelNameError(c, limits.max_channel_name_length, /*allow_internal=*/true)) {
        return "Invalid channel name '" + util::Utf8Truncate(c, 200) + "': " + e;
      }
      std::string refused = dialogue_rules_.Check(app, c, ev.event, ev.data);
      if (!refused.empty()) return refused;
    }
    simdjson::dom::element sid_el;
    if (obj["socket_id"].get(sid_el) == simdjson::SUCCESS && !sid_el.is_null()) {
      if (sid_el.get_string().get(sv)) return std::string("\"socket_id\" must be a string");
      size_t dot = sv.find('.');
      bool digits = dot != std::string_view::npos && dot > 0 && dot + 1 < sv.size() &&
                    std::all_of(sv.begin(), sv.end(), [](char c) { return c == '.' || (c >= '0' && c <= '9'); }) &&
                    sv.find('.', dot + 1) == std::string_view::npos;
      if (!digits) return "Invalid socket_id '" + util::Utf8Truncate(sv, 64) + "'";
      uint32_t shard;
      uint64_t serial;
      ev.exclude_socket_id = std::string(sv);
      if (ids_->Parse(sv, &shard, &serial)) {
        ev.exclude_shard = shard;
        ev.exclude_serial = serial;
      }
    }
    simdjson::dom::element info_el;
    std::string info;
    if (obj["info"].get(info_el) == simdjson::SUCCESS && info_el.get_string().get(sv) == simdjson::SUCCESS) {
      info = std::string(sv);
    }
    infos.push_back(std::move(info));
    events.push_back(std::move(ev));
    return std::string();
  };

  int status = 400;
  if (batch) {
    simdjson::dom::array arr;
    simdjson::dom::element batch_el;
    if (root["batch"].get(batch_el) || batch_el.get_array().get(arr)) {
      Error(call, 400, "Body must be {\"batch\": [events]}");
      return {};
    }
    if (arr.size() > limits.max_batch_events) {
      Error(call, 400, "Batch too large: " + std::to_string(arr.size()) + " events, limit " +
                           std::to_string(limits.max_batch_events));
      return {};
    }
    size_t index = 0;
    for (simdjson::dom::element el : arr) {
      std::string err = read_event(el, /*single_channel_only=*/true, &status);
      if (!err.empty()) {
        Error(call, status, "batch[" + std::to_string(index) + "]: " + err);
        return {};
      }
      ++index;
    }
  } else {
    std::string err = read_event(root, /*single_channel_only=*/false, &status);
    if (!err.empty()) {
      Error(call, status, err);
      return {};
    }
  }

  // Everything is valid: publish, in order.
  ApiResult result;
  bool any_info = std::any_of(infos.begin(), infos.end(), [](const std::string& i) {
    return HasInfo(&i, "subscription_count") || HasInfo(&i, "user_count");
  });
  if (!any_info) {
    result.publications = std::move(events);
    Reply(call, 200, "{}");
    return result;
  }
  // Attributes per channel, counted after the publishes above (the count query travels behind
  // them in each shard's queue). user_count (presence channels) is read when the counts are in.
  ApiResult::CountRequest count;
  count.app = app;
  std::vector<std::vector<std::string>> channels;  // per event, for the answer's shape
  for (const engine::PublishRequest& ev : events) {
    count.channels.insert(count.channels.end(), ev.channels.begin(), ev.channels.end());
    channels.push_back(ev.channels);
  }
  result.publications = std::move(events);
  count.finish = [call, batch, app, presence = presence_, channels = std::move(channels),
                  infos = std::move(infos)](const std::vector<uint64_t>& counts) {
    auto attributes = [&](const std::string& info, const std::string& channel, uint64_t n) {
      std::string o;
      util::JsonObject obj(&o);
      if (HasInfo(&info, "subscription_count") &&
          engine::KindOf(channel) != engine::ChannelKind::kPresence) {
        obj.Int("subscription_count", static_cast<int64_t>(n));
      }
      if (HasInfo(&info, "user_count") &&
          engine::KindOf(channel) == engine::ChannelKind::kPresence) {
        obj.Int("user_count", static_cast<int64_t>(presence->UserCount(app, channel)));
      }
      obj.Close();
      return o;
    };
    std::string body;
    size_t k = 0;
    if (batch) {
      body = "{\"batch\":[";
      for (size_t i = 0; i < channels.size(); ++i) {
        if (i) body.push_back(',');
        body += attributes(infos[i], channels[i][0], counts[k++]);
      }
      body += "]}";
    } else {
      body = "{\"channels\":{";
      for (size_t i = 0; i < channels[0].size(); ++i) {
        if (i) body.push_back(',');
        util::AppendJsonString(&body, channels[0][i]);
        body.push_back(':');
        body += attributes(infos[0], channels[0][i], counts[k++]);
      }
      body += "}}";
    }
    Reply(call, 200, body);
  };
  result.count = std::move(count);
  return result;
}

ApiResult PusherApi::HandleChannels(HttpCall* call, uint32_t app,
                                    const std::vector<std::string>& seg, const ChannelView& view) {
  std::vector<auth::QueryParam> params;
  (void)http::ParseQuery(call->query, &params, /*plus_as_space=*/false);  // decoded once before
  const std::string* info = FindParam(params, "info");
  if (seg.size() == 4) {
    const std::string& name = seg[3];
    if (engine::ChannelNameError(name, config_->limits.max_channel_name_length, true)) {
      Error(call, 400, "Invalid channel name");
      return {};
    }
    bool presence = engine::KindOf(name) == engine::ChannelKind::kPresence;
    if (HasInfo(info, "user_count") && !presence) {
      Error(call, 400, "user_count is only available for presence channels");
      return {};
    }
    bool want_cache = HasInfo(info, "cache");
    if (want_cache && !engine::IsCacheChannel(name)) {
      Error(call, 400, "cache is only available for cache channels");
      return {};
    }
    std::string cache_json = "null";
    if (want_cache && cache_ != nullptr) {
      uint64_t now = util::MonotonicMs();
      if (const engine::ChannelCache::Entry* e = cache_->Peek(app, name, now)) {
        cache_json.clear();
        util::JsonObject(&cache_json)
            .Str("event", e->event)
            .Str("data", e->data)
            .Int("ttl", static_cast<int64_t>((e->expires_ms - now + 999) / 1000))
            .Close();
      }
    }
    bool occupied = view.IsOccupied(app, name);
    bool want_count = HasInfo(info, "subscription_count");
    auto answer = [call, presence, occupied, want_count, want_cache, cache_json,
                   want_users = HasInfo(info, "user_count"),
                   users = view.UserCount(app, name)](uint64_t count) {
      std::string body;
      util::JsonObject obj(&body);
      obj.Bool("occupied", occupied);
      if (want_users && presence) obj.Int("user_count", static_cast<int64_t>(users));
      if (want_count) obj.Int("subscription_count", static_cast<int64_t>(count));
      if (want_cache) obj.Raw("cache", cache_json);
      obj.Close();
      Reply(call, 200, body);
    };
    ApiResult result;
    if (!want_count || !occupied) {
      answer(0);
      return result;
    }
    result.count = ApiResult::CountRequest{
        app, {name}, [answer](const std::vector<uint64_t>& counts) { answer(counts[0]); }};
    return result;
  }
  const std::string* prefix = FindParam(params, "filter_by_prefix");
  bool want_users = HasInfo(info, "user_count");
  if (want_users && (prefix == nullptr || prefix->substr(0, 9) != "presence-")) {
    Error(call, 400, "user_count requires filter_by_prefix=presence-");
    return {};
  }
  std::vector<std::string> names;
  view.List(app, prefix ? *prefix : std::string_view(), &names);
  // The Datonow sockets' routing channels (engine/datonow_channels.h) are not the app's.
  std::erase_if(names, [](const std::string& n) { return engine::IsRoutingChannel(n); });
  std::sort(names.begin(), names.end());
  std::string body = "{\"channels\":{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) body.push_back(',');
    util::AppendJsonString(&body, names[i]);
    if (want_users) {
      body += ":{\"user_count\":";
      util::AppendUint(&body, view.UserCount(app, names[i]));
      body += "}";
    } else {
      body += ":{}";
    }
  }
  body += "}}";
  Reply(call, 200, body);
  return {};
}

}  // namespace ringcast::api
