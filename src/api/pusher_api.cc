#include "api/pusher_api.h"

#include <simdjson.h>

#include <algorithm>

#include "api/request_head.h"
#include "auth/request_signature.h"
#include "engine/channel_name.h"
#include "engine/publication.h"
#include "http/query.h"
#include "http/response.h"
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

struct PusherApi::Event {
  std::string name;
  std::string escaped_data;
  std::vector<std::string> channels;
  uint32_t exclude_shard = engine::kNoShard;
  uint64_t exclude_serial = 0;
};

void PusherApi::Reply(engine::HttpCall* call, int status, std::string_view json) {
  call->response.clear();
  http::AppendResponse(&call->response, status, "application/json", json, call->keep_alive);
}

void PusherApi::Error(engine::HttpCall* call, int status, std::string_view message) {
  call->response.clear();
  http::AppendJsonError(&call->response, status, message, call->keep_alive);
}

bool PusherApi::Handle(engine::HttpCall* call, int64_t now_s) {
  // Route, query and signature (the shard checked them too, before reading the body), then the
  // body against body_md5.
  RestHead head = CheckRestHead(*apps_, call->method, call->path, call->query, now_s);
  if (!head.ok()) {
    call->response.clear();
    AppendRestHeadRefusal(&call->response, head, call->keep_alive);
    return true;
  }
  auth::VerifyResult v = auth::VerifyBodyMd5(head.params, call->body);
  if (!v.ok()) {
    Error(call, v.status, v.message);
    return true;
  }
  if (head.route == RestRoute::kEvents || head.route == RestRoute::kBatchEvents) {
    return HandleEvents(call, head.app, head.route == RestRoute::kBatchEvents);
  }
  return HandleChannels(call, head.app, head.segments);
}

bool PusherApi::HandleEvents(engine::HttpCall* call, uint32_t app, bool batch) {
  const config::Limits& limits = config_->limits;
  simdjson::dom::element root;
  if (parser_.parse(call->body).get(root)) {
    Error(call, 400, "Request body is not valid JSON");
    return true;
  }
  std::vector<Event> events;
  std::vector<std::string> infos;  // per event: its "info" attribute list (may be empty)

  // Reads one event object; returns "" or the error (status in *status).
  auto read_event = [&](simdjson::dom::element el, bool single_channel_only, int* status) {
    std::string err;
    simdjson::dom::object obj;
    if (el.get_object().get(obj)) return std::string("Event must be a JSON object");
    Event ev;
    std::string_view sv;
    simdjson::dom::element name_el;
    if (obj["name"].get(name_el) || name_el.get_string().get(sv)) {
      return std::string("Missing or non-string \"name\"");
    }
    if (const char* e = engine::EventNameError(sv, limits.max_event_name_length)) {
      return std::string("Invalid event name: ") + e;
    }
    ev.name = std::string(sv);
    simdjson::dom::element data_el;
    if (obj["data"].get(data_el)) return std::string("Missing \"data\"");
    std::string data_text;
    if (data_el.get_string().get(sv) == simdjson::SUCCESS) {
      data_text = std::string(sv);
    } else {
      data_text = simdjson::minify(data_el);  // non-string data is relayed as its JSON text
    }
    if (data_text.size() > limits.max_event_data_bytes) {
      *status = 413;
      return "Event data too large: " + std::to_string(data_text.size()) + " bytes, limit " +
             std::to_string(limits.max_event_data_bytes);
    }
    util::AppendJsonEscaped(&ev.escaped_data, data_text);

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
      return true;
    }
    if (arr.size() > limits.max_batch_events) {
      Error(call, 400, "Batch too large: " + std::to_string(arr.size()) + " events, limit " +
                           std::to_string(limits.max_batch_events));
      return true;
    }
    size_t index = 0;
    for (simdjson::dom::element el : arr) {
      std::string err = read_event(el, /*single_channel_only=*/true, &status);
      if (!err.empty()) {
        Error(call, status, "batch[" + std::to_string(index) + "]: " + err);
        return true;
      }
      ++index;
    }
  } else {
    std::string err = read_event(root, /*single_channel_only=*/false, &status);
    if (!err.empty()) {
      Error(call, status, err);
      return true;
    }
  }

  // Everything is valid: publish, in order.
  for (const Event& ev : events) {
    for (const std::string& channel : ev.channels) {
      scratch_.clear();
      engine::AppendChannelEventJson(&scratch_, ev.name, channel, ev.escaped_data);
      control_->Publish(app, channel, scratch_, ev.exclude_shard, ev.exclude_serial);
    }
  }
  bool any_info = std::any_of(infos.begin(), infos.end(), [](const std::string& i) {
    return HasInfo(&i, "subscription_count") || HasInfo(&i, "user_count");
  });
  if (!any_info) {
    Reply(call, 200, "{}");
    return true;
  }
  // Attributes per channel, counted after the publishes above (the count query travels behind
  // them in each shard's queue). user_count is for presence channels, which this server does
  // not serve yet: always 0.
  std::vector<std::string> channels;
  for (const Event& ev : events) {
    for (const std::string& c : ev.channels) channels.push_back(c);
  }
  control_->CountSubscriptions(
      app, channels, [this, call, batch, events = std::move(events), infos = std::move(infos)](
                         std::vector<uint64_t> counts) {
        auto attributes = [&](const std::string& info, const std::string& channel, uint64_t n) {
          std::string o;
          util::JsonObject obj(&o);
          if (HasInfo(&info, "subscription_count") &&
              engine::KindOf(channel) != engine::ChannelKind::kPresence) {
            obj.Int("subscription_count", static_cast<int64_t>(n));
          }
          if (HasInfo(&info, "user_count") &&
              engine::KindOf(channel) == engine::ChannelKind::kPresence) {
            obj.Int("user_count", 0);
          }
          obj.Close();
          return o;
        };
        std::string body;
        size_t k = 0;
        if (batch) {
          body = "{\"batch\":[";
          for (size_t i = 0; i < events.size(); ++i) {
            if (i) body.push_back(',');
            body += attributes(infos[i], events[i].channels[0], counts[k++]);
          }
          body += "]}";
        } else {
          body = "{\"channels\":{";
          for (size_t i = 0; i < events[0].channels.size(); ++i) {
            if (i) body.push_back(',');
            util::AppendJsonString(&body, events[0].channels[i]);
            body.push_back(':');
            body += attributes(infos[0], events[0].channels[i], counts[k++]);
          }
          body += "}}";
        }
        Reply(call, 200, body);
        control_->Answer(call);
      });
  return false;
}

bool PusherApi::HandleChannels(engine::HttpCall* call, uint32_t app,
                               const std::vector<std::string>& seg) {
  std::vector<auth::QueryParam> params;
  (void)DecodeRestQuery(call->query, &params);  // already decoded once successfully
  const std::string* info = FindParam(params, "info");
  if (seg.size() == 4) {
    const std::string& name = seg[3];
    if (engine::ChannelNameError(name, config_->limits.max_channel_name_length, true)) {
      Error(call, 400, "Invalid channel name");
      return true;
    }
    bool presence = engine::KindOf(name) == engine::ChannelKind::kPresence;
    if (HasInfo(info, "user_count") && !presence) {
      Error(call, 400, "user_count is only available for presence channels");
      return true;
    }
    bool occupied = control_->IsOccupied(app, name);
    bool want_count = HasInfo(info, "subscription_count");
    auto answer = [this, call, presence, occupied, want_count,
                   want_users = HasInfo(info, "user_count")](uint64_t count) {
      std::string body;
      util::JsonObject obj(&body);
      obj.Bool("occupied", occupied);
      if (want_users && presence) obj.Int("user_count", 0);
      if (want_count) obj.Int("subscription_count", static_cast<int64_t>(count));
      obj.Close();
      Reply(call, 200, body);
    };
    if (!want_count || !occupied) {
      answer(0);
      return true;
    }
    control_->CountSubscriptions(app, {name}, [this, call, answer](std::vector<uint64_t> counts) {
      answer(counts[0]);
      control_->Answer(call);
    });
    return false;
  }
  const std::string* prefix = FindParam(params, "filter_by_prefix");
  bool want_users = HasInfo(info, "user_count");
  if (want_users && (prefix == nullptr || prefix->substr(0, 9) != "presence-")) {
    Error(call, 400, "user_count requires filter_by_prefix=presence-");
    return true;
  }
  std::vector<std::string> names;
  control_->ListOccupied(app, prefix ? *prefix : std::string_view(), &names);
  std::sort(names.begin(), names.end());
  std::string body = "{\"channels\":{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) body.push_back(',');
    util::AppendJsonString(&body, names[i]);
    body += want_users ? ":{\"user_count\":0}" : ":{}";
  }
  body += "}}";
  Reply(call, 200, body);
  return true;
}

}  // namespace ringcast::api
