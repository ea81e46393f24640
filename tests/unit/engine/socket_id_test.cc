// Tests for src/engine/socket_id: the "<salt*1000+shard>.<serial>" format, round trips at the
// edges, and Parse refusing ids made with another salt and every kind of malformed id.
#include "engine/socket_id.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace ringcast::engine {
namespace {

TEST(SocketIdCodec, FormatIsSaltTimesThousandPlusShardDotSerial) {
  SocketIdCodec codec(41);  // salt = 41 % 2000000 + 1 = 42
  EXPECT_EQ(codec.Format(3, 17), "42003.17");
  EXPECT_EQ(codec.Format(0, 0), "42000.0");
  EXPECT_EQ(codec.Format(999, 1), "42999.1");
  EXPECT_EQ(SocketIdCodec(0).Format(5, 6), "1005.6");
  EXPECT_EQ(SocketIdCodec(1999999).Format(0, 1), "2000000000.1");
  EXPECT_EQ(SocketIdCodec(2000000).Format(0, 1), "1000.1");  // the salt wraps
}

TEST(SocketIdCodec, RoundTripsShardAndSerial) {
  SocketIdCodec codec(0x0123456789abcdefull);
  for (uint32_t shard : {0u, 1u, 63u, 999u}) {
    for (uint64_t serial :
         {uint64_t{0}, uint64_t{1}, uint64_t{123456789}, std::numeric_limits<uint64_t>::max()}) {
      std::string id = codec.Format(shard, serial);
      uint32_t got_shard = 12345;
      uint64_t got_serial = 12345;
      ASSERT_TRUE(codec.Parse(id, &got_shard, &got_serial)) << id;
      EXPECT_EQ(got_shard, shard) << id;
      EXPECT_EQ(got_serial, serial) << id;
    }
  }
}

TEST(SocketIdCodec, RefusesIdsFromAnotherSalt) {
  SocketIdCodec ours(41);
  SocketIdCodec theirs(42);
  uint32_t shard = 7;
  uint64_t serial = 9;
  EXPECT_FALSE(ours.Parse(theirs.Format(3, 17), &shard, &serial));
  EXPECT_FALSE(theirs.Parse(ours.Format(3, 17), &shard, &serial));
  EXPECT_FALSE(ours.Parse("1.1", &shard, &serial));       // salt 0 never issued
  EXPECT_FALSE(ours.Parse("41999.1", &shard, &serial));   // salt 41
  EXPECT_FALSE(ours.Parse("43000.1", &shard, &serial));   // salt 43
  EXPECT_FALSE(ours.Parse("420003.1", &shard, &serial));  // salt 420
  EXPECT_EQ(shard, 7u);
  EXPECT_EQ(serial, 9u);
  EXPECT_TRUE(ours.Parse("42000.1", &shard, &serial));
}

TEST(SocketIdCodec, RefusesMalformedIds) {
  SocketIdCodec codec(41);
  uint32_t shard = 7;
  uint64_t serial = 9;
  for (const char* bad : {"",
                          ".",
                          "42003",
                          "42003.",
                          ".17",
                          "42003.17.1",
                          "42003..17",
                          "42003.-1",
                          "-42003.17",
                          "+42003.17",
                          "42003.+17",
                          "42003.1a",
                          "4200a.1",
                          " 42003.17",
                          "42003.17 ",
                          "42003 .17",
                          "0x42003.17",
                          "42003.0x11",
                          "42003,17",
                          "99999999999999999999999.1",
                          "42003.99999999999999999999999"}) {
    EXPECT_FALSE(codec.Parse(bad, &shard, &serial)) << "'" << bad << "'";
  }
  EXPECT_EQ(shard, 7u);
  EXPECT_EQ(serial, 9u);
}

}  // namespace
}  // namespace ringcast::engine
