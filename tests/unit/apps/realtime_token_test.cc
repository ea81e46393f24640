// DontCode realtime tokens (apps/dontcode/realtime_token.h): a minted token verifies into the
// same grant; an expired one says so (with its claims); another app's secret, a changed claim,
// an unknown kid, a bad channel list and garbage are refused.
#include "apps/dontcode/realtime_token.h"

#include <gtest/gtest.h>

#include "auth/jwt.h"

namespace ringcast::apps::dontcode {
namespace {

engine::AppRegistry Apps() {
  std::vector<config::AppConfig> apps(2);
  apps[0].id = "1";
  apps[0].key = "key-a";
  apps[0].secret = "secret-a";
  apps[1].id = "2";
  apps[1].key = "key-b";
  apps[1].secret = "secret-b";
  return engine::AppRegistry(std::move(apps));
}

RealtimeGrant Grant() {
  RealtimeGrant g;
  g.identity = "user-7";
  g.channels = {"room:42", "lobby"};
  g.exp_s = 2000;
  return g;
}

TEST(RealtimeToken, MintedVerifies) {
  engine::AppRegistry apps = Apps();
  std::string token = MintToken("key-b", "secret-b", Grant(), 1000);
  RealtimeGrant got;
  ASSERT_EQ(VerifyToken(apps, token, 1999, &got), TokenCheck::kOk);
  EXPECT_EQ(got.app, 1u);
  EXPECT_EQ(got.identity, "user-7");
  EXPECT_EQ(got.channels, (std::vector<std::string>{"room:42", "lobby"}));
  EXPECT_EQ(got.exp_s, 2000);
  EXPECT_TRUE(Allows(got, "room:42"));
  EXPECT_FALSE(Allows(got, "room:43"));
  RealtimeGrant anon = Grant();
  anon.identity.clear();
  ASSERT_EQ(VerifyToken(apps, MintToken("key-a", "secret-a", anon, 1000), 1500, &got),
            TokenCheck::kOk);
  EXPECT_EQ(got.identity, "");
  EXPECT_EQ(got.app, 0u);
}

TEST(RealtimeToken, ExpiredSaysSo) {
  engine::AppRegistry apps = Apps();
  RealtimeGrant got;
  EXPECT_EQ(VerifyToken(apps, MintToken("key-a", "secret-a", Grant(), 1000), 2000, &got),
            TokenCheck::kExpired);
  EXPECT_EQ(got.exp_s, 2000);
}

TEST(RealtimeToken, RefusesWhatDoesNotHold) {
  engine::AppRegistry apps = Apps();
  RealtimeGrant got;
  // Signed with another app's secret, under this app's kid.
  EXPECT_EQ(VerifyToken(apps, MintToken("key-a", "secret-b", Grant(), 1000), 1500, &got),
            TokenCheck::kBadSignature);
  EXPECT_EQ(VerifyToken(apps, MintToken("key-zz", "secret-a", Grant(), 1000), 1500, &got),
            TokenCheck::kMalformed);
  // A claim changed after signing.
  std::string token = MintToken("key-a", "secret-a", Grant(), 1000);
  const size_t a = token.find('.');
  const size_t b = token.find('.', a + 1);
  std::string forged = token.substr(0, a + 1) +
                       auth::Base64UrlEncode(R"({"channels":["*"],"iat":1000,"exp":9999})") +
                       token.substr(b);
  EXPECT_EQ(VerifyToken(apps, forged, 1500, &got), TokenCheck::kBadSignature);
  // Signed, but the claims are not a grant.
  const std::string header = R"({"alg":"HS256","typ":"JWT","kid":"key-a"})";
  for (const char* claims :
       {R"({"exp":2000})", R"({"channels":"room","exp":2000})", R"({"channels":["a b"],"exp":2000})",
        R"({"channels":[],"exp":"soon"})", R"({"channels":["#server-to-user-1"],"exp":2000})",
        "[]"}) {
    EXPECT_EQ(VerifyToken(apps, auth::SignJwtHs256(header, claims, "secret-a"), 1500, &got),
              TokenCheck::kMalformed)
        << claims;
  }
  EXPECT_EQ(VerifyToken(apps, auth::SignJwtHs256(R"({"alg":"none","kid":"key-a"})",
                                                  R"({"channels":[],"exp":2000})", "secret-a"),
                        1500, &got),
            TokenCheck::kMalformed);
  for (const char* junk : {"", "abc", "a.b.c", "....", "eyJ9.eyJ9.x"}) {
    EXPECT_EQ(VerifyToken(apps, junk, 1500, &got), TokenCheck::kMalformed) << junk;
  }
}

}  // namespace
}  // namespace ringcast::apps::dontcode
