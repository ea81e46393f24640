// PresenceTable: members keyed by user id over all connections; first join / last leave only;
// the per-channel member limit; unknown leaves change nothing.
#include "engine/presence_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace ringcast::engine {
namespace {

using Outcome = PresenceTable::JoinOutcome;
using Key = PresenceTable::ConnKey;

std::vector<std::string> Ids(const PresenceTable& t, uint32_t app, std::string_view ch) {
  std::vector<std::string> ids;
  t.ForEachMember(app, ch, [&](std::string_view id, std::string_view) { ids.emplace_back(id); });
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST(PresenceTable, UserWithSeveralConnectionsIsOneMemberUntilTheLastLeaves) {
  PresenceTable t(1);
  EXPECT_EQ(t.Join(0, "presence-a", "u1", "{\"n\":1}", Key{0, 1}, 100), Outcome::kAdded);
  EXPECT_EQ(t.Join(0, "presence-a", "u1", "{\"n\":2}", Key{1, 7}, 100), Outcome::kAlreadyMember);
  EXPECT_EQ(t.UserCount(0, "presence-a"), 1u);
  EXPECT_EQ(t.Connections(0, "presence-a", "u1"), 2u);
  EXPECT_FALSE(t.Leave(0, "presence-a", "u1", Key{0, 1}));
  EXPECT_EQ(t.UserCount(0, "presence-a"), 1u);
  EXPECT_TRUE(t.Leave(0, "presence-a", "u1", Key{1, 7}));
  EXPECT_EQ(t.UserCount(0, "presence-a"), 0u);
  EXPECT_EQ(t.channel_count(0), 0u);
}

TEST(PresenceTable, RefusesNewMembersBeyondTheLimitButNotMoreConnectionsOfAMember) {
  PresenceTable t(1);
  EXPECT_EQ(t.Join(0, "p", "a", "", Key{0, 1}, 2), Outcome::kAdded);
  EXPECT_EQ(t.Join(0, "p", "b", "", Key{0, 2}, 2), Outcome::kAdded);
  EXPECT_EQ(t.Join(0, "p", "c", "", Key{0, 3}, 2), Outcome::kFull);
  EXPECT_EQ(t.Join(0, "p", "a", "", Key{1, 3}, 2), Outcome::kAlreadyMember);
  EXPECT_EQ(Ids(t, 0, "p"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(t.Join(0, "q", "a", "", Key{0, 1}, 0), Outcome::kFull);
  EXPECT_EQ(t.channel_count(0), 1u);
}

TEST(PresenceTable, LeaveOfAnUnrecordedConnectionChangesNothing) {
  PresenceTable t(2);
  EXPECT_EQ(t.Join(0, "p", "a", "", Key{0, 1}, 1), Outcome::kAdded);
  EXPECT_EQ(t.Join(0, "p", "b", "", Key{0, 2}, 1), Outcome::kFull);
  EXPECT_FALSE(t.Leave(0, "p", "b", Key{0, 2}));  // the refused join's leave
  EXPECT_FALSE(t.Leave(0, "p", "a", Key{0, 9}));  // not a's connection
  EXPECT_EQ(t.Connections(0, "p", "a"), 1u);
  EXPECT_EQ(t.UserCount(1, "p"), 0u);  // apps are separate
}

}  // namespace
}  // namespace ringcast::engine
