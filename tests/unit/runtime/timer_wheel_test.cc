// Tests for src/runtime/timer_wheel: an entry fires at the first Advance whose tick boundary
// reaches its deadline (never before the deadline, at most one tick late), deadlines several
// turns away wait for their turn, many entries each fire exactly once, a stall longer than one
// turn fires everything that is due in one Advance and nothing that is not, and the wait hint.
#include "runtime/timer_wheel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <vector>

namespace ringcast::runtime {
namespace {

constexpr uint64_t kTick = TimerWheel::kTickMs;
constexpr uint64_t kTurnMs = TimerWheel::kTickMs * TimerWheel::kSlots;

uint64_t RoundUpToTick(uint64_t ms) { return (ms + kTick - 1) / kTick * kTick; }

// Advances `wheel` one millisecond at a time from `from` (exclusive) to `to` (inclusive) and
// returns when each cookie fired.
std::map<uint64_t, uint64_t> AdvanceByMs(TimerWheel* wheel, uint64_t from, uint64_t to) {
  std::map<uint64_t, uint64_t> fired_at;
  std::vector<uint64_t> fired;
  for (uint64_t now = from + 1; now <= to; ++now) {
    fired.clear();
    wheel->Advance(now, &fired);
    for (uint64_t cookie : fired) {
      EXPECT_TRUE(fired_at.emplace(cookie, now).second) << "cookie " << cookie << " fired twice";
    }
  }
  return fired_at;
}

TEST(TimerWheel, FiresAtTheTickBoundaryOfItsDeadlineNeverBefore) {
  TimerWheel wheel(1000);
  wheel.Schedule(1120, 1);  // mid-tick: fires at 1150
  wheel.Schedule(1200, 2);  // on a boundary: fires at exactly 1200
  wheel.Schedule(1051, 3);  // fires at 1100
  wheel.Schedule(1201, 4);  // fires at 1250
  EXPECT_EQ(wheel.size(), 4u);
  std::map<uint64_t, uint64_t> fired = AdvanceByMs(&wheel, 1000, 1300);
  EXPECT_EQ(fired, (std::map<uint64_t, uint64_t>{{1, 1150}, {2, 1200}, {3, 1100}, {4, 1250}}));
  EXPECT_EQ(wheel.size(), 0u);
}

TEST(TimerWheel, NothingFiresBeforeTheDeadlineEvenOnItsTick) {
  TimerWheel wheel(0);
  wheel.Schedule(149, 7);
  std::vector<uint64_t> fired;
  wheel.Advance(100, &fired);
  wheel.Advance(148, &fired);
  EXPECT_TRUE(fired.empty());
  wheel.Advance(149, &fired);  // deadline reached, but its tick (150) not yet
  EXPECT_TRUE(fired.empty());
  wheel.Advance(150, &fired);
  EXPECT_EQ(fired, std::vector<uint64_t>{7});
  fired.clear();
  wheel.Advance(5000, &fired);
  EXPECT_TRUE(fired.empty());
}

TEST(TimerWheel, DeadlineInThePastFiresAtTheNextTick) {
  TimerWheel wheel(10'000);
  wheel.Schedule(3'000, 1);
  wheel.Schedule(10'000, 2);
  std::vector<uint64_t> fired;
  wheel.Advance(10'049, &fired);
  EXPECT_TRUE(fired.empty());
  wheel.Advance(10'050, &fired);
  std::sort(fired.begin(), fired.end());
  EXPECT_EQ(fired, (std::vector<uint64_t>{1, 2}));
}

TEST(TimerWheel, AdvanceBackwardsOrToTheSameTickDoesNothing) {
  TimerWheel wheel(1000);
  wheel.Schedule(1100, 1);
  std::vector<uint64_t> fired;
  wheel.Advance(1100, &fired);
  ASSERT_EQ(fired, std::vector<uint64_t>{1});
  wheel.Schedule(1200, 2);
  fired.clear();
  wheel.Advance(900, &fired);
  wheel.Advance(1100, &fired);
  wheel.Advance(1149, &fired);
  EXPECT_TRUE(fired.empty());
  EXPECT_EQ(wheel.size(), 1u);
}

TEST(TimerWheel, FarDeadlinesWaitForTheirTurn) {
  TimerWheel wheel(0);
  // Same bucket as 100 ms, but one, two and three turns later.
  wheel.Schedule(100, 10);
  wheel.Schedule(100 + kTurnMs, 11);
  wheel.Schedule(100 + 2 * kTurnMs, 12);
  wheel.Schedule(100 + 3 * kTurnMs + 1, 13);
  std::map<uint64_t, uint64_t> fired = AdvanceByMs(&wheel, 0, 4 * kTurnMs);
  EXPECT_EQ(fired,
            (std::map<uint64_t, uint64_t>{
                {10, 100}, {11, 100 + kTurnMs}, {12, 100 + 2 * kTurnMs}, {13, 150 + 3 * kTurnMs}}));
}

TEST(TimerWheel, FarDeadlineSurvivesAdvancesInLargeSteps) {
  TimerWheel wheel(0);
  const uint64_t deadline = 5 * kTurnMs + 777;
  wheel.Schedule(deadline, 42);
  std::vector<uint64_t> fired;
  uint64_t now = 0;
  // Steps just under one turn visit every bucket, the entry's included, many times.
  while (now + kTurnMs - kTick < deadline) {
    now += kTurnMs - kTick;
    wheel.Advance(now, &fired);
    ASSERT_TRUE(fired.empty()) << "fired early at " << now;
  }
  wheel.Advance(RoundUpToTick(deadline) - 1, &fired);
  EXPECT_TRUE(fired.empty());
  wheel.Advance(RoundUpToTick(deadline), &fired);
  EXPECT_EQ(fired, std::vector<uint64_t>{42});
  EXPECT_EQ(wheel.size(), 0u);
}

TEST(TimerWheel, ManyEntriesEachFireOnceAtTheFirstAdvancePastTheirTick) {
  std::mt19937_64 rng(12345);
  const uint64_t start = 777'777;
  TimerWheel wheel(start);
  std::vector<uint64_t> deadline(20000);
  for (size_t i = 0; i < deadline.size(); ++i) {
    // Up to three turns ahead, some in the past, many sharing buckets.
    deadline[i] = start - 500 + rng() % (3 * kTurnMs);
    wheel.Schedule(deadline[i], i);
  }
  ASSERT_EQ(wheel.size(), deadline.size());
  std::vector<uint64_t> fired_at(deadline.size(), 0);
  std::vector<uint64_t> fired;
  std::vector<uint64_t> advances;
  uint64_t now = start;
  size_t total = 0;
  while (total < deadline.size()) {
    now += 1 + rng() % 700;  // at most 14 ticks per step
    advances.push_back(now);
    fired.clear();
    wheel.Advance(now, &fired);
    for (uint64_t cookie : fired) {
      ASSERT_LT(cookie, deadline.size());
      ASSERT_EQ(fired_at[cookie], 0u) << "cookie " << cookie << " fired twice";
      fired_at[cookie] = now;
      ++total;
    }
    EXPECT_EQ(wheel.size(), deadline.size() - total);
    ASSERT_LT(now, start + 4 * kTurnMs) << "entries never fired";
  }
  for (size_t i = 0; i < deadline.size(); ++i) {
    // Due at its deadline's tick boundary, or the first tick after the wheel's start.
    uint64_t due = std::max(RoundUpToTick(deadline[i]), (start / kTick + 1) * kTick);
    EXPECT_GE(fired_at[i], deadline[i]) << i;
    EXPECT_EQ(fired_at[i], *std::lower_bound(advances.begin(), advances.end(), due)) << i;
  }
}

TEST(TimerWheel, StallLongerThanOneTurnFiresEverythingDueAndNothingElse) {
  TimerWheel wheel(0);
  for (uint64_t i = 0; i < 1000; ++i) wheel.Schedule(i * 97, i);  // 0 .. 96.9 s
  std::vector<uint64_t> fired;
  const uint64_t stalled_until = 2 * kTurnMs + 333;  // 51.5 s: more than one turn passed
  wheel.Advance(stalled_until, &fired);
  std::sort(fired.begin(), fired.end());
  std::vector<uint64_t> expected;
  for (uint64_t i = 0; i < 1000; ++i) {
    if (i * 97 <= stalled_until) expected.push_back(i);
  }
  EXPECT_EQ(fired, expected);
  EXPECT_EQ(wheel.size(), 1000 - expected.size());
  // The rest still fire on time afterwards.
  std::map<uint64_t, uint64_t> later = AdvanceByMs(&wheel, stalled_until, 100'000);
  EXPECT_EQ(later.size(), 1000 - expected.size());
  for (const auto& [cookie, at] : later) {
    EXPECT_EQ(at, RoundUpToTick(cookie * 97)) << cookie;
  }
  EXPECT_EQ(wheel.size(), 0u);
}

TEST(TimerWheel, StallVisitsEveryBucketOnce) {
  // One entry in each of the 512 buckets, all due; a stall of several turns must find them all.
  TimerWheel wheel(0);
  for (uint64_t k = 1; k <= TimerWheel::kSlots; ++k) wheel.Schedule(k * kTick, k);
  std::vector<uint64_t> fired;
  wheel.Advance(3 * kTurnMs + 10, &fired);
  EXPECT_EQ(fired.size(), TimerWheel::kSlots);
  EXPECT_EQ(wheel.size(), 0u);
}

TEST(TimerWheel, StallOfManyTurnsStillFiresEachEntryOnce) {
  TimerWheel wheel(0);
  wheel.Schedule(10, 1);
  wheel.Schedule(kTurnMs + 10, 2);
  wheel.Schedule(20 * kTurnMs, 3);
  std::vector<uint64_t> fired;
  wheel.Advance(10 * kTurnMs, &fired);
  std::sort(fired.begin(), fired.end());
  EXPECT_EQ(fired, (std::vector<uint64_t>{1, 2}));
  fired.clear();
  wheel.Advance(20 * kTurnMs - 1, &fired);
  EXPECT_TRUE(fired.empty());
  wheel.Advance(20 * kTurnMs, &fired);
  EXPECT_EQ(fired, std::vector<uint64_t>{3});
}

TEST(TimerWheel, WaitHintIsTimeToTheNextTickOrMinusOneWhenEmpty) {
  TimerWheel wheel(1000);
  EXPECT_EQ(wheel.WaitHintMs(1000), -1);
  wheel.Schedule(5000, 1);
  EXPECT_EQ(wheel.WaitHintMs(1000), 50);
  EXPECT_EQ(wheel.WaitHintMs(1001), 49);
  EXPECT_EQ(wheel.WaitHintMs(1049), 1);
  std::vector<uint64_t> fired;
  wheel.Advance(5000, &fired);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(wheel.WaitHintMs(5000), -1);
}

}  // namespace
}  // namespace ringcast::runtime
