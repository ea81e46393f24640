// ControlPlane: the one thread that owns REST handling, signature checks and the map of which
// shards have subscribers on which channel (ARCHITECTURE.md "Control plane").
//
// Each turn it drains every shard's queue. Occupancy notes and presence joins/leaves are applied
// at once; REST requests
// and client events are handled only after one more pass over all queues, so a note that a
// shard pushed before a client could have seen its subscription confirmed is always applied
// before any request that this client could have caused (causality through the network crosses
// shards). Shards push such a note into the queue before confirming (server/control_outbox.h),
// so it never waits in a shard's backlog.
// A request is decided by api::PusherApi, which returns the events to publish; each (event,
// channel) is numbered by the channel's sequence counter (engine/occupancy.h), built once into a
// protocol-neutral publication (engine/publication.h) and handed, as one counted reference per
// shard, only to the shards whose bit is set for that channel; shards encode it per wire format.
// Presence (engine/presence_table.h) lives here, exact over all shards: a join records the
// member, publishes member_added to the channel (first connection of the user only; the joiner
// is held on its shard until its answer arrives, so it never sees it) and answers the joiner's
// shard with the member list, through the same queue as the member events that follow it: a
// joiner's list and the events after it are consistent. A leave publishes member_removed after
// the user's last connection. Member events are publications like any other (one hop per shard).
// Cache channels (engine/channel_cache.h): every REST publish to one is kept (last event, TTL
// cache_ttl_s); a cache-channel join is answered like a presence join, with the last event or a
// miss, and the joiner is held until then, so it gets the cached event right after
// subscription_succeeded and every later event after that, none twice.
// Messages for a shard whose queue is full wait in that shard's `stalled_` list, in order. When
// kMaxStalled messages wait in all, the control plane takes no new requests: it stops popping
// the shards' queues (back-pressure reaches them, and from there REST clients get 503s and
// client events are dropped) and stops handling the requests it already holds, so `stalled_`
// stays below kMaxStalled plus one request's publishes per shard. Every spill is counted
// (stats()).
// Sign-ins are presence-like notes on the user's "#server-to-user-<id>" channel: the control
// plane keeps who is online and who watches whom (engine/watchlist_table.h), answers a sign-in
// with its watched users' state, and at the end of each turn sends the watchlist changes of at
// most kWatchlistPerTurn connections, one batch per shard (a popular user's watchers are told
// over several turns, without holding up requests).
// Webhooks (webhooks/dispatcher.h) run on this thread's ring: occupancy changes become
// channel_occupied/channel_vacated (vacated only when no shard has subscribers left), relayed
// client events become client_event; webhooks() is the API for further kinds (member_added,
// member_removed, cache_miss, subscription_count).
// Subscription counts (engine/subscription_counts.h), for apps that enable them: the shards
// report changed channel counts (and a vacated note means 0 there); each turn the counts the
// throttle says are due are published to their channel as pusher_internal:subscription_count
// (one publication per channel, the normal path) and sent as subscription_count webhooks.
// Cluster mode (docs/cluster.md; control_cluster.cc), when EnableCluster was called: the control
// plane owns a cluster::Bridge on its ring. Publications leave through Redis and are delivered
// from what arrives there (this node's own echo included); the node subscribes to a channel
// while one of its shards has members; a REST publish is answered after Redis replied (503 when
// the bridge is not ready or a reply failed); a Pusher join is answered once this node's
// subscription to the channel is confirmed (or at once while Redis is down).
// Thread rules: Start/Join/RequestShutdown from the main thread (RequestShutdown from any);
// stats() and webhook_stats() from any thread; everything else on the control-plane thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/datonow_api.h"
#include "api/datonow_socket_api.h"
#include "api/datonow_trigger.h"
#include "api/dialogue_history.h"
#include "api/dialogue_rooms.h"
#include "api/pusher_api.h"
#include "apps/dontcode/realtime_api.h"
#include "apps/mochat/mochat_api.h"
#include "cluster/bridge.h"
#include "config/config.h"
#include "engine/app_registry.h"
#include "engine/channel_cache.h"
#include "engine/history.h"
#include "engine/occupancy.h"
#include "engine/presence_table.h"
#include "engine/publication.h"
#include "engine/socket_id.h"
#include "engine/subscription_counts.h"
#include "engine/watchlist_table.h"
#include "metrics/readiness.h"
#include "protocols/impulse/impulse_push.h"
#include "runtime/ring.h"
#include "runtime/shared_buf.h"
#include "server/mesh.h"
#include "server/queue_stats.h"
#include "util/string_map.h"
#include "webhooks/dispatcher.h"
#include "webhooks/hook_client.h"

namespace ringcast::store {
class Wal;
struct RecordedChange;
enum class TurnResult;
}  // namespace ringcast::store

namespace ringcast::server {

class ControlPlane {
 public:
  // Messages waiting for full shard queues before the control plane stops taking requests.
  static constexpr size_t kMaxStalled = 65536;
  // Connections told about watchlist changes per turn.
  static constexpr size_t kWatchlistPerTurn = 4096;
  // Subscription counts published per turn at most (the rest stay due for the next turns).
  static constexpr size_t kMaxCountsPerTurn = 1024;

  // `wal` (may be null: no durable features) is the store, used on the control-plane thread
  // only; it must outlive the control plane.
  ControlPlane(const config::ServerConfig* config, const engine::AppRegistry* apps,
               const engine::SocketIdCodec* ids, Mesh* mesh, store::Wal* wal = nullptr);
  ~ControlPlane();

  // Main thread, before Start: the process's /ws per-IP limiter (owned by the Server), which
  // token sockets are checked against on this thread, before their lastSeenAt is written.
  void SetWsLimiter(api::IpConnectionLimiter* limiter) {
    datonow_api_.SetWsLimiter(limiter, &config_->limits);
  }
  // Main thread, before Start: cluster mode on the Redis `options` name (docs/cluster.md).
  void EnableCluster(cluster::BridgeOptions options);
  // The `redis` readiness check (ready while the bridge is); null in single-node mode.
  const metrics::ReadinessCheck* cluster_readiness() const {
    return bridge_ ? &cluster_ready_ : nullptr;
  }
  void Start();
  void Join();
  // Any thread: asks every shard to close its clients and stop; Run ends when all have.
  void RequestShutdown();

  // Any thread.
  ControlStats stats() const;
  // Any thread: messages published (one per event and channel), REST and client events.
  uint64_t published() const { return published_.Get(); }
  webhooks::WebhookStats webhook_stats() const { return webhooks_.stats(); }

  // Control-plane thread: where events for webhooks go (Emit).
  webhooks::Dispatcher& webhooks() { return webhooks_; }
  // Any thread: per app, messages published and channels with a subscriber on some shard.
  uint64_t app_published(uint32_t app) const { return app_published_[app].Get(); }
  uint64_t app_channels(uint32_t app) const { return app_channels_[app].Get(); }

 private:
  void Run();
  // Pops every shard queue once: applies notes, appends requests and client events to `out`.
  void DrainPass(std::deque<ToControl>* out);
  void HandleRequest(const ToControl& m);
  void EmitClientEventWebhook(const engine::PublicationView& pub);
  // member_added / member_removed (the webhook queue delays and cancels member_removed).
  void EmitMemberWebhook(uint32_t app, webhooks::EventKind kind, std::string_view channel,
                         std::string_view user_id);
  // cache_miss, de-duplicated per channel (cache_miss_sent_).
  void EmitCacheMissWebhook(uint32_t app, std::string_view channel);
  static std::string CacheMissKey(uint32_t app, std::string_view channel);
  void ApplyNote(uint32_t shard, ChannelNote* note);  // frees the note
  void ApplySubscriptionCounts(uint32_t shard, engine::SubscriptionCountReport* report);  // frees
  void EmitSubscriptionCounts();
  // A presence join (answered: the note goes back to its shard) or leave (freed here).
  void ApplyPresence(engine::PresenceNote* note);
  // Sends a join's (or sign-in's) answer to its shard; see control_cluster.cc.
  void AnswerJoin(engine::PresenceNote* note);
  // A sign-in (answered) or a signed-in connection's leave (freed here).
  void ApplySignin(engine::PresenceNote* note);
  void ApplySigninState(engine::PresenceNote* note);  // ApplySignin less the metrics
  // Sends this turn's share of watchlist changes to the shards.
  void FlushWatchlist();
  // Delivers `req`: in cluster mode through Redis while it is ready (each channel's echo is
  // delivered by DeliverArrival), else to this node's shards (PublishLocal). True when a share
  // of it waits for the store's commit (PublishLocal).
  bool Publish(const engine::PublishRequest& req);
  // Delivers `req` to this node's shards; a Dialogue room keeping history holds its share for
  // the store's commit (HoldRoomPublication): then true (an answer to it waits for the commit).
  bool PublishLocal(const engine::PublishRequest& req);
  // `req`'s publication on `channel`, a room keeping history: stamped, kept, and queued in
  // held_pubs_ (true), or delivered now when nothing needs to wait (false).
  bool HoldRoomPublication(const engine::PublishRequest& req, const std::string& channel);
  // The next publication stamp (engine/publication.h: wall-clock us, strictly increasing).
  uint64_t NextStamp();
  // ---- cluster mode (control_cluster.cc) ----
  // Once per turn: the bridge's I/O, then confirmations, publish outcomes and arrivals.
  void ClusterTurn();
  void DeliverArrival(const std::string& bytes);
  // An envelope's excluded socket id, when this node issued it: its shard and serial (else the
  // outputs are left as they are: nobody excluded).
  void LocalExclude(std::string_view socket_id, uint32_t* shard, uint64_t* serial) const;
  // The socket id a publication excludes ("" for none), and its envelope for one channel (views
  // of req, channel and exclude).
  std::string ClusterExclude(const engine::PublishRequest& req) const;
  cluster::EnvelopeView ClusterEnvelopeView(const engine::PublishRequest& req,
                                            std::string_view channel,
                                            std::string_view exclude) const;
  // That envelope encoded; false when a field is over its length.
  bool ClusterEnvelope(const engine::PublishRequest& req, const std::string& channel,
                       std::string* out) const;
  // The channel is published as a plain envelope (not a cache channel, no history: those go
  // through their scripts).
  bool ClusterPlain(const engine::PublishRequest& req, const std::string& channel);
  // Sends every (event, channel) of `req` to Redis; false when one was refused (the rest may
  // have gone; those refused are appended to *refused when given). *first / *last: the tickets
  // of the first and last command sent (*first stays 0 when none was).
  bool PublishToCluster(const engine::PublishRequest& req, uint64_t* first, uint64_t* last,
                        std::vector<std::string>* refused = nullptr);
  // For a REST call whose publications go to the cluster: false (and a 503 answered) when the
  // bridge cannot take them now.
  bool ClusterAccepts(api::HttpCall* call);
  // Holds `call` until the Redis replies of tickets [first, last] are in; then `then` runs
  // (ok) or the call is answered 503.
  // `otherwise`, when set, runs instead of the 503.
  void HoldForCluster(api::HttpCall* call, uint64_t first, uint64_t last, bool failed,
                      std::function<void()> then, std::function<void()> otherwise = nullptr);
  // A join's answer (presence, cache, plain Pusher or sign-in): held until this node's
  // subscription to its channel is confirmed; false (answer now) when it is, or while Redis is
  // not ready.
  bool HoldJoinForCluster(engine::PresenceNote* note);
  void ReleaseHeldJoins(std::vector<engine::PresenceNote*>* joins);
  // Presence over all nodes (cluster/scripts.h): false when the script could not be sent (the
  // caller goes on with the node-local table). A join's note is answered when the reply comes.
  bool ClusterPresenceJoin(engine::PresenceNote* note);
  bool ClusterPresenceLeave(const engine::PresenceNote& note);
  // Watchlists over all nodes (docs/cluster.md "Watchlists"): the user's first (`online`) or
  // last connection on this node, told to Redis (flips come back on P rpc).
  void ClusterWatch(uint32_t app, std::string_view user_id, bool online);
  // The cluster-wide state of `ids` applied to the watchlist table (versioned), then `done`
  // (also when Redis could not be asked, or failed). At most kWatchQueryBatch ids per call.
  void ClusterWatchQuery(uint32_t app, std::vector<std::string> ids, std::function<void()> done);
  // After a resync: every watched user not signed in here asked again (flips were missed).
  void ClusterWatchRequery();
  // A resume query answered from the history in Redis; false (answer it here) when Redis is
  // not ready.
  bool ClusterHistory(engine::HistoryQuery* q);
  // A cache-channel join's lookup in Redis (cache_miss webhook once cluster-wide); the note goes
  // back through ApplyPresence with the answer. False: not sent (look up here).
  bool ClusterCacheLookup(engine::PresenceNote* note);
  // A REST channel query answered from the cluster's state in Redis (503 when it is down).
  void ClusterChannelQuery(api::HttpCall* call, api::ApiResult::ClusterQuery q);
  // Subscriber counts of `channels` over every node (a count request to all nodes through Redis,
  // each answers its shards' counts; done after every node that received it answered, or after
  // kCountDeadlineMs with what came). Single-node mode or Redis down: this node's counts.
  void CountEverywhere(uint32_t app, std::vector<std::string> channels,
                       std::function<void(std::vector<uint64_t>)> done);
  void OnCountRequest(const cluster::EnvelopeView& e, uint32_t app);
  void OnCountReply(const cluster::EnvelopeView& e);
  void FinishCount(uint64_t id, bool force);
  // The members of a DontCode realtime channel, (socket id, identity) rows: this node's shards
  // (RealtimeMembers), or every node's (RealtimeMembersEverywhere: a presence request to all
  // nodes, answered like a count request; single-node mode or Redis down: this node's).
  using MemberRows = std::vector<std::pair<std::string, std::string>>;
  void RealtimeMembers(uint32_t app, const std::string& channel,
                       std::function<void(MemberRows)> done);
  void RealtimeMembersEverywhere(uint32_t app, const std::string& channel,
                                 std::function<void(MemberRows)> done);
  void OnPresenceRequest(const cluster::EnvelopeView& e, uint32_t app);
  void OnPresenceReply(const cluster::EnvelopeView& e);
  // A request envelope of `kind` (`channel`, id `id`) published to every node; the publish's
  // ticket, 0 when it could not be sent.
  uint64_t AskEveryNode(uint8_t kind, uint32_t app, std::string_view channel, uint64_t id);
  // Who asked a request of every node (copied out of its envelope: the answer comes later).
  struct NodeAsker {
    std::string origin;  // its node key
    std::string app;     // the app's id
    std::string id;      // the request's id
    static NodeAsker Of(const cluster::EnvelopeView& e) {
      return {std::string(e.origin), std::string(e.app), std::string(e.event)};
    }
  };
  // The reply of `kind` with `data` to the node that asked (its node channel).
  void ReplyToNode(uint8_t kind, const NodeAsker& asker, std::string_view data);
  // A request sent to every node (`ticket`: its publish): the publish's reply says how many
  // nodes got it, and FinishCount runs once that many answered.
  void AwaitNodes(uint64_t ticket, uint64_t id);
  // This node's occupancy of (app, channel) changed: recorded in Redis, and channel_occupied /
  // channel_vacated sent once cluster-wide (vacated after the delay, by whichever node's
  // heartbeat finds it due).
  void ClusterOccupancy(uint32_t app, const std::string& channel, bool occupied);
  // After a (re)connect: this node's channels and presence members written to Redis again.
  void ClusterResync();
  // At shutdown, once every shard is done: this node's presence members and channels removed
  // from Redis at once (the resync of an empty node, then its heartbeat entry), instead of
  // after the node timeout. True when that is done, or cannot be (Redis down, 1 s passed).
  bool ClusterGoodbyeDone();
  // Every heartbeat interval: this node's heartbeat, and the removal of dead nodes' members.
  void ClusterHeartbeat(uint64_t now_ms);
  // Runs a script (EVALSHA, `args` = {numkeys, keys..., args...}); `done` runs with its reply
  // (or with ok false when the connection was lost).
  bool ClusterCall(size_t script, const std::vector<std::string_view>& args,
                   std::function<void(cluster::CallReply&)> done);
  // ---- The Datonow store across nodes (control_store_sync.cc; docs/cluster.md, "The Datonow
  // store") ----
  // A Datonow REST call or token-socket check: run, its publications held and answered once
  // durable (single node; a cluster node with Redis away, writes refused).
  bool RunDatonow(api::HttpCall* call);
  // A store-backed REST call (Datonow, MoChat) handled: its publications held for the commit;
  // answered after it when it wrote (or read while a write is not yet durable), else now.
  void FinishStored(api::HttpCall* call, bool wrote, std::vector<engine::PublishRequest> pubs);
  // POST /api/trigger's result: without a requestId published now (cluster mode: through Redis,
  // answered after its replies, 503 when it is down); a first requestId's publications go
  // after the record's commit (single node: once durable, never when the commit fails; cluster
  // mode: those the commit script did not publish itself); a repeat answered once durable.
  void FinishTrigger(api::HttpCall* call, api::TriggerResult r);
  // Cluster mode: queued (503 past kStoreQueueMax), run one at a time against the replica once
  // synced with Redis, and a call that changed it committed there before it is answered.
  void StoreEnqueue(api::HttpCall* call);
  // POST /api/trigger: run at once when it leaves the store alone (no requestId, a replay, an
  // error); a first requestId is taken back and queued.
  void StoreTrigger(api::HttpCall* call);
  void StorePump();
  // Another node committed up to `version` (envelope kind 6): a sync when nothing runs.
  void StoreNotified(uint64_t version);
  void StoreRunOffline(api::HttpCall* call);
  // One call run against the replica: what it wrote, and what to do once that is committed.
  struct StoreRan {
    api::HttpCall* call = nullptr;
    bool wrote = false;
    std::optional<api::TriggerResult> trigger;  // POST /api/trigger
    std::vector<engine::PublishRequest> pubs;   // DatonowApi's (notifications, token deletions)
  };
  StoreRan RunStoreCall(api::HttpCall* call);
  void StoreFinish(StoreRan ran);
  // The batch's calls, at the queue's front, answered (or, `refuse`, answered 503).
  void StoreEndBatch(bool refuse);
  // DatonowApi's and DatonowTrigger's indexes rebuilt from the replica.
  void StoreReindex();
  void StoreSendSync();
  void StoreOnSync(cluster::CallReply& r);
  void StoreScan(const std::string& cursor);
  void StoreSeed();
  bool StoreSendCommit();
  void StoreOnCommit(cluster::CallReply& r);
  // Recorded changes taken back, newest first (the replica as before them).
  void TakeBack(const std::vector<store::RecordedChange>& changes);
  // store_.changes taken back and cleared, and the API and trigger indexes rebuilt.
  void StoreUndo();
  // The calls the last sync covered, answered from the replica as while Redis is away.
  void StoreCoveredOffline();
  // Applies a StoreOps batch from Redis to the replica; false when it is not one.
  bool StoreApply(std::string_view batch);
  // The replica's keys (docs/store.md's Datonow prefixes, trigger request ids included).
  static bool StoreReplicated(std::string_view key);
  std::vector<std::string_view> StoreKeys() const;
  // Closes this node's connections on `channel` (a user's "#server-to-user-" channel).
  void TerminateLocal(uint32_t app, const std::string& channel);
  static void AnswerUnavailable(api::HttpCall* call);
  // The 503 of a failed group commit (the store is read-only until a restart).
  static void AnswerReadOnly(api::HttpCall* call);
  // `deliveries`: count what the publication just sent to each shard was queued to instead
  // (CountQuery::deliveries; one channel).
  void CountSubscriptions(uint32_t app, std::vector<std::string> channels,
                          std::function<void(std::vector<uint64_t>)> done, bool deliveries = false);
  // POST {impulse.prefix}: publish, then answer {"sent": N} once every shard has counted.
  void HandleImpulsePush(api::HttpCall* call);
  // /realtime/... (apps/dontcode/realtime_api.h): a token is answered at once; a publish once
  // every shard counted what it was written to (cluster mode: the channel's members on every
  // node); a presence list once every shard listed its realtime sockets on the channel.
  void HandleRealtime(api::HttpCall* call);
  // /api/claw/... (MoChat, apps/mochat/mochat_api.h): a revoked token's sockets are closed at
  // once, the notifications published after the commit, a write (or a read while one is not
  // durable) answered after it. The app: X-Claw-App, else the token's, else the first.
  void HandleMochat(api::HttpCall* call);
  // A MoChat socket's call (engine::HookCall kind kApp; apps/mochat/mochat_socket.h).
  void HandleMochatCall(engine::HookCall* h);
  // Publishes what the MoChat calls produced: revocations now, notifications held for the
  // commit (FinishStored's held_pubs_).
  std::vector<engine::PublishRequest> TakeMochatResults();
  void OnCountReply(CountQuery* query);
  void Answer(api::HttpCall* call);
  // For a handler that changed the store: the answer goes out after this turn's group commit
  // (or becomes a 503 if the commit fails).
  void AnswerAfterCommit(api::HttpCall* call);
  // Group commit (docs/store.md): one write and one fdatasync for the turn's mutations through
  // the ring, then the held answers (OnCommitCompletion). Returns the ms until an interval sync
  // is due (-1: nothing waits, or a commit is in flight: its completion wakes the loop).
  int CommitTurn();
  void OnCommitCompletion(const io_uring_cqe& cqe);
  // The end of a commit: publishes the first `pubs` held publications and answers the first
  // `answers` held calls (503s when `r` is kFailed); kWaiting releases nothing.
  void ReleaseHeld(store::TurnResult r, size_t answers, size_t pubs);
  void SendToShard(uint32_t shard, const ToShard& m);
  // An Engine.IO long-polling call: to the shard holding its session, or 400 (unknown sid).
  void RouteEioCall(api::HttpCall* call);
  // A bounded room's slot asked for (answered to its shard) or given back.
  void ApplyRoomSlot(engine::RoomSlot* slot);
  // A createRoom / deleteRoom (engine/room_change.h): decided, then sent to every shard (after
  // the commit of its store record).
  void ApplyRoomChange(engine::RoomChange* c);
  // The created rooms read back from the store, sent to every shard (Start, before the shards
  // start).
  void AnnounceStoredRooms();
  // A decided room change: a copy to every shard (each applies it and tells its sockets), and
  // the roomCreated / roomDeleted hook.
  void BroadcastRoomChange(const engine::RoomChange& c);
  // Dialogue's REST API (control_dialogue.cc; docs/protocols/dialogue.md "REST API").
  void HandleDialogueRest(api::HttpCall* call);
  void DialogueRestTrigger(api::HttpCall* call, const std::string& room_id);
  void DialogueRestRoomChange(api::HttpCall* call, engine::RoomChange* c);
  // POST /dialogue/{clients|users}/{id}/events: the event to one socket or a user's sockets.
  void DialogueRestDirect(api::HttpCall* call, bool by_user, const std::string& id);
  // A REST body {event (or name), data}: false (the call answered with the refusal) when bad.
  // `meta` (may be null: not read): the body's optional "meta" object, minified.
  bool ReadDialogueEvent(api::HttpCall* call, std::string* event, std::string* data,
                         std::string* meta = nullptr);
  // A client event (one reference, built by a shard or here): numbered, kept and routed to the
  // shards with members (the kClientEvent path). True when it waits for the store's commit (a
  // Dialogue room keeping history).
  bool PublishClientEvent(runtime::SharedBuf* buf);
  // ---- Dialogue's hooks (control_hooks.cc; docs/protocols/dialogue.md "Hooks") ----
  // A shard's hook call: a notification sent (and freed), or a call asked of the backend whose
  // decision goes back to the socket (a trigger's publication made first).
  void HandleHookCall(engine::HookCall* h);
  // A Dialogue client trigger of `user_id` within dialogue.user_events_per_second over the node
  // (one-second windows); counts it when it is.
  bool UserMayTrigger(std::string_view user_id);
  // The hook answers that came in (from completions), applied at the top of the turn.
  void RunHookAnswers();
  // `h`'s decision from the backend's answer `r` (the failure policy applied when unusable).
  void DecideHookCall(engine::HookCall* h, const webhooks::HookResponse& r);
  // A trigger past beforeEach: published, afterEach told, the socket answered.
  void PublishHookedTrigger(engine::HookCall* h);
  // A lifecycle or afterEach notification, when that hook is on. `order_key`: the socket's
  // (its calls are made in order, one at a time), 0 for none.
  void NotifyHook(std::string_view hook, std::string_view body, uint64_t order_key = 0);
  // Hands `buf` (holding one reference per set bit) to every shard in `mask`.
  void SendPublication(runtime::SharedBuf* buf, uint64_t mask);
  bool FlushStalled();
  void WakeShards();
  bool QueuesEmpty() const;

  const config::ServerConfig* config_;
  store::Wal* wal_;
  // Answers waiting for the group commit. `release`, when set, is called instead of answering
  // (with whether the commit made the store durable) and answers the call itself.
  struct HeldAnswer {
    api::HttpCall* call;
    std::function<void(bool durable)> release;
  };
  std::vector<HeldAnswer> held_;
  // The commit in flight through ring_: its I/O, and how many of held_ and held_pubs_ it
  // makes durable (those queued before it began; later ones wait for the next).
  struct CommitInFlight {
    bool active = false;
    int fd = -1;
    bool sync = false;  // an fdatasync follows the write
    size_t answers = 0;
    size_t pubs = 0;
    uint64_t start_ns = 0;  // of the write or sync now in flight
  };
  CommitInFlight commit_;
  Mesh* mesh_;
  size_t shard_count_;
  util::StringMap<uint32_t> room_slots_;  // "<app>/<room>" -> members of a bounded room
  const engine::SocketIdCodec* ids_;
  const engine::AppRegistry* apps_;
  engine::Occupancy occupancy_;
  engine::PresenceTable presence_;
  engine::WatchlistTable watchlist_;
  engine::ChannelCache cache_;
  engine::SubscriptionCounts sub_counts_;
  std::vector<engine::SubscriptionCounts::Due> counts_due_;  // scratch
  uint64_t next_cache_sweep_ms_ = 0;
  engine::History history_;
  uint64_t history_swept_ms_ = 0;
  api::PusherApi pusher_api_;
  api::DatonowApi datonow_api_;
  api::DatonowTrigger datonow_trigger_;  // after datonow_api_: it uses its rate limiter
  // POST /api/subscribe, /api/unsubscribe; after datonow_api_: it uses its rate limiter.
  api::DatonowSocketApi datonow_sockets_;
  // Publications of this turn's writes (Datonow notifications, token deletions, a requestId
  // trigger's event): published by CommitTurn once durable, dropped when the commit fails.
  // A Dialogue room's publications wait there too (stamped; delivered even when the commit
  // failed, api/dialogue_history.h).
  std::vector<engine::PublishRequest> held_pubs_;
  api::DialogueHistory dialogue_history_;
  api::DialogueRooms dialogue_rooms_;  // rooms created at run time
  uint64_t last_stamp_us_ = 0;         // NextStamp's last
  protocols::impulse::ImpulsePush impulse_push_;
  apps::dontcode::RealtimeApi realtime_api_;
  apps::mochat::MochatApi mochat_;
  api::AppRateLimiter mochat_registrations_;  // limits.mochat_registrations_per_minute
  webhooks::Dispatcher webhooks_;
  webhooks::HookClient hooks_;  // Dialogue's hooks
  struct HookAnswer {
    engine::HookCall* call;
    webhooks::HookResponse response;
  };
  std::vector<HookAnswer> hook_answers_;  // come in, applied by RunHookAnswers
  // Per user trigger windows of Dialogue's one app (UserMayTrigger): bounded; past kMaxUserWindows live ones
  // a user is not tracked (user_limit_untracked_).
  struct UserWindow {
    uint64_t start_ms = 0;
    uint32_t count = 0;
  };
  static constexpr size_t kMaxUserWindows = 100000;
  util::StringMap<UserWindow> user_windows_;  // by user id (Dialogue's one app)
  uint64_t user_windows_swept_ms_ = 0;
  StatCounter user_limit_untracked_;
  // cache_miss webhooks sent: (app, channel) key -> until when another is not sent.
  static constexpr size_t kMaxCacheMissKeys = 65536;
  std::unordered_map<std::string, uint64_t> cache_miss_sent_;
  uint64_t cache_miss_swept_ms_ = 0;  // its last scan for expired keys (at most one a second)
  std::vector<std::deque<ToShard>> stalled_;  // per shard
  size_t stalled_total_ = 0;
  std::vector<bool> shard_dirty_;  // pushed since the last wake
  std::atomic<bool> shutdown_requested_{false};
  bool shutdown_sent_ = false;
  size_t shards_done_ = 0;
  runtime::Ring ring_;
  uint64_t wake_buf_ = 0;
  StatCounter stalled_spills_;
  StatCounter stalled_now_;
  StatCounter stalled_peak_;
  StatCounter paused_turns_;
  StatCounter cache_entries_;
  StatCounter cache_refused_;
  StatCounter watchlist_entries_;
  StatCounter watchlist_refused_;
  StatCounter count_channels_;
  StatCounter count_refused_;
  StatCounter datonow_api_refused_;  // Datonow REST requests answered 429 (rate limit)
  StatCounter published_;
  std::unique_ptr<StatCounter[]> app_published_;
  std::unique_ptr<StatCounter[]> app_channels_;
  // Cluster mode.
  class ClusterReady : public metrics::ReadinessCheck {
   public:
    std::string_view name() const override { return "redis"; }
    bool Ready() const override { return ready.load(std::memory_order_relaxed); }
    std::atomic<bool> ready{false};
  };
  std::unique_ptr<cluster::Bridge> bridge_;
  std::string node_key_;
  ClusterReady cluster_ready_;
  struct ClusterHeld {
    api::HttpCall* call;
    uint64_t first;
    uint64_t last;
    bool failed;
    std::function<void()> then;
    std::function<void()> otherwise;
  };
  std::deque<ClusterHeld> cluster_held_;  // in ticket order
  uint64_t cluster_acked_ = 0;            // the highest ticket whose outcome is in
  // Redis channel -> Pusher joins waiting for its subscription's confirmation.
  std::unordered_map<std::string, std::vector<engine::PresenceNote*>> held_joins_;
  // Calls (scripts) waiting for their replies, by ticket.
  std::unordered_map<uint64_t, std::function<void(cluster::CallReply&)>> cluster_calls_;
  // Resume queries waiting for their channels' subscriptions, and per Redis channel the history
  // answers in flight with the arrivals held behind them.
  std::vector<engine::HistoryQuery*> held_history_;
  struct HistoryWait {
    size_t queries = 0;
    std::vector<std::string> arrivals;
  };
  std::unordered_map<std::string, HistoryWait> history_waits_;
  uint64_t next_heartbeat_ms_ = 0;
  bool heartbeat_in_flight_ = false;
  uint64_t cluster_synced_connects_ = 0;
  struct Goodbye {
    bool sent = false;
    bool done = false;
    uint64_t deadline_ms = 0;
  };
  Goodbye goodbye_;
  static constexpr uint64_t kCountDeadlineMs = 1000;
  static constexpr size_t kWatchQueryBatch = 1000;  // user ids per watch query script call
  struct PendingCount {
    std::vector<uint64_t> totals;
    int64_t expected = -1;  // nodes that received the request (-1: not known yet)
    int64_t got = 0;
    uint64_t deadline_ms = 0;
    std::function<void(std::vector<uint64_t>)> done;
    // A presence request instead: the rows, and who gets them.
    MemberRows rows;
    std::function<void(MemberRows)> done_rows;
  };
  std::unordered_map<uint64_t, PendingCount> cluster_counts_;
  uint64_t next_count_id_ = 1;
  std::string rpc_channel_;   // every node: count requests
  std::string node_channel_;  // this node: count replies
  struct ClusterScripts {     // Bridge::AddScript indexes (cluster/scripts.h)
    size_t presence_join = 0, presence_leave = 0, heartbeat = 0, occupy = 0, vacate = 0, resync = 0,
           query = 0, publish_numbered = 0, history = 0, cache_store = 0, cache_get = 0, watch = 0,
           watch_query = 0, store_sync = 0, store_commit = 0, store_scan = 0, store_seed = 0;
  };
  ClusterScripts scripts_;
  struct StoreSyncState {
    static constexpr size_t kMaxQueue = 4096;
    static constexpr uint32_t kMaxTries = 50;   // runs of one batch that met a conflict
    static constexpr uint32_t kMaxReloads = 3;  // reloads in a row before covered calls get 503
    static constexpr size_t kLogCap = 1000;     // batches Redis keeps (P dn:log)
    static constexpr size_t kSyncBudget = size_t{8} << 20;  // bytes of batches per sync reply
    std::string keys[4];                                    // P dn, P dn:v, P dn:e, P dn:log
    std::deque<api::HttpCall*> queue;                       // waiting calls, the one running first
    size_t covered = 0;    // calls at the front that the last sync covers
    bool busy = false;     // a sync, scan, seed or commit in flight
    uint64_t version = 0;  // the replica's place in Redis' commits
    std::string epoch;     // "" until the first sync
    uint32_t tries = 0;
    uint32_t reloads = 0;
    uint64_t notified = 0;  // the newest version a commit envelope told of
    bool sync_due = false;  // set on every connect: sync even with nothing waiting
    // A batch stops growing past either (its commit stays well under the outbound bound).
    static constexpr size_t kMaxBatchChanges = 20000;
    static constexpr size_t kMaxBatchBytes = size_t{4} << 20;
    // The covered calls run as one batch (at the queue's front), committed together; their
    // changes until the commit's reply. A trigger's first requestId publications to plain
    // channels go out with the commit (the script publishes them with the record), and are
    // taken out of its result.
    std::vector<StoreRan> batch;
    std::vector<store::RecordedChange> changes;
    // A reload in progress: the first page's version and epoch, and what came so far.
    uint64_t scan_version = 0;
    std::string scan_epoch;
    std::unordered_map<std::string, std::string> scanned;
  };
  StoreSyncState store_;  // the bridge's connect count at the last resync
  StatCounter cluster_published_;
  StatCounter cluster_received_;
  StatCounter cluster_refused_;
  StatCounter cluster_dropped_;
  uint64_t cluster_unknown_app_ = 0;  // arrivals for an app this node does not serve
  StatCounter cluster_connects_;
  StatCounter cluster_channels_;
  std::thread thread_;
};

}  // namespace ringcast::server
