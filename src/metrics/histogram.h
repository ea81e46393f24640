// Histogram: a Prometheus histogram with fixed bucket bounds, one writer thread, any readers.
//
// Observe() (owner thread) finds the bucket by a short linear scan (bounds are few and the
// common case is in the first ones) and bumps it, the sum and the count with relaxed stores:
// no lock, no read-modify-write. Snapshot() (any thread) reads the buckets with relaxed loads
// and returns them cumulative, as the exposition format wants; the snapshot is consistent per
// bucket, not across buckets, so its count is recomputed from the buckets it read (the +Inf
// bucket always equals _count in the output).
// Values are recorded in integer units (e.g. nanoseconds) and exposed scaled to base units
// (e.g. seconds) by `scale`.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace ringcast::metrics {

struct HistogramSnapshot {
  std::vector<double> bounds;        // upper bounds in base units, ascending (+Inf implied)
  std::vector<uint64_t> cumulative;  // bounds.size() + 1 entries; the last is +Inf (= count)
  double sum = 0;                    // in base units
  uint64_t count = 0;
  // Adds `other` (same bounds) into this one: a sum over shards.
  void Merge(const HistogramSnapshot& other);
  // The smallest bound at or above the q-quantile (0 < q <= 1); +Inf as HUGE_VAL; 0 if empty.
  double Quantile(double q) const;
};

class Histogram {
 public:
  // `bounds`: ascending upper bounds in recorded units; `scale` converts a recorded unit to the
  // exposed base unit (1e-9 for nanoseconds -> seconds).
  Histogram(std::vector<uint64_t> bounds, double scale);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Owner thread.
  void Observe(uint64_t v) {
    size_t i = 0;
    while (i < bounds_.size() && v > bounds_[i]) ++i;
    Bump(&buckets_[i], 1);
    Bump(&sum_, v);
  }

  // Any thread.
  HistogramSnapshot Snapshot() const;

  // Bounds for loop-turn and request latencies: 1 us to 1 s, in nanoseconds.
  static std::vector<uint64_t> LatencyBoundsNs();

 private:
  static void Bump(std::atomic<uint64_t>* a, uint64_t n) {
    a->store(a->load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  std::vector<uint64_t> bounds_;
  double scale_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
  std::atomic<uint64_t> sum_{0};
};

}  // namespace ringcast::metrics
