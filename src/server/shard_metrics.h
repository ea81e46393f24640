// ShardMetrics: one shard's figures for /metrics and the dashboard, written only by the shard's
// thread and read by any thread (a scrape), without a lock on the message path.
//
// Two kinds of numbers: those the shard changes as it goes (connections by protocol, rejected
// requests by status, the loop-turn histogram: metrics::Gauge/Counter/Histogram, written in
// place), and those the loop and engine keep on the hot path (net::IoLoopStats,
// engine::ShardCounters: util::RelaxedCounter, single-writer relaxed atomics), which the getters
// read in place at scrape time: nothing is copied per loop turn, and a reading is current.
// Thread rules: every writer method on the owning shard's thread; the getters from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "engine/shard_env.h"
#include "metrics/counter.h"
#include "metrics/histogram.h"
#include "net/io_loop.h"

namespace ringcast::server {

// The protocol a connection speaks now (its session): an HTTP request/response connection, or
// one of the WebSocket protocols after the upgrade.
enum class ConnProtocol : uint8_t {
  kHttp = 0,
  kPusher,
  kEcho,
  kSse,
  kDatonow,
  kSocketIo,
  kRealtime,
  kCount
};
std::string_view ConnProtocolName(ConnProtocol p);

class ShardMetrics {
 public:
  // Statuses 400..599 are counted one by one.
  static constexpr int kFirstStatus = 400;
  static constexpr int kStatusCount = 200;

  // `loop` and `engine` are the shard's own figures; they outlive this object.
  ShardMetrics(const net::IoLoopStats& loop, const engine::ShardCounters& engine)
      : loop_turn_(metrics::Histogram::LatencyBoundsNs(), 1e-9), loop_(loop), engine_(engine) {}

  // ---- shard thread ----
  void ConnectionOpened(ConnProtocol p) { connections_[static_cast<size_t>(p)].Add(1); }
  void ConnectionClosed(ConnProtocol p) { connections_[static_cast<size_t>(p)].Sub(1); }
  // An answer with an error status (4xx, 5xx) left for a client.
  void Rejected(int status) {
    if (status >= kFirstStatus && status < kFirstStatus + kStatusCount) {
      rejected_[static_cast<size_t>(status - kFirstStatus)].Add(1);
    }
  }
  // A loop turn ended that took `turn_ns`.
  void TurnEnded(uint64_t turn_ns) { loop_turn_.Observe(turn_ns); }

  // ---- any thread ----
  int64_t connections(ConnProtocol p) const {
    return connections_[static_cast<size_t>(p)].Get();
  }
  uint64_t rejected(int status) const {
    return rejected_[static_cast<size_t>(status - kFirstStatus)].Get();
  }
  const metrics::Histogram& loop_turn() const { return loop_turn_; }
  uint64_t subscriptions() const { return engine_.subscriptions; }
  uint64_t channels() const { return engine_.channels; }
  uint64_t publications() const { return engine_.publications; }
  uint64_t deliveries() const { return engine_.deliveries; }
  uint64_t bytes_out() const { return loop_.bytes_written; }
  uint64_t bytes_in() const { return loop_.bytes_read; }
  uint64_t accepted() const { return loop_.accepted; }
  uint64_t refused() const { return loop_.refused; }
  uint64_t slow_consumers() const { return loop_.slow_consumers; }
  uint64_t budget_cuts() const { return loop_.outbound_budget_cuts; }
  uint64_t read_buffer_exhausted() const { return loop_.read_buffer_exhausted; }
  uint64_t accept_no_descriptor() const { return loop_.accept_no_descriptor; }
  uint64_t writes() const { return loop_.writes; }
  const net::IoLoopStats& loop() const { return loop_; }

 private:
  std::array<metrics::Gauge, static_cast<size_t>(ConnProtocol::kCount)> connections_;
  std::array<metrics::Counter, kStatusCount> rejected_;
  metrics::Histogram loop_turn_;
  const net::IoLoopStats& loop_;
  const engine::ShardCounters& engine_;
};

}  // namespace ringcast::server
