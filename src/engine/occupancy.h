// Occupancy: the control plane's map of which shards have subscribers on which channel, and
// each channel's publication sequence counter.
//
// Per app, channel name -> {bitmask of shards (bit i: shard i has at least one member), last
// sequence number}. Shards report changes (occupied/vacated); a publish goes only to the shards
// in the channel's mask, and a channel with an empty mask is not stored at all. At most 64
// shards.
// Sequence numbers live here, with the channel's entry: Route() numbers each publication that
// reaches at least one shard 1, 2, 3, ... in the order the control plane hands them out. When
// the last shard vacates a channel its entry goes, and the count starts again at 1 with the next
// subscriber. Channels whose policy keeps history are numbered by their log in engine/history.h
// instead (the control plane uses that number, with an epoch, and ignores this one).
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

  struct Route {
    uint64_t mask = 0;      // shards to hand the publication to; 0: nobody subscribes
    uint64_t sequence = 0;  // the publication's number on its channel (0 when mask is 0)
  };
  // One publication on `channel`: where it goes and its sequence number (one lookup).
  Route Next(uint32_t app, std::string_view channel);

  // Appends the occupied channels of `app` whose names start with `prefix`.
  void List(uint32_t app, std::string_view prefix, std::vector<std::string>* out) const;
  size_t channel_count(uint32_t app) const { return by_app_[app].size(); }

 private:
  struct Entry {
    uint64_t mask = 0;
    uint64_t last_sequence = 0;
  };
  std::vector<util::StringMap<Entry>> by_app_;
};

}  // namespace ringcast::engine
