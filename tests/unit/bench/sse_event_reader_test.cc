// Tests for SseEventReader (tools/ringcast-bench/sse_event_reader.h) and SseRequestTarget
// (sse_target.h): ringcast's stream under every two- and three-way split and byte by byte,
// CRLF and lone-CR line ends (also split between CR and LF), multi-line data, comments and
// events without data, the padding after data, stopping, the size limit; and the request
// target with its percent-encoding and private-channel signature.
#include "ringcast-bench/sse_event_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "auth/crypto.h"
#include "ringcast-bench/sse_target.h"

namespace ringcast::bench {
namespace {

struct Recorder : SseSink {
  std::vector<std::string> events;
  int stop_after = -1;
  bool padding_ok = true;

  bool OnSseEvent(std::string_view type, std::string_view data) override {
    for (size_t i = 0; i < SseEventReader::kPadding; ++i) {
      // Readable (ASan would object otherwise); the value does not matter.
      volatile char c = data.data()[data.size() + i];
      (void)c;
    }
    events.push_back(std::string(type) + "|" + std::string(data));
    return stop_after < 0 || static_cast<int>(events.size()) < stop_after;
  }
};

std::vector<std::string> Feed(const std::vector<std::string>& chunks,
                              uint64_t* comments = nullptr) {
  SseEventReader reader;
  Recorder rec;
  for (const std::string& c : chunks) {
    SseReadResult r = reader.Consume(c.data(), c.size(), &rec);
    if (r.error != nullptr) {
      rec.events.push_back(std::string("error:") + r.error);
      break;
    }
    EXPECT_EQ(r.consumed, c.size());
  }
  if (comments != nullptr) *comments = reader.comments();
  return rec.events;
}

// What ringcast sends after the response head (docs/protocols/sse.md).
const std::string kStream =
    "retry: 2000\n\n"
    "event: ringcast:open\ndata: {}\nid: 17.4,18.0\n\n"
    ":\n\n"
    "event: bench\ndata: "
    "{\"channel\":\"bench-0\",\"event\":\"bench\",\"data\":\"rb1.0.0.0.5.xx\"}\n"
    "id: 17.5,18.0\n\n"
    "event: bench\ndata: "
    "{\"channel\":\"bench-0\",\"event\":\"bench\",\"data\":\"rb1.0.0.1.6.xx\"}\n"
    "id: 17.6,18.0\n\n";

const std::vector<std::string> kEvents = {
    "ringcast:open|{}",
    "bench|{\"channel\":\"bench-0\",\"event\":\"bench\",\"data\":\"rb1.0.0.0.5.xx\"}",
    "bench|{\"channel\":\"bench-0\",\"event\":\"bench\",\"data\":\"rb1.0.0.1.6.xx\"}",
};

std::string Replace(std::string s, std::string_view from, std::string_view to) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (s.compare(i, from.size(), from) == 0) {
      out.append(to);
      i += from.size();
    } else {
      out.push_back(s[i++]);
    }
  }
  return out;
}

TEST(SseEventReader, RingcastStreamWhole) {
  uint64_t comments = 0;
  EXPECT_EQ(Feed({kStream}, &comments), kEvents);
  EXPECT_EQ(comments, 1u);
}

TEST(SseEventReader, EveryTwoAndThreeWaySplit) {
  for (const std::string& stream :
       {kStream, Replace(kStream, "\n", "\r\n"), Replace(kStream, "\n", "\r")}) {
    for (size_t i = 0; i <= stream.size(); ++i) {
      ASSERT_EQ(Feed({stream.substr(0, i), stream.substr(i)}), kEvents) << "split at " << i;
      for (size_t j = i; j <= stream.size(); j += 7) {
        ASSERT_EQ(Feed({stream.substr(0, i), stream.substr(i, j - i), stream.substr(j)}), kEvents)
            << "splits at " << i << ", " << j;
      }
    }
  }
}

TEST(SseEventReader, ByteByByte) {
  std::vector<std::string> bytes;
  for (char c : Replace(kStream, "\n", "\r\n")) bytes.emplace_back(1, c);
  EXPECT_EQ(Feed(bytes), kEvents);
}

TEST(SseEventReader, FieldRules) {
  // Multi-line data joins with LF; no event line means "message"; no space after the colon
  // keeps the value whole; a field without colon has an empty value; unknown fields, id and
  // retry are ignored; an event with no data line is dropped; a trailing event without its blank
  // line is not dispatched.
  EXPECT_EQ(Feed({"data: a\ndata:b\n\nevent: x\nid: 1\n\ndata\nfoo: bar\n\nevent: y\ndata: z"}),
            (std::vector<std::string>{"message|a\nb", "message|"}));
  EXPECT_EQ(Feed({"event: e\ndata:  two spaces\n\n"}), (std::vector<std::string>{"e| two spaces"}));
}

TEST(SseEventReader, StopsWhenTheSinkSaysSo) {
  SseEventReader reader;
  Recorder rec;
  rec.stop_after = 2;
  SseReadResult r = reader.Consume(kStream.data(), kStream.size(), &rec);
  EXPECT_EQ(r.error, nullptr);
  EXPECT_LT(r.consumed, kStream.size());
  EXPECT_EQ(rec.events.size(), 2u);
}

TEST(SseEventReader, SizeLimit) {
  SseEventReader reader(100);
  Recorder rec;
  std::string big = "data: " + std::string(200, 'x') + "\n\n";
  SseReadResult r = reader.Consume(big.data(), big.size(), &rec);
  EXPECT_NE(r.error, nullptr);
  SseEventReader split(100);
  r = split.Consume(big.data(), 150, &rec);  // a partial line over the limit
  EXPECT_NE(r.error, nullptr);
  EXPECT_TRUE(rec.events.empty());
}

TEST(SseRequestTarget, PublicChannel) {
  EXPECT_EQ(SseRequestTarget("app-key", "secret", "bench-0", 0), "/sse/app-key?channels=bench-0");
  EXPECT_EQ(SseRequestTarget("k", "s", "a,b&c d", 0), "/sse/k?channels=a%2Cb%26c%20d");
}

TEST(SseRequestTarget, PrivateChannelIsSigned) {
  std::string sig = auth::HmacSha256Hex("secret", "sse\n1700000000\nprivate-x\n");
  EXPECT_EQ(SseRequestTarget("key", "secret", "private-x", 1700000000),
            "/sse/key?channels=private-x&expires=1700000000&auth=key%3A" + sig);
}

}  // namespace
}  // namespace ringcast::bench
