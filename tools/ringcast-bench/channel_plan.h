// ChannelPlan: which channel each subscribing connection joins and which channel each
// published event goes to, decided once before the run from the options.
//
// Distributions of connections over the C channels: uniform (counts differ by at most one),
// hot[:F] (round(F*N) on channel 0, the rest uniform over the others), zipf[:S] (channel of
// rank k, 1-based, gets a share proportional to 1/k^S; counts by cumulative rounding so they
// add up to N exactly). The assignment is then shuffled with a seeded generator of our own,
// so a seed gives the same plan everywhere and every thread gets a mix of channels.
// Publishers cycle over all channels: publisher p's k-th event goes to channel (p + k) mod C,
// so every channel receives the same event rate whatever the distribution.
// Built on the main thread; read-only afterwards and shared by every worker.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ringcast-bench/options.h"

namespace ringcast::bench {

class ChannelPlan {
 public:
  static ChannelPlan Build(const BenchOptions& options);

  uint32_t channel_count() const { return static_cast<uint32_t>(names_.size()); }
  const std::string& name(uint32_t channel) const { return names_[channel]; }
  uint32_t channel_of_connection(uint32_t connection) const { return assignment_[connection]; }
  // Connections planned on `channel`.
  uint32_t planned(uint32_t channel) const { return counts_[channel]; }
  uint32_t channel_of_event(uint32_t publisher, uint64_t k) const {
    return static_cast<uint32_t>((publisher + k) % names_.size());
  }

  // Per-channel connection counts for a distribution, without names (for tests).
  static std::vector<uint32_t> Counts(const BenchOptions& options);

 private:
  std::vector<std::string> names_;
  std::vector<uint32_t> assignment_;  // connection -> channel
  std::vector<uint32_t> counts_;      // channel -> connections
};

}  // namespace ringcast::bench
