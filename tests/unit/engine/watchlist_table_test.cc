#include "engine/watchlist_table.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace ringcast::engine {
namespace {

using Ids = std::vector<std::string>;

WatchlistTable::Address Conn(uint32_t shard, uint64_t serial) {
  WatchlistTable::Address a;
  a.shard = shard;
  a.conn_index = static_cast<uint32_t>(serial);
  a.conn_gen = 1;
  a.serial = serial;
  return a;
}

WatchlistTable::ConnKey Key(uint32_t shard, uint64_t serial) { return {shard, serial}; }

struct Change {
  uint32_t shard;
  uint64_t serial;
  Ids online;
  Ids offline;
};

std::vector<Change> Take(WatchlistTable& t, size_t max = 1000) {
  std::vector<Change> out;
  t.TakeChanges(max, [&](const WatchlistTable::Address& a, const Ids& on, const Ids& off) {
    out.push_back({a.shard, a.serial, on, off});
  });
  return out;
}

TEST(WatchlistTable, FirstSignInReportsCurrentStateOfTheWatchlist) {
  WatchlistTable t(1, 1000);
  EXPECT_TRUE(t.SignIn(0, "b", Conn(1, 1), {}).recorded);
  WatchlistTable::SignInResult r = t.SignIn(0, "a", Conn(0, 1), {"b", "c"});
  EXPECT_TRUE(r.recorded);
  EXPECT_EQ(r.online, Ids{"b"});
  EXPECT_EQ(r.offline, Ids{"c"});
  EXPECT_EQ(r.not_indexed, 0u);
  EXPECT_EQ(t.entries(), 2u);
  EXPECT_TRUE(t.IsOnline(0, "a"));
  EXPECT_FALSE(t.IsOnline(0, "c"));
  EXPECT_TRUE(Take(t).empty());  // a watched nobody before it signed in
}

TEST(WatchlistTable, WatcherIsToldWhenTheFirstConnectionSignsInAndTheLastLeaves) {
  WatchlistTable t(1, 1000);
  t.SignIn(0, "a", Conn(0, 1), {"b"});
  t.SignIn(0, "b", Conn(1, 7), {});
  std::vector<Change> c = Take(t);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].shard, 0u);
  EXPECT_EQ(c[0].serial, 1u);
  EXPECT_EQ(c[0].online, Ids{"b"});
  EXPECT_TRUE(c[0].offline.empty());
  // A second connection of b, then one of them leaving: nothing.
  t.SignIn(0, "b", Conn(0, 8), {});
  t.SignOut(Key(1, 7));
  EXPECT_FALSE(t.has_changes());
  EXPECT_EQ(t.Connections(0, "b"), 1u);
  t.SignOut(Key(0, 8));
  c = Take(t);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].offline, Ids{"b"});
  EXPECT_FALSE(t.IsOnline(0, "b"));
}

TEST(WatchlistTable, FlipsBeforeTheWatcherWasToldCancelOut) {
  WatchlistTable t(1, 1000);
  t.SignIn(0, "a", Conn(0, 1), {"b", "c"});
  t.SignIn(0, "b", Conn(1, 2), {});
  t.SignOut(Key(1, 2));  // online then offline in one turn: a's view did not change
  t.SignIn(0, "c", Conn(1, 3), {});
  std::vector<Change> c = Take(t);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].online, Ids{"c"});
  EXPECT_TRUE(c[0].offline.empty());
  t.SignIn(0, "b", Conn(1, 4), {});
  t.SignOut(Key(1, 3));
  c = Take(t);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].online, Ids{"b"});
  EXPECT_EQ(c[0].offline, Ids{"c"});
}

TEST(WatchlistTable, EveryWatcherOnEveryShardIsTold) {
  WatchlistTable t(1, 1000);
  for (uint64_t s = 1; s <= 50; ++s) t.SignIn(0, "w" + std::to_string(s), Conn(s % 2, s), {"star"});
  EXPECT_EQ(t.Watchers(0, "star"), 50u);
  t.SignIn(0, "star", Conn(0, 100), {});
  // Bounded per call: 20, 20, 10.
  EXPECT_EQ(Take(t, 20).size(), 20u);
  EXPECT_EQ(Take(t, 20).size(), 20u);
  std::vector<Change> last = Take(t, 20);
  EXPECT_EQ(last.size(), 10u);
  for (const Change& c : last) EXPECT_EQ(c.online, Ids{"star"});
  EXPECT_FALSE(t.has_changes());
}

TEST(WatchlistTable, AWatcherThatLeftIsSkippedAndItsEntriesFreed) {
  WatchlistTable t(1, 1000);
  t.SignIn(0, "a1", Conn(0, 1), {"b", "c"});
  t.SignIn(0, "a2", Conn(1, 2), {"b"});
  t.SignIn(0, "a3", Conn(1, 3), {"b"});
  EXPECT_EQ(t.entries(), 4u);
  t.SignIn(0, "b", Conn(0, 9), {});
  t.SignOut(Key(0, 1));  // queued, then gone
  EXPECT_EQ(t.entries(), 2u);
  EXPECT_EQ(t.Watchers(0, "b"), 2u);
  EXPECT_EQ(t.Watchers(0, "c"), 0u);
  std::vector<Change> c = Take(t);
  ASSERT_EQ(c.size(), 2u);
  // The swap-removes kept the back pointers right: leaving again from the middle works.
  t.SignOut(Key(1, 2));
  t.SignOut(Key(0, 9));
  c = Take(t);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].serial, 3u);
  EXPECT_EQ(c[0].offline, Ids{"b"});
  t.SignOut(Key(1, 3));
  EXPECT_EQ(t.entries(), 0u);
  EXPECT_EQ(t.connections(), 0u);
  EXPECT_EQ(t.users(0), 0u);  // nothing left behind
}

TEST(WatchlistTable, DuplicatesCountOnceAndTheIndexIsBounded) {
  WatchlistTable t(1, 3);
  WatchlistTable::SignInResult r = t.SignIn(0, "a", Conn(0, 1), {"b", "b", "c"});
  EXPECT_EQ(r.offline, (Ids{"b", "c"}));
  EXPECT_EQ(t.entries(), 2u);
  r = t.SignIn(0, "d", Conn(0, 2), {"x", "y", "z"});
  EXPECT_EQ(r.offline, Ids{"x"});
  EXPECT_EQ(r.not_indexed, 2u);
  EXPECT_EQ(t.entries(), 3u);
  EXPECT_EQ(t.refused(), 2u);
  EXPECT_EQ(t.Watchers(0, "y"), 0u);
  t.SignOut(Key(0, 1));
  EXPECT_EQ(t.SignIn(0, "e", Conn(0, 3), {"y"}).offline, Ids{"y"});  // room again
}

TEST(WatchlistTable, AUserWatchingItselfIsToldOnceAndASecondSignInIsIgnored) {
  WatchlistTable t(1, 1000);
  WatchlistTable::SignInResult r = t.SignIn(0, "a", Conn(0, 1), {"a"});
  EXPECT_EQ(r.online, Ids{"a"});
  EXPECT_FALSE(t.has_changes());
  EXPECT_FALSE(t.SignIn(0, "a", Conn(0, 1), {"z"}).recorded);
  EXPECT_EQ(t.entries(), 1u);
  t.SignIn(0, "a", Conn(1, 2), {"a"});  // a second tab: already online
  EXPECT_FALSE(t.has_changes());
  t.SignOut(Key(0, 1));
  EXPECT_FALSE(t.has_changes());
  t.SignOut(Key(1, 2));
  EXPECT_EQ(t.users(0), 0u);
}

TEST(WatchlistTable, AppsAreSeparate) {
  WatchlistTable t(2, 1000);
  t.SignIn(0, "a", Conn(0, 1), {"b"});
  t.SignIn(1, "b", Conn(0, 2), {});
  EXPECT_FALSE(t.has_changes());
  EXPECT_FALSE(t.IsOnline(0, "b"));
  EXPECT_TRUE(t.IsOnline(1, "b"));
}

// Cluster mode: Redis' word (SetRemote, versioned) makes a user online too; local first and last
// connections are reported for Redis; Snapshot answers a sign-in held for Redis' word.
TEST(WatchlistTable, RemoteStateIsVersionedAndCombinedWithTheLocalOne) {
  WatchlistTable t(1, 1000);
  WatchlistTable::SignInResult r = t.SignIn(0, "a", Conn(0, 1), {"b"});
  EXPECT_TRUE(r.came_online);
  EXPECT_EQ(r.offline, Ids{"b"});
  t.SetRemote(0, "nobody-watches", true, 1);  // not in the table: not kept
  EXPECT_EQ(t.users(0), 2u);
  t.SetRemote(0, "b", true, 5);  // b online on another node
  std::vector<Change> c = Take(t);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].online, Ids{"b"});
  t.SetRemote(0, "b", false, 4);  // older than what was applied: ignored
  EXPECT_FALSE(t.has_changes());
  // b signs in here too: still online, nothing to tell; Redis's word is echoed: nothing.
  EXPECT_TRUE(t.SignIn(0, "b", Conn(1, 2), {}).came_online);
  t.SetRemote(0, "b", true, 6);
  EXPECT_FALSE(t.has_changes());
  // Its local tab goes: reported for Redis, but b stays online until Redis says otherwise.
  WatchlistTable::SignOutResult out = t.SignOut(Key(1, 2));
  EXPECT_TRUE(out.went_offline);
  EXPECT_EQ(out.user_id, "b");
  EXPECT_FALSE(t.has_changes());
  t.SetRemote(0, "b", false, 7);
  c = Take(t);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].offline, Ids{"b"});
  // A second watcher signs in while b is online elsewhere: its held answer (Snapshot) says so,
  // and it gets no separate change for it.
  WatchlistTable::SignInResult r2 = t.SignIn(0, "a2", Conn(0, 3), {"b", "z"});
  EXPECT_EQ(r2.offline, (Ids{"b", "z"}));
  t.SetRemote(0, "b", true, 8);
  Ids on, off;
  ASSERT_TRUE(t.Snapshot(Key(0, 3), &on, &off));
  EXPECT_EQ(on, Ids{"b"});
  EXPECT_EQ(off, Ids{"z"});
  c = Take(t);
  ASSERT_EQ(c.size(), 1u);  // the first watcher only
  EXPECT_EQ(c[0].serial, 1u);
  EXPECT_FALSE(t.Snapshot(Key(9, 9), &on, &off));
  EXPECT_FALSE(t.SignOut(Key(9, 9)).went_offline);
}

}  // namespace
}  // namespace ringcast::engine
