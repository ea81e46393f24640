// ChannelCache: the last REST-published event of every cache channel (cache-, private-cache-,
// private-encrypted-cache-, presence-cache-), kept for a TTL, for subscribers that join later.
//
// Lives on the control plane, which sees every publish. Store() replaces a channel's entry (also
// when nobody subscribes); Find() returns it while it is younger than its TTL and drops it once
// older. Expired entries are also dropped by Sweep(now), a full scan the control plane runs at
// most once a second. At most `max_entries` channels are kept (over all apps): a store for a new
// channel while the cache is full (until the next Sweep drops what expired) is refused and counted
// (refused()); the publish itself is delivered as ever, only not kept for later subscribers (they
// get cache_miss). Protocol-neutral: event name and data are opaque bytes. Client events are never
// stored (Pusher does not cache them).
// Thread rules: the control-plane thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/string_map.h"

namespace ringcast::engine {

class ChannelCache {
 public:
  struct Entry {
    std::string event;
    std::string data;
    uint64_t expires_ms = 0;
  };

  static constexpr size_t kMaxEntries = 65536;

  explicit ChannelCache(size_t app_count, size_t max_entries = kMaxEntries)
      : by_app_(app_count), max_entries_(max_entries) {}

  // False: refused, the cache is full (see above).
  bool Store(uint32_t app, std::string_view channel, std::string_view event, std::string_view data,
             uint64_t expires_ms);
  // The live entry, or null (an expired one is dropped). Valid until the next Store/Sweep.
  const Entry* Find(uint32_t app, std::string_view channel, uint64_t now_ms);
  // The live entry without dropping anything (readers that must not change the cache).
  const Entry* Peek(uint32_t app, std::string_view channel, uint64_t now_ms) const;
  // Drops every expired entry.
  void Sweep(uint64_t now_ms);
  size_t size() const { return size_; }
  uint64_t refused() const { return refused_; }

 private:
  std::vector<util::StringMap<Entry>> by_app_;
  size_t max_entries_;
  size_t size_ = 0;
  uint64_t refused_ = 0;
};

}  // namespace ringcast::engine
