// Tests for the bench payload (tools/ringcast-bench/payload.h): every field round-trips,
// padding reaches the requested size with JSON-safe bytes, the header is never cut, and other
// data is rejected.
#include "ringcast-bench/payload.h"

#include <gtest/gtest.h>

#include <string>

namespace ringcast::bench {
namespace {

TEST(Payload, RoundTripsEveryField) {
  std::string s;
  PayloadHeader in{7, 12345, 987654321012ull, 18446744073709551615ull};
  AppendPayload(&s, in, 0);
  PayloadHeader out;
  ASSERT_TRUE(ParsePayload(s, &out));
  EXPECT_EQ(out.publisher, 7u);
  EXPECT_EQ(out.channel, 12345u);
  EXPECT_EQ(out.sequence, 987654321012ull);
  EXPECT_EQ(out.sent_ns, 18446744073709551615ull);
}

TEST(Payload, PadsToTheRequestedSizeWithJsonSafeBytes) {
  std::string s;
  AppendPayload(&s, {1, 2, 3, 4}, 1000);
  EXPECT_EQ(s.size(), 1000u);
  for (char ch : s) {
    ASSERT_TRUE((ch >= '0' && ch <= '9') || ch == '.' || ch == 'x' || ch == 'r' || ch == 'b') << ch;
  }
  PayloadHeader out;
  ASSERT_TRUE(ParsePayload(s, &out));
  EXPECT_EQ(out.sent_ns, 4u);
}

TEST(Payload, NeverCutsTheHeader) {
  std::string s;
  AppendPayload(&s, {1, 2, 3, 123456789}, 4);
  EXPECT_EQ(s, "rb1.1.2.3.123456789.");
}

TEST(Payload, RejectsOtherData) {
  PayloadHeader out;
  EXPECT_FALSE(ParsePayload("", &out));
  EXPECT_FALSE(ParsePayload("{\"hello\":1}", &out));
  EXPECT_FALSE(ParsePayload("rb1.1.2.3", &out));
  EXPECT_FALSE(ParsePayload("rb1.1.2.x.4.", &out));
  EXPECT_FALSE(ParsePayload("rb2.1.2.3.4.", &out));
  EXPECT_FALSE(ParsePayload("rb1.99999999999.2.3.4.", &out));  // publisher over 32 bits
}

}  // namespace
}  // namespace ringcast::bench
