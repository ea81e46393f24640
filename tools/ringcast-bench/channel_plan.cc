// ChannelPlan implementation: per-distribution connection counts (uniform, hot, zipf with
// cumulative rounding), channel names, and the seeded Fisher-Yates shuffle of the assignment.
// Runs once on the main thread before the workers start; the result is read-only afterwards.
// The generator is splitmix64, not std::shuffle, so a seed gives the same plan everywhere.
#include "ringcast-bench/channel_plan.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace ringcast::bench {
namespace {

// splitmix64: small, fast and identical on every platform (std::shuffle is not).
uint64_t NextRandom(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void SpreadUniform(uint32_t n, uint32_t first, std::vector<uint32_t>* counts) {
  uint32_t channels = static_cast<uint32_t>(counts->size()) - first;
  if (channels == 0) return;
  for (uint32_t c = 0; c < channels; ++c) {
    (*counts)[first + c] += n / channels + (c < n % channels ? 1 : 0);
  }
}

}  // namespace

std::vector<uint32_t> ChannelPlan::Counts(const BenchOptions& o) {
  uint32_t c_count = std::max<uint32_t>(1, o.channels);
  std::vector<uint32_t> counts(c_count, 0);
  uint32_t n = o.connections;
  switch (o.distribution) {
    case Distribution::kUniform:
      SpreadUniform(n, 0, &counts);
      break;
    case Distribution::kHot: {
      if (c_count == 1) {
        counts[0] = n;
        break;
      }
      uint32_t hot = static_cast<uint32_t>(std::llround(o.hot_fraction * n));
      counts[0] = hot;
      SpreadUniform(n - hot, 1, &counts);
      break;
    }
    case Distribution::kZipf: {
      std::vector<double> cumulative(c_count);
      double total = 0;
      for (uint32_t k = 0; k < c_count; ++k) {
        total += 1.0 / std::pow(static_cast<double>(k + 1), o.zipf_s);
        cumulative[k] = total;
      }
      uint64_t assigned = 0;
      for (uint32_t k = 0; k < c_count; ++k) {
        uint64_t upto =
            k + 1 == c_count ? n : static_cast<uint64_t>(std::floor(n * (cumulative[k] / total)));
        if (upto < assigned) upto = assigned;
        counts[k] = static_cast<uint32_t>(upto - assigned);
        assigned = upto;
      }
      break;
    }
  }
  return counts;
}

ChannelPlan ChannelPlan::Build(const BenchOptions& o) {
  ChannelPlan plan;
  plan.counts_ = Counts(o);
  std::string prefix =
      o.mode == PublishMode::kClientEvents ? "private-" + o.channel_prefix : o.channel_prefix;
  for (uint32_t c = 0; c < plan.counts_.size(); ++c) {
    plan.names_.push_back(prefix + "-" + std::to_string(c));
  }
  plan.assignment_.reserve(o.connections);
  for (uint32_t c = 0; c < plan.counts_.size(); ++c) {
    plan.assignment_.insert(plan.assignment_.end(), plan.counts_[c], c);
  }
  uint64_t state = o.seed;
  for (size_t i = plan.assignment_.size(); i > 1; --i) {
    size_t j = static_cast<size_t>(NextRandom(&state) % i);
    std::swap(plan.assignment_[i - 1], plan.assignment_[j]);
  }
  return plan;
}

}  // namespace ringcast::bench
