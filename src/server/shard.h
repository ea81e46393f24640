// Shard: one event-loop thread with its own io_uring, listening socket, connections and
// channels (ARCHITECTURE.md "Shard"). Nothing a shard owns is touched by another thread.
//
// It is the IoLoop's delegate: it gives each accepted connection an HttpFrontSession, and each
// turn drains its inbound queue from the control plane (server/messages.h ToShard):
//   kPublish    -> ShardEnv::Deliver: encoded once per wire format present, one shared frame per
//                  format for its members; then the shard's reference is released
//   kReply      -> the answer to a REST request, written to its connection (if still there)
//   kCountQuery -> this shard's member counts, sent back as kCountReply
//   kTerminate  -> every connection signed in as the user (member of its #server-to-user-
//                  channel here) gets pusher:error 4009 and is closed with 4009
//   kPresenceAck -> the control plane's answer to a presence join, handed to its session (if the
//                  connection is still there), then freed
//   kWatchlist  -> watchlist changes, each handed to its Pusher session (if still there)
//   kHistory    -> a history answer, handed to its SSE session (if still there), then freed
//   kShutdown   -> stop accepting, close every client spread over the grace window, report
//                  kShardDone and stop when the last connection is gone (or at the deadline)
// Everything it sends to the control plane (REST requests, occupancy notes, client events,
// count replies, subscription-count reports, flushed after the reads and after the teardowns of
// each turn) goes through its ControlOutbox: one ordered, bounded path with a defined
// answer per kind when the queue is full (server/control_outbox.h). While messages wait there,
// the loop sleeps at most 1 ms at a time and flushes them each turn (no busy spin).
// It registers the wire formats its sessions use (the Pusher event frame, the SSE record) with its
// ShardEnv at construction.
// Adaptive flush (IoLoop): the shard expects more output while REST calls it forwarded are with
// the control plane (their publications and answers come back through the inbound queue), and
// while the current round of calls (those forwarded since the last flush) is smaller than the
// last round that had any: a pipelining publisher whose requests arrived in two reads has the
// rest on its way, and one write to each subscriber then carries the whole pipeline. A lone
// publisher with one request in flight causes no hold: its publication arrives with its answer.
// Thread rules: Start/Join/WaitReady from the main thread; everything else on the shard thread.
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <string_view>
#include <thread>

#include "apps/dontcode/realtime_shared.h"
#include "apps/mochat/mochat_socket.h"
#include "config/config.h"
#include "engine/app_registry.h"
#include "engine/shard_env.h"
#include "engine/socket_id.h"
#include "http/request.h"
#include "http/request_parser.h"
#include "metrics/registry.h"
#include "net/io_loop.h"
#include "protocols/datonow/datonow_shared.h"
#include "protocols/impulse/impulse_session.h"
#include "protocols/pusher/pusher_session.h"
#include "protocols/socketio/dialogue_shared.h"
#include "protocols/sse/sse_session.h"
#include "server/control_outbox.h"
#include "server/eio_polls.h"
#include "server/mesh.h"
#include "server/queue_stats.h"
#include "server/shard_metrics.h"

namespace ringcast::tls {
class ContextSlot;
}  // namespace ringcast::tls

namespace ringcast::server {

class Server;

class Shard : public net::IoLoop::Delegate, public engine::ControlLink {
 public:
  Shard(uint32_t id, const config::ServerConfig* config, const engine::AppRegistry* apps,
        const engine::SocketIdCodec* ids, Mesh* mesh, int listen_fd, int cpu);
  ~Shard() override;

  // ---- main thread ----
  void Start();
  // Blocks until the loop is set up; returns 0 or the -errno that stopped it.
  int WaitReady();
  void Join();

  // ---- shard thread ----
  net::Session* NewSession(net::Connection& c) override;
  bool DrainInbound() override;
  bool InboundEmpty() override;
  bool ExpectMoreOutput() override;
  void OnFlushed() override;
  void OnTurnEnd(uint64_t start_ns, uint64_t end_ns) override;
  void OnConnectionClosing(net::Connection& c) override;
  [[nodiscard]] bool NoteOccupied(uint32_t app, std::string_view name) override;
  void NoteVacated(uint32_t app, std::string_view name) override;
  [[nodiscard]] bool ForwardPublication(runtime::SharedBuf* buf) override;
  [[nodiscard]] bool NotePresenceJoin(engine::PresenceNote* note) override;
  [[nodiscard]] bool NoteRoomJoin(engine::RoomSlot* slot) override;
  [[nodiscard]] bool QueryRoomHistory(engine::RoomHistoryQuery* q) override;
  [[nodiscard]] bool RequestRoomChange(engine::RoomChange* c) override;
  [[nodiscard]] bool CallHook(engine::HookCall* h) override;
  void NoteRoomLeave(uint32_t app, std::string_view room) override;
  void NotePresenceLeave(uint32_t app, std::string_view channel, std::string_view user_id,
                         uint64_t serial) override;
  [[nodiscard]] bool QueryHistory(engine::HistoryQuery* q) override;
  [[nodiscard]] bool NoteSubscriptionCounts(engine::SubscriptionCountReport* report) override;

  engine::ShardEnv& env() { return env_; }
  const http::Limits& http_limits() const { return http_limits_; }
  http::RequestHead& head_scratch() { return head_scratch_; }
  protocols::pusher::PusherShared& pusher_shared() { return pusher_shared_; }
  ShardMetrics& metrics() { return metrics_; }
  // The process's metrics (GET /metrics on the main port); null when served elsewhere.
  const metrics::Registry* metrics_registry() const { return registry_; }
  protocols::sse::SseShared& sse_shared() { return sse_shared_; }
  protocols::datonow::DatonowShared& datonow_shared() { return datonow_shared_; }
  protocols::impulse::ImpulseShared& impulse_shared() { return impulse_shared_; }
  protocols::socketio::DialogueShared& dialogue_shared() { return dialogue_shared_; }
  apps::dontcode::RealtimeShared& realtime_shared() { return realtime_shared_; }
  EioPolls& eio_polls() { return eio_polls_; }
  // Moves a REST request to the control plane; false (caller answers 503) when backed up.
  [[nodiscard]] bool ForwardHttp(api::HttpCall* call);

  // ---- any thread ----
  OutboxStats outbox_stats() const { return outbox_.stats(); }
  const ShardMetrics& metrics() const { return metrics_; }
  uint64_t app_deliveries(uint32_t app) const { return env_.app_deliveries(app); }
  // Main thread, before Start.
  void set_metrics_registry(const metrics::Registry* r) { registry_ = r; }
  void set_server(const Server* s) { server_ = s; }
  // Before Start: the port serves TLS with this slot's context (server.cc owns it).
  void set_tls(const tls::ContextSlot* slot) { tls_ = slot; }
  // The server, for figures of every shard (the dashboard): any-thread accessors only.
  const Server* server() const { return server_; }

 private:
  void ThreadMain();
  void Handle(const ToShard& m);
  void StartShutdown(uint64_t grace_ms);
  void CheckShutdown();
  // The loop's longest sleep when nothing waits in the outbox (-1: none; a tick while closing).
  int64_t IdleWaitCapMs() const;

  uint32_t id_;
  const config::ServerConfig* config_;
  Mesh* mesh_;
  int listen_fd_;
  int cpu_;
  net::IoLoop loop_;
  engine::ShardEnv env_;
  http::Limits http_limits_;
  http::RequestHead head_scratch_;
  protocols::pusher::PusherShared pusher_shared_;
  protocols::sse::SseShared sse_shared_;
  protocols::datonow::DatonowShared datonow_shared_;
  protocols::impulse::ImpulseShared impulse_shared_;
  protocols::socketio::DialogueShared dialogue_shared_;
  apps::dontcode::RealtimeShared realtime_shared_;
  apps::mochat::MochatSocketApp mochat_sockets_;  // dialogue_shared_.mochat when served
  uint64_t last_delivered_ = 0;  // members the last kPublish was queued to (CountQuery)
  ControlOutbox outbox_;
  bool outbox_waiting_ = false;  // messages wait in the outbox: the loop polls every 1 ms
  EioPolls eio_polls_;           // after dialogue_shared_ and the outbox, which it uses
  // Adaptive flush: REST calls with the control plane; calls forwarded since the last flush;
  // calls of the last round (between two flushes) that had any.
  uint32_t calls_out_ = 0;
  uint32_t round_calls_ = 0;
  uint32_t last_round_calls_ = 0;
  bool shutting_down_ = false;
  bool done_sent_ = false;
  uint64_t shutdown_deadline_ms_ = 0;
  ShardMetrics metrics_;
  const metrics::Registry* registry_ = nullptr;
  const Server* server_ = nullptr;
  const tls::ContextSlot* tls_ = nullptr;
  std::promise<int> ready_;
  std::thread thread_;
};

}  // namespace ringcast::server
