// --redis-url: every part of redis://[[user]:password@]HOST[:PORT][/DB], and clear refusals.
#include "cluster/redis_url.h"

#include <gtest/gtest.h>

namespace ringcast::cluster {
namespace {

TEST(RedisUrl, HostAlone) {
  RedisUrl u;
  std::string err;
  ASSERT_TRUE(ParseRedisUrl("redis://127.0.0.1", &u, &err)) << err;
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 6379);
  EXPECT_EQ(u.db, 0u);
  EXPECT_TRUE(u.user.empty());
  EXPECT_TRUE(u.password.empty());
}

TEST(RedisUrl, EveryPart) {
  RedisUrl u;
  std::string err;
  ASSERT_TRUE(ParseRedisUrl("redis://ringcast:p%40ss%3Aw@redis.internal:6380/3", &u, &err)) << err;
  EXPECT_EQ(u.host, "redis.internal");
  EXPECT_EQ(u.port, 6380);
  EXPECT_EQ(u.db, 3u);
  EXPECT_EQ(u.user, "ringcast");
  EXPECT_EQ(u.password, "p@ss:w");
}

TEST(RedisUrl, PasswordWithoutUserAndIpv6) {
  RedisUrl u;
  std::string err;
  ASSERT_TRUE(ParseRedisUrl("redis://:secret@[::1]:7000", &u, &err)) << err;
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 7000);
  EXPECT_TRUE(u.user.empty());
  EXPECT_EQ(u.password, "secret");
  ASSERT_TRUE(ParseRedisUrl("redis://secret@localhost/", &u, &err)) << err;
  EXPECT_EQ(u.password, "secret");  // as redis-cli -u reads it
  EXPECT_EQ(u.host, "localhost");
}

TEST(RedisUrl, Refusals) {
  RedisUrl u;
  std::string err;
  for (const char* bad :
       {"", "http://127.0.0.1", "redis://", "redis://:6379", "redis://h:0", "redis://h:65536",
        "redis://h:x", "redis://h:", "redis://h/x", "redis://[::1", "redis://[::1]x",
        "redis://a%zz@h", "redis://a%4@h", "redis://h h"}) {
    EXPECT_FALSE(ParseRedisUrl(bad, &u, &err)) << bad;
    EXPECT_EQ(err.rfind("redis url: ", 0), 0u) << bad << ": " << err;
  }
  EXPECT_FALSE(ParseRedisUrl("rediss://h", &u, &err));
  EXPECT_NE(err.find("TLS"), std::string::npos);
}

}  // namespace
}  // namespace ringcast::cluster
