// The DontCode realtime REST API's parsing (apps/dontcode/realtime_api.h) and the socket's
// client frames (realtime_wire.h): a minted token verifies into what was asked, with the url
// built from the Host and the scheme; a publish keeps a string's text and minifies the rest;
// the presence path is percent-decoded; bad bodies, methods and paths get their statuses.
#include "apps/dontcode/realtime_api.h"

#include <gtest/gtest.h>

#include "apps/dontcode/realtime_token.h"
#include "apps/dontcode/realtime_wire.h"

namespace ringcast::apps::dontcode {
namespace {

engine::AppRegistry Apps() {
  std::vector<config::AppConfig> apps(1);
  apps[0].id = "1";
  apps[0].key = "app-key";
  apps[0].secret = "app-secret";
  return engine::AppRegistry(std::move(apps));
}

api::HttpCall Call(std::string method, std::string path, std::string body) {
  api::HttpCall c;
  c.method = std::move(method);
  c.path = std::move(path);
  c.body = std::move(body);
  c.host = "rt.example:8080";
  c.bearer_app = 0;
  return c;
}

int Status(const api::HttpCall& c) { return std::stoi(c.response.substr(9, 3)); }
std::string Body(const api::HttpCall& c) { return c.response.substr(c.response.find("\r\n\r\n") + 4); }

TEST(RealtimeApi, Bearer) {
  engine::AppRegistry apps = Apps();
  EXPECT_EQ(RealtimeApi::AppOfBearer(apps, "Bearer app-secret"), 0u);
  EXPECT_EQ(RealtimeApi::AppOfBearer(apps, "bearer app-secret"), 0u);
  for (const char* bad : {"", "Bearer ", "Bearer app-secre", "Basic app-secret", "app-secret",
                          "Bearer app-secret "}) {
    EXPECT_EQ(RealtimeApi::AppOfBearer(apps, bad), engine::AppRegistry::kNone) << bad;
  }
}

TEST(RealtimeApi, MintsAToken) {
  engine::AppRegistry apps = Apps();
  RealtimeApi api(&apps, 100);
  api::HttpCall c = Call("POST", "/realtime/tokens",
                         R"({"channels":["room:42","room:42","lobby"],"identity":"u1","ttl_s":60})");
  EXPECT_EQ(api.Handle(&c, 1000, /*tls=*/true).kind, RealtimeApi::Result::Kind::kAnswered);
  ASSERT_EQ(Status(c), 200) << c.response;
  const std::string body = Body(c);
  EXPECT_NE(body.find(R"("url":"wss://rt.example:8080/realtime")"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("expiresAt":"1970-01-01T00:17:40.000Z")"), std::string::npos) << body;
  const size_t at = body.find(R"("token":")") + 9;
  RealtimeGrant g;
  ASSERT_EQ(VerifyToken(apps, body.substr(at, body.find('"', at) - at), 1059, &g), TokenCheck::kOk);
  EXPECT_EQ(g.identity, "u1");
  EXPECT_EQ(g.channels, (std::vector<std::string>{"room:42", "lobby"}));  // once each
  EXPECT_EQ(g.exp_s, 1060);
}

TEST(RealtimeApi, Publishes) {
  engine::AppRegistry apps = Apps();
  RealtimeApi api(&apps, 100);
  api::HttpCall c = Call("POST", "/realtime/publish", R"({"channel":"room:42","data":{ "a" : 1 }})");
  RealtimeApi::Result r = api.Handle(&c, 1000, false);
  ASSERT_EQ(r.kind, RealtimeApi::Result::Kind::kPublish);
  EXPECT_EQ(r.publish.data, R"({"a":1})");
  EXPECT_EQ(r.publish.event, "message");
  EXPECT_EQ(r.publish.channels, (std::vector<std::string>{"room:42"}));
  c = Call("POST", "/realtime/publish", R"({"channel":"c","data":"text","event":"news"})");
  r = api.Handle(&c, 1000, false);
  ASSERT_EQ(r.kind, RealtimeApi::Result::Kind::kPublish);
  EXPECT_EQ(r.publish.data, "text");
  EXPECT_EQ(r.publish.event, "news");
  RealtimeApi::AnswerDelivered(&c, 7);
  EXPECT_EQ(Body(c), R"({"delivered":7})");
}

TEST(RealtimeApi, ListsPresence) {
  engine::AppRegistry apps = Apps();
  RealtimeApi api(&apps, 100);
  api::HttpCall c = Call("GET", "/realtime/presence/room%3A42", "");
  RealtimeApi::Result r = api.Handle(&c, 1000, false);
  ASSERT_EQ(r.kind, RealtimeApi::Result::Kind::kPresence);
  EXPECT_EQ(r.channel, "room:42");
  RealtimeApi::AnswerPresence(&c, {{"0.1", "u1"}, {"1.5", ""}});
  EXPECT_EQ(Body(c), R"([{"id":"0.1","identity":"u1"},{"id":"1.5"}])");
}

TEST(RealtimeApi, Refuses) {
  engine::AppRegistry apps = Apps();
  RealtimeApi api(&apps, 10);
  struct Case {
    const char* method;
    const char* path;
    const char* body;
    int status;
  };
  for (const Case& k : {
           Case{"POST", "/realtime/tokens", "[]", 400},
           Case{"POST", "/realtime/tokens", R"({"channels":[]})", 400},
           Case{"POST", "/realtime/tokens", R"({"channels":["a b"]})", 400},
           Case{"POST", "/realtime/tokens", R"({"channels":["a"],"ttl_s":604801})", 400},
           Case{"POST", "/realtime/tokens", R"({"channels":["a"],"identity":""})", 400},
           Case{"GET", "/realtime/tokens", "", 405},
           Case{"POST", "/realtime/publish", R"({"channel":"a"})", 400},
           Case{"POST", "/realtime/publish", R"({"channel":"#a","data":1})", 400},
           Case{"POST", "/realtime/publish", R"({"channel":"a","data":1,"event":"pusher:x"})", 400},
           Case{"POST", "/realtime/publish", R"({"channel":"a","data":"01234567890"})", 413},
           Case{"GET", "/realtime/presence/", "", 400},
           Case{"POST", "/realtime/presence/a", "", 405},
           Case{"GET", "/realtime/other", "", 404},
       }) {
    api::HttpCall c = Call(k.method, k.path, k.body);
    EXPECT_EQ(api.Handle(&c, 1000, false).kind, RealtimeApi::Result::Kind::kAnswered) << k.body;
    EXPECT_EQ(Status(c), k.status) << k.method << " " << k.path << " " << k.body;
  }
  api::HttpCall c = Call("POST", "/realtime/tokens", R"({"channels":["a"]})");
  c.bearer_app = engine::AppRegistry::kNone;
  api.Handle(&c, 1000, false);
  EXPECT_EQ(Status(c), 401);
}

TEST(RealtimeWire, ClientFrames) {
  simdjson::dom::parser parser;
  std::string padded;
  wire::ClientMessage m;
  ASSERT_EQ(wire::ParseClientMessage(R"({"type":"publish","channel":"c:1","data":[1, 2],"ref":"x"})",
                                     &parser, &padded, &m),
            nullptr);
  EXPECT_EQ(m.type, wire::ClientMessage::Type::kPublish);
  EXPECT_EQ(m.data, "[1,2]");
  EXPECT_EQ(m.ref, R"("x")");
  ASSERT_EQ(wire::ParseClientMessage(R"({"type":"ping","ref":12})", &parser, &padded, &m), nullptr);
  EXPECT_EQ(m.ref, "12");
  for (const char* bad : {"", "[]", R"({"type":1})", R"({"type":"jump"})",
                          R"({"type":"subscribe"})", R"({"type":"subscribe","channel":"a b"})",
                          R"({"type":"publish","channel":"a"})", R"({"type":"ping","ref":{}})"}) {
    EXPECT_NE(wire::ParseClientMessage(bad, &parser, &padded, &m), nullptr) << bad;
  }
}

}  // namespace
}  // namespace ringcast::apps::dontcode
