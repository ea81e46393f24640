// The small request readers of the dashboard (CookieValue) and the metrics port
// (ParseRequestLine); both are also fuzzed (tests/fuzz/edge_request_fuzz.cc).
#include <gtest/gtest.h>

#include "server/dashboard.h"
#include "server/metrics_endpoint.h"

namespace ringcast::server {
namespace {

TEST(CookieValue, FindsTheNamedCookieAmongOthers) {
  EXPECT_EQ(CookieValue("a=1; ringcast_admin=tok; b=2", "ringcast_admin"), "tok");
  EXPECT_EQ(CookieValue("ringcast_admin=tok", "ringcast_admin"), "tok");
  EXPECT_EQ(CookieValue("a=1;ringcast_admin=tok ", "ringcast_admin"), "tok");
  EXPECT_EQ(CookieValue("x_ringcast_admin=no; ringcast_admin_x=no", "ringcast_admin"), "");
  EXPECT_EQ(CookieValue("ringcast_admin", "ringcast_admin"), "");
  EXPECT_EQ(CookieValue("", "ringcast_admin"), "");
  EXPECT_EQ(CookieValue("ringcast_admin=first; ringcast_admin=second", "ringcast_admin"), "first");
}

TEST(IsDashboardPath, MatchesTheDashboardAndBelowOnly) {
  EXPECT_TRUE(IsDashboardPath("/dashboard"));
  EXPECT_TRUE(IsDashboardPath("/dashboard/"));
  EXPECT_TRUE(IsDashboardPath("/dashboard/api/stats"));
  EXPECT_FALSE(IsDashboardPath("/dashboards"));
  EXPECT_FALSE(IsDashboardPath("/dash"));
}

TEST(ParseRequestLine, TakesMethodAndPathWithoutQuery) {
  std::string_view method, path;
  ASSERT_TRUE(ParseRequestLine("GET /metrics?a=1 HTTP/1.1\r\nHost: x\r\n\r\n", &method, &path));
  EXPECT_EQ(method, "GET");
  EXPECT_EQ(path, "/metrics");
  ASSERT_TRUE(ParseRequestLine("HEAD /ready HTTP/1.0\r\n\r\n", &method, &path));
  EXPECT_EQ(path, "/ready");
  EXPECT_FALSE(ParseRequestLine("GET /metrics\r\nHTTP/1.1 x\r\n", &method, &path));
  EXPECT_FALSE(ParseRequestLine("garbage", &method, &path));
}

}  // namespace
}  // namespace ringcast::server
