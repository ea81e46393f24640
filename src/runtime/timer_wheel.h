// TimerWheel: a hashed timing wheel for one thread's deadlines (handshake deadlines, activity
// checks, close lingers, shutdown staggering).
//
// Owns: kSlots buckets of (deadline, cookie) pairs at a fixed tick. Schedule is O(1); Advance
// visits only the buckets whose ticks passed; an entry whose deadline is more than one turn of
// the wheel away stays in its bucket until its turn comes. There is no cancel: the owner encodes
// a generation in the cookie and ignores stale firings (one live entry per connection and kind
// is the rule, so the wheel holds O(connections) entries).
// Thread rules: one thread (the shard or control-plane loop that owns it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ringcast::runtime {

class TimerWheel {
 public:
  static constexpr uint64_t kTickMs = 50;
  static constexpr uint64_t kSlots = 512;  // one turn = 25.6 s

  explicit TimerWheel(uint64_t now_ms = 0) : current_tick_(now_ms / kTickMs), slots_(kSlots) {}

  // Fires `cookie` at the first Advance with now >= deadline_ms (rounded up to a tick).
  void Schedule(uint64_t deadline_ms, uint64_t cookie);

  // Appends the cookies of every entry with deadline <= now_ms to `fired`.
  void Advance(uint64_t now_ms, std::vector<uint64_t>* fired);

  size_t size() const { return size_; }

  // Milliseconds until the next tick boundary after now, or -1 when the wheel is empty.
  int64_t WaitHintMs(uint64_t now_ms) const;

 private:
  struct Entry {
    uint64_t deadline_ms;
    uint64_t cookie;
  };
  uint64_t current_tick_;
  size_t size_ = 0;
  std::vector<std::vector<Entry>> slots_;
};

}  // namespace ringcast::runtime
