// PresenceNote: one presence join or leave, or a cache-channel join, made on a shard for the
// control plane, and for a join the control plane's answer to it (the same object comes back).
// A join of a presence-cache- channel is both. A join of a non-presence cache channel records
// no member and is never left.
//
// Join: the shard fills the request part and sends it (server/messages.h ToControl::kPresence);
// the control plane records the member (engine/presence_table.h), fills the answer part and
// sends the note back (ToShard::kPresenceAck); the shard frees it after handing the answer to
// the connection, if that is still there. Leave: sent the same way, never answered; the control
// plane frees it. User info is the JSON text the client signed (opaque to the engine).
// A sign-in (`signin`; its channel is the user's "#server-to-user-<id>", user_info the signed
// user data, `watchlist` the ids it watches) travels the same way: the control plane records the
// connection as online (engine/watchlist_table.h) and answers with the watched ids' state; its
// leave is a leave note on that channel, sent when the connection closes.
// Thread rules: owned by one thread at a time, handed over through the queues.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ringcast::engine {

struct PresenceNote {
  // ---- request ----
  uint32_t app = 0;
  bool join = false;
  bool presence = true;  // a presence channel (member recorded, left later)
  bool cache = false;    // a cache channel: the answer carries its last event
  std::string channel;
  std::string user_id;
  std::string user_info;  // JSON text, or empty for none (join only)
  uint32_t shard = 0;     // the connection: where the answer goes and who is excluded
  uint32_t conn_index = 0;
  uint32_t conn_gen = 0;
  uint64_t serial = 0;
  uint64_t token = 0;  // the session's join number, so a stale answer is recognised
  uint32_t max_members = 0;
  bool signin = false;
  std::vector<std::string> watchlist;  // signin: watched user ids (at most the protocol's limit)
  // ---- answer (join) ----
  bool refused = false;  // the channel is full (max_members)
  // Every member (user id, user info) after this join, the joiner included.
  std::vector<std::pair<std::string, std::string>> members;
  bool cache_checked = false;  // cache: looked up already (cluster mode: in Redis)
  bool cache_hit = false;  // cache: the channel's last event, when it has a live one
  std::string cache_event;
  std::string cache_data;
  // signin: the watched ids online and offline now, and how many were not indexed (the
  // process-wide watch index was full).
  std::vector<std::string> watch_online;
  std::vector<std::string> watch_offline;
  size_t watch_not_indexed = 0;
};

// Watchlist changes for signed-in connections of one shard (control plane -> shard,
// ToShard::kWatchlist): per connection, the watched ids whose state changed, with the new state.
// Allocated by the control plane, freed by the shard.
struct WatchlistDelivery {
  uint32_t conn_index = 0;
  uint32_t conn_gen = 0;
  uint64_t serial = 0;
  std::vector<std::string> online;
  std::vector<std::string> offline;
};
struct WatchlistBatch {
  std::vector<WatchlistDelivery> deliveries;
};

}  // namespace ringcast::engine
