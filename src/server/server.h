// Server: start-up and shutdown of the whole process.
//
// Start(): create one SO_REUSEPORT listening socket per shard (the first one picks the port when
// 0 is asked for, and fails when another process already holds it: net::ListenerRole), the
// queue mesh, the control plane and the shards; wait until every shard's io_uring is set up.
// Shutdown(): ask the control plane to stop; shards stop accepting, close their clients spread
// over the grace window and report done; Wait() joins every thread.
// RunServer() is the process's life: Start (exit code 2 when it cannot listen), print "listening
// on HOST:PORT", wait for SIGTERM/SIGINT (blocked in every thread, taken with sigwait),
// Shutdown, Wait; if shutting down takes longer than the grace window plus a margin, it exits
// anyway.
// Thread rules: one thread (main, or a test's) calls Start/Shutdown/Wait.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "api/rate_limit.h"
#include "config/config.h"
#include "metrics/readiness.h"
#include "metrics/registry.h"
#include "server/queue_stats.h"
#include "webhooks/webhook_queue.h"

namespace ringcast::engine {
class AppRegistry;
class SocketIdCodec;
}  // namespace ringcast::engine

namespace ringcast::store {
class Wal;
}  // namespace ringcast::store

namespace ringcast::tls {
class ContextSlot;
}  // namespace ringcast::tls

namespace ringcast::server {

class ControlPlane;
class MetricsEndpoint;
class ServerCollector;
class Shard;
class ShardMetrics;
class StoreMetrics;
struct Mesh;

class Server {
 public:
  explicit Server(const config::ServerConfig& config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Returns 0, or a negative errno after logging what failed.
  int Start();
  // After a failed Start(): whether it was the listening socket (host:port in use, not an
  // address of this host, not permitted), a setting the operator must change.
  bool listen_failed() const { return listen_failed_; }
  uint16_t port() const { return port_; }
  // Any thread, after Start: the cross-thread queues' trouble counters (queue_stats.h).
  QueueStats queue_stats() const;
  // Any thread, after Start (metrics, server/server_metrics.h).
  size_t shard_count() const { return shards_.size(); }
  const ShardMetrics& shard_metrics(size_t shard) const;
  uint64_t messages_published() const;
  // Per app (dashboard): deliveries on one shard, channels and messages published in all.
  uint64_t app_deliveries(size_t shard, uint32_t app) const;
  uint64_t app_channels(uint32_t app) const;
  uint64_t app_published(uint32_t app) const;
  // False once Shutdown() was called, or while a readiness check fails: /ready answers 503.
  bool ready() const;
  // Before Start: something the node needs (metrics/readiness.h); /ready fails while it does.
  void AddReadinessCheck(const metrics::ReadinessCheck* check) { checks_.push_back(check); }
  // The metrics registry; subsystems add their collectors before Start (metrics/registry.h).
  metrics::Registry& metrics_registry() { return registry_; }
  // Any thread, after Start: the webhook dispatcher's counters (webhooks/webhook_queue.h).
  webhooks::WebhookStats webhook_stats() const;
  void Shutdown();
  void Wait();
  // Main thread, after Start (SIGHUP): reloads the TLS certificate and key. New handshakes use
  // the new pair; a pair that fails to load is logged and the old one kept. False on failure.
  bool ReloadTls();
  // Any thread: the per-(app, IP) budget of new Datonow sockets, shared by all shards.
  const api::IpConnectionLimiter& ws_limiter() const { return ws_limiter_; }

 private:
  config::ServerConfig config_;
  uint16_t port_ = 0;
  bool started_ = false;
  bool listen_failed_ = false;
  std::unique_ptr<engine::AppRegistry> apps_;
  std::unique_ptr<engine::SocketIdCodec> ids_;
  std::unique_ptr<Mesh> mesh_;
  std::unique_ptr<StoreMetrics> store_metrics_;  // before wal_: the Wal reports to it
  std::unique_ptr<store::Wal> wal_;              // <data-dir>/store (docs/store.md)
  std::unique_ptr<ControlPlane> control_;
  api::IpConnectionLimiter ws_limiter_;  // before shards_: they point at it
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<bool> shutting_down_{false};
  std::vector<const metrics::ReadinessCheck*> checks_;
  metrics::Registry registry_;
  std::unique_ptr<ServerCollector> collector_;
  std::unique_ptr<MetricsEndpoint> metrics_endpoint_;
  std::unique_ptr<tls::ContextSlot> tls_;  // null: plain TCP
};

// Runs the server until a termination signal; returns the process exit code.
int RunServer(const config::ServerConfig& config);

}  // namespace ringcast::server
