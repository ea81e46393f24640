// Occupancy: the control plane's channel -> shard mask, which decides where a publish goes, and
// the per-channel sequence numbers it hands out with each route.
#include "engine/occupancy.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace ringcast::engine {
namespace {

TEST(Occupancy, PublishTargetsOnlyShardsThatReportedMembers) {
  Occupancy occ(2);
  EXPECT_EQ(occ.Mask(0, "c"), 0u);
  occ.Apply(0, 3, "c", true);
  EXPECT_EQ(occ.Mask(0, "c"), uint64_t{1} << 3);
  occ.Apply(0, 0, "c", true);
  EXPECT_EQ(occ.Mask(0, "c"), (uint64_t{1} << 3) | 1u);
  EXPECT_EQ(occ.Mask(1, "c"), 0u) << "apps are separate";
  EXPECT_EQ(occ.Mask(0, "other"), 0u);
}

TEST(Occupancy, VacatedShardLeavesTheMaskAndEmptyChannelsAreDropped) {
  Occupancy occ(1);
  occ.Apply(0, 1, "c", true);
  occ.Apply(0, 2, "c", true);
  occ.Apply(0, 1, "c", false);
  EXPECT_EQ(occ.Mask(0, "c"), uint64_t{1} << 2);
  EXPECT_TRUE(occ.IsOccupied(0, "c"));
  occ.Apply(0, 2, "c", false);
  EXPECT_EQ(occ.Mask(0, "c"), 0u);
  EXPECT_FALSE(occ.IsOccupied(0, "c"));
  EXPECT_EQ(occ.channel_count(0), 0u);
  occ.Apply(0, 5, "never-occupied", false);  // a stray vacate changes nothing
  EXPECT_EQ(occ.channel_count(0), 0u);
}

TEST(Occupancy, RepeatedOccupiedNotesAreIdempotent) {
  Occupancy occ(1);
  occ.Apply(0, 63, "c", true);
  occ.Apply(0, 63, "c", true);
  EXPECT_EQ(occ.Mask(0, "c"), uint64_t{1} << 63);
  occ.Apply(0, 63, "c", false);
  EXPECT_EQ(occ.Mask(0, "c"), 0u);
}

TEST(Occupancy, ListFiltersByPrefix) {
  Occupancy occ(1);
  for (const char* name : {"presence-a", "presence-b", "private-a", "public"}) {
    occ.Apply(0, 0, name, true);
  }
  std::vector<std::string> out;
  occ.List(0, "presence-", &out);
  std::sort(out.begin(), out.end());
  EXPECT_EQ(out, (std::vector<std::string>{"presence-a", "presence-b"}));
  out.clear();
  occ.List(0, "", &out);
  EXPECT_EQ(out.size(), 4u);
}

TEST(Occupancy, EachChannelNumbersItsPublicationsFromOne) {
  Occupancy occ(2);
  EXPECT_EQ(occ.Next(0, "a").mask, 0u) << "nobody subscribes: no route";
  EXPECT_EQ(occ.Next(0, "a").sequence, 0u) << "and no number is used up";
  occ.Apply(0, 1, "a", true);
  occ.Apply(0, 0, "b", true);
  occ.Apply(1, 0, "a", true);
  Occupancy::Route r1 = occ.Next(0, "a");
  EXPECT_EQ(r1.mask, uint64_t{1} << 1);
  EXPECT_EQ(r1.sequence, 1u);
  EXPECT_EQ(occ.Next(0, "a").sequence, 2u);
  EXPECT_EQ(occ.Next(0, "b").sequence, 1u) << "channels count separately";
  EXPECT_EQ(occ.Next(1, "a").sequence, 1u) << "apps count separately";
  occ.Apply(0, 2, "a", true);  // another shard joins: the count goes on
  EXPECT_EQ(occ.Next(0, "a").sequence, 3u);
  EXPECT_EQ(occ.Mask(0, "a"), (uint64_t{1} << 1) | (uint64_t{1} << 2));
}

TEST(Occupancy, SequenceStartsAgainWhenTheChannelEmptiesEverywhere) {
  Occupancy occ(1);
  occ.Apply(0, 0, "a", true);
  occ.Apply(0, 1, "a", true);
  EXPECT_EQ(occ.Next(0, "a").sequence, 1u);
  EXPECT_EQ(occ.Next(0, "a").sequence, 2u);
  occ.Apply(0, 0, "a", false);
  EXPECT_EQ(occ.Next(0, "a").sequence, 3u) << "one shard left: the entry and count stay";
  occ.Apply(0, 1, "a", false);
  EXPECT_EQ(occ.channel_count(0), 0u);
  occ.Apply(0, 1, "a", true);
  EXPECT_EQ(occ.Next(0, "a").sequence, 1u);
}

}  // namespace
}  // namespace ringcast::engine
