// ShardMetrics: one shard's figures for /metrics and the dashboard, written only by the shard's
// thread and read by any thread (a scrape), without a lock on the message path.
//
// Two kinds of numbers: those the shard changes as it goes (connections by protocol, rejected
// requests by status, the loop-turn histogram: metrics::Gauge/Counter/Histogram, written in
// place), and those the loop and engine keep as plain numbers on the hot path
// (net::IoLoopStats, engine::ShardCounters), which PublishTurn() copies into atomics at the end
// of every loop turn (a few relaxed stores per turn; a reading is at most one turn old and
// current once the shard sleeps).
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
enum class ConnProtocol : uint8_t { kHttp = 0, kPusher, kEcho, kSse, kCount };
std::string_view ConnProtocolName(ConnProtocol p);

class ShardMetrics {
 public:
  // Statuses 400..599 are counted one by one.
  static constexpr int kFirstStatus = 400;
  static constexpr int kStatusCount = 200;

  ShardMetrics() : loop_turn_(metrics::Histogram::LatencyBoundsNs(), 1e-9) {}

  // ---- shard thread ----
  void ConnectionOpened(ConnProtocol p) { connections_[static_cast<size_t>(p)].Add(1); }
  void ConnectionClosed(ConnProtocol p) { connections_[static_cast<size_t>(p)].Sub(1); }
  // An answer with an error status (4xx, 5xx) left for a client.
  void Rejected(int status) {
    if (status >= kFirstStatus && status < kFirstStatus + kStatusCount) {
      rejected_[static_cast<size_t>(status - kFirstStatus)].Add(1);
    }
  }
  void PublishTurn(uint64_t turn_ns, const net::IoLoopStats& loop, size_t live_connections,
                   const engine::ShardCounters& engine);

  // ---- any thread ----
  int64_t connections(ConnProtocol p) const {
    return connections_[static_cast<size_t>(p)].Get();
  }
  uint64_t rejected(int status) const {
    return rejected_[static_cast<size_t>(status - kFirstStatus)].Get();
  }
  const metrics::Histogram& loop_turn() const { return loop_turn_; }
  uint64_t live_connections() const { return live_.Get(); }
  uint64_t subscriptions() const { return subscriptions_.Get(); }
  uint64_t channels() const { return channels_.Get(); }
  uint64_t publications() const { return publications_.Get(); }
  uint64_t deliveries() const { return deliveries_.Get(); }
  uint64_t bytes_out() const { return bytes_out_.Get(); }
  uint64_t bytes_in() const { return bytes_in_.Get(); }
  uint64_t accepted() const { return accepted_.Get(); }
  uint64_t refused() const { return refused_.Get(); }
  uint64_t slow_consumers() const { return slow_consumers_.Get(); }
  uint64_t budget_cuts() const { return budget_cuts_.Get(); }
  uint64_t read_buffer_exhausted() const { return read_buffer_exhausted_.Get(); }
  uint64_t accept_no_descriptor() const { return accept_no_descriptor_.Get(); }
  uint64_t writes() const { return writes_.Get(); }
  uint64_t turns() const { return turns_.Get(); }

 private:
  std::array<metrics::Gauge, static_cast<size_t>(ConnProtocol::kCount)> connections_;
  std::array<metrics::Counter, kStatusCount> rejected_;
  metrics::Histogram loop_turn_;
  metrics::Counter live_;
  metrics::Counter subscriptions_;
  metrics::Counter channels_;
  metrics::Counter publications_;
  metrics::Counter deliveries_;
  metrics::Counter bytes_out_;
  metrics::Counter bytes_in_;
  metrics::Counter accepted_;
  metrics::Counter refused_;
  metrics::Counter slow_consumers_;
  metrics::Counter budget_cuts_;
  metrics::Counter read_buffer_exhausted_;
  metrics::Counter accept_no_descriptor_;
  metrics::Counter writes_;
  metrics::Counter turns_;
};

}  // namespace ringcast::server
