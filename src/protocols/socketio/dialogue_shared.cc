#include "protocols/socketio/dialogue_shared.h"

#include "config/config.h"
#include "protocols/socketio/dialogue_socket.h"

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

const config::DialogueRoomConfig* DialogueShared::Room(std::string_view id) const {
  auto it = rooms.find(id);
  return it == rooms.end() ? nullptr : it->second;
}

}  // namespace ringcast::protocols::socketio
