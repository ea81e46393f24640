// Cross-thread use of the single-writer metrics (also run under TSan: suite tsan).
#include <gtest/gtest.h>

#include <thread>

#include "metrics/counter.h"
#include "metrics/histogram.h"

namespace ringcast::metrics {
namespace {

// One writer, one reader at once: the reader never sees a bucket go down and ends with all.
TEST(Histogram, ReaderOnAnotherThreadSeesMonotonicCounts) {
  Histogram h({10}, 1.0);
  constexpr uint64_t kN = 200000;
  std::thread writer([&] {
    for (uint64_t i = 0; i < kN; ++i) h.Observe(i & 15);
  });
  uint64_t last = 0;
  for (int i = 0; i < 1000; ++i) {
    uint64_t c = h.Snapshot().count;
    EXPECT_GE(c, last);
    last = c;
  }
  writer.join();
  EXPECT_EQ(h.Snapshot().count, kN);
}

TEST(Counter, ReaderOnAnotherThreadSeesMonotonicValues) {
  Counter c;
  constexpr uint64_t kN = 200000;
  std::thread writer([&] {
    for (uint64_t i = 0; i < kN; ++i) c.Add();
  });
  uint64_t last = 0;
  for (int i = 0; i < 1000; ++i) {
    uint64_t v = c.Get();
    EXPECT_GE(v, last);
    last = v;
  }
  writer.join();
  EXPECT_EQ(c.Get(), kN);
}

}  // namespace
}  // namespace ringcast::metrics
