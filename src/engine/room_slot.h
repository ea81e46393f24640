// RoomSlot: a place in a bounded room (a Dialogue room with maxSize, docs/protocols/dialogue.md)
// as shards and the control plane trade it. The control plane counts each bounded room's
// members over every shard; a join asks it for a slot (granted while the count is under `max`)
// and gets the same note back answered; a leave gives one back. So ROOM_FULL is exact across
// the shards of a node.
// Allocated by the shard; a join comes back (ToShard::kRoomSlot) and is freed there; a leave is
// freed by the control plane.
#pragma once

#include <cstdint>
#include <string>

namespace ringcast::engine {

struct RoomSlot {
  uint32_t app = 0;
  std::string room;
  uint32_t max = 0;      // the room's maxSize (joins)
  uint32_t shard = 0;    // the asking shard
  uint64_t serial = 0;   // the asking socket (protocols/socketio: its serial)
  bool join = true;      // false: a slot given back
  bool granted = false;  // the answer to a join
};

}  // namespace ringcast::engine
