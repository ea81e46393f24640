// StoreMetrics: what the Wal's observer hears shows in the exposition as the wal families (the
// histograms in seconds, counters, the read-only gauge), and a real Wal's commits reach it.
#include "server/store_metrics.h"

#include <stdlib.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "metrics/registry.h"
#include "store/wal.h"

namespace ringcast::server {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(StoreMetrics, ExportsWhatTheObserverHeard) {
  StoreMetrics m;
  metrics::Registry r;
  r.Add(&m);
  std::string empty = r.Render();
  EXPECT_TRUE(Has(empty, "# TYPE ringcast_wal_append_seconds histogram"));
  EXPECT_TRUE(Has(empty, "# TYPE ringcast_wal_fsync_seconds histogram"));
  EXPECT_TRUE(Has(empty, "ringcast_wal_fsync_seconds_count 0"));
  EXPECT_TRUE(Has(empty, "ringcast_wal_commits_total 0"));
  EXPECT_TRUE(Has(empty, "ringcast_store_readonly 0"));

  m.observer()->OnWrite(3000, 120, 2);  // 3 us
  m.observer()->OnWrite(40000, 80, 1);  // 40 us
  m.observer()->OnSync(2000000);        // 2 ms
  std::string out = r.Render();
  EXPECT_TRUE(Has(out, "ringcast_wal_append_seconds_bucket{le=\"2.5e-06\"} 0"));
  EXPECT_TRUE(Has(out, "ringcast_wal_append_seconds_bucket{le=\"5e-06\"} 1"));
  EXPECT_TRUE(Has(out, "ringcast_wal_append_seconds_bucket{le=\"5e-05\"} 2"));
  EXPECT_TRUE(Has(out, "ringcast_wal_append_seconds_bucket{le=\"+Inf\"} 2"));
  EXPECT_TRUE(Has(out, "ringcast_wal_append_seconds_sum 4.3e-05"));
  EXPECT_TRUE(Has(out, "ringcast_wal_append_seconds_count 2"));
  EXPECT_TRUE(Has(out, "ringcast_wal_fsync_seconds_bucket{le=\"0.001\"} 0"));
  EXPECT_TRUE(Has(out, "ringcast_wal_fsync_seconds_bucket{le=\"0.0025\"} 1"));
  EXPECT_TRUE(Has(out, "ringcast_wal_fsync_seconds_sum 0.002"));
  EXPECT_TRUE(Has(out, "ringcast_wal_fsync_seconds_count 1"));
  EXPECT_TRUE(Has(out, "ringcast_wal_commits_total 2"));
  EXPECT_TRUE(Has(out, "ringcast_wal_bytes_total 200"));
  EXPECT_TRUE(Has(out, "ringcast_wal_records_total 3"));
  EXPECT_TRUE(Has(out, "ringcast_store_readonly 0"));
  m.observer()->OnReadOnly();
  EXPECT_TRUE(Has(r.Render(), "ringcast_store_readonly 1"));
}

TEST(StoreMetrics, CountsARealWalsGroupCommits) {
  char tmpl[] = "/tmp/rc_store_metrics_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  StoreMetrics m;
  metrics::Registry r;
  r.Add(&m);
  {
    store::WalOptions o;
    o.dir = tmpl;
    o.observer = m.observer();
    std::string error;
    auto wal = store::Wal::Open(o, &error);
    ASSERT_TRUE(wal) << error;
    ASSERT_TRUE(wal->Put("a", "1"));
    ASSERT_TRUE(wal->Put("b", "2"));
    EXPECT_EQ(wal->CommitTurn(0), store::TurnResult::kDurable);
    ASSERT_TRUE(wal->Delete("a"));
    EXPECT_EQ(wal->CommitTurn(1), store::TurnResult::kDurable);
  }
  std::filesystem::remove_all(tmpl);
  std::string out = r.Render();
  EXPECT_TRUE(Has(out, "ringcast_wal_commits_total 2"));
  EXPECT_TRUE(Has(out, "ringcast_wal_records_total 3"));
  EXPECT_TRUE(Has(out, "ringcast_wal_append_seconds_count 2"));
  EXPECT_TRUE(Has(out, "ringcast_wal_fsync_seconds_count 2"));
  EXPECT_EQ(out.find("ringcast_wal_bytes_total 0\n"), std::string::npos);
}

}  // namespace
}  // namespace ringcast::server
