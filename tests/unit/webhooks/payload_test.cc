// Tests for webhook payloads (webhooks/payload.h, webhook_event.h): every event kind's JSON
// shape, the body {time_ms, events}, the request's headers (Content-Type exactly
// application/json, X-Pusher-Key, the target's own headers) and X-Pusher-Signature as the hex
// HMAC-SHA256 of the raw body; and the target filter.
#include "webhooks/payload.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "auth/crypto.h"
#include "webhooks/webhook_event.h"

namespace ringcast::webhooks {
namespace {

WebhookEvent Ev(EventKind kind, std::string channel) {
  WebhookEvent e;
  e.kind = kind;
  e.channel = std::move(channel);
  return e;
}

TEST(WebhookPayload, EventShapesArePushers) {
  std::string s;
  AppendEventJson(&s, Ev(EventKind::kChannelOccupied, "a"));
  EXPECT_EQ(s, R"({"name":"channel_occupied","channel":"a"})");
  s.clear();
  AppendEventJson(&s, Ev(EventKind::kChannelVacated, "a"));
  EXPECT_EQ(s, R"({"name":"channel_vacated","channel":"a"})");
  s.clear();
  WebhookEvent m = Ev(EventKind::kMemberAdded, "presence-a");
  m.user_id = "u1";
  AppendEventJson(&s, m);
  EXPECT_EQ(s, R"({"name":"member_added","channel":"presence-a","user_id":"u1"})");
  s.clear();
  m.kind = EventKind::kMemberRemoved;
  AppendEventJson(&s, m);
  EXPECT_EQ(s, R"({"name":"member_removed","channel":"presence-a","user_id":"u1"})");
  s.clear();
  WebhookEvent c = Ev(EventKind::kClientEvent, "private-a");
  c.event = "client-x";
  c.data = R"({"q":"\"hi\""})";
  c.socket_id = "1.2";
  AppendEventJson(&s, c);
  EXPECT_EQ(s, R"({"name":"client_event","channel":"private-a","event":"client-x",)"
               R"("data":"{\"q\":\"\\\"hi\\\"\"}","socket_id":"1.2"})");
  s.clear();
  c.user_id = "u9";
  AppendEventJson(&s, c);
  EXPECT_NE(s.find(R"(,"user_id":"u9"})"), std::string::npos);
  s.clear();
  AppendEventJson(&s, Ev(EventKind::kCacheMiss, "cache-a"));
  EXPECT_EQ(s, R"({"name":"cache_miss","channel":"cache-a"})");
  s.clear();
  WebhookEvent n = Ev(EventKind::kSubscriptionCount, "a");
  n.subscription_count = 42;
  AppendEventJson(&s, n);
  EXPECT_EQ(s, R"({"name":"subscription_count","channel":"a","subscription_count":42})");
}

TEST(WebhookPayload, BodyHoldsTimeAndEventsInOrder) {
  std::string body = BuildBody(
      1700000000123, {Ev(EventKind::kChannelOccupied, "a"), Ev(EventKind::kChannelVacated, "b")});
  EXPECT_EQ(body, R"({"time_ms":1700000000123,"events":[{"name":"channel_occupied","channel":"a"},)"
                  R"({"name":"channel_vacated","channel":"b"}]})");
}

TEST(WebhookPayload, RequestIsSignedWithTheAppSecret) {
  config::AppConfig app;
  app.key = "the-key";
  app.secret = "the-secret";
  config::WebhookConfig target;
  target.headers = {{"Authorization", "Bearer t"}};
  std::string head = BuildHeadPrefix(app, target, "/hooks?x=1", "127.0.0.1:9000");
  std::string body = BuildBody(5, {Ev(EventKind::kChannelOccupied, "a")});
  std::string req = BuildRequest(head, app.secret, body);
  EXPECT_EQ(req.rfind("POST /hooks?x=1 HTTP/1.1\r\nHost: 127.0.0.1:9000\r\n", 0), 0u);
  EXPECT_NE(req.find("\r\nContent-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(req.find("\r\nX-Pusher-Key: the-key\r\n"), std::string::npos);
  EXPECT_NE(req.find("\r\nAuthorization: Bearer t\r\n"), std::string::npos);
  EXPECT_NE(req.find("\r\nContent-Length: " + std::to_string(body.size()) + "\r\n"),
            std::string::npos);
  size_t end = req.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos);
  EXPECT_EQ(req.substr(end + 4), body);
  std::string sig = auth::HmacSha256Hex("the-secret", body);
  EXPECT_NE(req.find("\r\nX-Pusher-Signature: " + sig + "\r\n"), std::string::npos);
  EXPECT_EQ(Sign("the-secret", body), sig);
  EXPECT_NE(Sign("other-secret", body), sig);
  // RFC 4231 test case 2: the signature is plain HMAC-SHA256 in lower-case hex.
  EXPECT_EQ(Sign("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookFilter, EventTypesAndChannelNameFilter) {
  config::WebhookConfig all;
  EXPECT_TRUE(Matches(all, Ev(EventKind::kCacheMiss, "x")));
  config::WebhookConfig t;
  t.event_types = {"member_added", "member_removed"};
  t.channel_name_starts_with = "presence-";
  t.channel_name_ends_with = "-eu";
  EXPECT_TRUE(Matches(t, Ev(EventKind::kMemberAdded, "presence-room-eu")));
  EXPECT_FALSE(Matches(t, Ev(EventKind::kChannelOccupied, "presence-room-eu")));
  EXPECT_FALSE(Matches(t, Ev(EventKind::kMemberAdded, "private-room-eu")));
  EXPECT_FALSE(Matches(t, Ev(EventKind::kMemberAdded, "presence-room-us")));
  EXPECT_FALSE(Matches(t, Ev(EventKind::kMemberAdded, "presence-")));
  t.channel_name_ends_with = "";
  EXPECT_TRUE(Matches(t, Ev(EventKind::kMemberRemoved, "presence-")));
}

}  // namespace
}  // namespace ringcast::webhooks
