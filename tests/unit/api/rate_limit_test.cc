// The Datonow rate limits: the token bucket's burst and refill, the per-app REST budget with a
// per-app limit, and the per-(app, IP) socket budget with its bounded, striped table (stale
// entries evicted and counted; one bucket per key across threads).
#include "api/rate_limit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

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

TEST(IpConnectionLimiterTest, TableIsBoundedAndStaleEntriesAreEvictedAndCounted) {
  IpConnectionLimiter l;
  const int64_t t0 = 9'000'000;
  // Distinct addresses within one second: the table fills (some stripe first) and stops there.
  size_t admitted = 0;
  for (size_t i = 0; i < 2 * IpConnectionLimiter::kMaxEntries; ++i) {
    if (!l.Admit(0, "ip" + std::to_string(i), 10, t0).allowed) break;
    ++admitted;
  }
  EXPECT_GT(admitted, IpConnectionLimiter::kMaxEntries / 2);
  EXPECT_LE(l.stats().entries, IpConnectionLimiter::kMaxEntries);
  EXPECT_EQ(l.stats().refused_table_full, 1u);
  EXPECT_EQ(l.stats().evicted, 0u);
  // A million more distinct addresses later never grow it past the bound.
  for (size_t i = 0; i < 200000; ++i) {
    (void)l.Admit(0, "x" + std::to_string(i), 10, t0 + 10);
  }
  EXPECT_LE(l.stats().entries, IpConnectionLimiter::kMaxEntries);
  // A known address still works.
  EXPECT_TRUE(l.Admit(0, "ip5", 10, t0 + 10).allowed);
  // After a second the idle entries are full buckets again: a full stripe drops them, counted.
  size_t later = 0;
  for (size_t i = 0; i < IpConnectionLimiter::kMaxEntries; ++i) {
    if (l.Admit(0, "later" + std::to_string(i), 10, t0 + 2000).allowed) ++later;
  }
  EXPECT_GT(later, IpConnectionLimiter::kMaxEntries / 2);
  EXPECT_GT(l.stats().evicted, 0u);
  EXPECT_LE(l.stats().entries, IpConnectionLimiter::kMaxEntries);
}

// The budget is per (app, IP) for the whole process: callers on several threads (shards) share
// one bucket per key, exactly.
TEST(IpConnectionLimiterTest, ExactAcrossThreads) {
  IpConnectionLimiter l;
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (l.Admit(0, "10.0.0.1", 10, 5'000'000).allowed) allowed.fetch_add(1);
        (void)l.Admit(0, "10.0.1." + std::to_string(i), 10, 5'000'000);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 10);
  EXPECT_EQ(l.stats().refused_rate, 190u);
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
