// Tests for src/util/utf8_truncate: cuts never split a code point, invalid bytes become U+FFFD,
// the byte limit holds for every input and every limit, and valid text that fits is unchanged.
#include "util/utf8_truncate.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace ringcast::util {
namespace {

// Strict RFC 3629 check, written independently of the code under test.
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    uint32_t cp;
    size_t n;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1F;
      n = 2;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0F;
      n = 3;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07;
      n = 4;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      const uint8_t d = static_cast<uint8_t>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

const std::string kEuro = "\xE2\x82\xAC";       // U+20AC, 3 bytes
const std::string kEmoji = "\xF0\x9F\x98\x80";  // U+1F600, 4 bytes
const std::string kFffd = "\xEF\xBF\xBD";

TEST(Utf8Truncate, ValidTextThatFitsIsUnchanged) {
  const std::string s = "caf\xC3\xA9 " + kEuro + kEmoji;
  EXPECT_EQ(Utf8Truncate(s, s.size()), s);
  EXPECT_EQ(Utf8Truncate(s, 1000), s);
  std::string out = "x";
  EXPECT_TRUE(AppendUtf8Truncated(&out, s, s.size()));
  EXPECT_EQ(out, "x" + s);
}

TEST(Utf8Truncate, NeverSplitsACodePoint) {
  const std::string s = "ab" + kEmoji;
  EXPECT_EQ(Utf8Truncate(s, 2), "ab");
  EXPECT_EQ(Utf8Truncate(s, 3), "ab");
  EXPECT_EQ(Utf8Truncate(s, 5), "ab");
  EXPECT_EQ(Utf8Truncate(s, 6), s);
  std::string out;
  EXPECT_FALSE(AppendUtf8Truncated(&out, s, 5));
  EXPECT_EQ(out, "ab");
}

TEST(Utf8Truncate, InvalidBytesBecomeReplacementCharacters) {
  EXPECT_EQ(Utf8Truncate("a\xFF"
                         "b",
                         100),
            "a" + kFffd + "b");
  EXPECT_EQ(Utf8Truncate("\xC0\xAF", 100), kFffd + kFffd);               // overlong '/'
  EXPECT_EQ(Utf8Truncate("\xED\xA0\x80", 100), kFffd + kFffd + kFffd);   // surrogate D800
  EXPECT_EQ(Utf8Truncate("\xF4\x90\x80\x80", 100).substr(0, 3), kFffd);  // above U+10FFFF
  EXPECT_EQ(Utf8Truncate("x\xE2\x82", 100), "x" + kFffd + kFffd);        // cut-off sequence
  EXPECT_EQ(Utf8Truncate("a\xFF", 3), "a");  // U+FFFD does not fit in the 2 bytes left
}

TEST(Utf8Prefix, BacksOffToACodePointBoundary) {
  const std::string s = "ab" + kEuro + "c";
  EXPECT_EQ(Utf8Prefix(s, 2), "ab");
  EXPECT_EQ(Utf8Prefix(s, 3), "ab");
  EXPECT_EQ(Utf8Prefix(s, 4), "ab");
  EXPECT_EQ(Utf8Prefix(s, 5), "ab" + kEuro);
  EXPECT_EQ(Utf8Prefix(s, 100), s);
  EXPECT_EQ(Utf8Prefix(kEmoji + kEmoji, 7), kEmoji);
  EXPECT_EQ(Utf8Prefix(kEmoji, 0), "");
}

TEST(Utf8Truncate, EveryLimitOverRandomBytesGivesValidUtf8WithinTheLimit) {
  std::mt19937 rng(1234);
  // Bytes drawn to hit lead bytes, continuation bytes and ASCII often.
  const uint8_t kAlphabet[] = {'a',  0x7F, 0x80, 0xBF, 0xC2, 0xC3, 0xE0, 0xE2, 0xED, 0xEF,
                               0xF0, 0xF4, 0xF5, 0xFF, 0x82, 0x9F, 0xA0, 0x90, 0x8F};
  for (int round = 0; round < 2000; ++round) {
    std::string s;
    const size_t len = rng() % 24;
    for (size_t i = 0; i < len; ++i) s.push_back(static_cast<char>(kAlphabet[rng() % 19]));
    for (size_t limit = 0; limit <= len * 3 + 3; ++limit) {
      const std::string t = Utf8Truncate(s, limit);
      ASSERT_LE(t.size(), limit);
      ASSERT_TRUE(IsValidUtf8(t)) << "round " << round << " limit " << limit;
      if (IsValidUtf8(s)) {
        const std::string_view p = Utf8Prefix(s, limit);
        ASSERT_LE(p.size(), limit);
        ASSERT_TRUE(IsValidUtf8(p));
        ASSERT_GE(p.size() + 3, std::min(limit, s.size()));
        ASSERT_EQ(t, p);  // on valid input both agree
      }
    }
  }
}

}  // namespace
}  // namespace ringcast::util
