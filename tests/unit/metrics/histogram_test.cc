#include "metrics/histogram.h"

#include <gtest/gtest.h>

#include <cmath>

namespace ringcast::metrics {
namespace {

TEST(Histogram, CountsIntoBucketsByUpperBound) {
  Histogram h({1, 2, 4}, 1.0);
  for (uint64_t v : {0, 1, 2, 3, 4, 5, 100}) h.Observe(v);
  HistogramSnapshot s = h.Snapshot();
  ASSERT_EQ(s.cumulative.size(), 4u);
  EXPECT_EQ(s.cumulative[0], 2u);  // 0, 1
  EXPECT_EQ(s.cumulative[1], 3u);  // + 2
  EXPECT_EQ(s.cumulative[2], 5u);  // + 3, 4
  EXPECT_EQ(s.cumulative[3], 7u);  // + 5, 100 (+Inf)
  EXPECT_EQ(s.count, 7u);
  EXPECT_DOUBLE_EQ(s.sum, 115.0);
}

TEST(Histogram, ScalesToBaseUnits) {
  Histogram h(Histogram::LatencyBoundsNs(), 1e-9);
  h.Observe(1500);  // 1.5 us
  HistogramSnapshot s = h.Snapshot();
  EXPECT_DOUBLE_EQ(s.bounds.front(), 1e-6);
  EXPECT_DOUBLE_EQ(s.bounds.back(), 1.0);
  EXPECT_EQ(s.cumulative[0], 0u);
  EXPECT_EQ(s.cumulative[1], 1u);  // le 2.5e-6
  EXPECT_NEAR(s.sum, 1.5e-6, 1e-15);
}

TEST(HistogramSnapshot, QuantileIsTheBoundAtOrAboveTheRank) {
  Histogram h({10, 20, 30}, 1.0);
  for (int i = 0; i < 98; ++i) h.Observe(5);
  h.Observe(25);
  h.Observe(25);
  HistogramSnapshot s = h.Snapshot();
  EXPECT_EQ(s.Quantile(0.5), 10.0);
  EXPECT_EQ(s.Quantile(0.98), 10.0);
  EXPECT_EQ(s.Quantile(0.99), 30.0);
  h.Observe(1000);
  EXPECT_TRUE(std::isinf(h.Snapshot().Quantile(1.0)));
  EXPECT_EQ(Histogram({1}, 1.0).Snapshot().Quantile(0.99), 0.0);
}

TEST(HistogramSnapshot, MergeSumsShards) {
  Histogram a({10}, 1.0), b({10}, 1.0);
  a.Observe(1);
  b.Observe(100);
  HistogramSnapshot m;
  m.Merge(a.Snapshot());
  m.Merge(b.Snapshot());
  EXPECT_EQ(m.cumulative[0], 1u);
  EXPECT_EQ(m.cumulative[1], 2u);
  EXPECT_EQ(m.count, 2u);
  EXPECT_DOUBLE_EQ(m.sum, 101.0);
}

}  // namespace
}  // namespace ringcast::metrics
