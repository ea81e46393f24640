#include "api/dialogue_rooms.h"

#include <simdjson.h>

#include "config/dialogue_config.h"
#include "store/wal.h"
#include "util/json_writer.h"
#include "util/log.h"

namespace ringcast::api {

DialogueRooms::DialogueRooms(const config::DialogueConfig* cfg, uint32_t max_id_length,
                             std::string app_id, store::Wal* wal)
    : cfg_(cfg), max_id_length_(max_id_length), app_id_(std::move(app_id)), wal_(wal) {
  for (const config::DialogueRoomConfig& room : cfg->rooms) configured_.emplace(room.id, &room);
  Load();
}

std::string DialogueRooms::Key(std::string_view id) const {
  std::string key = "R";
  key += app_id_;
  key += '\0';
  key += id;
  return key;
}

std::string DialogueRooms::EncodeRoom(const config::DialogueRoomConfig& room) {
  std::string v;
  util::JsonObject o(&v);
  o.Str("name", room.name);
  if (!room.description.empty()) o.Str("description", room.description);
  if (room.max_size != 0) o.Int("maxSize", room.max_size);
  if (room.by_backend) {
    o.Raw("createdBy", "null");
  } else {
    o.Str("createdBy", room.created_by);
  }
  o.Close();
  return v;
}

bool DialogueRooms::DecodeRoom(std::string_view id, std::string_view value,
                               config::DialogueRoomConfig* out) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(value);
  simdjson::dom::object obj;
  if (parser.parse(padded).get_object().get(obj) != simdjson::SUCCESS) return false;
  simdjson::dom::element e;
  std::string_view name;
  if (obj["name"].get_string().get(name) != simdjson::SUCCESS || name.empty()) return false;
  std::string_view description;
  if (obj["description"].get(e) == simdjson::SUCCESS &&
      e.get_string().get(description) != simdjson::SUCCESS) {
    return false;
  }
  uint64_t max_size = 0;
  if (obj["maxSize"].get(e) == simdjson::SUCCESS &&
      (e.get_uint64().get(max_size) != simdjson::SUCCESS || max_size > UINT32_MAX)) {
    return false;
  }
  if (obj["createdBy"].get(e) != simdjson::SUCCESS) return false;
  std::string_view creator;
  const bool by_backend = e.is_null();
  if (!by_backend && e.get_string().get(creator) != simdjson::SUCCESS) return false;
  out->id = std::string(id);
  out->name = std::string(name);
  out->description = std::string(description);
  out->max_size = static_cast<uint32_t>(max_size);
  out->events = {config::DialogueEventConfig{.name = "*"}};
  out->dynamic = true;
  out->created_by = std::string(creator);
  out->by_backend = by_backend;
  return true;
}

void DialogueRooms::Add(std::shared_ptr<config::DialogueRoomConfig> room) {
  if (!room->by_backend) ++per_user_[room->created_by];
  std::string id = room->id;
  created_.emplace(std::move(id), std::move(room));
}

void DialogueRooms::Load() {
  if (wal_ == nullptr || !cfg_->enabled) return;
  const std::string prefix = Key("");
  size_t loaded = 0;
  size_t skipped = 0;
  for (auto it = wal_->live().lower_bound(prefix);
       it != wal_->live().end() && std::string_view(it->first).starts_with(prefix); ++it) {
    const std::string_view id = std::string_view(it->first).substr(prefix.size());
    auto room = std::make_shared<config::DialogueRoomConfig>();
    // A room the config now has, or a record that does not read: left in the store, unserved.
    if (configured_.find(id) != configured_.end() || created_.size() >= kMaxRooms ||
        !config::DialogueRoomIdError(std::string(id), max_id_length_).empty() ||
        !DecodeRoom(id, it->second, room.get())) {
      ++skipped;
      continue;
    }
    Add(std::move(room));
    ++loaded;
  }
  if (loaded + skipped > 0) {
    RC_INFO("dialogue: %zu created rooms read back from the store, %zu not served", loaded,
            skipped);
  }
}

const config::DialogueRoomConfig* DialogueRooms::Find(std::string_view id) const {
  auto c = configured_.find(id);
  if (c != configured_.end()) return c->second;
  auto it = created_.find(id);
  return it == created_.end() ? nullptr : it->second.get();
}

bool DialogueRooms::Apply(engine::RoomChange* c) {
  auto refuse = [c](const char* code, std::string message) {
    c->code = code;
    c->message = std::move(message);
    return false;
  };
  // The change's record, when there is a store: true when queued.
  auto save = [this](std::string_view id, const config::DialogueRoomConfig* room) {
    if (wal_ == nullptr) return false;
    if (room != nullptr ? wal_->Put(Key(id), EncodeRoom(*room)) : wal_->Delete(Key(id))) {
      return true;
    }
    RC_WARN("dialogue: the store is read-only: room '%.*s' changed in memory only",
            static_cast<int>(id.size()), id.data());
    return false;
  };
  if (!cfg_->enabled || c->app != cfg_->app) return refuse("INVALID_REQUEST", "No Dialogue here");
  const bool configured = configured_.find(c->id) != configured_.end();
  auto it = created_.find(c->id);
  if (c->op == engine::RoomChange::Op::kDelete) {
    if (configured) {
      return refuse("PERMISSION_DENIED",
                    "Room '" + c->id + "' is in the config; it cannot be deleted");
    }
    if (it == created_.end())
      return refuse("ROOM_NOT_FOUND", "Room '" + c->id + "' does not exist");
    const config::DialogueRoomConfig& room = *it->second;
    if (!c->backend && (room.by_backend || room.created_by != c->user_id)) {
      return refuse("PERMISSION_DENIED", "Only the room creator can delete this room");
    }
    if (!room.by_backend) {
      auto u = per_user_.find(room.created_by);
      if (u != per_user_.end() && --u->second == 0) per_user_.erase(u);
    }
    const std::string id = c->id;
    created_.erase(it);
    return save(id, nullptr);
  }
  if (!cfg_->allow_client_rooms && !c->backend) {
    return refuse("PERMISSION_DENIED", "Clients may not create rooms here");
  }
  if (std::string err = config::DialogueRoomIdError(c->id, max_id_length_); !err.empty()) {
    return refuse("INVALID_REQUEST", err);
  }
  if (c->name.empty() || c->name.size() > kMaxNameBytes ||
      c->description.size() > kMaxDescriptionBytes) {
    return refuse("INVALID_REQUEST",
                  "Room id and name are required (name up to 200 bytes, "
                  "description up to 1000)");
  }
  if (configured || it != created_.end()) {
    return refuse("ROOM_EXISTS", "Room '" + c->id + "' already exists");
  }
  if (created_.size() >= kMaxRooms) {
    return refuse("TOO_MANY_ROOMS", "The server holds its maximum of created rooms");
  }
  const std::string creator = c->backend ? std::string() : c->user_id;
  if (!c->backend) {
    auto u = per_user_.find(creator);
    if (u != per_user_.end() && u->second >= kMaxRoomsPerUser) {
      return refuse("TOO_MANY_ROOMS", "This user created its maximum of rooms; delete one first");
    }
  }
  auto room = std::make_shared<config::DialogueRoomConfig>();
  room->id = c->id;
  room->name = c->name;
  room->description = c->description;
  room->max_size = c->max_size;
  room->events.push_back(config::DialogueEventConfig{.name = "*"});
  room->dynamic = true;
  room->created_by = creator;
  room->by_backend = c->backend;
  c->room = room;
  Add(room);
  return save(c->id, room.get());
}

}  // namespace ringcast::api
