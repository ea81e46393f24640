// Counter and Gauge: one number with one writer thread and any number of readers (Counter is
// util::RelaxedCounter, the project's one single-writer counter; Gauge is its signed kin).
//
// The owner (a shard, the control plane) writes with relaxed load+store (no read-modify-write:
// there is one writer), so the message path pays a plain store and never a lock or a bus-locked
// instruction; a scrape on another thread reads with relaxed loads. A reading is consistent per
// number, not across numbers. Gauge may go down; Counter only up.
// Thread rules: Add/Set/Sub from the one owning thread; Get from any thread.
#pragma once

#include <atomic>
#include <cstdint>

#include "util/relaxed_counter.h"

namespace ringcast::metrics {

// The single-writer counter is util::RelaxedCounter (Add/Set/Get; also the loop's figures).
using Counter = util::RelaxedCounter;

class Gauge {
 public:
  void Add(int64_t n = 1) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void Sub(int64_t n = 1) { Add(-n); }
  void Set(int64_t n) { v_.store(n, std::memory_order_relaxed); }
  int64_t Get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

}  // namespace ringcast::metrics
