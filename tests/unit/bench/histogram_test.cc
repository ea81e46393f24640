// Tests for Histogram (tools/ringcast-bench/histogram.h): bucket layout (contiguous over the
// whole uint64 range, exact below 256, under 1 % error above), percentiles, merging, empty
// histograms and the largest values.
#include "ringcast-bench/histogram.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>

namespace ringcast::bench {
namespace {

TEST(Histogram, BucketsTileTheWholeRangeWithoutGaps) {
  EXPECT_EQ(Histogram::LowestOf(0), 0u);
  for (size_t i = 0; i + 1 < Histogram::kBucketCount; ++i) {
    ASSERT_EQ(Histogram::HighestOf(i) + 1, Histogram::LowestOf(i + 1)) << "bucket " << i;
    ASSERT_EQ(Histogram::IndexOf(Histogram::LowestOf(i)), i);
    ASSERT_EQ(Histogram::IndexOf(Histogram::HighestOf(i)), i);
  }
  EXPECT_EQ(Histogram::HighestOf(Histogram::kBucketCount - 1), UINT64_MAX);
  EXPECT_EQ(Histogram::IndexOf(UINT64_MAX), Histogram::kBucketCount - 1);
}

TEST(Histogram, CountsSmallValuesExactly) {
  Histogram h;
  for (uint64_t v = 0; v < 256; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 256u);
  EXPECT_EQ(h.ValueAtPercentile(50), 127u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 255u);
}

TEST(Histogram, BucketWidthStaysUnderOnePercentOfTheValue) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    uint64_t v = rng() >> (rng() % 64);
    size_t idx = Histogram::IndexOf(v);
    uint64_t width = Histogram::HighestOf(idx) - Histogram::LowestOf(idx);
    ASSERT_LE(width, v / 128) << v;
    ASSERT_LE(Histogram::LowestOf(idx), v);
    ASSERT_GE(Histogram::HighestOf(idx), v);
  }
}

TEST(Histogram, PercentilesOfAUniformRangeAreWithinBucketPrecision) {
  Histogram h;
  for (uint64_t v = 1; v <= 100000; ++v) h.Record(v);
  auto near = [](uint64_t got, double want) {
    return static_cast<double>(got) >= want && static_cast<double>(got) <= want * 1.008;
  };
  EXPECT_TRUE(near(h.ValueAtPercentile(50), 50000)) << h.ValueAtPercentile(50);
  EXPECT_TRUE(near(h.ValueAtPercentile(90), 90000)) << h.ValueAtPercentile(90);
  EXPECT_TRUE(near(h.ValueAtPercentile(99), 99000)) << h.ValueAtPercentile(99);
  EXPECT_TRUE(near(h.ValueAtPercentile(99.9), 99900)) << h.ValueAtPercentile(99.9);
  EXPECT_EQ(h.ValueAtPercentile(100), 100000u);
  EXPECT_EQ(h.ValueAtPercentile(0), 1u);
  EXPECT_DOUBLE_EQ(h.mean(), 50000.5);
}

TEST(Histogram, PercentileNeverExceedsTheRecordedMaximum) {
  Histogram h;
  h.Record(1000001);  // its bucket's highest value is larger
  EXPECT_EQ(h.ValueAtPercentile(50), 1000001u);
  EXPECT_EQ(h.ValueAtPercentile(99.9), 1000001u);
}

TEST(Histogram, OneSlowValueInAThousandShowsAtP999NotP99) {
  Histogram h;
  h.RecordN(1000, 999);
  h.Record(5000000);
  EXPECT_LE(h.ValueAtPercentile(99), 1008u);
  EXPECT_LE(h.ValueAtPercentile(99.9), 1008u);  // rank 999 of 1000 is still fast
  EXPECT_EQ(h.ValueAtPercentile(99.95), 5000000u);
  EXPECT_EQ(h.max(), 5000000u);
}

TEST(Histogram, MergeAddsCountsAndKeepsExtremes) {
  Histogram a;
  Histogram b;
  a.RecordN(10, 3);
  b.RecordN(1000, 1);
  b.Record(5);
  a.Merge(b);
  EXPECT_EQ(a.count(), 5u);
  EXPECT_EQ(a.min(), 5u);
  EXPECT_EQ(a.max(), 1000u);
  EXPECT_EQ(a.ValueAtPercentile(80), 10u);
  a.Reset();
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(a.ValueAtPercentile(50), 0u);
}

TEST(Histogram, EmptyReportsZeros) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.ValueAtPercentile(99), 0u);
}

TEST(Histogram, HandlesTheLargestValues) {
  Histogram h;
  h.Record(UINT64_MAX);
  h.Record(uint64_t{1} << 63);
  EXPECT_EQ(h.max(), UINT64_MAX);
  EXPECT_EQ(h.ValueAtPercentile(100), UINT64_MAX);
  EXPECT_GE(h.ValueAtPercentile(50), uint64_t{1} << 63);
}

}  // namespace
}  // namespace ringcast::bench
