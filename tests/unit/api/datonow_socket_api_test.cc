// The API side of the Datonow sockets: GET /ws?token= checks the token and stores its
// lastSeenAt (a write), a deleted token is refused and its sockets get a close publication,
// new notifications become publications on the broadcast or the token's channel, an orphaned
// token channel is recognized; POST /api/subscribe checks its body, app and socket, and turns
// the request into a client message on the socket's channel.
#include "api/datonow_socket_api.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "api/datonow_api.h"
#include "api/rate_limit.h"
#include "engine/datonow_channels.h"
#include "store/wal.h"

namespace ringcast::api {
namespace {

class DatonowSocketApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rc_datonow_ws_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store::WalOptions o;
    o.dir = dir_;
    std::string error;
    wal_ = store::Wal::Open(o, &error);
    ASSERT_TRUE(wal_) << error;
    api_ = std::make_unique<DatonowApi>(&apps_, wal_.get());
  }
  void TearDown() override {
    api_.reset();
    wal_.reset();
    std::filesystem::remove_all(dir_);
  }
  HttpCall Call(std::string method, std::string path, std::string body = "",
                std::string token = "secret7") {
    HttpCall c;
    c.method = std::move(method);
    c.path = std::move(path);
    c.body = std::move(body);
    c.datonow_app_id = "7";
    c.datonow_token = std::move(token);
    return c;
  }
  // Creates a token; returns its 64-hex value.
  std::string NewToken() {
    HttpCall c = Call("POST", "/api/apps/7/tokens", R"({"name":"n"})");
    EXPECT_TRUE(api_->Handle(&c, 1'800'000'000'000));
    size_t at = c.response.find("\"token\":\"");
    return c.response.substr(at + 9, 64);
  }
  static std::vector<config::AppConfig> Apps() {
    std::vector<config::AppConfig> apps(1);
    apps[0].id = "7";
    apps[0].key = "key7";
    apps[0].secret = "secret7";
    return apps;
  }

  std::string dir_;
  engine::AppRegistry apps_{Apps()};
  std::unique_ptr<store::Wal> wal_;
  std::unique_ptr<DatonowApi> api_;
};

TEST_F(DatonowSocketApiTest, ConnectStoresLastSeenAtAndNamesTheToken) {
  std::string token = NewToken();
  HttpCall ws = Call("GET", "/ws", "", token);
  EXPECT_TRUE(api_->ConnectToken(&ws, 1'800'000'000'123, 0));
  EXPECT_TRUE(ws.response.empty());
  EXPECT_EQ(ws.socket_app, 0u);
  EXPECT_EQ(ws.socket_token, 1u);
  HttpCall list = Call("GET", "/api/apps/7/tokens");
  EXPECT_FALSE(api_->Handle(&list, 1'800'000'000'200));
  EXPECT_NE(list.response.find("\"lastSeenAt\":\"2027-01-15T08:00:00.123Z\""), std::string::npos)
      << list.response;
}

// The per-IP socket budget comes before the durable write: a token socket over it gets
// ws_retry_after_s, no response and no store write (its lastSeenAt keeps the last accepted
// connect); an unknown token is 403 before any count; another address has its own budget.
TEST_F(DatonowSocketApiTest, ConnectOverTheIpBudgetWritesNothing) {
  config::Limits limits;
  limits.datonow_ws_connections_per_second = 2;
  IpConnectionLimiter limiter;
  api_->SetWsLimiter(&limiter, &limits);
  std::string token = NewToken();
  for (int i = 0; i < 3; ++i) {
    HttpCall unknown = Call("GET", "/ws", "", std::string(64, 'a'));
    unknown.peer_ip = "10.0.0.1";
    EXPECT_FALSE(api_->ConnectToken(&unknown, 1'800'000'000'000, 5000));
    EXPECT_NE(unknown.response.find(" 403 "), std::string::npos);
  }
  for (int i = 0; i < 2; ++i) {
    HttpCall ws = Call("GET", "/ws", "", token);
    ws.peer_ip = "10.0.0.1";
    EXPECT_TRUE(api_->ConnectToken(&ws, 1'800'000'000'100, 5000)) << i;
    EXPECT_EQ(ws.ws_retry_after_s, 0);
  }
  HttpCall over = Call("GET", "/ws", "", token);
  over.peer_ip = "10.0.0.1";
  EXPECT_FALSE(api_->ConnectToken(&over, 1'800'000'000'900, 5000)) << "a refused socket wrote";
  EXPECT_TRUE(over.response.empty());
  EXPECT_EQ(over.ws_retry_after_s, 1);
  EXPECT_EQ(over.socket_app, 0u);
  HttpCall list = Call("GET", "/api/apps/7/tokens");
  EXPECT_FALSE(api_->Handle(&list, 1'800'000'001'000));
  EXPECT_NE(list.response.find("\"lastSeenAt\":\"2027-01-15T08:00:00.100Z\""), std::string::npos)
      << list.response;
  HttpCall other = Call("GET", "/ws", "", token);
  other.peer_ip = "10.0.0.2";
  EXPECT_TRUE(api_->ConnectToken(&other, 1'800'000'000'900, 5000));
  EXPECT_EQ(limiter.stats().refused_rate, 1u);
}

TEST_F(DatonowSocketApiTest, UnknownAndDeletedTokensAreRefusedAndDeletionClosesSockets) {
  HttpCall unknown = Call("GET", "/ws", "", std::string(64, 'a'));
  EXPECT_FALSE(api_->ConnectToken(&unknown, 1, 0));
  EXPECT_NE(unknown.response.find("403"), std::string::npos);
  std::string token = NewToken();
  (void)api_->TakePublications();
  HttpCall del = Call("DELETE", "/api/apps/7/tokens/1");
  EXPECT_TRUE(api_->Handle(&del, 2));
  std::vector<engine::PublishRequest> pubs = api_->TakePublications();
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_EQ(pubs[0].event, engine::datonow::kTokenDeletedEvent);
  EXPECT_EQ(pubs[0].channels, std::vector<std::string>{"#datonow-token-1"});
  HttpCall again = Call("GET", "/ws", "", token);
  EXPECT_FALSE(api_->ConnectToken(&again, 3, 0));
  EXPECT_NE(again.response.find("403"), std::string::npos);
  engine::PublishRequest close;
  EXPECT_TRUE(api_->OrphanedTokenChannel(0, "#datonow-token-1", &close));
  EXPECT_EQ(close.event, engine::datonow::kTokenDeletedEvent);
  EXPECT_FALSE(api_->OrphanedTokenChannel(0, "news", &close));
}

TEST_F(DatonowSocketApiTest, NotificationsArePublishedToBroadcastOrTokenChannel) {
  std::string token = NewToken();
  EXPECT_FALSE(api_->OrphanedTokenChannel(0, "#datonow-token-1", nullptr));
  (void)api_->TakePublications();
  HttpCall b = Call("POST", "/api/message", R"({"title":"all"})");
  EXPECT_TRUE(api_->Handle(&b, 5));
  HttpCall t = Call("POST", "/api/message", R"({"title":"one"})", token);
  EXPECT_TRUE(api_->Handle(&t, 6));
  std::vector<engine::PublishRequest> pubs = api_->TakePublications();
  ASSERT_EQ(pubs.size(), 2u);
  EXPECT_EQ(pubs[0].event, engine::datonow::kNotificationEvent);
  EXPECT_EQ(pubs[0].channels, std::vector<std::string>{"#datonow-app"});
  EXPECT_NE(pubs[0].data.find("\"title\":\"all\""), std::string::npos);
  EXPECT_EQ(pubs[1].channels, std::vector<std::string>{"#datonow-token-1"});
  EXPECT_TRUE(api_->TakePublications().empty());
}

TEST(DatonowSubscribeBody, ParsesAndRefuses) {
  DatonowSubscribeFields f;
  EXPECT_EQ(ParseDatonowSubscribe(
                R"({"appKey":"k","socketId":"1.2","channel":"private-a","auth":"k:ff","x":1})", &f),
            nullptr);
  EXPECT_EQ(f.app_key, "k");
  EXPECT_EQ(f.socket_id, "1.2");
  EXPECT_EQ(f.channel, "private-a");
  EXPECT_EQ(f.auth, "k:ff");
  EXPECT_TRUE(f.channel_data.empty());
  EXPECT_EQ(
      ParseDatonowSubscribe(
          R"({"app_key":"k","socket_id":"1.2","channel_name":"presence-a","channelData":"{}"})",
          &f),
      nullptr);
  EXPECT_EQ(f.channel, "presence-a");
  EXPECT_EQ(f.channel_data, "{}");
  EXPECT_STREQ(ParseDatonowSubscribe("", &f), "The body is empty");
  EXPECT_STREQ(ParseDatonowSubscribe("[]", &f), "The body must be a JSON object");
  EXPECT_STREQ(ParseDatonowSubscribe(R"({"socketId":"1.2","channel":"a"})", &f),
               "appKey is required");
  EXPECT_STREQ(ParseDatonowSubscribe(R"({"appKey":"k","socketId":2,"channel":"a"})", &f),
               "socketId must be a string");
  EXPECT_STREQ(ParseDatonowSubscribe(R"({"appKey":"k","socketId":"1","channel":""})", &f),
               "channel is required");
}

TEST(DatonowSocketApi, AcceptsOnlyForAConnectedSocket) {
  std::vector<config::AppConfig> apps(1);
  apps[0].id = "7";
  apps[0].key = "key7";
  apps[0].secret = "secret7";
  engine::AppRegistry registry(apps);
  engine::SocketIdCodec ids(42);
  engine::Occupancy occupancy(1);
  DatonowSocketApi sockets(&registry, &ids, &occupancy, 164, nullptr);
  const std::string sid = ids.Format(1, 9);
  HttpCall c;
  c.method = "POST";
  c.path = "/api/subscribe";
  c.body = R"({"appKey":"key7","socketId":")" + sid + R"(","channel":"news"})";
  engine::PublishRequest out;
  EXPECT_FALSE(sockets.Handle(&c, 0, &out));
  EXPECT_NE(c.response.find("404"), std::string::npos);
  occupancy.Apply(0, 1, engine::datonow::SocketChannel(sid), true);
  EXPECT_TRUE(sockets.Handle(&c, 0, &out));
  EXPECT_NE(c.response.find("202"), std::string::npos);
  EXPECT_EQ(out.channels, std::vector<std::string>{"#datonow-socket-" + sid});
  EXPECT_EQ(out.event, engine::datonow::kSocketCommandEvent);
  EXPECT_EQ(out.data, R"({"event":"datonow:subscribe","data":{"channel":"news"}})");
  c.body = R"({"appKey":"other","socketId":")" + sid + R"(","channel":"news"})";
  EXPECT_FALSE(sockets.Handle(&c, 0, &out));
  EXPECT_NE(c.response.find("403"), std::string::npos);
  c.body = R"({"appKey":"key7","socketId":")" + sid + R"(","channel":"#x"})";
  EXPECT_FALSE(sockets.Handle(&c, 0, &out));
  EXPECT_NE(c.response.find("400"), std::string::npos);
  c.method = "GET";
  EXPECT_FALSE(sockets.Handle(&c, 0, &out));
  EXPECT_NE(c.response.find("405"), std::string::npos);
}

// The per-app REST budget counts /api/subscribe and /api/unsubscribe like every /api/... route:
// a request naming a configured app counts (a wrong body or an unknown socket too); one with an
// unknown appKey names no app and does not. Over it: 429 JSON with Retry-After.
TEST(DatonowSocketApi, CountsAgainstTheAppsRestBudget) {
  std::vector<config::AppConfig> apps(1);
  apps[0].id = "7";
  apps[0].key = "key7";
  apps[0].secret = "secret7";
  engine::AppRegistry registry(apps);
  engine::SocketIdCodec ids(42);
  engine::Occupancy occupancy(1);
  AppRateLimiter limiter({3});
  DatonowSocketApi sockets(&registry, &ids, &occupancy, 164, &limiter);
  const std::string sid = ids.Format(1, 9);
  occupancy.Apply(0, 1, engine::datonow::SocketChannel(sid), true);
  HttpCall c;
  c.method = "POST";
  c.path = "/api/subscribe";
  engine::PublishRequest out;
  c.body = R"({"appKey":"other","socketId":")" + sid + R"(","channel":"news"})";
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(sockets.Handle(&c, 1000, &out));
    EXPECT_NE(c.response.find(" 403 "), std::string::npos) << "unknown app: not counted";
  }
  c.body = R"({"appKey":"key7","socketId":")" + sid + R"(","channel":"news"})";
  EXPECT_TRUE(sockets.Handle(&c, 1000, &out));
  c.path = "/api/unsubscribe";
  EXPECT_TRUE(sockets.Handle(&c, 1000, &out));
  c.body = R"({"appKey":"key7","socketId":")" + sid + R"(","channel":"#bad"})";
  EXPECT_FALSE(sockets.Handle(&c, 1000, &out));
  EXPECT_NE(c.response.find(" 400 "), std::string::npos);
  c.body = R"({"appKey":"key7","socketId":")" + sid + R"(","channel":"news"})";
  EXPECT_FALSE(sockets.Handle(&c, 1000, &out));
  EXPECT_NE(c.response.find(" 429 "), std::string::npos) << c.response;
  EXPECT_NE(c.response.find("Retry-After: "), std::string::npos) << c.response;
  EXPECT_NE(c.response.find("application/json"), std::string::npos) << c.response;
  EXPECT_NE(c.response.find(R"("code":429)"), std::string::npos) << c.response;
  EXPECT_EQ(limiter.refused(), 1u);
}

}  // namespace
}  // namespace ringcast::api
