// Histogram: a log-linear latency histogram in the manner of HdrHistogram, written for the bench.
//
// Values (nanoseconds, or any unsigned count) below 2^kSubBucketBits are counted exactly; above,
// each power-of-two range is split into 2^(kSubBucketBits-1) equal buckets, so any recorded value
// is reported within 1/2^(kSubBucketBits-1) (0.8 %) of itself over the whole uint64 range, in a
// fixed 7,424-bucket array (58 KiB). min, max, count and sum are exact.
// Not thread-safe: each worker thread records into its own histograms, and the main thread
// merges them (Merge) after the workers have stopped. Record never allocates.
// Coordinated omission is handled by the caller choosing the start of each interval (the
// intended send time of a fixed-rate schedule), not by back-filling here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ringcast::bench {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 8;
  static constexpr uint64_t kSubBucketCount = uint64_t{1} << kSubBucketBits;  // 256
  static constexpr uint64_t kHalfCount = kSubBucketCount / 2;                 // 128
  static constexpr size_t kBucketCount = kSubBucketCount + (64 - kSubBucketBits) * kHalfCount;

  Histogram();

  void Record(uint64_t value) { RecordN(value, 1); }
  void RecordN(uint64_t value, uint64_t n);
  void Merge(const Histogram& other);
  void Reset();

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }

  // The smallest bucket value v such that at least `percentile` % of the recorded values are
  // <= v, reported as the bucket's highest value and clamped to [min, max]. 0 when empty.
  // percentile 100 returns max() exactly; 0 returns min().
  uint64_t ValueAtPercentile(double percentile) const;

  // Bucket arithmetic, public for tests.
  static size_t IndexOf(uint64_t value);
  static uint64_t LowestOf(size_t index);
  static uint64_t HighestOf(size_t index);

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  double sum_ = 0;  // for the mean only
};

}  // namespace ringcast::bench
