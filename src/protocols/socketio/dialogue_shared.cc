#include "protocols/socketio/dialogue_shared.h"

#include "config/config.h"
#include "protocols/socketio/dialogue_socket.h"
#include "util/json_writer.h"

namespace ringcast::protocols::socketio {

void DialogueShared::Register(engine::ShardEnv* shard_env) {
  env = shard_env;
  format = env->RegisterFormat(&encoder);
  rooms.clear();
  for (const config::DialogueRoomConfig& room : env->config().dialogue.rooms) {
    rooms.emplace(room.id, &room);
  }
}

void DialogueShared::OnRoomSlot(const engine::RoomSlot& slot) {
  auto it = sockets.find(slot.serial);
  if (it != sockets.end() && it->second->OnRoomSlot(slot)) return;
  if (slot.granted) env->control().NoteRoomLeave(slot.app, slot.room);
}

void DialogueShared::OnRoomHistory(engine::RoomHistoryQuery& q) {
  auto it = sockets.find(q.serial);
  if (it != sockets.end()) it->second->OnRoomHistory(q);
}

void DialogueShared::ListMembers(uint32_t app, std::string_view room,
                                 std::vector<std::pair<std::string, std::string>>* out) const {
  if (env == nullptr || app != env->config().dialogue.app) return;
  for (const auto& [serial, socket] : sockets) {
    if (socket->IsMember(room)) out->emplace_back(socket->sid(), socket->user_id());
  }
}

uint64_t DialogueShared::DirectSend(uint32_t app, bool by_user, std::string_view user,
                                    uint64_t serial, std::string_view event,
                                    std::string_view data) {
  if (env == nullptr || app != env->config().dialogue.app) return 0;
  if (!by_user) {
    auto it = sockets.find(serial);
    return it != sockets.end() && it->second->SendDirect(event, data) ? 1 : 0;
  }
  uint64_t n = 0;
  for (const auto& [s, socket] : sockets) {
    if (socket->user_id() == user && socket->SendDirect(event, data)) ++n;
  }
  return n;
}

void DialogueShared::OnHookAnswer(engine::HookCall& h) {
  auto it = sockets.find(h.serial);
  if (it != sockets.end()) it->second->OnHookAnswer(h);
}

void DialogueShared::OnRoomChange(engine::RoomChange& c) {
  auto find = [this](uint64_t serial) -> DialogueSocket* {
    auto it = sockets.find(serial);
    return it == sockets.end() ? nullptr : it->second;
  };
  if (!c.code.empty()) {
    if (DialogueSocket* asker = c.asker ? find(c.serial) : nullptr) asker->OnRoomChangeAnswer(c);
    return;
  }
  // A socket may close while it is told (its transport's bound): by serial, not by iterator.
  std::vector<uint64_t> serials;
  serials.reserve(sockets.size());
  for (const auto& [serial, socket] : sockets) serials.push_back(serial);
  std::string json;
  if (c.op == engine::RoomChange::Op::kCreate) {
    rooms[c.room->id] = c.room.get();
    created.push_back(c.room);
    AppendRoomInfo(&json, *c.room);
    for (uint64_t serial : serials) {
      if (DialogueSocket* s = find(serial)) s->Notify("dialogue:roomCreated", json);
    }
  } else {
    for (uint64_t serial : serials) {
      if (DialogueSocket* s = find(serial)) s->DropRoom(c.id);
    }
    rooms.erase(c.id);
    std::erase_if(created, [&](const auto& r) { return r->id == c.id; });
    util::JsonObject(&json).Str("roomId", c.id).Close();
    for (uint64_t serial : serials) {
      if (DialogueSocket* s = find(serial)) s->Notify("dialogue:roomDeleted", json);
    }
  }
  if (DialogueSocket* asker = c.asker ? find(c.serial) : nullptr) asker->OnRoomChangeAnswer(c);
}

void AppendRoomInfo(std::string* out, const config::DialogueRoomConfig& room) {
  util::JsonObject o(out);
  o.Str("id", room.id).Str("name", room.name);
  if (!room.description.empty()) o.Str("description", room.description);
  if (room.max_size > 0) o.Int("maxSize", room.max_size);
  if (room.dynamic && !room.by_backend) o.Str("createdById", room.created_by);
  o.Close();
}

const config::DialogueRoomConfig* DialogueShared::Room(std::string_view id) const {
  auto it = rooms.find(id);
  return it == rooms.end() ? nullptr : it->second;
}

}  // namespace ringcast::protocols::socketio
