// RequestHead lookups: case-insensitive names, first match, token lists across occurrences.

#include "http/request.h"

#include <gtest/gtest.h>

namespace ringcast::http {
namespace {

RequestHead HeadWith(std::initializer_list<Header> headers) {
  RequestHead head;
  for (const Header& h : headers) head.headers[head.header_count++] = h;
  return head;
}

TEST(RequestHead, GetFindsTheFirstHeaderIgnoringCase) {
  const RequestHead head =
      HeadWith({{"Content-Type", "text/plain"}, {"X-Dup", "first"}, {"x-dup", "second"}});
  EXPECT_EQ(head.Get("content-type"), "text/plain");
  EXPECT_EQ(head.Get("CONTENT-TYPE"), "text/plain");
  EXPECT_EQ(head.Get("X-DUP"), "first");
  EXPECT_EQ(head.Get("Content-Typ"), "");
  EXPECT_EQ(head.Get("absent").data(), nullptr);
}

TEST(RequestHead, HasTellsPresentFromEmpty) {
  const RequestHead head = HeadWith({{"X-Empty", ""}});
  EXPECT_TRUE(head.Has("x-empty"));
  EXPECT_FALSE(head.Has("x-other"));
  EXPECT_FALSE(RequestHead().Has("x-empty"));
}

TEST(RequestHead, IgnoresSlotsPastHeaderCount) {
  RequestHead head = HeadWith({{"A", "1"}});
  head.headers[1] = {"B", "2"};
  EXPECT_FALSE(head.Has("B"));
  EXPECT_EQ(head.header_list().size(), 1u);
}

TEST(RequestHead, HasTokenSearchesEveryListElementOfEveryOccurrence) {
  const RequestHead head = HeadWith(
      {{"Connection", "keep-alive ,\tFoo"}, {"Accept", "close"}, {"connection", " , UPGRADE,"}});
  EXPECT_TRUE(head.HasToken("connection", "keep-alive"));
  EXPECT_TRUE(head.HasToken("Connection", "foo"));
  EXPECT_TRUE(head.HasToken("CONNECTION", "upgrade"));
  EXPECT_FALSE(head.HasToken("Connection", "close"));  // only in another header
  EXPECT_FALSE(head.HasToken("Connection", "keep"));   // no partial match
  EXPECT_FALSE(head.HasToken("Connection", "keep-alive ,\tFoo"));
  EXPECT_FALSE(head.HasToken("Connection", ""));
}

TEST(RequestHead, ParseMethodIsCaseSensitive) {
  EXPECT_EQ(ParseMethod("GET"), Method::kGet);
  EXPECT_EQ(ParseMethod("HEAD"), Method::kHead);
  EXPECT_EQ(ParseMethod("POST"), Method::kPost);
  EXPECT_EQ(ParseMethod("PUT"), Method::kPut);
  EXPECT_EQ(ParseMethod("DELETE"), Method::kDelete);
  EXPECT_EQ(ParseMethod("OPTIONS"), Method::kOptions);
  EXPECT_EQ(ParseMethod("PATCH"), Method::kPatch);
  EXPECT_EQ(ParseMethod("Get"), Method::kOther);
  EXPECT_EQ(ParseMethod("GETS"), Method::kOther);
  EXPECT_EQ(ParseMethod(""), Method::kOther);
}

}  // namespace
}  // namespace ringcast::http
