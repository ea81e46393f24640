// Dialogue's per-shard state (docs/protocols/dialogue.md): the fan-out encoder and its format
// (dialogue_encoder.h), the rooms of the config by id, the shard's sockets by serial, and scratch
// the shard's sockets share (one thread).
// Thread rules: one per shard, on its thread.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/shard_env.h"
#include "protocols/socketio/dialogue_encoder.h"
#include "util/string_map.h"

namespace ringcast::config {
struct DialogueRoomConfig;
}  // namespace ringcast::config

namespace ringcast::protocols::socketio {

class DialogueSocket;

struct DialogueShared {
  void Register(engine::ShardEnv* env);
  // The config's room, or nullptr.
  const config::DialogueRoomConfig* Room(std::string_view id) const;
  // The control plane's answer to a bounded room's join (engine/room_slot.h), for the socket
  // that asked; a slot granted to a socket that is gone (or left meanwhile) is given back.
  void OnRoomSlot(const engine::RoomSlot& slot);

  DialogueEncoder encoder;
  engine::FormatId format = 0;
  util::StringMap<const config::DialogueRoomConfig*> rooms;
  // The shard's sockets by serial (DialogueSocket registers itself), for answers addressed by it.
  std::unordered_map<uint64_t, DialogueSocket*> sockets;
  engine::ShardEnv* env = nullptr;
  // A client message's JSON with simdjson's padding, and its parser.
  std::string padded;
  simdjson::dom::parser parser;
  std::string scratch;
};

}  // namespace ringcast::protocols::socketio
