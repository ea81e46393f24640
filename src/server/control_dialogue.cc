// ControlPlane: Dialogue's REST API (control_plane.h; docs/protocols/dialogue.md "REST API"):
// the backend's room list, info and participants, rooms created and deleted, and triggers,
// signed like the Pusher HTTP API with the key and secret of the app Dialogue serves.
#include <simdjson.h>

#include <algorithm>
#include <bit>

#include "api/request_head.h"
#include "auth/request_signature.h"
#include "engine/channel_name.h"
#include "http/response.h"
#include "protocols/socketio/dialogue_shared.h"
#include "server/control_plane.h"
#include "util/clock.h"
#include "util/json_writer.h"

namespace ringcast::server {

namespace {

void Reply(api::HttpCall* call, int status, std::string_view json) {
  call->response.clear();
  http::AppendResponse(&call->response, status, "application/json", json, call->keep_alive);
}

// {"error": message, "code": status, "reason": Dialogue's error code}
void Refuse(api::HttpCall* call, int status, std::string_view reason, std::string_view message) {
  std::string body;
  util::JsonObject(&body).Str("error", message).Int("code", status).Str("reason", reason).Close();
  Reply(call, status, body);
}

int StatusOf(std::string_view code) {
  if (code == "ROOM_NOT_FOUND") return 404;
  if (code == "ROOM_EXISTS") return 409;
  if (code == "PERMISSION_DENIED") return 403;
  if (code == "TOO_MANY_ROOMS") return 429;
  return 400;
}

bool GetString(simdjson::dom::object obj, std::string_view key, std::string_view* out) {
  return obj[key].get_string().get(*out) == simdjson::SUCCESS;
}

void AppendRoom(std::string* out, const config::DialogueRoomConfig& room, uint64_t size) {
  // RoomInfo plus the size: {id, name, description?, maxSize?, createdById?, size}
  protocols::socketio::AppendRoomInfo(out, room);
  out->pop_back();  // its '}'
  *out += ",\"size\":";
  util::AppendInt(out, static_cast<int64_t>(size));
  *out += '}';
}

}  // namespace

void ControlPlane::HandleDialogueRest(api::HttpCall* call) {
  const config::DialogueConfig& dcfg = config_->dialogue;
  api::RestHead head = api::CheckDialogueHead(
      *apps_, dcfg.enabled ? dcfg.app : engine::AppRegistry::kNone, call->method, call->path,
      call->query, util::WallSeconds());
  if (!head.ok()) {
    call->response.clear();
    api::AppendRestHeadRefusal(&call->response, head, call->keep_alive);
    Answer(call);
    return;
  }
  auth::VerifyResult v = auth::VerifyBodyMd5(head.params, call->body);
  if (!v.ok()) {
    call->response.clear();
    http::AppendJsonError(&call->response, v.status, v.message, call->keep_alive);
    Answer(call);
    return;
  }
  const uint32_t app = head.app;
  switch (head.route) {
    case api::RestRoute::kDialogueRooms: {
      if (call->method == "GET") {
        // Every room with its members over this node's shards (or the cluster's).
        std::vector<std::string> ids;
        dialogue_rooms_.ForEach([&](const config::DialogueRoomConfig& r) { ids.push_back(r.id); });
        std::vector<std::string> asked = ids;
        CountEverywhere(app, std::move(asked),
                        [this, call, ids = std::move(ids)](std::vector<uint64_t> n) {
                          std::string body = "{\"rooms\":[";
                          for (size_t i = 0; i < ids.size(); ++i) {
                            const config::DialogueRoomConfig* r = dialogue_rooms_.Find(ids[i]);
                            if (r == nullptr) continue;  // deleted meanwhile
                            if (body.back() != '[') body += ',';
                            AppendRoom(&body, *r, i < n.size() ? n[i] : 0);
                          }
                          body += "]}";
                          Reply(call, 200, body);
                          Answer(call);
                        });
        return;
      }
      // POST: {id, name, description?, maxSize?}
      simdjson::dom::parser parser;
      simdjson::padded_string padded(call->body);
      simdjson::dom::object obj;
      std::string_view id, name, description;
      simdjson::dom::element e;
      double max_size = 0;
      const char* bad = nullptr;
      if (parser.parse(padded).get_object().get(obj) != simdjson::SUCCESS) {
        bad = "The body must be a JSON object {id, name, description?, maxSize?}";
      } else if (!GetString(obj, "id", &id) || !GetString(obj, "name", &name)) {
        bad = "Room id and name are required";
      } else if (obj["description"].get(e) == simdjson::SUCCESS && !e.is_null() &&
                 e.get_string().get(description) != simdjson::SUCCESS) {
        bad = "description must be a string";
      } else if (obj["maxSize"].get(e) == simdjson::SUCCESS && !e.is_null() &&
                 (e.get_double().get(max_size) != simdjson::SUCCESS || max_size < 0 ||
                  max_size > 1000000 ||
                  max_size != static_cast<double>(static_cast<uint32_t>(max_size)))) {
        bad = "maxSize must be an integer from 0 to 1000000";
      }
      if (bad != nullptr) {
        Refuse(call, 400, "INVALID_REQUEST", bad);
        Answer(call);
        return;
      }
      auto* c = new engine::RoomChange();
      c->op = engine::RoomChange::Op::kCreate;
      c->app = app;
      c->backend = true;
      c->id = std::string(id);
      c->name = std::string(name);
      c->description = std::string(description);
      c->max_size = static_cast<uint32_t>(max_size);
      DialogueRestRoomChange(call, c);
      return;
    }
    case api::RestRoute::kDialogueRoom: {
      const std::string& id = head.segments[2];
      if (call->method == "DELETE") {
        auto* c = new engine::RoomChange();
        c->op = engine::RoomChange::Op::kDelete;
        c->app = app;
        c->backend = true;
        c->id = id;
        DialogueRestRoomChange(call, c);
        return;
      }
      if (dialogue_rooms_.Find(id) == nullptr) {
        Refuse(call, 404, "ROOM_NOT_FOUND", "Room '" + id + "' does not exist");
        Answer(call);
        return;
      }
      CountEverywhere(app, {id}, [this, call, id](std::vector<uint64_t> n) {
        const config::DialogueRoomConfig* r = dialogue_rooms_.Find(id);
        if (r == nullptr) {
          Refuse(call, 404, "ROOM_NOT_FOUND", "Room '" + id + "' does not exist");
        } else {
          std::string body;
          AppendRoom(&body, *r, n.empty() ? 0 : n[0]);
          Reply(call, 200, body);
        }
        Answer(call);
      });
      return;
    }
    case api::RestRoute::kDialogueParticipants: {
      const std::string& id = head.segments[2];
      if (dialogue_rooms_.Find(id) == nullptr) {
        Refuse(call, 404, "ROOM_NOT_FOUND", "Room '" + id + "' does not exist");
        Answer(call);
        return;
      }
      // Every shard with members lists its joined sockets (this node's: docs/cluster.md).
      auto finish = [this, call](const CountQuery* q) {
        std::vector<std::pair<std::string, std::string>> all;
        if (q != nullptr) {
          for (const auto& rows : q->participant_rows) all.insert(all.end(), rows.begin(), rows.end());
        }
        std::sort(all.begin(), all.end());
        std::string body = "{\"participants\":[";
        for (size_t i = 0; i < all.size(); ++i) {
          if (i > 0) body += ',';
          util::JsonObject(&body).Str("clientId", all[i].first).Str("userId", all[i].second).Close();
        }
        body += "],\"size\":";
        util::AppendInt(&body, static_cast<int64_t>(all.size()));
        body += '}';
        Reply(call, 200, body);
        Answer(call);
      };
      uint64_t mask = occupancy_.Mask(app, id);
      if (mask == 0) {
        finish(nullptr);
        return;
      }
      auto* q = new CountQuery();
      q->app = app;
      q->channels = {id};
      q->counts.assign(shard_count_, 0);
      q->participants = true;
      q->participant_rows.resize(shard_count_);
      q->pending = static_cast<uint32_t>(std::popcount(mask));
      // The rows are read before OnCountReply frees the query: `done` runs first.
      q->done = [q, finish](std::vector<uint64_t>) { finish(q); };
      while (mask != 0) {
        auto shard = static_cast<uint32_t>(std::countr_zero(mask));
        mask &= mask - 1;
        SendToShard(shard, ToShard::Count(q));
      }
      return;
    }
    case api::RestRoute::kDialogueRoomEvents:
      DialogueRestTrigger(call, head.segments[2]);
      return;
    case api::RestRoute::kDialogueClientEvents:
    case api::RestRoute::kDialogueUserEvents:
      DialogueRestDirect(call, head.route == api::RestRoute::kDialogueUserEvents, head.segments[2]);
      return;
    default:
      break;
  }
  Refuse(call, 404, "INVALID_REQUEST", "Not found");
  Answer(call);
}

void ControlPlane::DialogueRestRoomChange(api::HttpCall* call, engine::RoomChange* c) {
  const bool stored = dialogue_rooms_.Apply(c);
  if (!c->code.empty()) {
    Refuse(call, StatusOf(c->code), c->code, c->message);
    delete c;
    Answer(call);
    return;
  }
  auto finish = [this, call, c] {
    BroadcastRoomChange(*c);
    if (c->op == engine::RoomChange::Op::kCreate) {
      std::string body;
      protocols::socketio::AppendRoomInfo(&body, *c->room);
      Reply(call, 201, body);
    } else {
      Reply(call, 200, "{\"ok\":true}");
    }
    delete c;
    Answer(call);
  };
  if (stored) {
    // Answered once the room's record is committed (as ApplyRoomChange).
    held_.push_back({call, [finish](bool) { finish(); }});
    return;
  }
  finish();
}

bool ControlPlane::ReadDialogueEvent(api::HttpCall* call, std::string* event, std::string* data,
                                     std::string* meta) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(call->body);
  simdjson::dom::object obj;
  std::string_view name;
  if (parser.parse(padded).get_object().get(obj) != simdjson::SUCCESS ||
      !(GetString(obj, "event", &name) || GetString(obj, "name", &name)) || name.empty()) {
    Refuse(call, 400, "INVALID_REQUEST", "The body must be a JSON object {event, data}");
    return false;
  }
  if (const char* bad = engine::EventNameError(name, config_->limits.max_event_name_length)) {
    Refuse(call, 400, "EVENT_NOT_ALLOWED", std::string("Invalid event name: ") + bad);
    return false;
  }
  simdjson::dom::element value;
  *data = obj["data"].get(value) == simdjson::SUCCESS ? std::string(simdjson::minify(value))
                                                      : std::string("null");
  if (meta != nullptr && obj["meta"].get(value) == simdjson::SUCCESS && !value.is_null()) {
    if (!value.is_object()) {
      Refuse(call, 400, "INVALID_REQUEST", "meta must be an object");
      return false;
    }
    *meta = std::string(simdjson::minify(value));
  }
  if (data->size() + (meta != nullptr ? meta->size() : 0) > config_->limits.max_event_data_bytes) {
    Refuse(call, 413, "PAYLOAD_TOO_LARGE", "Event data is too large");
    return false;
  }
  *event = std::string(name);
  return true;
}

void ControlPlane::DialogueRestDirect(api::HttpCall* call, bool by_user, const std::string& id) {
  std::string event;
  std::string data;
  if (!ReadDialogueEvent(call, &event, &data)) {
    Answer(call);
    return;
  }
  // Socket.IO's own event names are not the backend's to send.
  for (const char* reserved : {"connect", "connect_error", "disconnect", "disconnecting",
                               "newListener", "removeListener"}) {
    if (event == reserved) {
      Refuse(call, 400, "EVENT_NOT_ALLOWED", "'" + event + "' is reserved by Socket.IO");
      Answer(call);
      return;
    }
  }
  uint32_t shard = 0;
  uint64_t serial = 0;
  uint64_t mask = 0;
  if (by_user) {
    mask = shard_count_ >= 64 ? ~uint64_t{0} : (uint64_t{1} << shard_count_) - 1;
  } else if (ids_->Parse(id, &shard, &serial) && shard < shard_count_) {
    mask = uint64_t{1} << shard;
  }
  if (mask == 0) {
    Refuse(call, 404, "CLIENT_NOT_FOUND", "No client '" + id + "' is connected");
    Answer(call);
    return;
  }
  auto* q = new CountQuery();
  q->app = config_->dialogue.app;
  q->channels = {id};
  q->counts.assign(shard_count_, 0);
  q->direct = true;
  q->by_user = by_user;
  q->direct_serial = serial;
  q->direct_event = std::move(event);
  q->direct_data = std::move(data);
  q->pending = static_cast<uint32_t>(std::popcount(mask));
  q->done = [this, call, by_user, id](std::vector<uint64_t> n) {
    const uint64_t sent = n.empty() ? 0 : n[0];
    if (by_user) {
      std::string body = "{\"sent\":";
      util::AppendInt(&body, static_cast<int64_t>(sent));
      body += '}';
      Reply(call, 200, body);
    } else if (sent == 0) {
      Refuse(call, 404, "CLIENT_NOT_FOUND", "No client '" + id + "' is connected");
    } else {
      Reply(call, 200, "{\"ok\":true}");
    }
    Answer(call);
  };
  while (mask != 0) {
    auto s = static_cast<uint32_t>(std::countr_zero(mask));
    mask &= mask - 1;
    SendToShard(s, ToShard::Count(q));
  }
}

void ControlPlane::DialogueRestTrigger(api::HttpCall* call, const std::string& room_id) {
  // {event (or name), data}: data any JSON value, published from "system".
  const config::DialogueRoomConfig* room = dialogue_rooms_.Find(room_id);
  if (room == nullptr) {
    Refuse(call, 404, "ROOM_NOT_FOUND", "Room '" + room_id + "' does not exist");
    Answer(call);
    return;
  }
  std::string event;
  std::string data;
  std::string meta;
  if (!ReadDialogueEvent(call, &event, &data, &meta)) {
    Answer(call);
    return;
  }
  if (event.starts_with("pusher:") || event.starts_with("pusher_internal:")) {
    Refuse(call, 400, "EVENT_NOT_ALLOWED", "Event names starting with pusher: are reserved");
    Answer(call);
    return;
  }
  // The room's rules, as for a Pusher REST trigger (api/dialogue_rules.h; created rooms allow
  // every event).
  std::string why = pusher_api_.dialogue_rules().Check(config_->dialogue.app, room->id, event, data);
  if (!why.empty()) {
    Refuse(call, 400, "VALIDATION_FAILED", why);
    Answer(call);
    return;
  }
  engine::PublishRequest req;
  req.app = config_->dialogue.app;
  req.channels.push_back(room->id);
  req.event = std::move(event);
  req.data = std::move(data);
  req.meta = std::move(meta);
  Reply(call, 200, "{\"ok\":true}");
  if (bridge_) {
    if (!ClusterAccepts(call)) return;
    uint64_t first = 0;
    uint64_t last = 0;
    const bool sent = PublishToCluster(req, &first, &last);
    HoldForCluster(call, first, last, !sent, [this, call] { Answer(call); });
    return;
  }
  if (Publish(req)) {
    AnswerAfterCommit(call);  // a room keeping history: once its record is durable
  } else {
    Answer(call);
  }
}

}  // namespace ringcast::server
