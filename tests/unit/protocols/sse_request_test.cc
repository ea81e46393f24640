// protocols/sse/sse_request: the SSE query, the resume token, the string a signature signs,
// and the shared record's lines.
#include "protocols/sse/sse_request.h"

#include <gtest/gtest.h>

#include "protocols/sse/sse_encoder.h"

namespace ringcast::protocols::sse {
namespace {

TEST(SseRequest, ParsesChannelsInOrder) {
  SseRequest r;
  ASSERT_EQ(ParseSseQuery("channels=a,b&channel=c%2Cd&channels=user:online&last_event_id=1.2",
                          10, &r),
            nullptr);
  EXPECT_EQ(r.channels, (std::vector<std::string>{"a", "b", "c,d", "user:online"}));
  EXPECT_EQ(r.last_event_id, "1.2");
}

TEST(SseRequest, RefusesEmptyDuplicateTooManyMissing) {
  SseRequest r;
  EXPECT_NE(ParseSseQuery("channels=a,,b", 10, &r), nullptr);
  EXPECT_NE(ParseSseQuery("channels=a,a", 10, &r), nullptr);
  EXPECT_NE(ParseSseQuery("channels=a,b,c", 2, &r), nullptr);
  EXPECT_NE(ParseSseQuery("auth=x", 2, &r), nullptr);
  EXPECT_NE(ParseSseQuery("channels=%zz", 2, &r), nullptr);
}

TEST(SseRequest, EventIdRoundTripsAndChecksCount) {
  std::vector<SsePosition> p;
  ASSERT_TRUE(ParseEventId("17.3,0.0", 2, &p));
  EXPECT_EQ(p[0], (SsePosition{17, 3}));
  std::string s;
  AppendEventId(&s, p);
  EXPECT_EQ(s, "17.3,0.0");
  EXPECT_FALSE(ParseEventId("17.3,0.0", 1, &p));
  EXPECT_FALSE(ParseEventId("17.3", 2, &p));
  EXPECT_FALSE(ParseEventId("17.", 1, &p));
  EXPECT_FALSE(ParseEventId("a.1", 1, &p));
  EXPECT_FALSE(ParseEventId("", 1, &p));
  EXPECT_FALSE(ParseEventId("1.2 ", 1, &p));
}

TEST(SseRequest, StringToSignAndRecord) {
  EXPECT_EQ(SseStringToSign("99", {"private-a", "b"}), "sse\n99\nprivate-a\nb\n");
  std::string rec;
  AppendRecord(&rec, "c", "ev\nx", "a\"b\n");
  EXPECT_EQ(rec, "event: ev x\ndata: {\"channel\":\"c\",\"event\":\"ev\\nx\",\"data\":\"a\\\"b\\n\"}\n");
}

}  // namespace
}  // namespace ringcast::protocols::sse
