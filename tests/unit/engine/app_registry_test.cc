// Tests for src/engine/app_registry: lookups by id and key, and the per-app connection count
// that enforces max_connections: exact under concurrent shards, per app, 0 meaning no limit.
#include "engine/app_registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace ringcast::engine {
namespace {

AppRegistry TwoApps(uint32_t first_limit) {
  config::AppConfig a{"1", "k1", "s1", "a", true, first_limit, true};
  config::AppConfig b{"2", "k2", "s2", "b", true, 0, true};
  return AppRegistry({a, b});
}

TEST(AppRegistry, FindsAppsByIdAndKey) {
  const AppRegistry apps = TwoApps(0);
  EXPECT_EQ(apps.IndexById("2"), 1u);
  EXPECT_EQ(apps.IndexByKey("k1"), 0u);
  EXPECT_EQ(apps.IndexByKey("nope"), AppRegistry::kNone);
}

TEST(AppRegistry, MaxConnectionsIsAPerAppQuotaThatAReleaseFrees) {
  const AppRegistry apps = TwoApps(2);
  EXPECT_TRUE(apps.TryAcquireConnection(0));
  EXPECT_TRUE(apps.TryAcquireConnection(0));
  EXPECT_FALSE(apps.TryAcquireConnection(0));
  EXPECT_EQ(apps.connections(0), 2u);  // a refusal counts nothing
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(apps.TryAcquireConnection(1));  // 0: no limit
  apps.ReleaseConnection(0);
  EXPECT_TRUE(apps.TryAcquireConnection(0));
  EXPECT_FALSE(apps.TryAcquireConnection(0));
}

TEST(AppRegistry, ConcurrentShardsNeverAdmitMoreThanTheQuota) {
  const AppRegistry apps = TwoApps(1000);
  std::atomic<int> admitted{0};
  std::vector<std::thread> shards;
  for (int t = 0; t < 4; ++t) {
    shards.emplace_back([&] {
      for (int i = 0; i < 5000; ++i) {
        if (apps.TryAcquireConnection(0)) {
          admitted.fetch_add(1);
          if (i < 2500 && i % 3 == 0) {  // then 2500 tries that keep what they get
            apps.ReleaseConnection(0);
            admitted.fetch_sub(1);
          }
        }
      }
    });
  }
  for (std::thread& t : shards) t.join();
  EXPECT_EQ(static_cast<uint32_t>(admitted.load()), apps.connections(0));
  EXPECT_EQ(apps.connections(0), 1000u);
}

}  // namespace
}  // namespace ringcast::engine
