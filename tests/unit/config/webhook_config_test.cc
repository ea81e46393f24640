// Tests for an app's "webhooks" in the config file (config/webhook_config.h): soketi's shape is
// read whole (url, event_types, filter, headers), several apps keep their own targets, and what
// ringcast cannot deliver is refused at load with a message that says why (host names,
// unknown event types, reserved headers, unknown fields).
#include "config/webhook_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace ringcast::config {
namespace {

using ::testing::HasSubstr;

std::string Apply(const std::string& webhooks, ServerConfig* cfg) {
  return ApplyConfigJson(
      R"({"apps":[{"id":"1","key":"k","secret":"s","webhooks":)" + webhooks + "}]}", cfg);
}

TEST(WebhookConfig, ReadsSoketiShape) {
  ServerConfig cfg;
  ASSERT_EQ(Apply(R"([{"url":"http://127.0.0.1:9000/hooks?x=1",
      "event_types":["channel_occupied","member_added"],
      "filter":{"channel_name_starts_with":"presence-","channel_name_ends_with":"-eu"},
      "headers":{"Authorization":"Bearer t"}},
     {"url":"http://localhost:80"}])",
                  &cfg),
            "");
  ASSERT_EQ(cfg.apps.size(), 1u);
  const auto& w = cfg.apps[0].webhooks;
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].url, "http://127.0.0.1:9000/hooks?x=1");
  EXPECT_EQ(w[0].event_types, (std::vector<std::string>{"channel_occupied", "member_added"}));
  EXPECT_EQ(w[0].channel_name_starts_with, "presence-");
  EXPECT_EQ(w[0].channel_name_ends_with, "-eu");
  ASSERT_EQ(w[0].headers.size(), 1u);
  EXPECT_EQ(w[0].headers[0].first, "Authorization");
  EXPECT_EQ(w[0].headers[0].second, "Bearer t");
  EXPECT_TRUE(w[1].event_types.empty());
}

TEST(WebhookConfig, AppsKeepTheirOwnTargets) {
  ServerConfig cfg;
  ASSERT_EQ(ApplyConfigJson(R"({"apps":[
      {"id":"1","key":"k1","secret":"s1","webhooks":[{"url":"http://127.0.0.1:1/a"}]},
      {"id":"2","key":"k2","secret":"s2"}]})",
                            &cfg),
            "");
  ASSERT_EQ(cfg.apps.size(), 2u);
  EXPECT_EQ(cfg.apps[0].webhooks.size(), 1u);
  EXPECT_TRUE(cfg.apps[1].webhooks.empty());
}

TEST(WebhookConfig, AcceptsHttpsTargets) {
  // https is delivered through the TLS client (webhooks/dispatcher.h); the host rule is the
  // same as for http: an IP address or localhost.
  ServerConfig cfg;
  EXPECT_EQ(Apply(R"([{"url":"https://127.0.0.1/x"}])", &cfg), "");
  EXPECT_EQ(Apply(R"([{"url":"https://localhost:8443/hook"},{"url":"HTTPS://[::1]/"}])", &cfg), "");
  ASSERT_EQ(cfg.apps[0].webhooks.size(), 2u);
  EXPECT_EQ(cfg.apps[0].webhooks[0].url, "https://localhost:8443/hook");
  EXPECT_THAT(Apply(R"([{"url":"https://example.com/x"}])", &cfg),
              HasSubstr("must be an IP address or localhost"));
  EXPECT_EQ(CheckWebhookUrl("https://127.0.0.1:9443/"), "");
}

TEST(WebhookConfig, RefusesHostNamesOtherThanLocalhost) {
  ServerConfig cfg;
  EXPECT_THAT(Apply(R"([{"url":"http://example.com/x"}])", &cfg),
              HasSubstr("must be an IP address or localhost"));
  EXPECT_EQ(Apply(R"([{"url":"http://[::1]:8080/x"}])", &cfg), "");
}

TEST(WebhookConfig, RefusesWhatItCannotDeliver) {
  ServerConfig cfg;
  EXPECT_THAT(Apply(R"([{"event_types":[]}])", &cfg), HasSubstr("needs a \"url\""));
  EXPECT_THAT(Apply(R"([{"url":"ftp://1.2.3.4/"}])", &cfg), HasSubstr("http://"));
  EXPECT_THAT(Apply(R"([{"url":"http://1.2.3.4/","event_types":["channel_exploded"]}])", &cfg),
              HasSubstr("unknown webhook event type \"channel_exploded\""));
  EXPECT_THAT(Apply(R"([{"url":"http://1.2.3.4/","headers":{"X-Pusher-Signature":"x"}}])", &cfg),
              HasSubstr("set by ringcast itself"));
  EXPECT_THAT(Apply(R"([{"url":"http://1.2.3.4/","headers":{"Bad Name":"x"}}])", &cfg),
              HasSubstr("is invalid"));
  EXPECT_THAT(Apply(R"([{"url":"http://1.2.3.4/","headers":{"X-A":"a\r\nX-B: b"}}])", &cfg),
              HasSubstr("line break"));
  EXPECT_THAT(Apply(R"([{"url":"http://1.2.3.4/","filter":{"channel_name_like":"x"}}])", &cfg),
              HasSubstr("unknown webhook filter"));
  EXPECT_THAT(Apply(R"([{"url":"http://1.2.3.4/","lambda":{}}])", &cfg),
              HasSubstr("unknown webhook field \"lambda\""));
  EXPECT_THAT(Apply(R"({"url":"http://1.2.3.4/"})", &cfg), HasSubstr("must be an array"));
}

}  // namespace
}  // namespace ringcast::config
