// Tests for src/api/request_head: the head-only checks the shard runs before reading a REST
// body. Routes give 404/405 before any auth error, a forged signature is refused without a
// body, a disabled app is 403 only after a valid signature, and a passing head carries its
// app, route, segments and decoded query.
#include "api/request_head.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "auth/request_signature.h"

namespace ringcast::api {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kNow = 1700000000;

engine::AppRegistry Apps() {
  config::AppConfig on{"7", "key7", "secret7", "on", true, 0, true};
  config::AppConfig off{"8", "key8", "secret8", "off", false, 0, true};
  return engine::AppRegistry({on, off});
}

std::string Query(std::string_view method, std::string_view path, std::string_view secret,
                  std::string_view key = "key7", std::string_view body = "{}",
                  std::vector<auth::QueryParam> extra = {}) {
  return auth::SignedQuery(method, path, std::move(extra), body, key, secret, kNow);
}

TEST(RestHead, SignedPublishPassesWithItsRouteAndQuery) {
  const engine::AppRegistry apps = Apps();
  const RestHead h = CheckRestHead(apps, "POST", "/apps/7/events",
                                   Query("POST", "/apps/7/events", "secret7"), kNow);
  ASSERT_TRUE(h.ok()) << h.message;
  EXPECT_EQ(h.app, 0u);
  EXPECT_EQ(h.route, RestRoute::kEvents);
  EXPECT_EQ(h.segments, (std::vector<std::string>{"apps", "7", "events"}));
  // body_md5 is carried for the body check, which the head check does not do.
  EXPECT_TRUE(auth::VerifyBodyMd5(h.params, "{}").ok());
  EXPECT_EQ(auth::VerifyBodyMd5(h.params, "{\"forged\":1}").status, 401);
}

TEST(RestHead, ForgedSignatureIsRefusedFromTheHead) {
  const engine::AppRegistry apps = Apps();
  const RestHead h =
      CheckRestHead(apps, "POST", "/apps/7/events", Query("POST", "/apps/7/events", "wrong"), kNow);
  EXPECT_EQ(h.status, 401);
  EXPECT_THAT(h.message, HasSubstr("Invalid signature"));
  const RestHead stale = CheckRestHead(apps, "POST", "/apps/7/events",
                                       Query("POST", "/apps/7/events", "secret7"), kNow + 3600);
  EXPECT_EQ(stale.status, 401);
  EXPECT_THAT(stale.message, HasSubstr("Timestamp expired"));
}

TEST(RestHead, RoutingErrorsComeBeforeAuth) {
  const engine::AppRegistry apps = Apps();
  EXPECT_EQ(CheckRestHead(apps, "POST", "/apps/9/events", "", kNow).status, 404);
  EXPECT_EQ(CheckRestHead(apps, "POST", "/apps/7/nope", "", kNow).status, 404);
  EXPECT_EQ(CheckRestHead(apps, "POST", "/apps/7", "", kNow).status, 404);
  const RestHead m = CheckRestHead(apps, "GET", "/apps/7/events", "", kNow);
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.allow, "POST");
  std::string out;
  AppendRestHeadRefusal(&out, m, /*keep_alive=*/false);
  EXPECT_THAT(out, HasSubstr("Allow: POST\r\n"));
  EXPECT_THAT(out, HasSubstr("Connection: close"));
  EXPECT_EQ(CheckRestHead(apps, "GET", "/apps/7/channels", "a=%zz", kNow).status, 400);
}

TEST(RestHead, DisabledAppIs403OnlyWithAValidSignature) {
  const engine::AppRegistry apps = Apps();
  EXPECT_EQ(CheckRestHead(apps, "GET", "/apps/8/channels",
                          Query("GET", "/apps/8/channels", "secret8", "key8", ""), kNow)
                .status,
            403);
  EXPECT_EQ(CheckRestHead(apps, "GET", "/apps/8/channels",
                          Query("GET", "/apps/8/channels", "wrong", "key8", ""), kNow)
                .status,
            401);
}

TEST(RestHead, EchoedAppIdStaysValidUtf8) {
  const engine::AppRegistry apps = Apps();
  // "%C3" alone decodes to a lone lead byte: echoed as U+FFFD, never as a raw invalid byte.
  const RestHead h = CheckRestHead(apps, "POST", "/apps/x%C3/events", "", kNow);
  EXPECT_EQ(h.status, 404);
  EXPECT_EQ(h.message, "Unknown app id 'x\xEF\xBF\xBD'");
}

TEST(DialogueHead, RoutesMethodsAndTheDialogueAppsSignature) {
  const engine::AppRegistry apps = Apps();
  const RestHead h =
      CheckDialogueHead(apps, 0, "POST", "/dialogue/rooms/user%3A42/events",
                        Query("POST", "/dialogue/rooms/user%3A42/events", "secret7"), kNow);
  ASSERT_TRUE(h.ok()) << h.message;
  EXPECT_EQ(h.route, RestRoute::kDialogueRoomEvents);
  EXPECT_EQ(h.segments[2], "user:42");  // decoded
  EXPECT_EQ(CheckDialogueHead(apps, 0, "GET", "/dialogue/rooms",
                              Query("GET", "/dialogue/rooms", "secret7", "key7", ""), kNow)
                .route,
            RestRoute::kDialogueRooms);
  EXPECT_EQ(CheckDialogueHead(apps, 0, "DELETE", "/dialogue/rooms/a",
                              Query("DELETE", "/dialogue/rooms/a", "secret7", "key7", ""), kNow)
                .route,
            RestRoute::kDialogueRoom);
  EXPECT_EQ(
      CheckDialogueHead(apps, 0, "GET", "/dialogue/rooms/a/participants",
                        Query("GET", "/dialogue/rooms/a/participants", "secret7", "key7", ""), kNow)
          .route,
      RestRoute::kDialogueParticipants);
  EXPECT_EQ(CheckDialogueHead(apps, 0, "POST", "/dialogue/users/u%201/events",
                              Query("POST", "/dialogue/users/u%201/events", "secret7"), kNow)
                .route,
            RestRoute::kDialogueUserEvents);
  EXPECT_EQ(CheckDialogueHead(apps, 0, "POST", "/dialogue/clients/1.2/events",
                              Query("POST", "/dialogue/clients/1.2/events", "secret7"), kNow)
                .route,
            RestRoute::kDialogueClientEvents);
  EXPECT_EQ(CheckDialogueHead(apps, 0, "POST", "/dialogue/users/u", "", kNow).status, 404);
  EXPECT_EQ(CheckDialogueHead(apps, 0, "GET", "/dialogue/users/u/events", "", kNow).status, 405);
  // Route and method before the signature; the signature is the Dialogue app's.
  EXPECT_EQ(CheckDialogueHead(apps, 0, "GET", "/dialogue/rooms/a/events", "", kNow).status, 405);
  EXPECT_EQ(CheckDialogueHead(apps, 0, "PUT", "/dialogue/rooms", "", kNow).allow, "GET, POST");
  EXPECT_EQ(CheckDialogueHead(apps, 0, "GET", "/dialogue/other", "", kNow).status, 404);
  EXPECT_EQ(CheckDialogueHead(apps, 0, "GET", "/dialogue/rooms//events", "", kNow).status, 404);
  EXPECT_EQ(CheckDialogueHead(apps, 0, "GET", "/dialogue/rooms",
                              Query("GET", "/dialogue/rooms", "secret8", "key8", ""), kNow)
                .status,
            401);
  EXPECT_EQ(CheckDialogueHead(apps, engine::AppRegistry::kNone, "GET", "/dialogue/rooms",
                              Query("GET", "/dialogue/rooms", "secret7", "key7", ""), kNow)
                .status,
            404);  // Dialogue off
}

}  // namespace
}  // namespace ringcast::api
