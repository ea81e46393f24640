#include "api/dialogue_rooms.h"

#include "config/dialogue_config.h"

namespace ringcast::api {

DialogueRooms::DialogueRooms(const config::DialogueConfig* cfg, uint32_t max_id_length)
    : cfg_(cfg), max_id_length_(max_id_length) {
  for (const config::DialogueRoomConfig& room : cfg->rooms) configured_.emplace(room.id, &room);
}

const config::DialogueRoomConfig* DialogueRooms::Find(std::string_view id) const {
  auto c = configured_.find(id);
  if (c != configured_.end()) return c->second;
  auto it = created_.find(id);
  return it == created_.end() ? nullptr : it->second.get();
}

void DialogueRooms::Apply(engine::RoomChange* c) {
  auto refuse = [c](const char* code, std::string message) {
    c->code = code;
    c->message = std::move(message);
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
    created_.erase(it);
    return;
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
    ++per_user_[creator];
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
  created_.emplace(c->id, std::move(room));
}

}  // namespace ringcast::api
