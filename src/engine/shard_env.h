// ShardEnv: what a protocol session on a shard may use: the shard's loop, its channels, the
// app registry, the config, socket ids, and the line to the control plane (occupancy notes,
// client events).
//
// It also owns the two operations every protocol shares: subscribe/unsubscribe (which keep the
// control plane's channel-to-shard map right) and Deliver, the fan-out of one publication to
// this shard's members of its channel: one channel lookup, one dense walk over the members, a
// frame cache with one slot per wire format (each format's encoder runs at most once, when its
// first member is met), and one Ref per member. No allocation per member.
// Occupancy rule: a subscription that creates the channel on this shard is only kept if the
// control plane could be told at once (ControlLink::NoteOccupied); otherwise it is undone and
// reported refused, so no session confirms a subscription that a publish could still miss.
// Thread rules: the owning shard's thread only. Formats are registered before any session runs.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "engine/app_registry.h"
#include "engine/channel_table.h"
#include "engine/history.h"
#include "engine/hook_call.h"
#include "engine/presence_note.h"
#include "engine/publication.h"
#include "engine/room_change.h"
#include "engine/room_history_query.h"
#include "engine/room_slot.h"
#include "engine/socket_id.h"
#include "engine/subscription_counts.h"
#include "engine/wire_format.h"
#include "net/io_loop.h"
#include "util/relaxed_counter.h"

namespace ringcast::engine {

// The shard's line to the control plane (implemented by the shard, which owns the shard ->
// control queue and its bounded backlog; see server/control_outbox.h).
class ControlLink {
 public:
  virtual ~ControlLink() = default;
  // The channel got its first member on this shard. False when the control plane cannot be told
  // at once (its queue is full or older notes still wait): the caller must undo the member.
  [[nodiscard]] virtual bool NoteOccupied(uint32_t app, std::string_view name) = 0;
  // The channel lost its last member on this shard. Never refused; may wait, in order.
  virtual void NoteVacated(uint32_t app, std::string_view name) = 0;
  // A publication made on this shard (a client event) for every shard with subscribers. Takes
  // the caller's one reference in every case; false when it was dropped (backlog full).
  [[nodiscard]] virtual bool ForwardPublication(runtime::SharedBuf* buf) = 0;
  // A presence join (engine/presence_note.h). Takes `note` in every case; false when the
  // control plane cannot be told at once (as NoteOccupied): the caller undoes the member.
  [[nodiscard]] virtual bool NotePresenceJoin(PresenceNote* note) = 0;
  // A presence leave (connection `serial` of `user_id` left `channel`). Never refused; may wait, in
  // order behind the notes before it.
  virtual void NotePresenceLeave(uint32_t app, std::string_view channel, std::string_view user_id,
                                 uint64_t serial) = 0;
  // Asks the control plane's history (engine/history.h); the answer comes back to the
  // connection's session. False when backed up: the query stays the caller's. Sent behind every
  // occupancy note already given, so the answer's snapshot includes this shard's membership.
  [[nodiscard]] virtual bool QueryHistory(HistoryQuery* q) {
    (void)q;
    return false;
  }
  // Changed subscription counts (engine/subscription_counts.h). Takes `report` only when it
  // returns true; false: the control plane cannot be told now (the caller keeps its marks and
  // tries again later). Sent behind every note already given.
  [[nodiscard]] virtual bool NoteSubscriptionCounts(SubscriptionCountReport* report) {
    (void)report;
    return false;
  }
  // Asks for a slot in a bounded room (engine/room_slot.h); the answer comes back to the shard.
  // Takes `slot` in every case; false when the control plane cannot be told at once.
  [[nodiscard]] virtual bool NoteRoomJoin(RoomSlot* slot) {
    delete slot;
    return false;
  }
  // Asks the control plane for a Dialogue room's history (engine/room_history_query.h); the
  // answer comes back to the shard. Takes `q` in every case; false when backed up.
  [[nodiscard]] virtual bool QueryRoomHistory(RoomHistoryQuery* q) {
    delete q;
    return false;
  }
  // Asks the control plane to create or delete a Dialogue room (engine/room_change.h); the
  // answer comes back to the shard. Takes `c` in every case; false when backed up.
  [[nodiscard]] virtual bool RequestRoomChange(RoomChange* c) {
    delete c;
    return false;
  }
  // Sends a Dialogue hook call to the control plane (engine/hook_call.h); one the socket waits
  // for is answered back to the shard. Takes `h` in every case; false when backed up.
  [[nodiscard]] virtual bool CallHook(HookCall* h) {
    delete h;
    return false;
  }
  // Gives a bounded room's slot back. Never refused; in order behind the notes before it.
  virtual void NoteRoomLeave(uint32_t app, std::string_view room) {
    (void)app;
    (void)room;
  }
};

// The engine's figures: written by the shard's thread, read by any thread (/metrics).
struct ShardCounters {
  util::RelaxedCounter publications = 0;  // publications received from the control plane
  util::RelaxedCounter deliveries = 0;    // frames queued to connections
  util::RelaxedCounter encodes = 0;       // frames encoded (at most one per format per publication)
  util::RelaxedCounter subscriptions = 0;  // (connection, channel) memberships now
  util::RelaxedCounter channels = 0;       // channels with a member on this shard now
};

class ShardEnv {
 public:
  ShardEnv(uint32_t shard_id, net::IoLoop* loop, const AppRegistry* apps,
           const config::ServerConfig* config, const SocketIdCodec* ids, ControlLink* control)
      : shard_id_(shard_id),
        loop_(loop),
        apps_(apps),
        config_(config),
        ids_(ids),
        control_(control),
        channels_(apps->size()),
        app_deliveries_(std::make_unique<std::atomic<uint64_t>[]>(apps->size())) {}

  uint32_t shard_id() const { return shard_id_; }
  net::IoLoop& loop() { return *loop_; }
  ChannelTable& channels() { return channels_; }
  const AppRegistry& apps() const { return *apps_; }
  const config::ServerConfig& config() const { return *config_; }
  const config::Limits& limits() const { return config_->limits; }
  const SocketIdCodec& socket_ids() const { return *ids_; }
  bool shutting_down() const { return shutting_down_; }
  void set_shutting_down() { shutting_down_ = true; }
  const ShardCounters& counters() const { return counters_; }
  // Any thread: messages written to subscribers of `app` on this shard (single writer, relaxed;
  // for the dashboard's per-app figures).
  uint64_t app_deliveries(uint32_t app) const {
    return app_deliveries_[app].load(std::memory_order_relaxed);
  }
  ControlLink& control() { return *control_; }

  // Registers the encoder of a wire format (not owned; it outlives every session) and returns
  // the id its sessions put in their Subscriber. At most kMaxFormats per shard.
  FormatId RegisterFormat(PublicationEncoder* encoder);

  struct SubscribeResult {
    Channel* channel = nullptr;  // null when refused
    bool created = false;        // the channel had no member on this shard before
    bool already = false;        // the subscriber was already a member (nothing changed)
    bool refused = false;        // the control plane could not be told: nothing changed
  };
  // `held`: see ChannelTable::Subscribe (the member receives nothing until released).
  SubscribeResult Subscribe(uint32_t app, std::string_view name, Subscriber* sub,
                            bool held = false);
  // Returns false if `sub` was not a member of `channel`.
  bool Unsubscribe(Subscriber* sub, Channel* channel);
  void UnsubscribeAll(Subscriber* sub);

  // Queues the publication to every member of its channel on this shard except the excluded
  // connection, encoded once per format present. Does not take a reference to `pub`'s buffer:
  // every frame it queues owns its bytes. Returns how many members it was queued to.
  uint64_t Deliver(const PublicationView& pub);

  // Subscription counts (apps with enable_subscription_count, non-presence channels): every
  // subscribe or unsubscribe marks its channel; Flush sends the marked channels' counts to the
  // control plane, at most kMaxCountRows per report, and keeps the marks it could not send
  // (their counts are read at send time, so a later try sends the newest). The marks are bounded
  // by this shard's channels (a vacated channel's mark goes with it: its vacated note means 0).
  // Returns true when no mark is left.
  static constexpr size_t kMaxCountRows = 1024;
  bool FlushSubscriptionCounts();
  bool subscription_counts_pending() const { return !count_marks_.empty(); }

 private:
  bool CountsSubscriptions(uint32_t app, std::string_view name) const;
  void MarkCount(Channel* channel, bool joined);
  void UnmarkCount(const Channel& channel);

  uint32_t shard_id_;
  net::IoLoop* loop_;
  const AppRegistry* apps_;
  const config::ServerConfig* config_;
  const SocketIdCodec* ids_;
  ControlLink* control_;
  ChannelTable channels_;
  std::array<PublicationEncoder*, kMaxFormats> encoders_{};
  std::array<bool, kMaxFormats> member_step_{};
  std::array<bool, kMaxFormats> takes_audience_{};
  FormatId format_count_ = 0;
  bool shutting_down_ = false;
  ShardCounters counters_;
  std::vector<Channel*> count_marks_;  // channels whose count changed since their last report
  std::unique_ptr<std::atomic<uint64_t>[]> app_deliveries_;  // per app, this shard's thread writes
};

}  // namespace ringcast::engine
