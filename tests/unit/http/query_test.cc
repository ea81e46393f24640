// Percent-decoding, query parameters and path segments, with their edge cases.

#include "http/query.h"

#include <gtest/gtest.h>

namespace ringcast::http {
namespace {

std::string Decoded(std::string_view in, bool plus_as_space) {
  std::string out = "stale";
  EXPECT_TRUE(PercentDecode(in, &out, plus_as_space)) << in;
  return out;
}

TEST(PercentDecode, DecodesEscapesInEitherCase) {
  EXPECT_EQ(Decoded("a%20b", false), "a b");
  EXPECT_EQ(Decoded("%7e%7E", false), "~~");
  EXPECT_EQ(Decoded("%e2%82%ac", false), "\xe2\x82\xac");
  EXPECT_EQ(Decoded("%25", false), "%");
  EXPECT_EQ(Decoded("%2525", false), "%25");  // decodes once
  EXPECT_EQ(Decoded("", false), "");
  EXPECT_EQ(Decoded("plain-text_.~", false), "plain-text_.~");
}

TEST(PercentDecode, DecodesNulAndHighBytes) {
  EXPECT_EQ(Decoded("a%00b", false), std::string("a\0b", 3));
  EXPECT_EQ(Decoded("%FF", false), "\xff");
}

TEST(PercentDecode, TurnsPlusIntoSpaceOnlyWhenAsked) {
  EXPECT_EQ(Decoded("a+b", true), "a b");
  EXPECT_EQ(Decoded("a+b", false), "a+b");
  EXPECT_EQ(Decoded("%2B+", true), "+ ");
}

TEST(PercentDecode, RejectsBadEscapesAndLeavesOutputEmpty) {
  for (std::string_view in : {"%", "abc%", "%4", "a%4", "%G0", "%0G", "%%", "% 1", "%-1", "%+1"}) {
    std::string out = "stale";
    EXPECT_FALSE(PercentDecode(in, &out, true)) << in;
    EXPECT_EQ(out, "") << in;
  }
}

std::string Describe(const std::vector<QueryParam>& params) {
  std::string s;
  for (const QueryParam& p : params) s += "[" + p.key + "]=[" + p.value + "]";
  return s;
}

TEST(ParseQuery, SplitsOnAmpersandAndDecodesKeysAndValues) {
  std::vector<QueryParam> params;
  ASSERT_TRUE(ParseQuery("auth_key=k1&body_md5=%2Fx&name=a+b%20c&a%5B%5D=1", &params, true));
  EXPECT_EQ(Describe(params), "[auth_key]=[k1][body_md5]=[/x][name]=[a b c][a[]]=[1]");
}

// The Pusher REST API's mode: the pusher npm SDK puts signed values in the URL unescaped.
TEST(ParseQuery, KeepsPlusAsPlusUnlessAsked) {
  std::vector<QueryParam> params;
  ASSERT_TRUE(ParseQuery("name=a+b%2B&k+1=%20", &params, false));
  EXPECT_EQ(Describe(params), "[name]=[a+b+][k+1]=[ ]");
  ASSERT_TRUE(ParseQuery("name=a+b%2B&k+1=%20", &params, true));
  EXPECT_EQ(Describe(params), "[name]=[a b+][k 1]=[ ]");
}

TEST(ParseQuery, KeyWithoutEqualsHasEmptyValueAndEmptyPiecesAreSkipped) {
  std::vector<QueryParam> params;
  ASSERT_TRUE(ParseQuery("&flag&&x=&=v&a=b=c&", &params, true));
  EXPECT_EQ(Describe(params), "[flag]=[][x]=[][]=[v][a]=[b=c]");
  ASSERT_TRUE(ParseQuery("", &params, true));
  EXPECT_TRUE(params.empty());
}

TEST(ParseQuery, KeepsRepeatedKeysInOrder) {
  std::vector<QueryParam> params;
  ASSERT_TRUE(ParseQuery("c=1&c=2", &params, true));
  EXPECT_EQ(Describe(params), "[c]=[1][c]=[2]");
}

TEST(ParseQuery, ReplacesOutputAndFailsOnABadEscape) {
  std::vector<QueryParam> params = {{"old", "1"}};
  ASSERT_TRUE(ParseQuery("a=1", &params, true));
  EXPECT_EQ(Describe(params), "[a]=[1]");
  EXPECT_FALSE(ParseQuery("a=1&b=%zz", &params, true));
  EXPECT_TRUE(params.empty());
  EXPECT_FALSE(ParseQuery("a%=1", &params, false));
  EXPECT_TRUE(params.empty());
}

TEST(PathSegment, ReturnsTheTextBetweenSlashes) {
  constexpr std::string_view path = "/apps/42/channels/private-a";
  EXPECT_EQ(PathSegment(path, 0), "apps");
  EXPECT_EQ(PathSegment(path, 1), "42");
  EXPECT_EQ(PathSegment(path, 2), "channels");
  EXPECT_EQ(PathSegment(path, 3), "private-a");
  EXPECT_EQ(PathSegment(path, 4), "");
  EXPECT_EQ(PathSegment(path, 4).data(), nullptr);
}

TEST(PathSegment, HandlesEmptySegmentsAndMissingLeadingSlash) {
  EXPECT_EQ(PathSegment("/a//b", 1), "");
  EXPECT_EQ(PathSegment("/a//b", 2), "b");
  EXPECT_EQ(PathSegment("/a/", 0), "a");
  EXPECT_EQ(PathSegment("/a/", 1), "");
  EXPECT_EQ(PathSegment("a/b", 0), "a");
  EXPECT_EQ(PathSegment("a/b", 1), "b");
  EXPECT_EQ(PathSegment("/", 0), "");
  EXPECT_EQ(PathSegment("", 0), "");
  EXPECT_EQ(PathSegment("", 1), "");
}

}  // namespace
}  // namespace ringcast::http
