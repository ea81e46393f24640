// The Datonow rate limits: the token bucket's burst and refill, the per-app REST budget with a
// per-app limit, and the per-(app, IP) socket budget with its bounded table.
#include "api/rate_limit.h"

#include <gtest/gtest.h>

#include <string>

#include "api/http_call.h"

namespace ringcast::api {
namespace {

TEST(TokenBucketTest, BurstThenEvenRefill) {
  TokenBucket b;
  const int64_t t0 = 1'000'000;
  for (int i = 0; i < 10; ++i) EXPECT_EQ(b.Take(10, 1000, t0), 0) << i;
  const int64_t wait = b.Take(10, 1000, t0);
  EXPECT_GT(wait, 0);
  EXPECT_LE(wait, 100);
  EXPECT_EQ(b.Take(10, 1000, t0 + 100), 0);  // one token back after 100 ms
  EXPECT_GT(b.Take(10, 1000, t0 + 100), 0);
  EXPECT_FALSE(b.Full(10, 1000, t0 + 500));
  EXPECT_TRUE(b.Full(10, 1000, t0 + 5000));
  // A clock going backwards never adds tokens.
  EXPECT_GT(b.Take(10, 1000, t0), 0);
}

TEST(AppRateLimiterTest, PerAppLimitsAndRetryAfter) {
  AppRateLimiter l({3, 0, 600});
  const int64_t t0 = 5'000'000;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(l.Check(0, t0), 0);
  EXPECT_EQ(l.Check(0, t0), 20);  // one request back every 20 s
  EXPECT_EQ(l.Check(0, t0 + 19'500), 1);
  EXPECT_EQ(l.Check(0, t0 + 20'010), 0);
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(l.Check(1, t0), 0);  // 0: no limit
  for (int i = 0; i < 600; ++i) ASSERT_EQ(l.Check(2, t0), 0);   // apps are separate
  EXPECT_EQ(l.Check(2, t0), 1);
  EXPECT_EQ(l.refused(), 3u);
  EXPECT_EQ(l.limit(0), 3u);
}

TEST(AppRateLimiterTest, Answer429) {
  HttpCall c;
  DatonowRateLimited(&c, 600, 4);
  EXPECT_EQ(c.response.rfind("HTTP/1.1 429", 0), 0u) << c.response;
  EXPECT_NE(c.response.find("Retry-After: 4\r\n"), std::string::npos);
  EXPECT_NE(c.response.find(R"({"error":"Rate limit: at most 600 Datonow API requests per minute per app","code":429})"),
            std::string::npos);
}

TEST(IpConnectionLimiterTest, TenPerSecondPerIpAndApp) {
  IpConnectionLimiter l;
  const int64_t t0 = 9'000'000;
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(l.Admit(0, "10.0.0.1", 10, t0).allowed) << i;
  IpConnectionLimiter::Decision d = l.Admit(0, "10.0.0.1", 10, t0);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_s, 1);
  EXPECT_TRUE(l.Admit(0, "10.0.0.2", 10, t0).allowed);  // another IP
  EXPECT_TRUE(l.Admit(1, "10.0.0.1", 10, t0).allowed);  // another app
  EXPECT_TRUE(l.Admit(0, "10.0.0.1", 10, t0 + 100).allowed);
  EXPECT_FALSE(l.Admit(0, "10.0.0.1", 10, t0 + 100).allowed);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(l.Admit(0, "10.0.0.9", 0, t0).allowed);  // 0: off
  EXPECT_EQ(l.stats().refused_rate, 2u);
  EXPECT_EQ(l.stats().entries, 3u);  // an unlimited app records nothing
}

TEST(IpConnectionLimiterTest, TableIsBoundedAndSweptWhenFull) {
  IpConnectionLimiter l;
  const int64_t t0 = 9'000'000;
  for (size_t i = 0; i < IpConnectionLimiter::kMaxEntries; ++i) {
    ASSERT_TRUE(l.Admit(0, "ip" + std::to_string(i), 10, t0).allowed);
  }
  EXPECT_EQ(l.stats().entries, IpConnectionLimiter::kMaxEntries);
  // Full, every entry used within the second: a new address is refused and counted.
  IpConnectionLimiter::Decision d = l.Admit(0, "new", 10, t0 + 10);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(l.stats().refused_table_full, 1u);
  // A known address still works.
  EXPECT_TRUE(l.Admit(0, "ip5", 10, t0 + 10).allowed);
  // After a second the idle entries are full buckets again: the sweep drops them.
  EXPECT_TRUE(l.Admit(0, "new", 10, t0 + 2000).allowed);
  EXPECT_LT(l.stats().entries, 10u);
}

TEST(IpConnectionLimiterTest, PerAppValueOverridesTheServerWideOne) {
  config::Limits limits;
  config::AppConfig a, b;
  a.datonow_ws_connections_per_second = 3;
  EXPECT_EQ(DatonowWsConnectionsPerSecond(a, limits), 3u);
  EXPECT_EQ(DatonowWsConnectionsPerSecond(b, limits), 10u);
}

}  // namespace
}  // namespace ringcast::api
