// Tests for PublishSchedule (tools/ringcast-bench/publish_schedule.h): fixed-rate totals
// and interleaving over publishers, due counts capped at the end, odd rates, the end of the
// schedule, and max rate.
#include "ringcast-bench/publish_schedule.h"

#include <gtest/gtest.h>

namespace ringcast::bench {
namespace {

constexpr uint64_t kSecond = 1'000'000'000;
constexpr uint64_t kT0 = 5 * kSecond;

TEST(PublishSchedule, OnePublisherAtAHundredPerSecond) {
  PublishSchedule s;
  s.Init(0, 1, 100, kT0, kT0 + kSecond);
  EXPECT_TRUE(s.fixed());
  EXPECT_EQ(s.total(), 100u);
  EXPECT_EQ(s.Intended(0), kT0);
  EXPECT_EQ(s.Intended(1), kT0 + 10'000'000);
  EXPECT_EQ(s.Due(kT0 - 1), 0u);
  EXPECT_EQ(s.Due(kT0), 1u);
  EXPECT_EQ(s.Due(kT0 + 25'000'000), 3u);
  s.Advance(3);
  EXPECT_EQ(s.Due(kT0 + 25'000'000), 0u);
  EXPECT_EQ(s.Remaining(kT0), 97u);
  EXPECT_EQ(s.Due(kT0 + 10 * kSecond), 97u);  // capped at the end
  EXPECT_FALSE(s.Over(kT0 + kSecond - 1));
  EXPECT_TRUE(s.Over(kT0 + kSecond));
}

TEST(PublishSchedule, PublishersInterleaveAndAddUpToTheRate) {
  uint64_t total = 0;
  for (uint32_t p = 0; p < 3; ++p) {
    PublishSchedule s;
    s.Init(p, 3, 1000, kT0, kT0 + kSecond);
    total += s.total();
    EXPECT_EQ(s.Intended(0), kT0 + p * 1'000'000);
    EXPECT_EQ(s.Intended(1), kT0 + (3 + p) * 1'000'000);
  }
  EXPECT_EQ(total, 1000u);
}

TEST(PublishSchedule, OddRatesCountEveryEventBeforeTheEnd) {
  PublishSchedule s;
  s.Init(1, 2, 7, kT0, kT0 + 3 * kSecond);  // slots 0..20, this publisher has the odd ones
  EXPECT_EQ(s.total(), 10u);
  EXPECT_LT(s.Intended(9), kT0 + 3 * kSecond);
  EXPECT_GE(s.Intended(10), kT0 + 3 * kSecond);
}

TEST(PublishSchedule, OverOnceEverythingIsTaken) {
  PublishSchedule s;
  s.Init(0, 1, 10, kT0, kT0 + kSecond);
  s.Advance(s.total());
  EXPECT_TRUE(s.Over(kT0 + 1));
  EXPECT_EQ(s.Remaining(kT0), 0u);
}

TEST(PublishSchedule, MaxRateIsAlwaysDueUntilTheEnd) {
  PublishSchedule s;
  s.Init(0, 1, 0, kT0, kT0 + kSecond);
  EXPECT_FALSE(s.fixed());
  EXPECT_GT(s.Due(kT0), 1000000u);
  EXPECT_EQ(s.Due(kT0 + kSecond), 0u);
  EXPECT_FALSE(s.Over(kT0));
  EXPECT_TRUE(s.Over(kT0 + kSecond));
}

}  // namespace
}  // namespace ringcast::bench
