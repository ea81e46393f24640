// AppRegistry: the configured apps, looked up by id (REST paths) or key (WebSocket paths).
//
// Built once from the config on the main thread before other threads start, then read-only:
// every thread may read it without locks. An app's index (its position) is the compact id used
// in channel keys and cross-thread messages.
// The one part that changes is each app's count of established connections over all shards,
// which enforces AppConfig::max_connections: an atomic per app, taken by a session when it
// sends connection_established (TryAcquireConnection) and given back when that connection
// closes (ReleaseConnection); any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace ringcast::engine {

class AppRegistry {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  explicit AppRegistry(std::vector<config::AppConfig> apps)
      : apps_(std::move(apps)),
        connections_(std::make_unique<std::atomic<uint32_t>[]>(apps_.size())) {}

  uint32_t IndexByKey(std::string_view key) const {
    for (uint32_t i = 0; i < apps_.size(); ++i) {
      if (apps_[i].key == key) return i;
    }
    return kNone;
  }
  uint32_t IndexById(std::string_view id) const {
    for (uint32_t i = 0; i < apps_.size(); ++i) {
      if (apps_[i].id == id) return i;
    }
    return kNone;
  }
  const config::AppConfig& app(uint32_t index) const { return apps_[index]; }
  size_t size() const { return apps_.size(); }
  // Every app, indexed like app() (the webhook dispatcher keeps its targets by this index).
  const std::vector<config::AppConfig>& apps() const { return apps_; }

  // Counts one more connection of app `index`; false (nothing counted) when that would exceed
  // its max_connections (0: no limit).
  [[nodiscard]] bool TryAcquireConnection(uint32_t index) const {
    const uint32_t limit = apps_[index].max_connections;
    std::atomic<uint32_t>& n = connections_[index];
    uint32_t cur = n.load(std::memory_order_relaxed);
    do {
      if (limit != 0 && cur >= limit) return false;
    } while (!n.compare_exchange_weak(cur, cur + 1, std::memory_order_relaxed));
    return true;
  }
  // Gives back one connection counted by TryAcquireConnection.
  void ReleaseConnection(uint32_t index) const {
    connections_[index].fetch_sub(1, std::memory_order_relaxed);
  }
  uint32_t connections(uint32_t index) const {
    return connections_[index].load(std::memory_order_relaxed);
  }

 private:
  std::vector<config::AppConfig> apps_;
  // Established connections per app over every shard; mutable through const: the registry is
  // shared read-only, the counters are the documented exception.
  std::unique_ptr<std::atomic<uint32_t>[]> connections_;
};

}  // namespace ringcast::engine
