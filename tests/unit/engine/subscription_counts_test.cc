// SubscriptionCounts: exact totals over shards from absolute per-shard reports, and Pusher's
// throttle: a small channel's change is told at once (coalesced per TakeDue), a channel of more
// than 100 subscribers at most every 5 s, a change back to the told count or to 0 tells
// nothing, a joiner forces a tell, and the table is bounded (refused and counted).
#include "engine/subscription_counts.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringcast::engine {
namespace {

using Due = SubscriptionCounts::Due;

std::vector<Due> Take(SubscriptionCounts& c, uint64_t now, size_t max = 1000) {
  std::vector<Due> out;
  c.TakeDue(now, max, &out);
  return out;
}

TEST(SubscriptionCounts, SumsShardsAndTellsSmallChannelAtOnce) {
  SubscriptionCounts c(2);
  c.Set(0, "room", 0, 1, true, 1000);
  c.Set(0, "room", 1, 1, true, 1000);  // same turn: coalesced
  EXPECT_EQ(c.Total(0, "room"), 2u);
  EXPECT_EQ(c.WaitHintMs(1000), 0);
  auto due = Take(c, 1000);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].app, 0u);
  EXPECT_EQ(due[0].channel, "room");
  EXPECT_EQ(due[0].count, 2u);
  EXPECT_EQ(c.WaitHintMs(1000), -1);

  c.Set(0, "room", 1, 0, false, 1010);  // one leaves: told at once
  due = Take(c, 1010);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].count, 1u);
}

TEST(SubscriptionCounts, AppsAreSeparate) {
  SubscriptionCounts c(1);
  c.Set(0, "room", 0, 3, true, 0);
  c.Set(1, "room", 0, 5, true, 0);
  EXPECT_EQ(c.Total(0, "room"), 3u);
  EXPECT_EQ(c.Total(1, "room"), 5u);
  auto due = Take(c, 0);
  ASSERT_EQ(due.size(), 2u);
}

TEST(SubscriptionCounts, LargeChannelIsToldAtMostEveryFiveSeconds) {
  SubscriptionCounts c(2);
  c.Set(0, "big", 0, 150, true, 1000);
  ASSERT_EQ(Take(c, 1000).size(), 1u);  // first tell: at once
  c.Set(0, "big", 1, 1, true, 1100);    // 151: waits until 6000
  EXPECT_TRUE(Take(c, 1100).empty());
  EXPECT_EQ(c.WaitHintMs(1100), 4900);
  for (uint64_t t = 1200, n = 2; t < 5000; t += 100, ++n) c.Set(0, "big", 1, n, true, t);
  EXPECT_TRUE(Take(c, 5999).empty());
  auto due = Take(c, 6000);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].count, c.Total(0, "big"));
  EXPECT_EQ(c.pending(), 0u);
}

TEST(SubscriptionCounts, ChangeBackToToldCountSendsNothingUnlessSomeoneJoined) {
  SubscriptionCounts c(2);
  c.Set(0, "room", 0, 2, true, 0);
  ASSERT_EQ(Take(c, 0).size(), 1u);
  c.Set(0, "room", 1, 1, false, 10);  // 3 ...
  c.Set(0, "room", 1, 0, false, 10);  // ... and back to 2 before it was told
  EXPECT_TRUE(Take(c, 10).empty());
  // A leave and a join on one shard in one turn: same count, but the joiner must hear it.
  c.Set(0, "room", 0, 2, true, 20);
  auto due = Take(c, 20);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].count, 2u);
  // A repeated report without a change or a join: nothing.
  c.Set(0, "room", 0, 2, false, 30);
  EXPECT_TRUE(Take(c, 30).empty());
}

TEST(SubscriptionCounts, EmptyChannelIsForgottenAndTellsNothing) {
  SubscriptionCounts c(2);
  c.Set(0, "room", 0, 1, true, 0);
  c.Set(0, "room", 0, 0, false, 0);  // gone before it was told
  EXPECT_TRUE(Take(c, 0).empty());
  EXPECT_EQ(c.size(), 0u);
  c.Set(0, "room", 1, 0, false, 0);  // a vacated note for an untracked channel: nothing
  EXPECT_EQ(c.size(), 0u);
  c.Set(0, "room", 1, 1, true, 5);  // back: told again, as new
  auto due = Take(c, 5);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].count, 1u);
}

TEST(SubscriptionCounts, LargeChannelShrinkingBelowTheLimitIsToldAtOnce) {
  SubscriptionCounts c(1);
  c.Set(0, "big", 0, 200, true, 0);
  ASSERT_EQ(Take(c, 0).size(), 1u);
  c.Set(0, "big", 0, 199, false, 100);  // throttled: due at 5000
  EXPECT_EQ(c.WaitHintMs(100), 4900);
  c.Set(0, "big", 0, 50, false, 200);  // small again: at once
  auto due = Take(c, 200);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].count, 50u);
}

TEST(SubscriptionCounts, TakeDueTakesAtMostMaxAndLeavesTheRestDue) {
  SubscriptionCounts c(1);
  for (int i = 0; i < 5; ++i) c.Set(0, "c" + std::to_string(i), 0, 1, true, 0);
  EXPECT_EQ(Take(c, 0, 3).size(), 3u);
  EXPECT_EQ(c.WaitHintMs(0), 0);
  EXPECT_EQ(Take(c, 0, 3).size(), 2u);
  EXPECT_EQ(c.WaitHintMs(0), -1);
}

TEST(SubscriptionCounts, BoundedTableRefusesAndCounts) {
  SubscriptionCounts c(1, 2);
  c.Set(0, "a", 0, 1, true, 0);
  c.Set(0, "b", 0, 1, true, 0);
  c.Set(0, "c", 0, 1, true, 0);
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(c.refused(), 1u);
  EXPECT_EQ(c.Total(0, "c"), 0u);
  EXPECT_EQ(Take(c, 0).size(), 2u);
  c.Set(0, "a", 0, 0, false, 1);  // room again
  c.Set(0, "c", 0, 1, true, 1);
  EXPECT_EQ(c.Total(0, "c"), 1u);
}

}  // namespace
}  // namespace ringcast::engine
