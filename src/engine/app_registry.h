// AppRegistry: the configured apps, looked up by id (REST paths) or key (WebSocket paths).
//
// Built once from the config on the main thread before other threads start, then read-only:
// every thread may read it without locks. An app's index (its position) is the compact id used
// in channel keys and cross-thread messages.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace ringcast::engine {

class AppRegistry {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  explicit AppRegistry(std::vector<config::AppConfig> apps) : apps_(std::move(apps)) {}

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

 private:
  std::vector<config::AppConfig> apps_;
};

}  // namespace ringcast::engine
