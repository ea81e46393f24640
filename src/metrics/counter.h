// Counter and Gauge: one number with one writer thread and any number of readers.
//
// The owner (a shard, the control plane) writes with relaxed load+store (no read-modify-write:
// there is one writer), so the message path pays a plain store and never a lock or a bus-locked
// instruction; a scrape on another thread reads with relaxed loads. A reading is consistent per
// number, not across numbers. Gauge may go down; Counter only up.
// Thread rules: Add/Set/Sub from the one owning thread; Get from any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace ringcast::metrics {

class Counter {
 public:
  void Add(uint64_t n = 1) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  // For a counter kept elsewhere as a plain number by the same thread (published each turn).
  void Set(uint64_t n) { v_.store(n, std::memory_order_relaxed); }
  uint64_t Get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

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
