#include "metrics/histogram.h"

#include <cmath>

namespace ringcast::metrics {

Histogram::Histogram(std::vector<uint64_t> bounds, double scale)
    : bounds_(std::move(bounds)),
      scale_(scale),
      buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

HistogramSnapshot Histogram::Snapshot() const {
  HistogramSnapshot s;
  s.bounds.reserve(bounds_.size());
  for (uint64_t b : bounds_) s.bounds.push_back(static_cast<double>(b) * scale_);
  s.cumulative.resize(bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = total;
  }
  s.count = total;
  s.sum = static_cast<double>(sum_.load(std::memory_order_relaxed)) * scale_;
  return s;
}

std::vector<uint64_t> Histogram::LatencyBoundsNs() {
  return {1000,      2500,      5000,      10000,     25000,      50000,      100000,
          250000,    500000,    1000000,   2500000,   5000000,    10000000,   25000000,
          50000000,  100000000, 250000000, 500000000, 1000000000};
}

void HistogramSnapshot::Merge(const HistogramSnapshot& other) {
  if (bounds.empty() && cumulative.empty()) {
    *this = other;
    return;
  }
  for (size_t i = 0; i < cumulative.size() && i < other.cumulative.size(); ++i) {
    cumulative[i] += other.cumulative[i];
  }
  sum += other.sum;
  count += other.count;
}

double HistogramSnapshot::Quantile(double q) const {
  if (count == 0) return 0;
  auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count)));
  if (rank == 0) rank = 1;
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (cumulative[i] >= rank) return bounds[i];
  }
  return HUGE_VAL;
}

}  // namespace ringcast::metrics
