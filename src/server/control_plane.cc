#include "server/control_plane.h"

#include <pthread.h>

#include <bit>
#include <cstring>
#include <utility>

#include "api/request_head.h"
#include "apps/dontcode/realtime_wire.h"
#include "apps/mochat/mochat_socket.h"
#include "engine/channel_name.h"
#include "engine/datonow_channels.h"
#include "http/response.h"
#include "protocols/pusher/wire.h"
#include "protocols/socketio/dialogue_shared.h"
#include "protocols/socketio/packet.h"
#include "runtime/wait_for_work.h"
#include "store/wal.h"
#include "util/clock.h"
#include "util/json_writer.h"
#include "util/log.h"

namespace ringcast::server {

namespace {
constexpr size_t kDrainBatch = 256;
constexpr uint64_t kWakeUserData = 1;
// The group commit's write and fdatasync (CommitTurn).
constexpr uint64_t kCommitWriteUserData = 2;
constexpr uint64_t kCommitSyncUserData = 3;
}  // namespace

ControlPlane::ControlPlane(const config::ServerConfig* config, const engine::AppRegistry* apps,
                           const engine::SocketIdCodec* ids, Mesh* mesh, store::Wal* wal)
    : config_(config),
      wal_(wal),
      mesh_(mesh),
      shard_count_(mesh->to_shard.size()),
      ids_(ids),
      apps_(apps),
      occupancy_(apps->size()),
      presence_(apps->size()),
      watchlist_(apps->size(), config->limits.max_watchlist_entries),
      cache_(apps->size()),
      sub_counts_(shard_count_),
      history_(apps, uint64_t{config->limits.history_max_mib} << 20,
               static_cast<uint64_t>(util::WallMs()) * 1000),
      pusher_api_(apps, config, ids, &occupancy_, &presence_, &cache_),
      datonow_api_(apps, wal, config->limits.datonow_api_requests_per_minute),
      datonow_trigger_(apps, &config->limits, ids, wal, datonow_api_.rate_limiter()),
      datonow_sockets_(apps, ids, &occupancy_, config->limits.max_channel_name_length,
                       datonow_api_.rate_limiter()),
      dialogue_history_(&config->dialogue, apps->app(config->dialogue.app).id, wal),
      dialogue_rooms_(&config->dialogue, config->limits.max_channel_name_length,
                      apps->app(config->dialogue.app).id, wal),
      impulse_push_(config),
      realtime_api_(apps, config->limits.max_event_data_bytes),
      mochat_(apps, wal),
      mochat_registrations_(
          std::vector<uint32_t>(apps->size(), config->limits.mochat_registrations_per_minute)),
      webhooks_(&apps->apps(), {}, config->webhook_ca_file),
      hooks_(config->dialogue.hooks,
             config->dialogue.enabled ? &apps->apps()[config->dialogue.app] : nullptr,
             config->webhook_ca_file),
      stalled_(shard_count_),
      shard_dirty_(shard_count_, false),
      app_published_(std::make_unique<StatCounter[]>(apps->size())),
      app_channels_(std::make_unique<StatCounter[]>(apps->size())) {
  // Stamps go on past the newest read back, even when the clock went back meanwhile.
  last_stamp_us_ = dialogue_history_.last_stamp_us();
}

ControlPlane::~ControlPlane() {
  for (auto& q : stalled_) {
    for (const ToShard& m : q) {
      if (m.kind == ToShard::Kind::kPublish || m.kind == ToShard::Kind::kTerminate) {
        m.publication->Release();
      }
      if (m.kind == ToShard::Kind::kReply || m.kind == ToShard::Kind::kEioCall) delete m.reply;
      if (m.kind == ToShard::Kind::kPresenceAck) delete m.presence;
      if (m.kind == ToShard::Kind::kWatchlist) delete m.watchlist;
      if (m.kind == ToShard::Kind::kRoomSlot) delete m.room_slot;
      if (m.kind == ToShard::Kind::kRoomHistory) delete m.room_history;
      if (m.kind == ToShard::Kind::kRoomChange) delete m.room_change;
      if (m.kind == ToShard::Kind::kHookAnswer) delete m.hook;
      if (m.kind == ToShard::Kind::kHistory) {
        m.history->ReleaseEvents();
        delete m.history;
      }
      // kCountQuery: one query may wait for several shards; left to the process exit.
    }
  }
}

void ControlPlane::Start() {
  // Before the thread and before the shards start (Server::Start starts them after this): the
  // created rooms are in each shard's queue ahead of anything a client can ask.
  AnnounceStoredRooms();
  thread_ = std::thread([this] { Run(); });
}

void ControlPlane::Join() {
  if (thread_.joinable()) thread_.join();
}

void ControlPlane::RequestShutdown() {
  shutdown_requested_.store(true);
  mesh_->control_waker.Signal();
}

ControlStats ControlPlane::stats() const {
  ControlStats s;
  for (const auto& q : mesh_->to_shard) s.ring_full += q->full_count();
  s.stalled_spills = stalled_spills_.Get();
  s.stalled = stalled_now_.Get();
  s.stalled_peak = stalled_peak_.Get();
  s.paused_turns = paused_turns_.Get();
  s.cache_entries = cache_entries_.Get();
  s.cache_refused = cache_refused_.Get();
  s.watchlist_entries = watchlist_entries_.Get();
  s.watchlist_refused = watchlist_refused_.Get();
  s.count_channels = count_channels_.Get();
  s.count_refused = count_refused_.Get();
  s.datonow_api_refused = datonow_api_refused_.Get();
  const engine::HistoryStats& h = history_.stats();  // relaxed counters, read in place
  s.history_bytes = h.bytes;
  s.history_events = h.events;
  s.history_channels = h.channels;
  s.history_evicted_size = h.evicted_size;
  s.history_evicted_ttl = h.evicted_ttl;
  s.history_evicted_budget = h.evicted_budget;
  s.history_evicted_logs = h.evicted_logs;
  s.history_gaps = h.gaps;
  const api::DialogueHistoryStats& d = dialogue_history_.stats();
  s.dialogue_history_kept = d.kept;
  s.dialogue_history_trimmed = d.trimmed;
  s.dialogue_history_refused = d.refused;
  s.dialogue_history_unsaved = d.unsaved;
  const webhooks::HookStats hs = hooks_.stats();
  s.dialogue_hooks_sent = hs.sent;
  s.dialogue_hooks_failed = hs.failed;
  s.dialogue_hooks_refused = hs.refused;
  s.dialogue_user_limit_untracked = user_limit_untracked_.Get();
  s.cluster = bridge_ != nullptr;
  s.cluster_ready = cluster_ready_.Ready();
  s.cluster_connects = cluster_connects_.Get();
  s.cluster_published = cluster_published_.Get();
  s.cluster_received = cluster_received_.Get();
  s.cluster_refused = cluster_refused_.Get();
  s.cluster_dropped = cluster_dropped_.Get();
  s.cluster_channels = cluster_channels_.Get();
  return s;
}

void ControlPlane::Run() {
  pthread_setname_np(pthread_self(), "rc-control");
  int rc = ring_.Init(bridge_ ? 256 : 64);
  RC_CHECK(rc == 0);
  webhooks_.Attach(&ring_);
  hooks_.Attach(&ring_);
  auto arm_wake = [this] {
    runtime::ArmWakeRead(ring_, mesh_->control_waker, &wake_buf_, kWakeUserData);
  };
  arm_wake();

  // Requests and client events popped in an earlier pass than the last one (their notes are
  // applied: they may be handled), and those popped in the last pass (they wait for one more).
  std::deque<ToControl> ready;
  std::deque<ToControl> fresh;
  while (true) {
    bool clear = FlushStalled();
    bool paused = stalled_total_ >= kMaxStalled;
    if (!paused) {
      // The pass below comes after `fresh` was popped: they may be handled after it.
      ready.insert(ready.end(), fresh.begin(), fresh.end());
      fresh.clear();
      DrainPass(&fresh);
    } else {
      paused_turns_.Add();
    }
    while (!ready.empty() && stalled_total_ < kMaxStalled) {
      HandleRequest(ready.front());
      ready.pop_front();
    }
    RunHookAnswers();
    if (stalled_total_ < kMaxStalled) FlushWatchlist();
    if (stalled_total_ < kMaxStalled) EmitSubscriptionCounts();
    if (bridge_) ClusterTurn();
    const int sync_wait_ms = CommitTurn();
    if (shutdown_requested_.load() && !shutdown_sent_) {
      for (uint32_t s = 0; s < shard_count_; ++s) {
        SendToShard(s, ToShard::Shutdown(config_->limits.shutdown_grace_ms));
      }
      shutdown_sent_ = true;
    }
    WakeShards();
    if (shutdown_sent_ && shards_done_ == shard_count_ && !commit_.active &&
        (!bridge_ || ClusterGoodbyeDone())) {
      break;
    }
    webhooks_.Poll();
    hooks_.Poll();

    paused = stalled_total_ >= kMaxStalled;
    bool busy = !paused && (!ready.empty() || !fresh.empty() || watchlist_.has_changes() ||
                            !hook_answers_.empty());
    // With messages stalled, shards make room without telling us: look again in 1 ms.
    int64_t idle_wait_ms = clear ? -1 : 1;
    int64_t hook_wait_ms = webhooks_.WaitHintMs();
    if (hook_wait_ms >= 0 && (idle_wait_ms < 0 || hook_wait_ms < idle_wait_ms)) {
      idle_wait_ms = hook_wait_ms;
    }
    int64_t call_wait_ms = hooks_.WaitHintMs();
    if (call_wait_ms >= 0 && (idle_wait_ms < 0 || call_wait_ms < idle_wait_ms)) {
      idle_wait_ms = call_wait_ms;
    }
    int64_t count_wait_ms = paused ? -1 : sub_counts_.WaitHintMs(util::MonotonicMs());
    if (count_wait_ms >= 0 && (idle_wait_ms < 0 || count_wait_ms < idle_wait_ms)) {
      idle_wait_ms = count_wait_ms;
    }
    if (sync_wait_ms >= 0 && (idle_wait_ms < 0 || sync_wait_ms < idle_wait_ms)) {
      idle_wait_ms = sync_wait_ms;
    }
    if (bridge_) {
      // The bridge's replies and arrivals wake the ring; its reconnect timer does not.
      const uint64_t now_ms = util::MonotonicMs();
      int64_t cluster_wait_ms = bridge_->WaitHintMs(now_ms);
      if ((!cluster_counts_.empty() || goodbye_.sent) &&
          (cluster_wait_ms < 0 || cluster_wait_ms > 50)) {
        cluster_wait_ms = 50;  // count requests' and the goodbye's deadlines
      }
      if (bridge_->ready() && !heartbeat_in_flight_) {
        const int64_t beat =
            next_heartbeat_ms_ > now_ms ? static_cast<int64_t>(next_heartbeat_ms_ - now_ms) : 0;
        if (cluster_wait_ms < 0 || beat < cluster_wait_ms) cluster_wait_ms = beat;
      }
      if (cluster_wait_ms >= 0 && (idle_wait_ms < 0 || cluster_wait_ms < idle_wait_ms)) {
        idle_wait_ms = cluster_wait_ms;
      }
    }
    runtime::WaitForWork(ring_, mesh_->control_waker, busy, idle_wait_ms, [&] {
      // While paused, new input is not taken, so it is no reason to stay awake.
      return paused || (QueuesEmpty() && (!shutdown_requested_.load() || shutdown_sent_));
    });
    ring_.ForEachCqe([&](const io_uring_cqe& cqe) {
      if (cqe.user_data == kWakeUserData) {
        arm_wake();
      } else if (cqe.user_data == kCommitWriteUserData || cqe.user_data == kCommitSyncUserData) {
        OnCommitCompletion(cqe);
      } else if (webhooks::HookClient::Owns(cqe.user_data)) {
        hooks_.OnCompletion(cqe);
      } else if (webhooks::Dispatcher::Owns(cqe.user_data)) {
        webhooks_.OnCompletion(cqe);
      } else if (bridge_ && cluster::Bridge::Owns(cqe.user_data)) {
        bridge_->OnCompletion(cqe);
      }
    });
    // What the completions brought (replies, arrivals) is handled at the top of the next turn.
  }
  webhooks_.Shutdown();
  hooks_.Shutdown();
}

bool ControlPlane::QueuesEmpty() const {
  for (const auto& q : mesh_->to_control) {
    if (!q->Empty()) return false;
  }
  return true;
}

void ControlPlane::DrainPass(std::deque<ToControl>* out) {
  ToControl batch[kDrainBatch];
  for (uint32_t s = 0; s < shard_count_; ++s) {
    size_t n;
    do {
      n = mesh_->to_control[s]->PopBatch(batch, kDrainBatch);
      for (size_t i = 0; i < n; ++i) {
        const ToControl& m = batch[i];
        switch (m.kind) {
          case ToControl::Kind::kNote:
            ApplyNote(m.shard, m.note);
            break;
          case ToControl::Kind::kPresence:
            ApplyPresence(m.presence);
            break;
          case ToControl::Kind::kEioDone:
            Answer(m.request);
            break;
          case ToControl::Kind::kRoomSlot:
            ApplyRoomSlot(m.room_slot);
            break;
          case ToControl::Kind::kRequest:
            if (m.request->eio_shard != api::HttpCall::kNoShard) {
              RouteEioCall(m.request);
              break;
            }
            out->push_back(m);
            break;
          case ToControl::Kind::kClientEvent:
          case ToControl::Kind::kHistoryQuery:
          case ToControl::Kind::kRoomHistory:
          case ToControl::Kind::kRoomChange:
          case ToControl::Kind::kHookCall:
            out->push_back(m);
            break;
          case ToControl::Kind::kShardDone:
            ++shards_done_;
            break;
          case ToControl::Kind::kCountReply:
            OnCountReply(m.query);
            break;
          case ToControl::Kind::kSubscriptionCounts:
            ApplySubscriptionCounts(m.shard, m.counts);
            break;
        }
      }
    } while (n == kDrainBatch);
  }
}

void ControlPlane::ApplyNote(uint32_t shard, ChannelNote* note) {
  // The Datonow sockets' routing channels are not the app's: no channel webhooks for them.
  const bool hooks = webhooks_.HasTargets(note->app) && !engine::IsRoutingChannel(note->name);
  const bool was = (hooks || bridge_) && occupancy_.IsOccupied(note->app, note->name);
  occupancy_.Apply(note->app, shard, note->name, note->occupied);
  if (bridge_) {
    // The node receives a channel's publications while one of its shards has members of it;
    // occupancy and its webhooks are cluster-wide (control_cluster.cc).
    const bool is = occupancy_.IsOccupied(note->app, note->name);
    if (!was && is) bridge_->Subscribe(apps_->app(note->app).id, note->name);
    if (was && !is) {
      bridge_->Unsubscribe(apps_->app(note->app).id, note->name);
      // Joins still waiting for the subscription's confirmation: their connections are gone
      // from every shard (the shards drop answers for them).
      auto held = held_joins_.find(bridge_->RedisChannel(apps_->app(note->app).id, note->name));
      if (held != held_joins_.end()) {
        ReleaseHeldJoins(&held->second);
        held_joins_.erase(held);
      }
    }
    if (was != is && !engine::IsRoutingChannel(note->name)) {
      ClusterOccupancy(note->app, note->name, is);
    }
  }
  if (!note->occupied && apps_->app(note->app).enable_subscription_count) {
    sub_counts_.Set(note->app, note->name, shard, 0, false, util::MonotonicMs());
    count_channels_.Set(sub_counts_.size());
  }
  app_channels_[note->app].Set(occupancy_.channel_count(note->app));
  if (hooks && !bridge_) {
    const bool is = occupancy_.IsOccupied(note->app, note->name);
    if (was != is) {
      // Across all shards: vacated only when the last shard's last subscriber left.
      webhooks::WebhookEvent ev;
      ev.kind = is ? webhooks::EventKind::kChannelOccupied : webhooks::EventKind::kChannelVacated;
      ev.channel = note->name;
      webhooks_.Emit(note->app, std::move(ev));
    }
  }
  engine::PublishRequest close;
  if (note->occupied && datonow_api_.OrphanedTokenChannel(note->app, note->name, &close)) {
    Publish(close);  // a token socket whose token went between its check and its subscribe
  }
  delete note;
}

void ControlPlane::EmitClientEventWebhook(const engine::PublicationView& pub) {
  webhooks::WebhookEvent ev;
  ev.kind = webhooks::EventKind::kClientEvent;
  ev.channel = pub.channel;
  ev.event = pub.event;
  ev.data = pub.data;
  ev.user_id = pub.user_id;
  if (pub.exclude_shard != engine::kNoShard) {
    ev.socket_id = ids_->Format(pub.exclude_shard, pub.exclude_serial);
  }
  webhooks_.Emit(pub.app, std::move(ev));
}

void ControlPlane::EmitMemberWebhook(uint32_t app, webhooks::EventKind kind,
                                     std::string_view channel, std::string_view user_id) {
  if (!webhooks_.HasTargets(app)) return;
  webhooks::WebhookEvent ev;
  ev.kind = kind;
  ev.channel = channel;
  ev.user_id = user_id;
  // Cluster mode: a comeback may happen on another node, whose member_added this node's delayed
  // member_removed would follow: sent as they happen, in Redis' order (docs/cluster.md).
  ev.undelayed = bridge_ != nullptr;
  webhooks_.Emit(app, std::move(ev));
}

std::string ControlPlane::CacheMissKey(uint32_t app, std::string_view channel) {
  std::string key = std::to_string(app);
  key.push_back('\0');
  key.append(channel);
  return key;
}

void ControlPlane::EmitCacheMissWebhook(uint32_t app, std::string_view channel) {
  // De-duplicated across subscribers: one cache_miss per channel until an event is cached for
  // it or cache_ttl_s passes (as soketi's cache_miss key). Bounded: at kMaxCacheMissKeys the
  // expired keys go (one scan a second at most: subscribers pick the channels, so a full map of
  // live keys must not cost a scan per miss); if none has, the webhook is sent without being
  // recorded (a duplicate is possible then, never a loss).
  uint64_t now = util::MonotonicMs();
  std::string key = CacheMissKey(app, channel);
  auto it = cache_miss_sent_.find(key);
  if (it != cache_miss_sent_.end() && now < it->second) return;
  uint64_t until = now + uint64_t{config_->limits.cache_ttl_s} * 1000;
  if (it != cache_miss_sent_.end()) {
    it->second = until;
  } else {
    if (cache_miss_sent_.size() >= kMaxCacheMissKeys && now >= cache_miss_swept_ms_ + 1000) {
      std::erase_if(cache_miss_sent_, [now](const auto& kv) { return now >= kv.second; });
      cache_miss_swept_ms_ = now;
    }
    if (cache_miss_sent_.size() < kMaxCacheMissKeys) {
      cache_miss_sent_.emplace(std::move(key), until);
    }
  }
  webhooks::WebhookEvent ev;
  ev.kind = webhooks::EventKind::kCacheMiss;
  ev.channel = channel;
  webhooks_.Emit(app, std::move(ev));
}

void ControlPlane::ApplySubscriptionCounts(uint32_t shard,
                                           engine::SubscriptionCountReport* report) {
  uint64_t now = util::MonotonicMs();
  for (const auto& row : report->rows) {
    sub_counts_.Set(row.app, row.channel, shard, row.count, row.joined, now);
  }
  delete report;
  count_channels_.Set(sub_counts_.size());
  count_refused_.Set(sub_counts_.refused());
}

void ControlPlane::EmitSubscriptionCounts() {
  uint64_t now = util::MonotonicMs();
  if (!sub_counts_.HasDue(now)) return;
  counts_due_.clear();
  sub_counts_.TakeDue(now, kMaxCountsPerTurn, &counts_due_);
  for (engine::SubscriptionCounts::Due& due : counts_due_) {
    auto tell = [this](uint32_t app, std::string channel, uint64_t count) {
      engine::PublishRequest ev;
      ev.app = app;
      ev.event = std::string(protocols::pusher::wire::kSubscriptionCount);
      protocols::pusher::wire::AppendSubscriptionCount(&ev.data, count);
      ev.channels.push_back(channel);
      Publish(ev);
      if (webhooks_.HasTargets(app)) {
        webhooks::WebhookEvent hook;
        hook.kind = webhooks::EventKind::kSubscriptionCount;
        hook.channel = std::move(channel);
        hook.subscription_count = count;
        webhooks_.Emit(app, std::move(hook));
      }
    };
    if (bridge_ && bridge_->ready()) {
      // The count over every node (this node's change is what made it due), told to everyone;
      // two nodes whose counts changed together may both tell it.
      CountEverywhere(due.app, {due.channel},
                      [tell, app = due.app, channel = due.channel](std::vector<uint64_t> n) {
                        if (!n.empty() && n[0] > 0) tell(app, channel, n[0]);
                      });
      continue;
    }
    tell(due.app, std::move(due.channel), due.count);
  }
}

void ControlPlane::ApplyPresence(engine::PresenceNote* note) {
  namespace wire = protocols::pusher::wire;
  if (engine::KindOf(note->channel) == engine::ChannelKind::kServerToUser) {
    ApplySignin(note);
    return;
  }
  engine::PresenceTable::ConnKey conn{note->shard, note->serial};
  engine::PublishRequest ev;
  ev.app = note->app;
  ev.channels.push_back(note->channel);
  if (note->join && note->cache && !note->cache_checked && bridge_ && bridge_->ready() &&
      ClusterCacheLookup(note)) {
    return;  // back here with the answer
  }
  if (note->join && note->cache && !note->cache_checked) {
    if (const engine::ChannelCache::Entry* e =
            cache_.Find(note->app, note->channel, util::MonotonicMs())) {
      note->cache_hit = true;
      note->cache_event = e->event;
      note->cache_data = e->data;
    } else if (webhooks_.HasTargets(note->app)) {
      EmitCacheMissWebhook(note->app, note->channel);
    }
  }
  if (note->join && !note->presence) {
    AnswerJoin(note);
    return;
  }
  if (!note->join) {
    const bool last = presence_.Leave(note->app, note->channel, note->user_id, conn);
    if (bridge_ && bridge_->ready() && ClusterPresenceLeave(*note)) {
      delete note;  // member_removed, if this was the last connection anywhere, comes from Redis
      return;
    }
    if (last) {
      EmitMemberWebhook(note->app, webhooks::EventKind::kMemberRemoved, note->channel,
                        note->user_id);
      ev.event = std::string(wire::kMemberRemoved);
      wire::AppendMemberRemoved(&ev.data, note->user_id);
      Publish(ev);
    }
    delete note;
    return;
  }
  uint32_t max_members = apps_->app(note->app).max_presence_members_per_channel;
  engine::PresenceTable::JoinOutcome outcome =
      presence_.Join(note->app, note->channel, note->user_id, note->user_info, conn, max_members);
  if (outcome == engine::PresenceTable::JoinOutcome::kFull) {
    note->refused = true;
    SendToShard(note->shard, ToShard::PresenceAck(note));
    return;
  }
  // Cluster mode: membership over all nodes is in Redis; the answer comes with its reply.
  if (bridge_ && bridge_->ready() && ClusterPresenceJoin(note)) return;
  if (outcome == engine::PresenceTable::JoinOutcome::kAdded) {
    EmitMemberWebhook(note->app, webhooks::EventKind::kMemberAdded, note->channel, note->user_id);
    ev.event = std::string(wire::kMemberAdded);
    wire::AppendMemberAdded(&ev.data, note->user_id, note->user_info);
    ev.exclude_shard = note->shard;
    ev.exclude_serial = note->serial;
    Publish(ev);
  }
  note->members.reserve(presence_.UserCount(note->app, note->channel));
  presence_.ForEachMember(note->app, note->channel,
                          [note](std::string_view id, std::string_view info) {
                            note->members.emplace_back(std::string(id), std::string(info));
                          });
  AnswerJoin(note);
}

void ControlPlane::AnswerJoin(engine::PresenceNote* note) {
  // Cluster mode: once this node's subscription to the channel is confirmed in Redis, so that
  // every publish after the answer reaches the joiner (docs/cluster.md "Subscriptions").
  if (bridge_ && HoldJoinForCluster(note)) return;
  SendToShard(note->shard, ToShard::PresenceAck(note));
}

void ControlPlane::ApplySignin(engine::PresenceNote* note) {
  ApplySigninState(note);
  watchlist_entries_.Set(watchlist_.entries());
  watchlist_refused_.Set(watchlist_.refused());
}

void ControlPlane::ApplySigninState(engine::PresenceNote* note) {
  if (note->join) {
    engine::WatchlistTable::Address to{note->shard, note->conn_index, note->conn_gen, note->serial};
    engine::WatchlistTable::SignInResult r =
        watchlist_.SignIn(note->app, note->user_id, to, note->watchlist);
    note->watchlist.clear();
    note->watch_online = std::move(r.online);
    note->watch_offline = std::move(r.offline);
    note->watch_not_indexed = r.not_indexed;
    if (bridge_) {
      if (r.came_online) ClusterWatch(note->app, note->user_id, true);
      if (bridge_->ready() && !note->watch_offline.empty()) {
        // Offline here: maybe online on another node. Answered once Redis has said.
        std::vector<std::string> ask = note->watch_offline;
        if (ask.size() > kWatchQueryBatch) ask.resize(kWatchQueryBatch);
        ClusterWatchQuery(note->app, std::move(ask), [this, note] {
          (void)watchlist_.Snapshot({note->shard, note->serial}, &note->watch_online,
                                    &note->watch_offline);
          AnswerJoin(note);
        });
        return;
      }
    }
    AnswerJoin(note);
  } else {
    engine::WatchlistTable::SignOutResult r = watchlist_.SignOut({note->shard, note->serial});
    if (bridge_ && r.went_offline) ClusterWatch(r.app, r.user_id, false);
    delete note;
  }
}

void ControlPlane::FlushWatchlist() {
  if (!watchlist_.has_changes()) return;
  std::vector<engine::WatchlistBatch*> batches(shard_count_, nullptr);
  watchlist_.TakeChanges(kWatchlistPerTurn, [&](const engine::WatchlistTable::Address& to,
                                                const std::vector<std::string>& online,
                                                const std::vector<std::string>& offline) {
    engine::WatchlistBatch*& b = batches[to.shard];
    if (b == nullptr) b = new engine::WatchlistBatch();
    b->deliveries.push_back({to.conn_index, to.conn_gen, to.serial, online, offline});
  });
  for (uint32_t s = 0; s < shard_count_; ++s) {
    if (batches[s] != nullptr) SendToShard(s, ToShard::Watchlist(batches[s]));
  }
}

void ControlPlane::HandleRequest(const ToControl& m) {
  uint64_t now_ms = util::MonotonicMs();
  if (now_ms >= history_swept_ms_ + 1000) {
    history_.Sweep(now_ms);
    history_swept_ms_ = now_ms;
  }
  if (m.kind == ToControl::Kind::kRoomChange) {
    ApplyRoomChange(m.room_change);
    return;
  }
  if (m.kind == ToControl::Kind::kRoomHistory) {
    dialogue_history_.Answer(m.room_history);
    SendToShard(m.room_history->shard, ToShard::RoomHistory(m.room_history));
    return;
  }
  if (m.kind == ToControl::Kind::kHistoryQuery) {
    if (bridge_ && ClusterHistory(m.history)) return;  // answered when Redis replies
    history_.Answer(m.history, now_ms);
    SendToShard(m.history->shard, ToShard::History(m.history));
    return;
  }
  if (m.kind == ToControl::Kind::kClientEvent) {
    PublishClientEvent(m.client_event);
    return;
  }
  if (m.kind == ToControl::Kind::kHookCall) {
    HandleHookCall(m.hook);
    return;
  }
  api::HttpCall* call = m.request;
  if (api::DatonowTrigger::Matches(call->path)) {
    if (bridge_ && wal_ != nullptr) {
      StoreTrigger(call);  // a requestId is remembered cluster-wide (control_store_sync.cc)
      return;
    }
    api::TriggerResult r = datonow_trigger_.Handle(call, util::WallMs());
    datonow_api_refused_.Set(datonow_api_.rate_limiter()->refused());
    FinishTrigger(call, std::move(r));
    return;
  }
  if (api::DatonowSocketApi::Matches(call->path)) {
    engine::PublishRequest command;
    bool elsewhere = false;
    if (datonow_sockets_.Handle(call, util::WallMs(), &command, bridge_ ? &elsewhere : nullptr)) {
      if (elsewhere) {
        // Cluster mode, a socket this node does not hold: published (to the node that does)
        // when some node has it, else 404.
        datonow_api_refused_.Set(datonow_api_.rate_limiter()->refused());
        std::vector<std::string> channels = command.channels;
        CountEverywhere(command.app, std::move(channels),
                        [this, call, command = std::move(command)](std::vector<uint64_t> n) {
                          if (!n.empty() && n[0] > 0) {
                            Publish(command);
                          } else {
                            call->response.clear();
                            http::AppendJsonError(&call->response, 404,
                                                  "No such socket connected for this app",
                                                  call->keep_alive);
                          }
                          Answer(call);
                        });
        return;
      }
      Publish(command);
    }
    datonow_api_refused_.Set(datonow_api_.rate_limiter()->refused());
    Answer(call);
    return;
  }
  if (apps::mochat::MochatApi::Matches(call->path)) {  // before Datonow's "/api/"
    HandleMochat(call);
    return;
  }
  if (api::DatonowApi::Matches(call->path) || call->path == "/ws") {
    if (bridge_ && wal_ != nullptr) {
      StoreEnqueue(call);  // the store is shared through Redis (control_store_sync.cc)
      return;
    }
    const bool wrote = RunDatonow(call);
    FinishStored(call, wrote, datonow_api_.TakePublications());
    return;
  }
  if (impulse_push_.Matches(call->path)) {
    HandleImpulsePush(call);
    return;
  }
  if (apps::dontcode::RealtimeApi::Matches(call->path)) {
    HandleRealtime(call);
    return;
  }
  if (api::IsDialoguePath(call->path)) {
    HandleDialogueRest(call);
    return;
  }
  if (!api::PusherApi::Matches(call->path)) {
    call->response.clear();
    http::AppendJsonError(&call->response, 404, "Not found", call->keep_alive);
    Answer(call);
    return;
  }
  api::ApiResult result = pusher_api_.Handle(call, util::WallSeconds());
  if (result.cluster_query) {
    ClusterChannelQuery(call, std::move(*result.cluster_query));
    return;
  }
  // Cluster mode: the publishes and the termination go through Redis; the answer waits for its
  // replies (docs/cluster.md "What a 2xx means").
  const bool clustered = bridge_ && (!result.publications.empty() || result.terminate);
  if (clustered && !ClusterAccepts(call)) return;
  uint64_t first = 0;
  uint64_t last = 0;
  bool sent = true;
  bool room_held = false;  // a Dialogue room's publication waits for the store's commit
  for (const engine::PublishRequest& req : result.publications) {
    if (clustered) {
      sent = PublishToCluster(req, &first, &last) && sent;
    } else {
      room_held = Publish(req) || room_held;
    }
  }
  if (result.terminate) {
    // Every shard with a connection signed in as the user closes it (they are members of the
    // user's channel there); in cluster mode, on every node.
    std::string channel =
        std::string(protocols::pusher::wire::kServerToUserPrefix) + result.terminate->user_id;
    if (clustered) {
      cluster::EnvelopeView e;
      e.kind = cluster::kEnvelopeTerminate;
      e.origin = node_key_;
      e.app = apps_->app(result.terminate->app).id;
      e.channel = channel;
      const uint64_t ticket = bridge_->Publish(e);
      if (ticket == 0) {
        sent = false;
      } else {
        if (first == 0) first = ticket;
        last = ticket;
      }
    } else {
      TerminateLocal(result.terminate->app, channel);
    }
  }
  std::function<void()> then;
  if (!result.count) {
    // A publish to a Dialogue room keeping history is answered once its record is durable.
    const bool after_commit = room_held;
    then = [this, call, after_commit] {
      if (after_commit) {
        AnswerAfterCommit(call);
      } else {
        Answer(call);
      }
    };
  } else {
    // Counted behind the publishes above (the queries follow them in each shard's queue).
    then = [this, call, app = result.count->app, channels = std::move(result.count->channels),
            finish = std::move(result.count->finish)]() mutable {
      CountEverywhere(app, std::move(channels),
                      [this, call, finish = std::move(finish)](std::vector<uint64_t> counts) {
                        finish(counts);
                        Answer(call);
                      });
    };
  }
  if (clustered) {
    HoldForCluster(call, first, last, !sent, std::move(then));
  } else {
    then();
  }
}

void ControlPlane::HandleImpulsePush(api::HttpCall* call) {
  std::optional<engine::PublishRequest> req =
      impulse_push_.Handle(call->method, call->body, call->keep_alive, &call->response);
  if (!req) {
    Answer(call);
    return;
  }
  uint32_t app = req->app;
  std::vector<std::string> channels = req->channels;
  if (bridge_) {
    // Delivered on every node; answered after Redis' reply with this node's streams on the
    // channel as "sent" (other nodes' are not counted: docs/cluster.md).
    if (!ClusterAccepts(call)) return;
    uint64_t first = 0;
    uint64_t last = 0;
    const bool ok = PublishToCluster(*req, &first, &last);
    HoldForCluster(call, first, last, !ok, [this, call, app, channels]() mutable {
      CountEverywhere(app, std::move(channels), [this, call](std::vector<uint64_t> counts) {
        protocols::impulse::ImpulsePush::AnswerSent(&call->response, call->keep_alive,
                                                    counts.empty() ? 0 : counts[0]);
        Answer(call);
      });
    });
    return;
  }
  PublishLocal(*req);
  // The query follows the publication in each shard's queue, so each shard reports what that
  // publication was queued to (the broker's "sent": matching streams written to).
  CountSubscriptions(
      app, std::move(channels),
      [this, call](std::vector<uint64_t> counts) {
        protocols::impulse::ImpulsePush::AnswerSent(&call->response, call->keep_alive,
                                                    counts.empty() ? 0 : counts[0]);
        Answer(call);
      },
      /*deliveries=*/true);
}

void ControlPlane::RealtimeMembers(uint32_t app, const std::string& channel,
                                   std::function<void(MemberRows)> done) {
  uint64_t mask = occupancy_.Mask(app, apps::dontcode::wire::PresenceChannel(channel));
  if (mask == 0) {
    done({});
    return;
  }
  auto* q = new CountQuery();
  q->app = app;
  q->channels = {channel};
  q->counts.assign(shard_count_, 0);
  q->realtime_presence = true;
  q->participant_rows.resize(shard_count_);
  q->pending = static_cast<uint32_t>(std::popcount(mask));
  q->done = [q, done = std::move(done)](std::vector<uint64_t>) {
    MemberRows members;
    for (auto& rows : q->participant_rows) {
      for (auto& row : rows) members.push_back(std::move(row));
    }
    done(std::move(members));
  };
  while (mask != 0) {
    auto s = static_cast<uint32_t>(std::countr_zero(mask));
    mask &= mask - 1;
    SendToShard(s, ToShard::Count(q));
  }
}

void ControlPlane::HandleRealtime(api::HttpCall* call) {
  using apps::dontcode::RealtimeApi;
  RealtimeApi::Result r =
      realtime_api_.Handle(call, util::WallSeconds(), !config_->tls_cert.empty());
  if (r.kind == RealtimeApi::Result::Kind::kAnswered) {
    Answer(call);
    return;
  }
  if (r.kind == RealtimeApi::Result::Kind::kPresence) {
    // Every node's sockets in cluster mode (docs/protocols/dontcode.md).
    RealtimeMembersEverywhere(r.app, r.channel, [this, call](MemberRows members) {
      RealtimeApi::AnswerPresence(call, members);
      Answer(call);
    });
    return;
  }
  // A publish: {delivered: N}, the connections of every protocol it was written to.
  const uint32_t app = r.publish.app;
  std::vector<std::string> channels = r.publish.channels;
  if (bridge_) {
    // Delivered on every node; counted after Redis' reply as the channel's members on every
    // node (docs/protocols/dontcode.md, "Cluster mode").
    if (!ClusterAccepts(call)) return;
    uint64_t first = 0;
    uint64_t last = 0;
    const bool ok = PublishToCluster(r.publish, &first, &last);
    HoldForCluster(call, first, last, !ok, [this, call, app, channels]() mutable {
      CountEverywhere(app, std::move(channels), [this, call](std::vector<uint64_t> counts) {
        RealtimeApi::AnswerDelivered(call, counts.empty() ? 0 : counts[0]);
        Answer(call);
      });
    });
    return;
  }
  PublishLocal(r.publish);
  // The query follows the publication in each shard's queue: each shard reports what that
  // publication was queued to.
  CountSubscriptions(
      app, std::move(channels),
      [this, call](std::vector<uint64_t> counts) {
        RealtimeApi::AnswerDelivered(call, counts.empty() ? 0 : counts[0]);
        Answer(call);
      },
      /*deliveries=*/true);
}

void ControlPlane::HandleMochat(api::HttpCall* call) {
  uint32_t app = engine::AppRegistry::kNone;
  if (!call->claw_app.empty()) {
    app = apps_->IndexById(call->claw_app);
    if (app == engine::AppRegistry::kNone) {
      call->response.clear();
      http::AppendResponse(&call->response, 404, "application/json",
                           "{\"error\":{\"code\":\"NOT_FOUND\",\"message\":"
                           "\"No app with the X-Claw-App id\"}}",
                           call->keep_alive);
      Answer(call);
      return;
    }
  } else if (!call->claw_token.empty()) {
    app = mochat_.AppOfToken(call->claw_token);
  }
  if (app == engine::AppRegistry::kNone) app = 0;  // the first app (an unknown token: 401 there)
  if (call->path == "/api/claw/agents/selfRegister") {
    // Anonymous and bounded per app (MochatApi::kMaxAgentsPerApp): paced before any work.
    if (const int64_t retry_s = mochat_registrations_.Check(app, util::WallMs())) {
      call->response.clear();
      http::AppendResponse(&call->response, 429, "application/json",
                           "{\"error\":{\"code\":\"RATE_LIMITED\",\"message\":"
                           "\"Too many registrations: limits.mochat_registrations_per_minute\"}}",
                           call->keep_alive, "Retry-After: " + std::to_string(retry_s) + "\r\n");
      Answer(call);
      return;
    }
  }
  const bool wrote = mochat_.Handle(app, call->method, call->path, call->claw_token, call->body,
                                    call->keep_alive, util::WallMs(), &call->response);
  FinishStored(call, wrote, TakeMochatResults());
}

std::vector<engine::PublishRequest> ControlPlane::TakeMochatResults() {
  // A rotated-out token's sockets close now (their token is dead from this call on, durable or
  // not: closing them is safe either way); the notifications wait for the commit.
  for (const auto& [app, token_id] : mochat_.TakeRevokedTokens()) {
    engine::PublishRequest revoke;
    revoke.app = app;
    revoke.event = apps::mochat::kRevokeEvent;
    revoke.channels.push_back(apps::mochat::TokenChannel(token_id));
    PublishLocal(revoke);
  }
  std::vector<engine::PublishRequest> pubs;
  for (apps::mochat::Notification& n : mochat_.TakeNotifications()) {
    engine::PublishRequest& p = pubs.emplace_back();
    p.app = n.app;
    p.event = std::move(n.event);
    p.data = std::move(n.data_json);
    p.channels.push_back(apps::mochat::AgentChannel(n.agent_id));
  }
  return pubs;
}

void ControlPlane::HandleMochatCall(engine::HookCall* h) {
  namespace mochat = apps::mochat;
  const uint64_t key = mochat::SocketKey(h->shard, h->serial);
  if (h->hook == mochat::kClosedCall) {
    mochat_.SocketClosed(h->app, key);
    delete h;
    return;
  }
  if (h->hook == mochat::kConnectCall) {
    std::string agent;
    uint64_t token_id = 0;
    const uint32_t app = mochat_.AppOfToken(h->body, &agent, &token_id);  // one hash
    h->allowed = app != engine::AppRegistry::kNone;
    if (h->allowed) {
      h->app = app;
      h->answer_user_id = agent;
      h->claims = std::to_string(token_id);
    }
  } else if (h->hook == mochat::kEventCall) {
    h->message = mochat_.SocketEvent(h->app, key, h->user_id, h->event, h->data);
    h->allowed = !h->message.empty();
  }
  SendToShard(h->shard, ToShard::HookAnswer(h));
}

bool ControlPlane::Publish(const engine::PublishRequest& req) {
  if (bridge_ && bridge_->ready()) {
    // Member, count and Datonow events, and publications held for the group commit: delivered
    // from their echo; a channel Redis refused is delivered here alone.
    uint64_t first = 0;
    uint64_t last = 0;
    std::vector<std::string> refused;
    if (!PublishToCluster(req, &first, &last, &refused)) {
      engine::PublishRequest rest = req;
      rest.channels = std::move(refused);
      return PublishLocal(rest);
    }
    return false;
  }
  return PublishLocal(req);
}

uint64_t ControlPlane::NextStamp() {
  const auto now = static_cast<uint64_t>(util::WallUs());
  last_stamp_us_ = now > last_stamp_us_ ? now : last_stamp_us_ + 1;
  return last_stamp_us_;
}

bool ControlPlane::HoldRoomPublication(const engine::PublishRequest& req,
                                       const std::string& channel) {
  // A Dialogue room keeping history (api/dialogue_history.h): stamped and kept now, delivered
  // after the commit of its record, behind the room's earlier publications (held_pubs_ is one
  // queue), so that every event anyone received is in the history after a kill -9, and an
  // answer never holds what a member is still to receive live.
  engine::PublishRequest held;
  held.app = req.app;
  held.event = req.event;
  held.data = req.data;
  held.channels.push_back(channel);
  held.exclude_shard = req.exclude_shard;
  held.exclude_serial = req.exclude_serial;
  held.exclude_socket_id = req.exclude_socket_id;
  held.user_id = req.user_id;
  held.meta = req.meta;
  held.epoch = req.epoch;  // cluster mode: numbered by Redis
  held.seq = req.seq;
  held.stamp_us = NextStamp();
  const bool stored = dialogue_history_.Keep(req.app, channel, req.event, req.user_id, req.data,
                                             req.meta, held.stamp_us);
  if (stored || !held_pubs_.empty()) {
    held_pubs_.push_back(std::move(held));
    return true;
  }
  PublishLocal(held);  // nothing to wait for, and nothing of the room waits before it
  return false;
}

bool ControlPlane::PublishLocal(const engine::PublishRequest& req) {
  bool held = false;
  if (req.stamp_us == 0) {  // a held one was counted when it was held
    published_.Add(req.channels.size());
    app_published_[req.app].Add(req.channels.size());
  }
  uint64_t now_ms = util::MonotonicMs();
  for (const std::string& channel : req.channels) {
    // A held one is delivered now (below), also to nobody: answers may show it from here on.
    if (req.stamp_us != 0) dialogue_history_.Released(req.stamp_us);
    if (req.stamp_us == 0 && req.audience.empty() &&
        dialogue_history_.KeepsRoom(req.app, channel)) {
      held = HoldRoomPublication(req, channel) || held;
      continue;
    }
    if (engine::IsCacheChannel(channel) && req.event.substr(0, 16) != "pusher_internal:") {
      if (now_ms >= next_cache_sweep_ms_) {
        cache_.Sweep(now_ms);
        next_cache_sweep_ms_ = now_ms + 1000;
      }
      if (cache_.Store(req.app, channel, req.event, req.data,
                       now_ms + uint64_t{config_->limits.cache_ttl_s} * 1000)) {
        if (!cache_miss_sent_.empty()) cache_miss_sent_.erase(CacheMissKey(req.app, channel));
      }
      cache_entries_.Set(cache_.size());
      cache_refused_.Set(cache_.refused());
    }
    engine::Occupancy::Route route = occupancy_.Next(req.app, channel);
    // A channel with history is numbered and kept even while nobody subscribes (a client that
    // reconnects resumes from it). The Datonow sockets' routing channels keep none (the store
    // is their history). A publication with an audience is only for the formats that check
    // it: not kept.
    bool keep = req.seq == 0 && req.audience.empty() && !engine::IsRoutingChannel(channel) &&
                history_.PolicyFor(req.app, channel).size > 0;
    if (route.mask == 0 && !keep) continue;
    engine::PublicationView pub;
    pub.app = req.app;
    pub.channel = channel;
    pub.event = req.event;
    pub.data = req.data;
    pub.exclude_shard = req.exclude_shard;
    pub.exclude_serial = req.exclude_serial;
    pub.audience = req.audience;
    pub.user_id = req.user_id;
    pub.meta = req.meta;
    pub.stamp_us = req.stamp_us != 0 ? req.stamp_us : NextStamp();
    pub.sequence = route.sequence;
    if (req.seq != 0) {  // numbered (and kept) by Redis
      pub.sequence = req.seq;
      pub.epoch = req.epoch;
    }
    auto refs = static_cast<uint32_t>(std::popcount(route.mask));
    if (keep) {
      engine::History::Position pos = history_.Next(req.app, channel, now_ms);
      pub.sequence = pos.seq;
      pub.epoch = pos.epoch;
      ++refs;
    }
    runtime::SharedBuf* buf = engine::BuildPublication(pub, refs);
    if (keep) history_.Keep(req.app, channel, pub.sequence, buf, now_ms);
    if (route.mask != 0) SendPublication(buf, route.mask);
  }
  return held;
}

bool ControlPlane::PublishClientEvent(runtime::SharedBuf* buf) {
  const uint64_t now_ms = util::MonotonicMs();
  engine::PublicationView pub = engine::ReadPublication(buf);
  const bool routing = engine::IsRoutingChannel(pub.channel);  // no webhook, no history
  if (!routing && webhooks_.HasTargets(pub.app)) EmitClientEventWebhook(pub);
  const bool cluster = bridge_ && bridge_->ready();
  if (cluster || dialogue_history_.KeepsRoom(pub.app, pub.channel)) {
    // In cluster mode delivered from its echo, on every node (this one included); a room
    // keeping history delivers after its record's commit (PublishLocal).
    engine::PublishRequest req;
    req.app = pub.app;
    req.channels.emplace_back(pub.channel);
    req.event = std::string(pub.event);
    req.data = std::string(pub.data);
    req.user_id = std::string(pub.user_id);
    req.meta = std::string(pub.meta);
    req.exclude_shard = pub.exclude_shard;
    req.exclude_serial = pub.exclude_serial;
    buf->Release();
    uint64_t first = 0;
    uint64_t last = 0;
    if (!cluster || !PublishToCluster(req, &first, &last)) return PublishLocal(req);
    return false;
  }
  published_.Add();
  app_published_[pub.app].Add();
  engine::Occupancy::Route route = occupancy_.Next(pub.app, pub.channel);
  bool keep = !routing && history_.PolicyFor(pub.app, pub.channel).size > 0;
  if (route.mask == 0 && !keep) {
    buf->Release();
    return false;
  }
  auto shards = static_cast<uint32_t>(std::popcount(route.mask));
  // Ours alone until it is sent: stamp, then one reference per shard (and the history's).
  engine::SetStamp(buf, NextStamp());
  if (keep) {
    engine::History::Position pos = history_.Next(pub.app, pub.channel, now_ms);
    engine::SetSequence(buf, pos.seq);
    engine::SetEpoch(buf, pos.epoch);
    if (shards > 0) buf->AddRefs(shards);
    std::string channel(pub.channel);  // the view dies with the history's reference
    history_.Keep(pub.app, channel, pos.seq, buf, now_ms);
  } else {
    engine::SetSequence(buf, route.sequence);
    buf->AddRefs(shards - 1);
  }
  if (route.mask != 0) SendPublication(buf, route.mask);
  return false;
}

void ControlPlane::Answer(api::HttpCall* call) {
  SendToShard(call->shard, ToShard::Reply(call));
}

void ControlPlane::ApplyRoomSlot(engine::RoomSlot* slot) {
  // Bounded rooms' members over the shards, keyed "<app>/<room>" (engine/room_slot.h).
  std::string key = std::to_string(slot->app) + "/" + slot->room;
  auto it = room_slots_.find(key);
  if (!slot->join) {
    if (it != room_slots_.end() && --it->second == 0) room_slots_.erase(it);
    delete slot;
    return;
  }
  uint32_t count = it == room_slots_.end() ? 0 : it->second;
  slot->granted = count < slot->max;
  if (slot->granted) room_slots_[key] = count + 1;
  SendToShard(slot->shard, ToShard::Slot(slot));
}

void ControlPlane::ApplyRoomChange(engine::RoomChange* c) {
  const bool stored = dialogue_rooms_.Apply(c);
  if (!c->code.empty()) {  // refused: the asker alone hears it
    c->asker = true;
    SendToShard(c->shard, ToShard::RoomChange(c));
    return;
  }
  if (stored) {
    // Told (the asker's ack included) once its record is committed. A failed commit still
    // tells it: the room is this process's, and the store reports itself read-only.
    held_.push_back({nullptr, [this, c](bool) {
                       BroadcastRoomChange(*c);
                       delete c;
                     }});
    return;
  }
  BroadcastRoomChange(*c);
  delete c;
}

void ControlPlane::AnnounceStoredRooms() {
  // The rooms read back from the store, to every shard before it serves (no hooks: they were
  // told when the rooms were made).
  dialogue_rooms_.ForEachCreated(
      [this](const std::shared_ptr<const config::DialogueRoomConfig>& r) {
        for (uint32_t s = 0; s < shard_count_; ++s) {
          auto* c = new engine::RoomChange();
          c->op = engine::RoomChange::Op::kCreate;
          c->app = config_->dialogue.app;
          c->id = r->id;
          c->room = r;
          SendToShard(s, ToShard::RoomChange(c));
        }
      });
}

void ControlPlane::BroadcastRoomChange(const engine::RoomChange& c) {
  // The hook's userId: the client that asked, null for the backend (the REST API).
  std::string user = "null";
  if (!c.backend) {
    user.clear();
    util::AppendJsonString(&user, c.user_id);
  }
  if (c.op == engine::RoomChange::Op::kCreate && hooks_.Has("roomCreated")) {
    std::string body = "{\"room\":";
    protocols::socketio::AppendRoomInfo(&body, *c.room);
    body += ",\"userId\":" + user + "}";
    NotifyHook("roomCreated", body);
  } else if (c.op == engine::RoomChange::Op::kDelete && hooks_.Has("roomDeleted")) {
    std::string body = "{\"roomId\":";
    util::AppendJsonString(&body, c.id);
    body += ",\"userId\":" + user + "}";
    NotifyHook("roomDeleted", body);
  }
  // Every shard applies it to its room map and tells its sockets (dialogue_shared.h).
  for (uint32_t s = 0; s < shard_count_; ++s) {
    auto* copy = new engine::RoomChange(c);
    copy->asker = !c.backend && s == c.shard;
    SendToShard(s, ToShard::RoomChange(copy));
  }
}

void ControlPlane::RouteEioCall(api::HttpCall* call) {
  // An Engine.IO poll or post goes to the shard holding its session (server/eio_polls.h).
  if (call->eio_shard < shard_count_) {
    SendToShard(call->eio_shard, ToShard::EioCall(call));
    return;
  }
  call->response.clear();
  protocols::socketio::AppendEioErrorResponse(
      &call->response, protocols::socketio::EioError::kSessionIdUnknown, call->keep_alive);
  Answer(call);
}

void ControlPlane::AnswerReadOnly(api::HttpCall* call) {
  call->response.clear();
  http::AppendJsonError(&call->response, 503,
                        "The store is read-only after a failed write or sync; nothing was "
                        "saved (restart the server)",
                        call->keep_alive);
}

void ControlPlane::AnswerAfterCommit(api::HttpCall* call) {
  if (wal_ == nullptr) {
    Answer(call);
    return;
  }
  held_.push_back({call, nullptr});
}

int ControlPlane::CommitTurn() {
  if (wal_ == nullptr || commit_.active) return -1;
  if (!wal_->has_pending() && held_.empty() && held_pubs_.empty()) return -1;
  const uint64_t now = util::MonotonicMs();
  if (shutdown_sent_ || wal_->NeedsCompaction()) {
    // Synchronously: at shutdown, so that nothing is left in flight; before a compaction,
    // which needs everything written and synced (it is rare: the log past twice the live data).
    const store::TurnResult r =
        wal_->Commit() ? store::TurnResult::kDurable : store::TurnResult::kFailed;
    ReleaseHeld(r, held_.size(), held_pubs_.size());
    if (r == store::TurnResult::kDurable && wal_->NeedsCompaction() && !wal_->Compact()) {
      RC_WARN("store: compaction failed; the log keeps growing until it succeeds");
    }
    return -1;
  }
  store::TurnIo io;
  switch (wal_->BeginTurn(now, &io)) {
    case store::TurnStart::kDurable:
      ReleaseHeld(store::TurnResult::kDurable, held_.size(), held_pubs_.size());
      return -1;
    case store::TurnStart::kFailed:
      ReleaseHeld(store::TurnResult::kFailed, held_.size(), held_pubs_.size());
      return -1;
    case store::TurnStart::kWaiting: {
      const uint64_t due = wal_->sync_due_ms();
      return due > now ? static_cast<int>(due - now) : 0;
    }
    case store::TurnStart::kStarted:
      break;
  }
  // One write of everything queued, then (on its completion) one fdatasync, both through the
  // ring: the thread goes on with requests meanwhile, and their records wait for the next turn.
  commit_.active = true;
  commit_.fd = io.fd;
  commit_.sync = io.sync;
  commit_.answers = held_.size();
  commit_.pubs = held_pubs_.size();
  commit_.start_ns = util::MonotonicNs();
  io_uring_sqe* sqe = ring_.Sqe();
  if (io.size > 0) {
    io_uring_prep_write(sqe, io.fd, io.data, static_cast<unsigned>(io.size), io.offset);
    io_uring_sqe_set_data64(sqe, kCommitWriteUserData);
  } else {
    io_uring_prep_fsync(sqe, io.fd, IORING_FSYNC_DATASYNC);
    io_uring_sqe_set_data64(sqe, kCommitSyncUserData);
  }
  return -1;
}

void ControlPlane::OnCommitCompletion(const io_uring_cqe& cqe) {
  const uint64_t now_ns = util::MonotonicNs();
  const uint64_t took_ns = now_ns - commit_.start_ns;
  if (cqe.user_data == kCommitWriteUserData) {
    if (!wal_->WriteDone(cqe.res, took_ns)) {
      commit_.active = false;
      ReleaseHeld(store::TurnResult::kFailed, commit_.answers, commit_.pubs);
      return;
    }
    if (commit_.sync) {
      commit_.start_ns = now_ns;
      io_uring_sqe* sqe = ring_.Sqe();
      io_uring_prep_fsync(sqe, commit_.fd, IORING_FSYNC_DATASYNC);
      io_uring_sqe_set_data64(sqe, kCommitSyncUserData);
      ring_.Submit();  // now, not after the requests this turn handles: they wait on it
      return;
    }
  } else if (!wal_->SyncDone(cqe.res, took_ns)) {
    commit_.active = false;
    ReleaseHeld(store::TurnResult::kFailed, commit_.answers, commit_.pubs);
    return;
  }
  commit_.active = false;
  ReleaseHeld(wal_->EndTurn(util::MonotonicMs()), commit_.answers, commit_.pubs);
}

void ControlPlane::ReleaseHeld(store::TurnResult r, size_t answers, size_t pubs) {
  if (r == store::TurnResult::kWaiting) return;  // the next turn's sync releases them
  // Durable now: the token sockets and a requestId trigger's channels get what the answers
  // below acknowledge.
  // A Dialogue room's events (stamped) are delivered even when their record failed: the
  // trigger was accepted, and the store's failure is reported on its own (read-only, 503s).
  for (size_t i = 0; i < pubs; ++i) {
    if (held_pubs_[i].stamp_us != 0) {
      PublishLocal(held_pubs_[i]);
    } else if (r == store::TurnResult::kDurable) {
      Publish(held_pubs_[i]);
    }
  }
  held_pubs_.erase(held_pubs_.begin(), held_pubs_.begin() + static_cast<ptrdiff_t>(pubs));
  for (size_t i = 0; i < answers; ++i) {
    api::HttpCall* call = held_[i].call;
    if (held_[i].release) {
      // Moved out first: the release may hold answers again (appended to held_).
      std::function<void(bool)> release = std::move(held_[i].release);
      release(r == store::TurnResult::kDurable);
      continue;
    }
    if (r == store::TurnResult::kFailed) AnswerReadOnly(call);
    Answer(call);
  }
  held_.erase(held_.begin(), held_.begin() + static_cast<ptrdiff_t>(answers));
}

void ControlPlane::CountSubscriptions(uint32_t app, std::vector<std::string> channels,
                                      std::function<void(std::vector<uint64_t>)> done,
                                      bool deliveries) {
  uint64_t mask = 0;
  for (const std::string& c : channels) mask |= occupancy_.Mask(app, c);
  if (mask == 0) {
    done(std::vector<uint64_t>(channels.size(), 0));
    return;
  }
  auto* q = new CountQuery();
  q->app = app;
  q->counts.assign(shard_count_ * channels.size(), 0);
  q->channels = std::move(channels);
  q->pending = static_cast<uint32_t>(std::popcount(mask));
  q->deliveries = deliveries;
  q->done = std::move(done);
  while (mask != 0) {
    auto shard = static_cast<uint32_t>(std::countr_zero(mask));
    mask &= mask - 1;
    SendToShard(shard, ToShard::Count(q));
  }
}

void ControlPlane::OnCountReply(CountQuery* q) {
  if (--q->pending > 0) return;
  size_t n = q->channels.size();
  std::vector<uint64_t> totals(n, 0);
  for (size_t s = 0; s < shard_count_; ++s) {
    for (size_t i = 0; i < n; ++i) totals[i] += q->counts[s * n + i];
  }
  auto done = std::move(q->done);
  done(std::move(totals));  // before the query goes: a participants query reads its rows
  delete q;
}

void ControlPlane::SendPublication(runtime::SharedBuf* buf, uint64_t mask) {
  while (mask != 0) {
    auto shard = static_cast<uint32_t>(std::countr_zero(mask));
    mask &= mask - 1;
    SendToShard(shard, ToShard::Publish(buf));
  }
}

void ControlPlane::SendToShard(uint32_t shard, const ToShard& m) {
  shard_dirty_[shard] = true;
  if (stalled_[shard].empty() && mesh_->to_shard[shard]->TryPush(m)) return;
  stalled_[shard].push_back(m);
  ++stalled_total_;
  stalled_spills_.Add();
  stalled_now_.Set(stalled_total_);
  stalled_peak_.Max(stalled_total_);
}

bool ControlPlane::FlushStalled() {
  if (stalled_total_ == 0) return true;
  bool clear = true;
  for (uint32_t s = 0; s < shard_count_; ++s) {
    auto& q = stalled_[s];
    while (!q.empty() && mesh_->to_shard[s]->TryPush(q.front())) {
      q.pop_front();
      --stalled_total_;
      shard_dirty_[s] = true;
    }
    if (!q.empty()) clear = false;
  }
  stalled_now_.Set(stalled_total_);
  return clear;
}

void ControlPlane::WakeShards() {
  for (uint32_t s = 0; s < shard_count_; ++s) {
    if (!shard_dirty_[s]) continue;
    shard_dirty_[s] = false;
    mesh_->shard_wakers[s]->WakeIfSleeping();
  }
}

}  // namespace ringcast::server
