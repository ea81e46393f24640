// Histogram implementation: the log-linear bucket arithmetic (IndexOf, LowestOf, HighestOf),
// recording, merging and the percentile walk. See histogram.h for the layout and precision.
// No allocation after construction; one thread per histogram.
#include "ringcast-bench/histogram.h"

#include <algorithm>
#include <cmath>

namespace ringcast::bench {

Histogram::Histogram() : counts_(kBucketCount, 0) {}

size_t Histogram::IndexOf(uint64_t value) {
  if (value < kSubBucketCount) return static_cast<size_t>(value);
  int msb = 63 - __builtin_clzll(value);   // >= kSubBucketBits
  int shift = msb - (kSubBucketBits - 1);  // >= 1; value >> shift is in [128, 256)
  uint64_t mantissa = value >> shift;
  return static_cast<size_t>(kSubBucketCount + static_cast<uint64_t>(shift - 1) * kHalfCount +
                             (mantissa - kHalfCount));
}

uint64_t Histogram::LowestOf(size_t index) {
  if (index < kSubBucketCount) return index;
  size_t j = index - kSubBucketCount;
  int shift = static_cast<int>(j / kHalfCount) + 1;
  uint64_t mantissa = j % kHalfCount + kHalfCount;
  return mantissa << shift;
}

uint64_t Histogram::HighestOf(size_t index) {
  if (index < kSubBucketCount) return index;
  size_t j = index - kSubBucketCount;
  int shift = static_cast<int>(j / kHalfCount) + 1;
  uint64_t mantissa = j % kHalfCount + kHalfCount;
  if (mantissa + 1 == kSubBucketCount && shift + kSubBucketBits >= 64) return UINT64_MAX;
  return ((mantissa + 1) << shift) - 1;
}

void Histogram::RecordN(uint64_t value, uint64_t n) {
  if (n == 0) return;
  counts_[IndexOf(value)] += n;
  count_ += n;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += static_cast<double>(value) * static_cast<double>(n);
}

void Histogram::Merge(const Histogram& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

void Histogram::Reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
  sum_ = 0;
}

uint64_t Histogram::ValueAtPercentile(double percentile) const {
  if (count_ == 0) return 0;
  if (percentile >= 100) return max_;
  if (percentile <= 0) return min_;
  // The rank of the value asked for: at least one value, at most all of them.
  // (The epsilon keeps 99.9 % of 1000 at rank 999 despite binary fractions.)
  double wanted = std::ceil(percentile * static_cast<double>(count_) / 100.0 - 1e-9);
  uint64_t rank = std::clamp<uint64_t>(static_cast<uint64_t>(wanted), 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(HighestOf(i), min_, max_);
  }
  return max_;
}

}  // namespace ringcast::bench
