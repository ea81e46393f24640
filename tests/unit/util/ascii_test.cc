// Tests for src/util/ascii.h: ASCII-only case folding (bytes >= 0x80 and the punctuation 32 apart
// from a letter never fold), hex digits in either case, OWS trimming, and comma lists with empty
// and whitespace-only elements.
#include "util/ascii.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::util {
namespace {

TEST(Ascii, AsciiLowerFoldsOnlyUpperCaseLetters) {
  EXPECT_EQ(AsciiLower('A'), 'a');
  EXPECT_EQ(AsciiLower('Z'), 'z');
  EXPECT_EQ(AsciiLower('a'), 'a');
  EXPECT_EQ(AsciiLower('@'), '@');  // 'A' - 1
  EXPECT_EQ(AsciiLower('['), '[');  // 'Z' + 1
  EXPECT_EQ(AsciiLower('\xc9'), '\xc9');
}

TEST(Ascii, EqualsIgnoreCaseComparesAsciiOnly) {
  EXPECT_TRUE(EqualsIgnoreCase("Content-Length", "content-LENGTH"));
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
  EXPECT_FALSE(EqualsIgnoreCase("abc", "abd"));
  EXPECT_FALSE(EqualsIgnoreCase("abc", "ab"));
  EXPECT_FALSE(EqualsIgnoreCase("\xc3\xa9", "\xc3\x89"));  // é vs É: not ASCII
  EXPECT_FALSE(EqualsIgnoreCase("[", "{"));                // 0x5b vs 0x7b differ by 32
  EXPECT_FALSE(EqualsIgnoreCase("@", "`"));                // 0x40 vs 0x60 differ by 32
  static_assert(EqualsIgnoreCase("WebSocket", "websocket"));
}

TEST(Ascii, HexDigitValueAcceptsBothCasesAndRejectsTheRest) {
  const std::string_view digits = "0123456789abcdef";
  for (size_t i = 0; i < digits.size(); ++i) {
    EXPECT_EQ(HexDigitValue(digits[i]), static_cast<int>(i)) << digits[i];
    EXPECT_EQ(HexDigitValue(static_cast<char>(std::toupper(digits[i]))), static_cast<int>(i));
  }
  for (char c : std::string_view("gG/:@`x \0\xff", 11)) EXPECT_EQ(HexDigitValue(c), -1) << c;
}

TEST(Ascii, TrimOwsRemovesOnlySpacesAndTabsAtTheEnds) {
  EXPECT_EQ(TrimOws(" \t13\t "), "13");
  EXPECT_EQ(TrimOws("a b"), "a b");
  EXPECT_EQ(TrimOws(" \t "), "");
  EXPECT_EQ(TrimOws(""), "");
  EXPECT_EQ(TrimOws("\r\nx\r\n"), "\r\nx\r\n");  // CR and LF are not OWS
  EXPECT_TRUE(IsOws(' '));
  EXPECT_TRUE(IsOws('\t'));
  EXPECT_FALSE(IsOws('\v'));
}

std::vector<std::string> Elements(std::string_view list) {
  std::vector<std::string> out;
  ForEachListElement(list, [&](std::string_view e) { out.emplace_back(e); });
  return out;
}

TEST(Ascii, ForEachListElementTrimsAndSkipsEmptyElements) {
  EXPECT_EQ(Elements("keep-alive, Upgrade"), (std::vector<std::string>{"keep-alive", "Upgrade"}));
  EXPECT_EQ(Elements(" a ,\t, ,b,"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Elements("one"), (std::vector<std::string>{"one"}));
  EXPECT_TRUE(Elements("").empty());
  EXPECT_TRUE(Elements(" , ,").empty());
}

}  // namespace
}  // namespace ringcast::util
