// Tests for src/auth/channel_auth: the vectors of pusher-protocol.md section 1.11 and the
// checks on the "<key>:<hex>" tokens clients send.
#include "auth/channel_auth.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

namespace ringcast::auth {
namespace {

constexpr std::string_view kKey = "278d425bdf160c739803";
constexpr std::string_view kSecret = "7ad3773142a6692b25b8";
constexpr std::string_view kSocket = "1234.1234";
constexpr std::string_view kPresenceData = R"({"user_id":10,"user_info":{"name":"Mr. Channels"}})";
constexpr std::string_view kPrivateHex =
    "58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4";
constexpr std::string_view kPresenceHex =
    "31935e7d86dba64c2a90aed31fdc61869f9b22ba9d8863bba239c03ca481bc80";
constexpr std::string_view kUserHex =
    "4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba";

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

TEST(ChannelAuth, PrivateChannelSignatureMatchesPusherDocs) {
  EXPECT_EQ(ChannelStringToSign(kSocket, "private-foobar"), "1234.1234:private-foobar");
  EXPECT_EQ(ChannelSignature(kSecret, kSocket, "private-foobar"), kPrivateHex);
}

TEST(ChannelAuth, PresenceChannelSignatureCoversChannelData) {
  EXPECT_EQ(ChannelStringToSign(kSocket, "presence-foobar", kPresenceData),
            std::string("1234.1234:presence-foobar:") + std::string(kPresenceData));
  EXPECT_EQ(ChannelSignature(kSecret, kSocket, "presence-foobar", kPresenceData), kPresenceHex);
}

TEST(ChannelAuth, StaleDocValueBelongsToMrPusherNotMrChannels) {
  // pusher-protocol.md 1.11: the docs print this value next to the "Mr. Channels" input.
  EXPECT_EQ(ChannelSignature(kSecret, kSocket, "presence-foobar",
                             R"({"user_id":10,"user_info":{"name":"Mr. Pusher"}})"),
            "afaed3695da2ffd16931f457e338e6c9f2921fa133ce7dac49f529792be6304c");
}

TEST(ChannelAuth, UserSignatureMatchesPusherDocs) {
  EXPECT_EQ(UserStringToSign(kSocket, R"({"id":"12345"})"), R"(1234.1234::user::{"id":"12345"})");
  EXPECT_EQ(UserSignature(kSecret, kSocket, R"({"id":"12345"})"), kUserHex);
}

TEST(ChannelAuth, VerifyAuthTokenAcceptsDocVectors) {
  const std::string key(kKey);
  EXPECT_TRUE(VerifyAuthToken(key + ":" + std::string(kPrivateHex), kKey, kSecret,
                              "1234.1234:private-foobar"));
  EXPECT_TRUE(VerifyAuthToken(key + ":" + std::string(kPresenceHex), kKey, kSecret,
                              ChannelStringToSign(kSocket, "presence-foobar", kPresenceData)));
  EXPECT_TRUE(VerifyAuthToken(key + ":" + std::string(kUserHex), kKey, kSecret,
                              UserStringToSign(kSocket, R"({"id":"12345"})")));
}

TEST(ChannelAuth, VerifyAuthTokenAcceptsUpperCaseHex) {
  EXPECT_TRUE(VerifyAuthToken(std::string(kKey) + ":" + Upper(kPrivateHex), kKey, kSecret,
                              "1234.1234:private-foobar"));
}

TEST(ChannelAuth, VerifyAuthTokenRejectsWrongKey) {
  EXPECT_FALSE(VerifyAuthToken("278d425bdf160c739804:" + std::string(kPrivateHex), kKey, kSecret,
                               "1234.1234:private-foobar"));
  EXPECT_FALSE(
      VerifyAuthToken(":" + std::string(kPrivateHex), kKey, kSecret, "1234.1234:private-foobar"));
  // The key is compared exactly, not case-insensitively.
  EXPECT_FALSE(VerifyAuthToken(Upper(kKey) + ":" + std::string(kPrivateHex), kKey, kSecret,
                               "1234.1234:private-foobar"));
}

TEST(ChannelAuth, VerifyAuthTokenRejectsTamperedSignatureOrInput) {
  const std::string key(kKey);
  std::string sig(kPrivateHex);
  sig[10] = sig[10] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(VerifyAuthToken(key + ":" + sig, kKey, kSecret, "1234.1234:private-foobar"));
  EXPECT_FALSE(VerifyAuthToken(key + ":" + std::string(kPrivateHex), kKey, kSecret,
                               "1234.1235:private-foobar"));
  EXPECT_FALSE(VerifyAuthToken(key + ":" + std::string(kPrivateHex), kKey, kSecret,
                               "1234.1234:private-foobaz"));
  EXPECT_FALSE(VerifyAuthToken(key + ":" + std::string(kPrivateHex), kKey, "7ad3773142a6692b25b9",
                               "1234.1234:private-foobar"));
  // Presence auth must cover channel_data: a token for the private form does not do.
  EXPECT_FALSE(VerifyAuthToken(key + ":" + std::string(kPrivateHex), kKey, kSecret,
                               ChannelStringToSign(kSocket, "private-foobar", kPresenceData)));
}

TEST(ChannelAuth, VerifyAuthTokenRejectsMalformedTokens) {
  const std::string key(kKey);
  EXPECT_FALSE(VerifyAuthToken("", kKey, kSecret, "1234.1234:private-foobar"));
  EXPECT_FALSE(VerifyAuthToken(kPrivateHex, kKey, kSecret, "1234.1234:private-foobar"));
  EXPECT_FALSE(VerifyAuthToken(key, kKey, kSecret, "1234.1234:private-foobar"));
  EXPECT_FALSE(VerifyAuthToken(key + ":", kKey, kSecret, "1234.1234:private-foobar"));
  EXPECT_FALSE(VerifyAuthToken(key + ":" + std::string(kPrivateHex) + "0", kKey, kSecret,
                               "1234.1234:private-foobar"));
  EXPECT_FALSE(VerifyAuthToken(key + ":" + std::string(kPrivateHex.substr(1)), kKey, kSecret,
                               "1234.1234:private-foobar"));
  EXPECT_FALSE(VerifyAuthToken(key + ":" + std::string(kPrivateHex) + " ", kKey, kSecret,
                               "1234.1234:private-foobar"));
  EXPECT_FALSE(VerifyAuthToken(key + "::" + std::string(kPrivateHex), kKey, kSecret,
                               "1234.1234:private-foobar"));
}

TEST(ChannelAuth, IsValidSocketIdAcceptsDigitsDotDigits) {
  EXPECT_TRUE(IsValidSocketId("1234.1234"));
  EXPECT_TRUE(IsValidSocketId("0.0"));
  EXPECT_TRUE(IsValidSocketId("123.456"));
  EXPECT_TRUE(IsValidSocketId("18446744073709551615.18446744073709551615"));
  EXPECT_TRUE(IsValidSocketId("99999999999999999999.1"));  // 20 digits
}

TEST(ChannelAuth, IsValidSocketIdRejectsEverythingElse) {
  EXPECT_FALSE(IsValidSocketId(""));
  EXPECT_FALSE(IsValidSocketId("."));
  EXPECT_FALSE(IsValidSocketId("1234"));
  EXPECT_FALSE(IsValidSocketId("1234."));
  EXPECT_FALSE(IsValidSocketId(".1234"));
  EXPECT_FALSE(IsValidSocketId("1.2.3"));
  EXPECT_FALSE(IsValidSocketId("-1.2"));
  EXPECT_FALSE(IsValidSocketId("1.2 "));
  EXPECT_FALSE(IsValidSocketId(" 1.2"));
  EXPECT_FALSE(IsValidSocketId("1.2\n"));
  EXPECT_FALSE(IsValidSocketId("a.1"));
  EXPECT_FALSE(IsValidSocketId("1,2"));
  EXPECT_FALSE(IsValidSocketId("123456789012345678901.1"));  // 21 digits
  EXPECT_FALSE(IsValidSocketId("1.123456789012345678901"));
  EXPECT_FALSE(IsValidSocketId(std::string_view("1.2\0", 4)));
}

}  // namespace
}  // namespace ringcast::auth
