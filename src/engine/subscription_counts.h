// SubscriptionCounts: the control plane's exact count of subscribed connections per channel, for
// the apps that enable subscription-count events (AppConfig::enable_subscription_count), and the
// throttle that decides when a count is told to the channel's subscribers (and the webhook).
//
// Where the counts come from: each shard reports the absolute member count of every channel of
// such an app whose membership changed on it (SubscriptionCountReport, at most one row per
// channel per flush, at most two flushes per shard loop turn: a subscribe storm becomes a row
// per turn, not one per subscribe), and a shard's vacated note means 0 there. Absolute counts make reports idempotent
// and let a shard keep a row that cannot be sent yet and send the newer value later. The total
// is the sum of the shards' last reports, exact over all shards.
// When a count is told (Pusher's rule): a channel of at most kLargeChannel subscribers at once
// (coalesced per control-plane turn: TakeDue); a larger one at most once per kLargeIntervalMs.
// A change that brings the total back to what was last told sends nothing, unless a connection
// joined (it has not heard the count yet). A total of 0 sends nothing: nobody is left to tell
// (the channel_vacated webhook covers it) and the channel's entry goes.
// Bounds: at most `max_channels` channels are tracked; a report for another channel is dropped
// and counted (refused()): that channel gets no events until a report finds room.
// Presence channels are never reported (they have member counts); the shards filter.
// Thread rules: SubscriptionCountReport crosses from a shard to the control plane (allocated by
// the shard, freed by the control plane); SubscriptionCounts is control-plane thread only.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ringcast::engine {

// One shard's changed channel counts (ToControl::kSubscriptionCounts).
struct SubscriptionCountReport {
  struct Row {
    uint32_t app = 0;
    uint32_t count = 0;   // members of the channel on the reporting shard now
    bool joined = false;  // a connection joined since the shard's last report of this channel
    std::string channel;
  };
  std::vector<Row> rows;
};

class SubscriptionCounts {
 public:
  static constexpr uint64_t kLargeChannel = 100;
  static constexpr uint64_t kLargeIntervalMs = 5000;
  static constexpr size_t kDefaultMaxChannels = size_t{1} << 20;

  explicit SubscriptionCounts(size_t shard_count, size_t max_channels = kDefaultMaxChannels)
      : shard_count_(shard_count), max_channels_(max_channels) {}

  // Shard `shard` has `count` members on the channel now; `joined`: one of them is new.
  void Set(uint32_t app, std::string_view channel, uint32_t shard, uint64_t count, bool joined,
           uint64_t now_ms);

  struct Due {
    uint32_t app;
    std::string channel;
    uint64_t count;
  };
  // Appends the counts due by `now_ms`, at most `max` (the rest stay due), earliest first, and
  // records them as told.
  void TakeDue(uint64_t now_ms, size_t max, std::vector<Due>* out);
  // Ms until the next count is due (0: now; -1: none pending).
  int64_t WaitHintMs(uint64_t now_ms) const;
  bool HasDue(uint64_t now_ms) const {
    return !pending_.empty() && pending_.begin()->first <= now_ms;
  }

  // The total over all shards (0 when not tracked).
  uint64_t Total(uint32_t app, std::string_view channel) const;
  size_t size() const { return map_.size(); }
  size_t pending() const { return pending_.size(); }
  uint64_t refused() const { return refused_; }

 private:
  struct Entry {
    std::vector<uint32_t> per_shard;
    uint64_t total = 0;
    uint64_t told = 0;       // the count last sent
    uint64_t told_ms = 0;    // when
    bool ever_told = false;
    uint64_t due_ms = 0;     // valid while `scheduled`
    bool scheduled = false;
  };
  using Map = std::unordered_map<std::string, Entry>;  // node-based: pointers stay valid
  using Node = Map::value_type;

  static std::string Key(uint32_t app, std::string_view channel);
  void Schedule(Node* node, uint64_t due_ms);
  void Unschedule(Node* node);

  size_t shard_count_;
  size_t max_channels_;
  Map map_;
  std::set<std::pair<uint64_t, Node*>> pending_;  // (due ms, entry), earliest first
  uint64_t refused_ = 0;
};

}  // namespace ringcast::engine
