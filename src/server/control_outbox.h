// ControlOutbox: a shard's one ordered, bounded path to the control plane (the shard -> control
// SPSC ring of server/mesh.h plus two backlogs behind it), with a defined answer for every
// message kind when the ring is full:
//   occupied note   never waits: it enters the ring at once, or PushOccupied refuses it (the
//                   session then refuses the subscription, 503 "ServerBusy"); it is also refused
//                   while older control messages wait, so notes stay in order.
//   vacated note    never refused: it waits in the control backlog. At most one per channel the
//                   control plane believes occupied on this shard (a channel's next occupied
//                   note is refused while it waits), so the backlog is bounded by the shard's
//                   channels, and holds less than the channels it replaces.
//   presence join   as the occupied note: enters the ring at once or is refused (the session
//                   refuses the subscription, 503 "ServerBusy"); refused too while control
//                   messages wait. A sign-in's note is one too (refused: pusher:error, retry).
//   presence leave  as the vacated note: never refused, waits in the control backlog. At most
//                   one per presence membership the control plane knows of on this shard (each
//                   join that entered the ring is left once), so the backlog stays bounded.
//                   A signed-in connection's close is one too (one per sign-in note that entered).
//   count reply     never refused: waits in the control backlog; at most one per count query
//                   the control plane has outstanding (each belongs to a REST request in flight).
//   REST request    waits in the data backlog, at most `max_data_backlog`; beyond: refused
//                   (the HTTP session answers 503).
//   client event    waits in the data backlog under the same cap; beyond: dropped (the
//                   session sends pusher:error 4301 to the sender).
//   history query   waits in the data backlog under the same cap; beyond: refused (the SSE
//                   session answers 503). Behind the stream's occupied notes, always.
//   subscription counts  as the occupied note: enters the ring at once or is refused (nothing
//                   queued; the shard keeps its marks and tries again next turn: the counts are
//                   absolute, so the later report carries the newest).
//   shard done      only once everything else is out.
// Flush() moves the control backlog first, then the data backlog. A note may so overtake an
// older request or client event, never another note: the control plane then sees occupancy at
// least as new as any request it handles, which is the safe direction (control_plane.h).
// Why this keeps the occupancy promise: a session confirms a subscription only after its note
// is in the ring, and the control plane applies every note it pops before it handles any
// request popped in the same or an earlier pass.
// Every spill and refusal is counted (queue_stats.h); stats() may be read from any thread.
// Thread rules: the owning shard's thread, except stats().
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string_view>

#include "server/mesh.h"
#include "server/messages.h"
#include "server/queue_stats.h"

namespace ringcast::server {

class ControlOutbox {
 public:
  static constexpr size_t kMaxDataBacklog = 4096;

  ControlOutbox(uint32_t shard, ToControlQueue* queue, size_t max_data_backlog = kMaxDataBacklog)
      : shard_(shard), queue_(queue), max_data_backlog_(max_data_backlog) {}
  ~ControlOutbox();  // frees what never left (DiscardUndelivered)
  ControlOutbox(const ControlOutbox&) = delete;
  ControlOutbox& operator=(const ControlOutbox&) = delete;

  // False: the backlog is full; the call stays the caller's (it answers 503).
  [[nodiscard]] bool PushRequest(api::HttpCall* call);
  // Takes the reference in every case; false: dropped.
  [[nodiscard]] bool PushClientEvent(runtime::SharedBuf* buf);
  // False: the backlog is full; the query stays the caller's.
  [[nodiscard]] bool PushHistoryQuery(engine::HistoryQuery* q);
  // Takes `q` in every case; false: the backlog is full (freed, counted as refused).
  [[nodiscard]] bool PushRoomHistory(engine::RoomHistoryQuery* q);
  // Takes `c` in every case; false: the backlog is full (freed, counted as refused).
  [[nodiscard]] bool PushRoomChange(engine::RoomChange* c);
  // A Dialogue hook call: in the data backlog under its cap; beyond it refused (freed here).
  [[nodiscard]] bool PushHookCall(engine::HookCall* h);
  // False: refused, nothing queued (see above).
  [[nodiscard]] bool PushOccupied(uint32_t app, std::string_view name);
  void PushVacated(uint32_t app, std::string_view name);
  // Takes `note` in every case; false: refused and freed (see above).
  [[nodiscard]] bool PushPresenceJoin(engine::PresenceNote* note);
  void PushPresenceLeave(uint32_t app, std::string_view channel, std::string_view user_id,
                         uint64_t serial);
  void PushCountReply(CountQuery* query);
  // Takes `slot` in every case; false: refused (as a presence join).
  [[nodiscard]] bool PushRoomJoin(engine::RoomSlot* slot);
  void PushRoomLeave(engine::RoomSlot* slot);
  // An Engine.IO call answered here (ToControl::kEioDone; never refused).
  void PushEioDone(api::HttpCall* call);
  // Takes `report` only when it returns true (see above).
  [[nodiscard]] bool PushSubscriptionCounts(engine::SubscriptionCountReport* report);
  // True once sent; false while anything else still waits or the ring is full.
  [[nodiscard]] bool PushShardDone();

  // Moves what waits into the ring, control backlog first, while there is room.
  void Flush();
  bool empty() const { return control_.empty() && data_.empty(); }
  // Whether anything entered the ring since the last call (the control plane needs a wake).
  bool TakeDirty() {
    bool d = dirty_;
    dirty_ = false;
    return d;
  }

  OutboxStats stats() const;  // any thread

 private:
  bool TryRing(const ToControl& m);
  // Into the ring, or behind what waits in the control backlog (never refused).
  void PushControl(const ToControl& m);
  // Into the ring, or behind what waits in the data backlog; false: the backlog is full
  // (nothing queued, the caller counts and answers the refusal).
  bool PushData(const ToControl& m);
  void Park(std::deque<ToControl>* backlog, const ToControl& m);

  uint32_t shard_;
  ToControlQueue* queue_;
  size_t max_data_backlog_;
  std::deque<ToControl> control_;  // notes and count replies, in order
  std::deque<ToControl> data_;     // REST requests and client events, in order
  bool dirty_ = false;

  StatCounter spilled_;
  StatCounter backlog_;
  StatCounter backlog_peak_;
  StatCounter requests_refused_;
  StatCounter client_events_dropped_;
  StatCounter subscribes_refused_;
};

}  // namespace ringcast::server
