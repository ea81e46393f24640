// ChannelCache: last event per channel, replaced by the next, gone after its TTL (on lookup and
// by Sweep), apps separate.
#include "engine/channel_cache.h"

#include <gtest/gtest.h>

namespace ringcast::engine {
namespace {

TEST(ChannelCache, KeepsTheLastEventUntilItExpires) {
  ChannelCache c(2);
  EXPECT_EQ(c.Find(0, "cache-a", 0), nullptr);
  c.Store(0, "cache-a", "e1", "d1", 1000);
  c.Store(0, "cache-a", "e2", "d2", 2000);
  const ChannelCache::Entry* e = c.Find(0, "cache-a", 1500);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->event, "e2");
  EXPECT_EQ(e->data, "d2");
  EXPECT_EQ(c.Find(1, "cache-a", 1500), nullptr);  // another app
  EXPECT_EQ(c.Find(0, "cache-a", 2000), nullptr);  // expired: dropped
  EXPECT_EQ(c.size(), 0u);
}

TEST(ChannelCache, SweepDropsOnlyExpiredEntries) {
  ChannelCache c(2);
  c.Store(0, "cache-a", "e", "d", 100);
  c.Store(1, "cache-b", "e", "d", 300);
  c.Store(1, "cache-c", "e", "d", 50);
  c.Sweep(200);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_NE(c.Find(1, "cache-b", 200), nullptr);
}

TEST(ChannelCache, RefusesNewChannelsWhenFullUntilSwept) {
  ChannelCache c(2, /*max_entries=*/2);
  EXPECT_TRUE(c.Store(0, "cache-a", "e", "d", 100));
  EXPECT_TRUE(c.Store(1, "cache-b", "e", "d", 300));
  EXPECT_FALSE(c.Store(0, "cache-c", "e", "d", 300));  // full: a new channel is refused
  EXPECT_TRUE(c.Store(0, "cache-a", "e2", "d2", 400));  // a kept channel is still replaced
  EXPECT_EQ(c.refused(), 1u);
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(c.Find(0, "cache-c", 0), nullptr);
  c.Sweep(350);  // cache-b expired
  EXPECT_EQ(c.size(), 1u);
  EXPECT_TRUE(c.Store(0, "cache-c", "e", "d", 500));
  EXPECT_EQ(c.Find(0, "cache-a", 450), nullptr);  // expired on lookup: counted out
  EXPECT_EQ(c.size(), 1u);
}

}  // namespace
}  // namespace ringcast::engine
