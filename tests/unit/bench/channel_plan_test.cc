// Tests for ChannelPlan (tools/ringcast-bench/channel_plan.h): connection counts per
// distribution (uniform, hot, zipf), the seeded shuffled assignment, channel names in both
// modes, and the publishers' channel cycle.
#include "ringcast-bench/channel_plan.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace ringcast::bench {
namespace {

BenchOptions Opts(uint32_t n, uint32_t c, Distribution d) {
  BenchOptions o;
  o.connections = n;
  o.channels = c;
  o.distribution = d;
  return o;
}

uint64_t Sum(const std::vector<uint32_t>& v) { return std::accumulate(v.begin(), v.end(), 0ull); }

TEST(ChannelPlan, UniformCountsDifferByAtMostOne) {
  std::vector<uint32_t> c = ChannelPlan::Counts(Opts(1003, 10, Distribution::kUniform));
  EXPECT_EQ(Sum(c), 1003u);
  for (uint32_t n : c) EXPECT_TRUE(n == 100 || n == 101);
}

TEST(ChannelPlan, HotPutsItsShareOnChannelZero) {
  BenchOptions o = Opts(1000, 5, Distribution::kHot);
  o.hot_fraction = 0.6;
  std::vector<uint32_t> c = ChannelPlan::Counts(o);
  EXPECT_EQ(c[0], 600u);
  for (size_t i = 1; i < c.size(); ++i) EXPECT_EQ(c[i], 100u);
  EXPECT_EQ(ChannelPlan::Counts(Opts(7, 1, Distribution::kHot))[0], 7u);
}

TEST(ChannelPlan, ZipfFallsWithRankAndAddsUp) {
  std::vector<uint32_t> c = ChannelPlan::Counts(Opts(10000, 100, Distribution::kZipf));
  EXPECT_EQ(Sum(c), 10000u);
  // s = 1 over 100 channels: rank 1 has 1/H(100) = 19.3 %, rank 2 half of that.
  EXPECT_NEAR(c[0], 1928, 2);
  EXPECT_NEAR(c[1], 964, 2);
  for (size_t i = 1; i < c.size(); ++i) EXPECT_LE(c[i], c[i - 1] + 1);
}

TEST(ChannelPlan, AssignmentMatchesCountsAndDependsOnlyOnTheSeed) {
  BenchOptions o = Opts(500, 7, Distribution::kZipf);
  ChannelPlan a = ChannelPlan::Build(o);
  ChannelPlan b = ChannelPlan::Build(o);
  std::vector<uint32_t> seen(7, 0);
  bool shuffled = false;
  for (uint32_t i = 0; i < 500; ++i) {
    EXPECT_EQ(a.channel_of_connection(i), b.channel_of_connection(i));
    ++seen[a.channel_of_connection(i)];
    if (i > 0 && a.channel_of_connection(i) < a.channel_of_connection(i - 1)) shuffled = true;
  }
  for (uint32_t c = 0; c < 7; ++c) EXPECT_EQ(seen[c], a.planned(c));
  EXPECT_TRUE(shuffled);
  o.seed = 2;
  ChannelPlan d = ChannelPlan::Build(o);
  bool differs = false;
  for (uint32_t i = 0; i < 500; ++i)
    differs |= d.channel_of_connection(i) != a.channel_of_connection(i);
  EXPECT_TRUE(differs);
}

TEST(ChannelPlan, NamesAndPublisherCycle) {
  BenchOptions o = Opts(4, 3, Distribution::kUniform);
  ChannelPlan p = ChannelPlan::Build(o);
  EXPECT_EQ(p.name(0), "bench-0");
  EXPECT_EQ(p.name(2), "bench-2");
  EXPECT_EQ(p.channel_of_event(0, 0), 0u);
  EXPECT_EQ(p.channel_of_event(0, 4), 1u);
  EXPECT_EQ(p.channel_of_event(2, 0), 2u);
  o.mode = PublishMode::kClientEvents;
  EXPECT_EQ(ChannelPlan::Build(o).name(1), "private-bench-1");
}

}  // namespace
}  // namespace ringcast::bench
