// HS256 JWT signature checks (auth/jwt.h), with tokens built here from their parts: a good token
// decodes its header and claims; a wrong secret, a changed claim, a cut signature, a wrong
// number of parts, a bad base64url character and an oversized token are refused.
#include "auth/jwt.h"

#include <gtest/gtest.h>

#include <string>

#include "auth/crypto.h"

namespace ringcast::auth {
namespace {

std::string B64Url(std::string_view data) {
  std::string s = Base64Encode(data);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return s;
}

std::string Token(std::string_view header, std::string_view claims, std::string_view secret) {
  std::string signing = B64Url(header) + "." + B64Url(claims);
  auto mac = HmacSha256(secret, signing);
  return signing + "." + B64Url(std::string_view(reinterpret_cast<const char*>(mac.data()), 32));
}

constexpr std::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";

TEST(Jwt, AGoodTokenDecodes) {
  std::string header, claims;
  EXPECT_EQ(VerifyJwtHs256(Token(kHeader, R"({"sub":"u1"})", "s3cret"), "s3cret", &header, &claims),
            nullptr);
  EXPECT_EQ(header, kHeader);
  EXPECT_EQ(claims, R"({"sub":"u1"})");
}

TEST(Jwt, SignsTheKnownExample) {
  // jwt.io's example token (HS256, secret "your-256-bit-secret").
  EXPECT_EQ(SignJwtHs256(kHeader, R"({"sub":"1234567890","name":"John Doe","iat":1516239022})",
                         "your-256-bit-secret"),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
            "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
            "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c");
  const std::string signed_here = SignJwtHs256(kHeader, R"({"sub":"u?>"})", "k");
  EXPECT_EQ(signed_here, Token(kHeader, R"({"sub":"u?>"})", "k"));
  std::string h, c;
  EXPECT_EQ(VerifyJwtHs256(signed_here, "k", &h, &c), nullptr);
  EXPECT_EQ(c, R"({"sub":"u?>"})");
}

TEST(Jwt, RefusesWhatDoesNotHold) {
  std::string h, c;
  const std::string good = Token(kHeader, R"({"sub":"u1"})", "s3cret");
  EXPECT_STREQ(VerifyJwtHs256(good, "other", &h, &c), "bad signature");
  // A claim changed after signing.
  std::string forged =
      B64Url(kHeader) + "." + B64Url(R"({"sub":"admin"})") + good.substr(good.rfind('.'));
  EXPECT_STREQ(VerifyJwtHs256(forged, "s3cret", &h, &c), "bad signature");
  EXPECT_STREQ(VerifyJwtHs256(good.substr(0, good.size() - 2), "s3cret", &h, &c), "bad signature");
  EXPECT_STREQ(VerifyJwtHs256("a.b", "s3cret", &h, &c), "not a JWT");
  EXPECT_STREQ(VerifyJwtHs256(good + ".x", "s3cret", &h, &c), "not a JWT");
  EXPECT_STREQ(
      VerifyJwtHs256(B64Url(kHeader) + ".." + good.substr(good.rfind('.') + 1), "s3cret", &h, &c),
      "bad signature");
  std::string padded = good + "=";
  EXPECT_NE(VerifyJwtHs256(padded, "s3cret", &h, &c), nullptr);
  EXPECT_STREQ(VerifyJwtHs256(std::string(kMaxJwtBytes + 1, 'a'), "s3cret", &h, &c),
               "token too long");
}

TEST(Jwt, Base64UrlDecodes) {
  std::string out;
  EXPECT_TRUE(Base64UrlDecode(B64Url("\xfb\xff?"), &out));
  EXPECT_EQ(out, "\xfb\xff?");
  EXPECT_FALSE(Base64UrlDecode("a+b/", &out));   // the standard alphabet is not base64url
  EXPECT_FALSE(Base64UrlDecode("abcde", &out));  // a length no encoding has
  EXPECT_TRUE(Base64UrlDecode("", &out));
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace ringcast::auth
