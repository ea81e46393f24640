// RoomChange: a Dialogue room created or deleted at run time (docs/protocols/dialogue.md,
// "Dynamic rooms"), as shards and the control plane trade it. A socket's createRoom/deleteRoom
// goes to the control plane (ToControl::kRoomChange), which keeps the node's registry of
// created rooms (api/dialogue_rooms.h) and decides; a refusal goes back to the asking shard
// alone, a change to every shard (one copy each, ToShard::kRoomChange), which applies it to its
// room map and tells its sockets (roomCreated / roomDeleted).
// Allocated by the shard; the control plane frees it after sending its copies; each copy is
// freed by the shard that gets it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "config/config.h"

namespace ringcast::engine {

struct RoomChange {
  enum class Op : uint8_t { kCreate, kDelete };
  Op op = Op::kCreate;
  uint32_t app = 0;
  uint32_t shard = 0;   // the asking shard
  uint64_t serial = 0;  // the asking socket
  std::string id;
  std::string name;         // create
  std::string description;  // create
  uint32_t max_size = 0;    // create (0: unbounded)
  std::string user_id;      // the asker's user id (the creator; who may delete)
  // The backend asks (the REST API, no shard): it may create while clients may not, and delete
  // any created room; a room it creates has no creator (only the backend deletes it).
  bool backend = false;
  uint64_t tag = 0;         // the asker's ack id, returned as given
  bool has_tag = false;
  // out:
  std::string code;  // "": done; else a Dialogue error code, and `message`
  std::string message;
  std::shared_ptr<const config::DialogueRoomConfig> room;  // the room created
  bool asker = false;  // this copy is the asking shard's (it answers the ack)
};

}  // namespace ringcast::engine
