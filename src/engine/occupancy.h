// Occupancy: the control plane's map of which shards have subscribers on which channel.
//
// Per app, channel name -> bitmask of shards (bit i: shard i has at least one member). Shards
// report changes (occupied/vacated); a publish goes only to the shards in the channel's mask,
// and a channel with an empty mask is not stored at all. At most 64 shards.
// Thread rules: the control-plane thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "util/string_map.h"

namespace ringcast::engine {

class Occupancy {
 public:
  static constexpr uint32_t kMaxShards = 64;

  explicit Occupancy(size_t app_count) : by_app_(app_count) {}

  // Shard `shard` gained its first member (occupied) or lost its last one on `channel`.
  void Apply(uint32_t app, uint32_t shard, std::string_view channel, bool occupied);
  // Bitmask of shards with members; 0 when nobody subscribes.
  uint64_t Mask(uint32_t app, std::string_view channel) const;
  bool IsOccupied(uint32_t app, std::string_view channel) const {
    return Mask(app, channel) != 0;
  }
  // Appends the occupied channels of `app` whose names start with `prefix`.
  void List(uint32_t app, std::string_view prefix, std::vector<std::string>* out) const;
  size_t channel_count(uint32_t app) const { return by_app_[app].size(); }

 private:
  std::vector<util::StringMap<uint64_t>> by_app_;
};

}  // namespace ringcast::engine
