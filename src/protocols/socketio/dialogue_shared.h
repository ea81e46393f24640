// Dialogue's per-shard state (docs/protocols/dialogue.md): the fan-out encoder and its format
// (dialogue_encoder.h), the rooms of the config by id, the shard's sockets by serial, and scratch
// the shard's sockets share (one thread).
// Thread rules: one per shard, on its thread.
#pragma once

#include <simdjson.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/shard_env.h"
#include "protocols/socketio/dialogue_encoder.h"
#include "protocols/socketio/sio_app.h"
#include "util/string_map.h"

namespace ringcast::config {
struct DialogueRoomConfig;
}  // namespace ringcast::config

namespace ringcast::protocols::socketio {

class DialogueSocket;

// Appends the room's RoomInfo as Dialogue's roomCreated carries it: {id, name, description?,
// maxSize?, createdById?}.
void AppendRoomInfo(std::string* out, const config::DialogueRoomConfig& room);

struct DialogueShared {
  void Register(engine::ShardEnv* env);
  // The config's room, or nullptr.
  const config::DialogueRoomConfig* Room(std::string_view id) const;
  // The control plane's answer to a bounded room's join (engine/room_slot.h), for the socket
  // that asked; a slot granted to a socket that is gone (or left meanwhile) is given back.
  void OnRoomSlot(const engine::RoomSlot& slot);
  // The control plane's answer to a history query, for the socket that asked (if still there).
  void OnRoomHistory(engine::RoomHistoryQuery& q);
  // A room created or deleted at run time (engine/room_change.h): the room map changes, every
  // connected socket hears dialogue:roomCreated / roomDeleted (a deleted room's members leave
  // it), and the asker gets its ack or its error.
  void OnRoomChange(engine::RoomChange& c);
  // The shard's sockets joined to room `room` of app `app`, as (socket id, user id).
  void ListMembers(uint32_t app, std::string_view room,
                   std::vector<std::pair<std::string, std::string>>* out) const;
  // A direct send: the event `event` with the JSON `data` to the socket `serial` (by_user
  // false) or to every connected socket of user `user`. Returns how many sockets got it.
  uint64_t DirectSend(uint32_t app, bool by_user, std::string_view user, uint64_t serial,
                      std::string_view event, std::string_view data);
  // The control plane's answer to a hook call, for the socket that made it (if still there).
  void OnHookAnswer(engine::HookCall& h);

  DialogueEncoder encoder;
  engine::FormatId format = 0;
  util::StringMap<const config::DialogueRoomConfig*> rooms;  // the config's and created ones
  // Rooms created at run time, in creation order (they own what `rooms` points to).
  std::vector<std::shared_ptr<const config::DialogueRoomConfig>> created;
  // The shard's sockets by serial (DialogueSocket registers itself), for answers addressed by it.
  std::unordered_map<uint64_t, DialogueSocket*> sockets;
  engine::ShardEnv* env = nullptr;
  // MoChat's socket side (apps/mochat/), set by the shard before it runs when the config serves
  // MoChat on Socket.IO (config mochat.socketio); its sockets live in `sockets` too.
  SioApp* mochat = nullptr;
  // A client message's JSON with simdjson's padding, and its parser.
  std::string padded;
  simdjson::dom::parser parser;
  std::string scratch;
};

}  // namespace ringcast::protocols::socketio
