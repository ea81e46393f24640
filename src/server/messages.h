// Cross-thread messages: what travels in the SPSC queues between the control plane and shards
// (server/mesh.h). Each direction has its own typed message; each kind names its payload type
// and who frees it. Messages are 16 bytes, copied by value into a queue slot (no allocation
// per message for the message itself); larger payloads travel by pointer:
//
// ToShard (control -> shard i)
//   kPublish     runtime::SharedBuf* holding an engine publication; carries one reference,
//                which the shard releases after its fan-out.
//   kReply       api::HttpCall* that the shard allocated (kRequest); back home, the shard frees
//                it (its HTTP session after writing the answer, or the shard if it is gone).
//   kCountQuery  CountQuery* allocated by the control plane; the shard writes its row and sends
//                the same pointer back as kCountReply; the control plane frees it after the
//                last reply.
//   kShutdown    grace period in ms for spreading client closes (no pointer).
//   kTerminate   runtime::SharedBuf* holding a publication whose channel is the user's
//                "#server-to-user-<id>": close every member of it on this shard; one reference,
//                released by the shard.
//   kPresenceAck engine::PresenceNote* of a join that the shard allocated (ToControl::kPresence),
//                answered; back home, the shard frees it.
//   kHistory     engine::HistoryQuery* (see ToControl::kHistoryQuery) answered: the shard hands
//                it to its SSE session (if still there) and frees it, releasing its events.
//   kWatchlist   engine::WatchlistBatch* allocated by the control plane: watchlist changes for
//                connections of this shard; the shard hands each to its session (if still
//                there) and frees the batch.
//   kRoomSlot    engine::RoomSlot* of a join the shard allocated (ToControl::kRoomSlot),
//                answered; back home, the shard frees it.
//   kRoomHistory engine::RoomHistoryQuery* (ToControl::kRoomHistory) answered: the shard hands it
//                to its socket (if still there) and frees it.
//   kRoomChange  engine::RoomChange*: the control plane's copy for this shard (a created or
//                deleted Dialogue room, or the refusal of this shard's ask); freed by the shard.
//   kHookAnswer  engine::HookCall* (ToControl::kHookCall) answered: the shard hands it to its
//                socket (if still there) and frees it.
//   kEioCall     api::HttpCall* of an Engine.IO poll or post (ToControl::kRequest with
//                eio_shard = this shard): the shard answers it in place, now or when its session
//                has packets, and sends it back as ToControl::kEioDone.
// ToControl (shard i -> control)
//   kRequest     api::HttpCall*: a REST request; it goes back as ToShard::kReply (see there).
//   kNote        ChannelNote*: allocated by the shard, freed by the control plane once applied
//                (small and rare: a channel appears on or vanishes from a shard).
//   kClientEvent runtime::SharedBuf* with one reference, built by the shard; the control plane
//                stamps its sequence, adds one reference per receiving shard and forwards it as
//                ToShard::kPublish, or releases it when nobody subscribes.
//   kCountReply  CountQuery* (the control plane's; see kCountQuery).
//   kShardDone   the shard closed its last connection and stops (no pointer).
//   kPresence    engine::PresenceNote*: a join goes back as ToShard::kPresenceAck; a leave is
//                freed by the control plane once applied (small: as kNote).
//   kHistoryQuery engine::HistoryQuery*, allocated by the shard (an SSE stream starting or
//                resuming); answered in place and sent back as ToShard::kHistory.
//   kSubscriptionCounts engine::SubscriptionCountReport*, allocated by the shard, freed by the
//                control plane once applied (at most two per shard loop turn).
//   kRoomSlot    engine::RoomSlot*: a join goes back as ToShard::kRoomSlot; a leave is freed
//                by the control plane once applied.
//   kRoomHistory engine::RoomHistoryQuery*, allocated by the shard (a Dialogue join's sync or
//                getHistory); answered in place and sent back as ToShard::kRoomHistory.
//   kRoomChange  engine::RoomChange*, allocated by the shard (createRoom / deleteRoom); the
//                control plane decides, sends copies (ToShard::kRoomChange) and frees it.
//   kHookCall    engine::HookCall*, allocated by the shard (a Dialogue socket's hook call): one
//                the socket waits for goes back as ToShard::kHookAnswer; a notification is
//                freed by the control plane once sent.
//   kEioDone     api::HttpCall* (ToShard::kEioCall) answered: the control plane sends it home
//                as ToShard::kReply.
// A queue that is torn down with messages in it frees them by these rules (~Shard,
// ~ControlPlane).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "api/http_call.h"
#include "engine/history.h"
#include "engine/hook_call.h"
#include "engine/presence_note.h"
#include "engine/room_change.h"
#include "engine/room_history_query.h"
#include "engine/room_slot.h"
#include "engine/subscription_counts.h"
#include "runtime/shared_buf.h"

namespace ringcast::server {

// Subscriptions per channel over the shards (REST info=subscription_count). `counts` has one
// row per shard; shard s writes only counts[s * channels.size() + i]. The control plane owns the
// rest (pending replies, what to do with the totals).
struct CountQuery {
  uint32_t app = 0;
  std::vector<std::string> channels;
  std::vector<uint64_t> counts;
  uint32_t pending = 0;
  // Instead of members: how many members the publication just before this query in the shard's
  // queue was queued to (one channel; the Impulse push's "sent").
  bool deliveries = false;
  // Instead of counts only: the Dialogue sockets joined to the one channel (a room), as
  // (socket id, user id); shard s fills participants[s] (sized by the control plane).
  bool participants = false;
  std::vector<std::vector<std::pair<std::string, std::string>>> participant_rows;
  // Instead of counts: the DontCode realtime sockets on the one channel, as (connection id,
  // identity), in participant_rows[s] (GET /realtime/presence/{channel}).
  bool realtime_presence = false;
  // Instead of counts: a direct send (Dialogue's REST API): the Socket.IO event `direct_event`
  // with the JSON `direct_data` to the socket whose serial is `direct_serial` (by_user false),
  // or to every socket whose user id is channels[0]; counts[shard] = sockets sent to.
  bool direct = false;
  bool by_user = false;
  uint64_t direct_serial = 0;
  std::string direct_event;
  std::string direct_data;
  std::function<void(std::vector<uint64_t>)> done;
};

// A channel gained its first or lost its last member on a shard.
struct ChannelNote {
  uint32_t app = 0;
  bool occupied = false;
  std::string name;
};

struct ToShard {
  enum class Kind : uint8_t {
    kPublish = 1,
    kReply,
    kCountQuery,
    kShutdown,
    kPresenceAck,
    kTerminate,
    kHistory,
    kWatchlist,
    kEioCall,
    kRoomSlot,
    kRoomHistory,
    kRoomChange,
    kHookAnswer
  };
  Kind kind;
  union {
    runtime::SharedBuf* publication;  // kPublish, kTerminate
    api::HttpCall* reply;             // kReply, kEioCall
    CountQuery* query;                // kCountQuery
    uint64_t grace_ms;                // kShutdown
    engine::PresenceNote* presence;   // kPresenceAck
    engine::HistoryQuery* history;    // kHistory
    engine::WatchlistBatch* watchlist;  // kWatchlist
    engine::RoomSlot* room_slot;        // kRoomSlot
    engine::RoomHistoryQuery* room_history;  // kRoomHistory
    engine::RoomChange* room_change;         // kRoomChange
    engine::HookCall* hook;                  // kHookAnswer
  };

  static ToShard HookAnswer(engine::HookCall* h) {
    ToShard m{Kind::kHookAnswer, {}};
    m.hook = h;
    return m;
  }
  static ToShard Publish(runtime::SharedBuf* buf) {
    ToShard m{Kind::kPublish, {}};
    m.publication = buf;
    return m;
  }
  static ToShard Reply(api::HttpCall* call) {
    ToShard m{Kind::kReply, {}};
    m.reply = call;
    return m;
  }
  static ToShard EioCall(api::HttpCall* call) {
    ToShard m{Kind::kEioCall, {}};
    m.reply = call;
    return m;
  }
  static ToShard Slot(engine::RoomSlot* slot) {
    ToShard m{Kind::kRoomSlot, {}};
    m.room_slot = slot;
    return m;
  }
  static ToShard RoomHistory(engine::RoomHistoryQuery* q) {
    ToShard m{Kind::kRoomHistory, {}};
    m.room_history = q;
    return m;
  }
  static ToShard RoomChange(engine::RoomChange* c) {
    ToShard m{Kind::kRoomChange, {}};
    m.room_change = c;
    return m;
  }
  static ToShard Count(CountQuery* q) {
    ToShard m{Kind::kCountQuery, {}};
    m.query = q;
    return m;
  }
  static ToShard History(engine::HistoryQuery* q) {
    ToShard m{Kind::kHistory, {}};
    m.history = q;
    return m;
  }
  static ToShard Watchlist(engine::WatchlistBatch* batch) {
    ToShard m{Kind::kWatchlist, {}};
    m.watchlist = batch;
    return m;
  }
  static ToShard Shutdown(uint64_t grace_ms) {
    ToShard m{Kind::kShutdown, {}};
    m.grace_ms = grace_ms;
    return m;
  }
  static ToShard Terminate(runtime::SharedBuf* buf) {
    ToShard m{Kind::kTerminate, {}};
    m.publication = buf;
    return m;
  }
  static ToShard PresenceAck(engine::PresenceNote* note) {
    ToShard m{Kind::kPresenceAck, {}};
    m.presence = note;
    return m;
  }
};
static_assert(sizeof(ToShard) == 16);

struct ToControl {
  enum class Kind : uint8_t {
    kRequest = 1,
    kNote,
    kClientEvent,
    kCountReply,
    kShardDone,
    kPresence,
    kHistoryQuery,
    kSubscriptionCounts,
    kEioDone,
    kRoomSlot,
    kRoomHistory,
    kRoomChange,
    kHookCall
  };
  Kind kind;
  uint32_t shard;
  union {
    api::HttpCall* request;          // kRequest, kEioDone
    ChannelNote* note;               // kNote
    runtime::SharedBuf* client_event;  // kClientEvent
    CountQuery* query;               // kCountReply
    void* none;                      // kShardDone
    engine::PresenceNote* presence;  // kPresence
    engine::HistoryQuery* history;   // kHistoryQuery
    engine::SubscriptionCountReport* counts;  // kSubscriptionCounts
    engine::RoomSlot* room_slot;              // kRoomSlot
    engine::RoomHistoryQuery* room_history;   // kRoomHistory
    engine::RoomChange* room_change;          // kRoomChange
    engine::HookCall* hook;                   // kHookCall
  };

  static ToControl HookCall(uint32_t shard, engine::HookCall* h) {
    ToControl m{Kind::kHookCall, shard, {}};
    m.hook = h;
    return m;
  }
  static ToControl Counts(uint32_t shard, engine::SubscriptionCountReport* r) {
    ToControl m{Kind::kSubscriptionCounts, shard, {}};
    m.counts = r;
    return m;
  }
  static ToControl Request(uint32_t shard, api::HttpCall* call) {
    ToControl m{Kind::kRequest, shard, {}};
    m.request = call;
    return m;
  }
  static ToControl EioDone(uint32_t shard, api::HttpCall* call) {
    ToControl m{Kind::kEioDone, shard, {}};
    m.request = call;
    return m;
  }
  static ToControl Slot(uint32_t shard, engine::RoomSlot* slot) {
    ToControl m{Kind::kRoomSlot, shard, {}};
    m.room_slot = slot;
    return m;
  }
  static ToControl RoomHistory(uint32_t shard, engine::RoomHistoryQuery* q) {
    ToControl m{Kind::kRoomHistory, shard, {}};
    m.room_history = q;
    return m;
  }
  static ToControl RoomChange(uint32_t shard, engine::RoomChange* c) {
    ToControl m{Kind::kRoomChange, shard, {}};
    m.room_change = c;
    return m;
  }
  static ToControl Note(uint32_t shard, ChannelNote* note) {
    ToControl m{Kind::kNote, shard, {}};
    m.note = note;
    return m;
  }
  static ToControl ClientEvent(uint32_t shard, runtime::SharedBuf* buf) {
    ToControl m{Kind::kClientEvent, shard, {}};
    m.client_event = buf;
    return m;
  }
  static ToControl CountReply(uint32_t shard, CountQuery* q) {
    ToControl m{Kind::kCountReply, shard, {}};
    m.query = q;
    return m;
  }
  static ToControl History(uint32_t shard, engine::HistoryQuery* q) {
    ToControl m{Kind::kHistoryQuery, shard, {}};
    m.history = q;
    return m;
  }
  static ToControl ShardDone(uint32_t shard) { return ToControl{Kind::kShardDone, shard, {}}; }
  static ToControl Presence(uint32_t shard, engine::PresenceNote* note) {
    ToControl m{Kind::kPresence, shard, {}};
    m.presence = note;
    return m;
  }
};
static_assert(sizeof(ToControl) == 16);

// Frees what an undelivered shard -> control message owns, by the rules above (teardown; a
// CountQuery belongs to the control plane and is left alone).
inline void DiscardUndelivered(const ToControl& m) {
  switch (m.kind) {
    case ToControl::Kind::kRequest:
    case ToControl::Kind::kEioDone:
      delete m.request;
      break;
    case ToControl::Kind::kNote: delete m.note; break;
    case ToControl::Kind::kHistoryQuery: m.history->ReleaseEvents(); delete m.history; break;
    case ToControl::Kind::kClientEvent: m.client_event->Release(); break;
    case ToControl::Kind::kPresence: delete m.presence; break;
    case ToControl::Kind::kSubscriptionCounts: delete m.counts; break;
    case ToControl::Kind::kRoomSlot:
      delete m.room_slot;
      break;
    case ToControl::Kind::kRoomHistory:
      delete m.room_history;
      break;
    case ToControl::Kind::kRoomChange:
      delete m.room_change;
      break;
    case ToControl::Kind::kHookCall:
      delete m.hook;
      break;
    case ToControl::Kind::kCountReply:
    case ToControl::Kind::kShardDone: break;
  }
}

}  // namespace ringcast::server
