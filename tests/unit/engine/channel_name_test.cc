// Tests for src/engine/channel_name: every allowed character passes and every other byte is
// refused (anywhere in the name), the length limit is inclusive, '#server-to-user-<id>' is
// admitted only where internal names are allowed, kinds follow pusher-js's prefix order, cache
// channels are detected for every kind, and event names refuse control characters.
#include "engine/channel_name.h"

#include <gtest/gtest.h>

#include <string>

namespace ringcast::engine {
namespace {

constexpr size_t kMax = 164;
constexpr const char* kBadChar = "channel name may only contain letters, digits and _ - = @ , . ;";
constexpr const char* kReserved = "channel names starting with '#' are reserved";

const std::string kAllowed =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-=@,.;";

std::string Err(std::string_view name, bool internal = false) {
  const char* e = ChannelNameError(name, kMax, internal);
  return e == nullptr ? "" : e;
}

TEST(ChannelName, EveryAllowedCharacterIsAccepted) {
  EXPECT_EQ(Err(kAllowed), "");
  for (char c : kAllowed) {
    EXPECT_EQ(Err(std::string(1, c)), "") << c;
    EXPECT_EQ(Err("x" + std::string(1, c) + "y"), "") << c;
  }
}

TEST(ChannelName, EveryOtherByteIsRefusedWhereverItIs) {
  for (int b = 0; b < 256; ++b) {
    char c = static_cast<char>(b);
    if (kAllowed.find(c) != std::string::npos) continue;
    std::string mid = "ab" + std::string(1, c) + "cd";
    std::string end = "abcd" + std::string(1, c);
    EXPECT_EQ(Err(mid), kBadChar) << "byte " << b;
    EXPECT_EQ(Err(end), kBadChar) << "byte " << b;
    if (c != '#') {
      EXPECT_EQ(Err(std::string(1, c) + "abcd"), kBadChar) << "byte " << b;
    }
  }
}

TEST(ChannelName, EmptyIsRefused) {
  EXPECT_EQ(Err(""), "channel name is empty");
  EXPECT_EQ(Err("", true), "channel name is empty");
}

TEST(ChannelName, LengthLimitIsInclusive) {
  EXPECT_EQ(Err(std::string(164, 'a')), "");
  EXPECT_EQ(Err(std::string(165, 'a')), "channel name is too long");
  EXPECT_EQ(ChannelNameError(std::string(10, 'a'), 10, false), nullptr);
  EXPECT_STREQ(ChannelNameError(std::string(11, 'a'), 10, false), "channel name is too long");
  // Length is checked before characters.
  EXPECT_EQ(Err(std::string(165, '!')), "channel name is too long");
}

TEST(ChannelName, ServerToUserOnlyWhereInternalNamesAreAllowed) {
  EXPECT_EQ(Err("#server-to-user-42", true), "");
  EXPECT_EQ(Err("#server-to-user-alice@example.com", true), "");
  EXPECT_EQ(Err("#server-to-user-42", false), kReserved);
  // The prefix alone names nobody.
  EXPECT_EQ(Err("#server-to-user-", true), kReserved);
  // Other '#' names are reserved even on the REST side.
  EXPECT_EQ(Err("#server-to-users-1", true), kReserved);
  EXPECT_EQ(Err("#news", true), kReserved);
  EXPECT_EQ(Err("#", true), kReserved);
  // The id itself obeys the character rules; only the leading '#' is special.
  EXPECT_EQ(Err("#server-to-user-a#b", true), kBadChar);
  EXPECT_EQ(Err("#server-to-user-a b", true), kBadChar);
  // The limit counts the whole name.
  std::string at_limit = "#server-to-user-" + std::string(kMax - 16, 'u');
  EXPECT_EQ(Err(at_limit, true), "");
  EXPECT_EQ(Err(at_limit + "u", true), "channel name is too long");
}

TEST(ChannelName, KindsByPrefixInPusherJsOrder) {
  EXPECT_EQ(KindOf("news"), ChannelKind::kPublic);
  EXPECT_EQ(KindOf("private-chat"), ChannelKind::kPrivate);
  EXPECT_EQ(KindOf("private-encrypted-chat"), ChannelKind::kPrivateEncrypted);
  EXPECT_EQ(KindOf("presence-room"), ChannelKind::kPresence);
  EXPECT_EQ(KindOf("#server-to-user-7"), ChannelKind::kServerToUser);
  // Prefixes need their dash and must come first.
  EXPECT_EQ(KindOf("private"), ChannelKind::kPublic);
  EXPECT_EQ(KindOf("privatechat"), ChannelKind::kPublic);
  EXPECT_EQ(KindOf("presence"), ChannelKind::kPublic);
  EXPECT_EQ(KindOf("my-private-chat"), ChannelKind::kPublic);
  EXPECT_EQ(KindOf("private-encrypted"), ChannelKind::kPrivate);
  EXPECT_EQ(KindOf("Private-chat"), ChannelKind::kPublic);
  EXPECT_EQ(KindOf(""), ChannelKind::kPublic);
  // Cache variants keep their base kind.
  EXPECT_EQ(KindOf("private-cache-x"), ChannelKind::kPrivate);
  EXPECT_EQ(KindOf("private-encrypted-cache-x"), ChannelKind::kPrivateEncrypted);
  EXPECT_EQ(KindOf("presence-cache-x"), ChannelKind::kPresence);
  EXPECT_EQ(KindOf("cache-x"), ChannelKind::kPublic);
}

TEST(ChannelName, CacheChannelsOfEveryKind) {
  EXPECT_TRUE(IsCacheChannel("cache-x"));
  EXPECT_TRUE(IsCacheChannel("private-cache-x"));
  EXPECT_TRUE(IsCacheChannel("private-encrypted-cache-x"));
  EXPECT_TRUE(IsCacheChannel("presence-cache-x"));
  EXPECT_TRUE(IsCacheChannel("cache-"));
  EXPECT_FALSE(IsCacheChannel("cache"));
  EXPECT_FALSE(IsCacheChannel("cachex"));
  EXPECT_FALSE(IsCacheChannel("private-cachex"));
  EXPECT_FALSE(IsCacheChannel("public-cache-x"));
  EXPECT_FALSE(IsCacheChannel("private-encrypted-x-cache-"));
  EXPECT_FALSE(IsCacheChannel("news"));
  EXPECT_FALSE(IsCacheChannel(""));
}

TEST(ChannelName, OnlyPrivateEncryptedAndPresenceNeedAuth) {
  EXPECT_FALSE(NeedsAuth(ChannelKind::kPublic));
  EXPECT_TRUE(NeedsAuth(ChannelKind::kPrivate));
  EXPECT_TRUE(NeedsAuth(ChannelKind::kPrivateEncrypted));
  EXPECT_TRUE(NeedsAuth(ChannelKind::kPresence));
  EXPECT_FALSE(NeedsAuth(ChannelKind::kServerToUser));
}

TEST(EventName, RulesAndLimit) {
  EXPECT_EQ(EventNameError("my-event", 200), nullptr);
  EXPECT_EQ(EventNameError("client-typing", 200), nullptr);
  EXPECT_EQ(EventNameError("with space and \xC3\xA9 and #!", 200), nullptr);
  EXPECT_STREQ(EventNameError("", 200), "event name is empty");
  EXPECT_EQ(EventNameError(std::string(200, 'e'), 200), nullptr);
  EXPECT_STREQ(EventNameError(std::string(201, 'e'), 200), "event name is too long");
  for (int c : {0x00, 0x01, 0x09, 0x0a, 0x1f, 0x7f}) {
    std::string name = "ev" + std::string(1, static_cast<char>(c)) + "x";
    EXPECT_STREQ(EventNameError(name, 200), "event name contains control characters") << c;
  }
  EXPECT_EQ(EventNameError("\x20\x7e", 200), nullptr);
}

}  // namespace
}  // namespace ringcast::engine
