// RoomHistoryQuery: a Dialogue room's history asked for by a socket on a shard and answered by
// the control plane's api/dialogue_history.h (docs/protocols/dialogue.md, "History"). Two
// kinds: a page of one event's history (getHistory: newest-first indices [start, end)), or the
// join's sync (every kept event of the room, the newest `count` of each; 0: all in memory).
// Allocated by the shard (ToControl::kRoomHistory), answered in place and sent back
// (ToShard::kRoomHistory), freed there.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ringcast::engine {

struct RoomHistoryQuery {
  uint32_t app = 0;
  uint32_t shard = 0;   // the asking shard
  uint64_t serial = 0;  // the asking socket (protocols/socketio: its serial)
  std::string room;
  bool sync = false;   // the join's sync (else a page of `event`)
  std::string event;   // a page's event name
  uint32_t start = 0;  // a page: newest-first indices [start, end)
  uint32_t end = 0;
  uint32_t count = 0;  // the sync: the newest `count` of each event (0: all in memory)
  uint64_t tag = 0;    // the asker's own (an ack id); returned as given
  bool has_tag = false;
  // out: newest first (a sync's events of every name merged by stamp).
  struct Item {
    std::string event;
    uint64_t stamp_us = 0;  // the publication's stamp (engine/publication.h)
    std::string from;       // the sender's user id ("": the backend)
    std::string data;       // as published (JSON text or a string)
    std::string meta;       // the event's meta (a JSON object's text), or empty
  };
  std::vector<Item> items;
};

}  // namespace ringcast::engine
