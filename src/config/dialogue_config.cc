#include "config/dialogue_config.h"

#include <set>

#include "config/json_schema.h"
#include "http/url.h"

namespace ringcast::config {

const DialogueEventConfig* DialogueRoomConfig::FindEvent(std::string_view name) const {
  const DialogueEventConfig* wildcard = nullptr;
  for (const DialogueEventConfig& e : events) {
    if (e.name == name) return &e;
    if (e.name == "*") wildcard = &e;
  }
  return wildcard;
}

namespace {

std::string Minified(simdjson::dom::element value) { return std::string(simdjson::minify(value)); }

// A string array (an error names `what`).
std::string ReadStrings(simdjson::dom::element value, const std::string& what,
                        std::vector<std::string>* out) {
  simdjson::dom::array arr;
  if (value.get_array().get(arr)) return what + " must be an array of strings";
  out->clear();
  for (simdjson::dom::element e : arr) {
    std::string_view sv;
    if (e.get_string().get(sv)) return what + " must be an array of strings";
    out->emplace_back(sv);
  }
  return "";
}

std::string ReadEvent(simdjson::dom::element value, DialogueEventConfig* ev) {
  std::string_view sv;
  if (value.get_string().get(sv) == simdjson::SUCCESS) {  // "message": a name alone
    ev->name = std::string(sv);
    return "";
  }
  simdjson::dom::object obj;
  if (value.get_object().get(obj)) return "dialogue room events must be objects or names";
  for (auto f : obj) {
    std::string key(f.key);
    if (key == "name") {
      if (f.value.get_string().get(sv)) return "dialogue event \"name\" must be a string";
      ev->name = std::string(sv);
    } else if (key == "description") {
      if (f.value.get_string().get(sv)) return "dialogue event \"description\" must be a string";
    } else if (key == "schema") {
      if (!f.value.is_object()) return "dialogue event \"schema\" must be an object";
      ev->schema_json = Minified(f.value);
    } else if (key == "history") {
      simdjson::dom::object h;
      if (f.value.get_object().get(h)) return "dialogue event \"history\" must be an object";
      for (auto hf : h) {
        bool b;
        uint64_t n;
        if (hf.key == "enabled") {
          if (hf.value.get_bool().get(b)) return "dialogue history \"enabled\" must be a boolean";
          ev->history = b;
        } else if (hf.key == "limit") {
          if (hf.value.get_uint64().get(n) || n < 1 || n > 100000) {
            return "dialogue history \"limit\" must be an integer from 1 to 100000";
          }
          ev->history_limit = static_cast<uint32_t>(n);
        } else {
          return "unknown dialogue history field \"" + std::string(hf.key) + "\"";
        }
      }
    } else {
      return "unknown dialogue event field \"" + key + "\"";
    }
  }
  if (ev->name.empty()) return "dialogue events need a \"name\"";
  return "";
}

std::string ReadRoom(simdjson::dom::element value, DialogueRoomConfig* room) {
  simdjson::dom::object obj;
  if (value.get_object().get(obj)) return "dialogue rooms must be objects";
  for (auto f : obj) {
    std::string key(f.key);
    std::string_view sv;
    uint64_t n;
    bool b;
    if (key == "id" || key == "name" || key == "description") {
      if (f.value.get_string().get(sv)) return "dialogue room \"" + key + "\" must be a string";
      (key == "id" ? room->id : key == "name" ? room->name : room->description) = std::string(sv);
    } else if (key == "maxSize") {
      if (f.value.get_uint64().get(n) || n > UINT32_MAX - 1) {
        return "dialogue room \"maxSize\" must be a non-negative integer";
      }
      room->max_size = static_cast<uint32_t>(n);
    } else if (key == "defaultSubscriptions") {
      std::string err = ReadStrings(f.value, "dialogue room \"defaultSubscriptions\"",
                                    &room->default_subscriptions);
      if (!err.empty()) return err;
    } else if (key == "syncHistoryOnJoin") {
      if (f.value.get_bool().get(b) == simdjson::SUCCESS) {
        room->sync_history_on_join = b ? DialogueRoomConfig::kAll : 0;
      } else if (f.value.get_uint64().get(n) == simdjson::SUCCESS && n <= 100000) {
        room->sync_history_on_join = static_cast<uint32_t>(n);
      } else {
        return "dialogue room \"syncHistoryOnJoin\" must be a boolean or an integer up to 100000";
      }
    } else if (key == "events") {
      simdjson::dom::array arr;
      if (f.value.get_array().get(arr)) return "dialogue room \"events\" must be an array";
      for (simdjson::dom::element e : arr) {
        DialogueEventConfig ev;
        std::string err = ReadEvent(e, &ev);
        if (!err.empty()) return err;
        room->events.push_back(std::move(ev));
      }
    } else {
      return "unknown dialogue room field \"" + key + "\"";
    }
  }
  return "";
}

constexpr const char* kHookList =
    "authenticate, beforeJoin, beforeEach, afterEach, connected, disconnected, joined, left, "
    "roomCreated, roomDeleted";

bool KnownHook(std::string_view name) {
  for (const char* h : DialogueHooksConfig::kNames) {
    if (name == h) return true;
  }
  return false;
}

std::string ReadHooks(simdjson::dom::element value, DialogueHooksConfig* hooks) {
  simdjson::dom::object obj;
  if (value.get_object().get(obj)) return "dialogue \"hooks\" must be an object";
  for (auto f : obj) {
    std::string key(f.key);
    std::string_view sv;
    uint64_t n;
    if (key == "url") {
      if (f.value.get_string().get(sv)) return "dialogue hooks \"url\" must be a string";
      hooks->url = std::string(sv);
    } else if (key == "on") {
      std::string err = ReadStrings(f.value, "dialogue hooks \"on\"", &hooks->on);
      if (!err.empty()) return err;
      for (const std::string& h : hooks->on) {
        if (!KnownHook(h))
          return "dialogue hooks \"on\": unknown hook \"" + h + "\" (" + kHookList + ")";
      }
    } else if (key == "timeout_ms") {
      if (f.value.get_uint64().get(n) || n < 1 || n > 60000) {
        return "dialogue hooks \"timeout_ms\" must be an integer from 1 to 60000";
      }
      hooks->timeout_ms = static_cast<uint32_t>(n);
    } else if (key == "on_failure") {
      simdjson::dom::object per;
      if (f.value.get_object().get(per) == simdjson::SUCCESS) {
        for (auto p : per) {
          std::string name(p.key);
          if (!KnownHook(name)) {
            return "dialogue hooks \"on_failure\": unknown hook \"" + name + "\" (" + kHookList +
                   ")";
          }
          if (p.value.get_string().get(sv) || (sv != "reject" && sv != "allow")) {
            return "dialogue hooks \"on_failure\" for \"" + name +
                   "\" must be \"reject\" or \"allow\"";
          }
          (sv == "allow" ? hooks->allow_on_failure : hooks->reject_listed).push_back(name);
        }
      } else if (f.value.get_string().get(sv) || (sv != "reject" && sv != "allow")) {
        return "dialogue hooks \"on_failure\" must be \"reject\", \"allow\" or an object of them "
               "per hook";
      } else {
        hooks->reject_on_failure = sv == "reject";
      }
    } else {
      return "unknown dialogue hooks field \"" + key + "\"";
    }
  }
  return "";
}

}  // namespace

std::string ApplyDialogueJson(simdjson::dom::element value, DialogueConfig* out) {
  simdjson::dom::object obj;
  if (value.get_object().get(obj)) return "\"dialogue\" must be an object";
  out->enabled = true;
  for (auto field : obj) {
    std::string key(field.key);
    std::string_view sv;
    uint64_t n;
    bool b;
    if (key == "app_id" || key == "path" || key == "jwt_secret") {
      if (field.value.get_string().get(sv)) return "dialogue \"" + key + "\" must be a string";
      (key == "app_id" ? out->app_id
       : key == "path" ? out->path
                       : out->jwt_secret) = std::string(sv);
    } else if (key == "allow_client_rooms") {
      if (field.value.get_bool().get(b)) return "dialogue \"allow_client_rooms\" must be a boolean";
      out->allow_client_rooms = b;
    } else if (key == "cors") {
      simdjson::dom::object co;
      if (field.value.get_object().get(co)) return "dialogue \"cors\" must be an object";
      for (auto cf : co) {
        if (cf.key == "origins") {
          std::string err = ReadStrings(cf.value, "dialogue cors \"origins\"", &out->cors_origins);
          if (!err.empty()) return err;
        } else if (cf.key == "credentials") {
          if (cf.value.get_bool().get(b)) return "dialogue cors \"credentials\" must be a boolean";
          out->cors_credentials = b;
        } else {
          return "unknown dialogue cors field \"" + std::string(cf.key) + "\"";
        }
      }
    } else if (key == "rooms") {
      out->rooms.clear();
      simdjson::dom::array arr;
      simdjson::dom::object by_id;
      if (field.value.get_array().get(arr) == simdjson::SUCCESS) {
        for (simdjson::dom::element e : arr) {
          DialogueRoomConfig room;
          std::string err = ReadRoom(e, &room);
          if (!err.empty()) return err;
          out->rooms.push_back(std::move(room));
        }
      } else if (field.value.get_object().get(by_id) == simdjson::SUCCESS) {
        for (auto rf : by_id) {
          DialogueRoomConfig room;
          std::string err = ReadRoom(rf.value, &room);
          if (!err.empty()) return err;
          if (!room.id.empty() && room.id != rf.key) {
            return "dialogue room \"" + std::string(rf.key) + "\" has another \"id\"";
          }
          room.id = std::string(rf.key);
          out->rooms.push_back(std::move(room));
        }
      } else {
        return "dialogue \"rooms\" must be an array of rooms or an object of rooms by id";
      }
    } else if (key == "hooks") {
      std::string err = ReadHooks(field.value, &out->hooks);
      if (!err.empty()) return err;
    } else if (key == "ping_interval_ms" || key == "ping_timeout_ms") {
      if (field.value.get_uint64().get(n) || n < 100 || n > 3600000) {
        return "dialogue \"" + key + "\" must be an integer from 100 to 3600000";
      }
      (key == "ping_interval_ms" ? out->ping_interval_ms : out->ping_timeout_ms) =
          static_cast<uint32_t>(n);
    } else if (key == "user_events_per_second") {
      if (field.value.get_uint64().get(n) || n > 1000000) {
        return "dialogue \"user_events_per_second\" must be an integer from 0 to 1000000";
      }
      out->user_events_per_second = static_cast<int64_t>(n);
    } else if (key == "history_store_limit") {
      if (field.value.get_uint64().get(n) || n > 10000000) {
        return "dialogue \"history_store_limit\" must be an integer from 0 to 10000000";
      }
      out->history_store_limit = static_cast<uint32_t>(n);
    } else {
      return "unknown dialogue field \"" + key + "\"";
    }
  }
  return "";
}

// Room ids are channel names a Socket.IO client joins without Pusher channel auth.
std::string DialogueRoomIdError(const std::string& id, uint32_t max_length) {
  if (id.empty()) return "dialogue rooms need an \"id\"";
  if (id.size() > max_length) return "dialogue room id '" + id + "' is too long";
  for (unsigned char c : id) {
    if (c <= 0x20 || c >= 0x7f) return "dialogue room id '" + id + "' must be printable ASCII";
  }
  if (id.starts_with("private-") || id.starts_with("presence-") || id.starts_with("#")) {
    return "dialogue room id '" + id +
           "' names a channel that needs Pusher channel auth or is internal";
  }
  return "";
}

namespace {

// A Socket.IO endpoint's path: checked, and its trailing '/' dropped.
std::string PathError(const ServerConfig& cfg, std::string* path, const std::string& section) {
  const std::string& p = *path;
  if (p.size() < 2 || p[0] != '/' || p.size() > 200) {
    return section + " \"path\" must start with '/' and not be '/' alone";
  }
  for (char c : p) {
    if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#') {
      return section + " \"path\" must be printable ASCII without spaces, '?' or '#'";
    }
  }
  while (path->size() > 1 && path->back() == '/') path->pop_back();
  for (const char* taken :
       {"/apps", "/app", "/sse", "/api", "/dashboard", "/ws", "/dialogue", "/realtime"}) {
    std::string t(taken);
    if (*path == t || path->starts_with(t + "/")) {
      return section + " \"path\" '" + *path + "' would shadow ringcast's " + t + " endpoints";
    }
  }
  if (*path == "/health" || *path == "/ready" || *path == "/metrics" ||
      (cfg.impulse.enabled() && *path == cfg.impulse.prefix)) {
    return section + " \"path\" '" + *path + "' is taken by another endpoint";
  }
  return "";
}

}  // namespace

std::string ApplyMochatJson(simdjson::dom::element value, MochatConfig* out) {
  simdjson::dom::object o;
  if (value.get_object().get(o)) return "\"mochat\" must be an object";
  for (auto field : o) {
    std::string_view key = field.key;
    if (key == "enabled") {
      if (field.value.get_bool().get(out->enabled)) return "mochat \"enabled\" must be a boolean";
    } else if (key == "path") {
      std::string_view p;
      if (field.value.get_string().get(p)) return "mochat \"path\" must be a string";
      out->path = std::string(p);
    } else {
      return "unknown mochat field \"" + std::string(key) + "\"";
    }
  }
  return "";
}

std::string FinalizeMochat(ServerConfig* out) {
  MochatConfig& m = out->mochat;
  m.socketio = false;
  if (!m.enabled) return "";
  if (std::string err = PathError(*out, &m.path, "mochat"); !err.empty()) return err;
  m.socketio = !(out->dialogue.enabled && out->dialogue.path == m.path);
  return "";
}

std::string FinalizeDialogue(ServerConfig* out) {
  DialogueConfig& d = out->dialogue;
  if (!d.enabled) return "";
  if (std::string err = PathError(*out, &d.path, "dialogue"); !err.empty()) return err;
  std::set<std::string> ids;
  for (DialogueRoomConfig& room : d.rooms) {
    std::string err = DialogueRoomIdError(room.id, out->limits.max_channel_name_length);
    if (!err.empty()) return err;
    if (!ids.insert(room.id).second) return "dialogue room id '" + room.id + "' is repeated";
    std::set<std::string> names;
    for (DialogueEventConfig& ev : room.events) {
      if (!ev.schema_json.empty()) {
        auto schema = std::make_shared<JsonSchema>();
        std::string err = JsonSchema::Compile(ev.schema_json, schema.get());
        if (!err.empty()) {
          return "dialogue room '" + room.id + "' event '" + ev.name + "' schema: " + err;
        }
        ev.schema = std::move(schema);
      }
      if (ev.name.size() > out->limits.max_event_name_length) {
        return "dialogue event name '" + ev.name + "' is too long";
      }
      if (!names.insert(ev.name).second) {
        return "dialogue room '" + room.id + "' lists event '" + ev.name + "' twice";
      }
    }
  }
  if (!d.hooks.url.empty()) {
    // A host name is resolved once, at start-up (webhooks/hook_client.h).
    http::HttpUrl url;
    std::string err = http::ParseHttpUrl(d.hooks.url, &url);
    if (!err.empty()) return "dialogue hooks \"url\": " + err;
  }
  if (d.hooks.url.empty() && !d.hooks.on.empty()) return "dialogue hooks \"on\" needs a \"url\"";
  if (d.app_id.empty()) {
    if (out->apps.size() != 1) {
      return "dialogue: several apps are configured; \"app_id\" must name the one it serves";
    }
    d.app = 0;
    return "";
  }
  for (size_t i = 0; i < out->apps.size(); ++i) {
    if (out->apps[i].id == d.app_id) {
      d.app = static_cast<uint32_t>(i);
      return "";
    }
  }
  return "dialogue \"app_id\" '" + d.app_id + "' is not a configured app";
}

}  // namespace ringcast::config
