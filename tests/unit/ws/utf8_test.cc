// Utf8Validator: valid text, Markus Kuhn's boundary and malformed cases, fail-fast positions,
// split invariance, and an exhaustive comparison over byte-class representatives against a
// reference built by encoding every scalar value with a plain RFC 3629 encoder.
#include "ws/utf8.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace ringcast::ws {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

// Index of the byte at which byte-by-byte feeding first fails; -1 if it never fails.
int FailIndex(const std::string& s) {
  Utf8Validator v;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!v.Feed(reinterpret_cast<const uint8_t*>(s.data()) + i, 1)) return static_cast<int>(i);
  }
  return -1;
}

TEST(Utf8Validator, AcceptsAsciiAndMultiByteText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("Hello, world"));
  EXPECT_TRUE(IsValidUtf8("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"));  // "kosme" in Greek
  EXPECT_TRUE(
      IsValidUtf8("Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!"));
  EXPECT_TRUE(IsValidUtf8("\xe2\x82\xac"));         // euro sign
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x98\x80 ok"));  // U+1F600
  EXPECT_TRUE(IsValidUtf8(std::string(1000, 'a') + "\xe2\x82\xac" + std::string(13, 'b')));
}

TEST(Utf8Validator, AcceptsKuhnBoundaryCodePoints) {
  EXPECT_TRUE(IsValidUtf8(std::string(1, '\0')));             // U+0000
  EXPECT_TRUE(IsValidUtf8(Bytes({0xc2, 0x80})));              // U+0080
  EXPECT_TRUE(IsValidUtf8(Bytes({0xe0, 0xa0, 0x80})));        // U+0800
  EXPECT_TRUE(IsValidUtf8(Bytes({0xf0, 0x90, 0x80, 0x80})));  // U+10000
  EXPECT_TRUE(IsValidUtf8(Bytes({0x7f})));                    // U+007F
  EXPECT_TRUE(IsValidUtf8(Bytes({0xdf, 0xbf})));              // U+07FF
  EXPECT_TRUE(IsValidUtf8(Bytes({0xef, 0xbf, 0xbf})));        // U+FFFF
  EXPECT_TRUE(IsValidUtf8(Bytes({0xed, 0x9f, 0xbf})));        // U+D7FF
  EXPECT_TRUE(IsValidUtf8(Bytes({0xee, 0x80, 0x80})));        // U+E000
  EXPECT_TRUE(IsValidUtf8(Bytes({0xef, 0xbf, 0xbd})));        // U+FFFD
  EXPECT_TRUE(IsValidUtf8(Bytes({0xf4, 0x8f, 0xbf, 0xbf})));  // U+10FFFF
}

TEST(Utf8Validator, RejectsKuhnMalformedSequences) {
  const std::vector<std::string> bad = {
      Bytes({0x80}),
      Bytes({0xbf}),
      Bytes({0x80, 0xbf}),
      Bytes({0x80, 0xbf, 0x80}),  // 3.1
      Bytes({0xc0, 0x20}),
      Bytes({0xe0, 0x20}),
      Bytes({0xf0, 0x20}),  // 3.2
      Bytes({0xf8, 0x20}),
      Bytes({0xfc, 0x20}),
      Bytes({0xc0}),
      Bytes({0xe0, 0x80}),
      Bytes({0xf0, 0x80, 0x80}),  // 3.3
      Bytes({0xdf}),
      Bytes({0xef, 0xbf}),
      Bytes({0xf7, 0xbf, 0xbf}),
      Bytes({0xfe}),
      Bytes({0xff}),
      Bytes({0xfe, 0xfe, 0xff, 0xff}),  // 3.5
      Bytes({0xc0, 0xaf}),
      Bytes({0xe0, 0x80, 0xaf}),
      Bytes({0xf0, 0x80, 0x80, 0xaf}),  // 4.1
      Bytes({0xf8, 0x80, 0x80, 0x80, 0xaf}),
      Bytes({0xfc, 0x80, 0x80, 0x80, 0x80, 0xaf}),
      Bytes({0xc1, 0xbf}),
      Bytes({0xe0, 0x9f, 0xbf}),
      Bytes({0xf0, 0x8f, 0xbf, 0xbf}),  // 4.2
      Bytes({0xc0, 0x80}),
      Bytes({0xe0, 0x80, 0x80}),
      Bytes({0xf0, 0x80, 0x80, 0x80}),  // 4.3
      Bytes({0xed, 0xa0, 0x80}),
      Bytes({0xed, 0xad, 0xbf}),
      Bytes({0xed, 0xae, 0x80}),  // 5.1
      Bytes({0xed, 0xaf, 0xbf}),
      Bytes({0xed, 0xb0, 0x80}),
      Bytes({0xed, 0xbe, 0x80}),
      Bytes({0xed, 0xbf, 0xbf}),
      Bytes({0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80}),
      Bytes({0xed, 0xaf, 0xbf, 0xed, 0xbf, 0xbf}),  // 5.2
      Bytes({0xf4, 0x90, 0x80, 0x80}),              // > U+10FFFF
      Bytes({0xf5, 0x80, 0x80, 0x80}),
      std::string(
          "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64"),
  };
  for (const std::string& s : bad) {
    EXPECT_FALSE(IsValidUtf8(s)) << ::testing::PrintToString(s);
  }
}

TEST(Utf8Validator, FailsAtTheFirstByteThatProvesInvalidity) {
  EXPECT_EQ(FailIndex(Bytes({0xf4, 0x90, 0x80, 0x80})), 1);  // above U+10FFFF
  EXPECT_EQ(FailIndex(Bytes({0xed, 0xa0, 0x80})), 1);        // surrogate
  EXPECT_EQ(FailIndex(Bytes({0xe0, 0x80, 0x80})), 1);        // overlong 3-byte
  EXPECT_EQ(FailIndex(Bytes({0xf0, 0x8f, 0xbf, 0xbf})), 1);  // overlong 4-byte
  EXPECT_EQ(FailIndex(Bytes({0xc0, 0x80})), 0);              // overlong 2-byte lead
  EXPECT_EQ(FailIndex(Bytes({0xc1, 0xbf})), 0);
  EXPECT_EQ(FailIndex(Bytes({0xf5})), 0);
  EXPECT_EQ(FailIndex(Bytes({0xff})), 0);
  EXPECT_EQ(FailIndex(Bytes({0x61, 0x80})), 1);        // stray continuation
  EXPECT_EQ(FailIndex(Bytes({0xe2, 0x82, 0x41})), 2);  // truncated then ASCII
  EXPECT_EQ(FailIndex(Bytes({0xf4, 0x8f, 0xbf, 0xbf})), -1);
}

TEST(Utf8Validator, StaysRejectedAndResets) {
  Utf8Validator v;
  EXPECT_FALSE(v.Feed(Bytes({0xff})));
  EXPECT_TRUE(v.Rejected());
  EXPECT_FALSE(v.Feed("abc"));
  EXPECT_FALSE(v.AtBoundary());
  v.Reset();
  EXPECT_TRUE(v.Feed("abc"));
  EXPECT_TRUE(v.AtBoundary());
}

TEST(Utf8Validator, TracksPartialCodePointsAcrossFeeds) {
  Utf8Validator v;
  EXPECT_TRUE(v.Feed(Bytes({0xe2})));
  EXPECT_FALSE(v.AtBoundary());
  EXPECT_TRUE(v.Feed(Bytes({0x82})));
  EXPECT_FALSE(v.AtBoundary());
  EXPECT_TRUE(v.Feed(Bytes({0xac})));
  EXPECT_TRUE(v.AtBoundary());
  EXPECT_EQ(sizeof(Utf8Validator), 1u);
}

TEST(Utf8Validator, AsciiFastPathFindsABadByteAtAnyOffset) {
  for (size_t len : {1u, 7u, 8u, 9u, 16u, 33u, 64u}) {
    for (size_t at = 0; at < len; ++at) {
      std::string s(len, 'a');
      s[at] = static_cast<char>(0xff);
      EXPECT_FALSE(IsValidUtf8(s)) << len << " " << at;
      EXPECT_EQ(FailIndex(s), static_cast<int>(at));
      s[at] = static_cast<char>(0xc3);
      EXPECT_FALSE(IsValidUtf8(s)) << "truncated 2-byte sequence " << len << " " << at;
      s.insert(at + 1, 1, static_cast<char>(0xa9));
      EXPECT_TRUE(IsValidUtf8(s)) << len << " " << at;
    }
  }
}

TEST(Utf8Validator, EverySplitGivesTheSameVerdict) {
  const std::vector<std::string> inputs = {
      "plain ascii text that is longer than eight bytes",
      "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5 and \xf0\x9f\x98\x80 and \xe2\x82\xac",
      "abcdefgh\xed\xa0\x80xyz",
      "abcdefghijklmnop\xf4\x90\x80\x80",
      "abc\xe2\x82",
  };
  for (const std::string& s : inputs) {
    const bool whole = IsValidUtf8(s);
    for (size_t cut = 0; cut <= s.size(); ++cut) {
      Utf8Validator v;
      const bool ok = v.Feed(std::string_view(s).substr(0, cut)) &&
                      v.Feed(std::string_view(s).substr(cut)) && v.AtBoundary();
      EXPECT_EQ(ok, whole) << ::testing::PrintToString(s) << " cut " << cut;
    }
  }
}

// Reference: every valid encoding of every scalar value, by a plain encoder.
class Reference {
 public:
  Reference() : complete_(4), prefix_(4) {
    complete_[1].assign(1u << 8, false);
    complete_[2].assign(1u << 16, false);
    complete_[3].assign(1u << 24, false);
    prefix_[1].assign(1u << 8, false);
    prefix_[2].assign(1u << 16, false);
    prefix_[3].assign(1u << 24, false);
    for (uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
      if (cp >= 0xD800 && cp <= 0xDFFF) continue;
      uint8_t b[4];
      int n;
      if (cp < 0x80) {
        b[0] = static_cast<uint8_t>(cp);
        n = 1;
      } else if (cp < 0x800) {
        b[0] = static_cast<uint8_t>(0xC0 | (cp >> 6));
        b[1] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
        n = 2;
      } else if (cp < 0x10000) {
        b[0] = static_cast<uint8_t>(0xE0 | (cp >> 12));
        b[1] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
        b[2] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
        n = 3;
      } else {
        b[0] = static_cast<uint8_t>(0xF0 | (cp >> 18));
        b[1] = static_cast<uint8_t>(0x80 | ((cp >> 12) & 0x3F));
        b[2] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
        b[3] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
        n = 4;
      }
      if (n < 4) complete_[n][Key(b, n)] = true;
      for (int k = 1; k < n; ++k) prefix_[k][Key(b, k)] = true;
      if (n == 4) four_.push_back(Key(b, 4));
    }
  }

  // Whether s[0, len) is a prefix of some valid UTF-8 string, and whether it is complete.
  void Check(const uint8_t* s, size_t len, bool* valid_prefix, bool* complete) const {
    size_t i = 0;
    while (i < len) {
      bool matched = false;
      for (int n = 1; n <= 4 && i + n <= len; ++n) {
        if (IsComplete(s + i, n)) {
          i += n;
          matched = true;
          break;
        }
      }
      if (matched) continue;
      const size_t rest = len - i;
      *valid_prefix = rest < 4 && prefix_[rest][Key(s + i, static_cast<int>(rest))];
      *complete = false;
      return;
    }
    *valid_prefix = true;
    *complete = true;
  }

 private:
  static uint32_t Key(const uint8_t* b, int n) {
    uint32_t k = 0;
    for (int i = 0; i < n; ++i) k = (k << 8) | b[i];
    return k;
  }
  bool IsComplete(const uint8_t* b, int n) const {
    if (n < 4) return complete_[n][Key(b, n)];
    // Encodings of increasing code points increase as big-endian keys: four_ is sorted.
    return std::binary_search(four_.begin(), four_.end(), Key(b, 4));
  }

  std::vector<std::vector<bool>> complete_;
  std::vector<std::vector<bool>> prefix_;
  std::vector<uint32_t> four_;
};

TEST(Utf8Validator, MatchesReferenceOnAllClassRepresentatives) {
  const Reference ref;
  // Both ends of every byte class the DFA distinguishes.
  const std::vector<uint8_t> reps = {0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf,
                                     0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed,
                                     0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff};
  size_t checked = 0;
  auto check = [&](const std::vector<uint8_t>& s) {
    // Expected: fail at the first byte whose prefix is no longer a valid prefix.
    int expect_fail = -1;
    for (size_t k = 1; k <= s.size(); ++k) {
      bool valid_prefix, complete;
      ref.Check(s.data(), k, &valid_prefix, &complete);
      if (!valid_prefix) {
        expect_fail = static_cast<int>(k - 1);
        break;
      }
    }
    bool valid_prefix, complete;
    ref.Check(s.data(), s.size(), &valid_prefix, &complete);
    const std::string str(s.begin(), s.end());
    ASSERT_EQ(FailIndex(str), expect_fail) << ::testing::PrintToString(str);
    ASSERT_EQ(IsValidUtf8(str), valid_prefix && complete) << ::testing::PrintToString(str);
    ++checked;
  };
  // Every 1- and 2-byte string, then representatives for 3 and 4 bytes.
  for (int a = 0; a < 256; ++a) {
    check({static_cast<uint8_t>(a)});
    for (int b = 0; b < 256; ++b) check({static_cast<uint8_t>(a), static_cast<uint8_t>(b)});
  }
  for (uint8_t a : reps) {
    for (uint8_t b : reps) {
      for (uint8_t c : reps) {
        check({a, b, c});
        for (uint8_t d : reps) check({a, b, c, d});
      }
    }
  }
  EXPECT_GT(checked, 65536u + 24u * 24 * 24 * 24);
}

}  // namespace
}  // namespace ringcast::ws
