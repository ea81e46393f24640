// Tests for ParseHttpUrl (http/url.h): host forms (IPv4, bracketed IPv6, names), default and
// explicit ports, the request target (default "/", query kept, fragment dropped) and the
// refusals, each with a message.
#include "http/url.h"

#include <gtest/gtest.h>

namespace ringcast::http {
namespace {

TEST(HttpUrl, SplitsHostPortAndTarget) {
  HttpUrl u;
  ASSERT_EQ(ParseHttpUrl("http://127.0.0.1:8080/hooks/pusher?x=1#frag", &u), "");
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.target, "/hooks/pusher?x=1");
  EXPECT_EQ(u.authority, "127.0.0.1:8080");
}

TEST(HttpUrl, DefaultsPortAndTarget) {
  HttpUrl u;
  ASSERT_EQ(ParseHttpUrl("HTTP://localhost", &u), "");
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.target, "/");
  ASSERT_EQ(ParseHttpUrl("https://example.com?q", &u), "");
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.target, "/?q");
}

TEST(HttpUrl, ReadsBracketedIpv6) {
  HttpUrl u;
  ASSERT_EQ(ParseHttpUrl("http://[::1]:9/", &u), "");
  EXPECT_TRUE(u.ipv6);
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 9);
  EXPECT_EQ(u.authority, "[::1]:9");
}

TEST(HttpUrl, RefusesMalformedUrls) {
  HttpUrl u;
  for (const char* bad :
       {"", "127.0.0.1", "ws://x/", "http://", "http://:80/", "http://a:/", "http://a:0/",
        "http://a:65536/", "http://a:8x/", "http://u@h/", "http://[::1/", "http://[::1]x/",
        "http://[zz]/", "http://a b/", "http://a/b c", "http://a/\x01"}) {
    EXPECT_NE(ParseHttpUrl(bad, &u), "") << bad;
  }
}

}  // namespace
}  // namespace ringcast::http
