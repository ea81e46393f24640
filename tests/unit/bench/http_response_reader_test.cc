// Tests for HttpResponseReader (tools/ringcast-bench/http_response_reader.h): Content-Length
// and chunked bodies under every split, the 101 upgrade answer followed by frames, pipelined
// answers, connection reuse rules, long bodies, and malformed answers.
#include "ringcast-bench/http_response_reader.h"

#include <gtest/gtest.h>

#include <string>

namespace ringcast::bench {
namespace {

struct Parsed {
  HttpResponseReader::State state;
  size_t consumed;
  int status;
  std::string body;
  bool closes;
};

Parsed FeedSplit(const std::string& s, size_t cut) {
  HttpResponseReader r;
  HttpResponseReader::Result a = r.Feed(s.data(), cut);
  size_t consumed = a.consumed;
  HttpResponseReader::Result b = a;
  if (a.state == HttpResponseReader::State::kNeedMore) {
    b = r.Feed(s.data() + cut, s.size() - cut);
    consumed += b.consumed;
  }
  return {b.state, consumed, r.status(), std::string(r.body()), r.closes()};
}

TEST(HttpResponseReader, ContentLengthBodyUnderEverySplit) {
  std::string s =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    Parsed p = FeedSplit(s, cut);
    ASSERT_EQ(p.state, HttpResponseReader::State::kDone) << cut;
    EXPECT_EQ(p.consumed, s.size());
    EXPECT_EQ(p.status, 200);
    EXPECT_EQ(p.body, "{}");
    EXPECT_FALSE(p.closes);
  }
}

TEST(HttpResponseReader, ChunkedBodyUnderEverySplit) {
  std::string s =
      "HTTP/1.1 400 Bad Request\r\ntransfer-encoding: chunked\r\n\r\n"
      "5\r\n{\"err\r\n4;ext=1\r\nor\":\r\n3\r\n1}x\r\n0\r\nX-Trailer: 1\r\n\r\n";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    Parsed p = FeedSplit(s, cut);
    ASSERT_EQ(p.state, HttpResponseReader::State::kDone) << cut;
    EXPECT_EQ(p.consumed, s.size());
    EXPECT_EQ(p.status, 400);
    EXPECT_EQ(p.body, "{\"error\":1}x");
  }
}

TEST(HttpResponseReader, UpgradeAnswerStopsBeforeTheFrames) {
  std::string head =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
  std::string s = head + "\x81\x02{}";
  HttpResponseReader r;
  HttpResponseReader::Result res = r.Feed(s.data(), s.size());
  EXPECT_EQ(res.state, HttpResponseReader::State::kDone);
  EXPECT_EQ(res.consumed, head.size());
  EXPECT_EQ(r.status(), 101);
  EXPECT_EQ(r.websocket_accept(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(HttpResponseReader, ReadsPipelinedAnswersAfterReset) {
  std::string one = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
  std::string two =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n"
      "Connection: close\r\n\r\nbusy";
  std::string s = one + two;
  HttpResponseReader r;
  HttpResponseReader::Result a = r.Feed(s.data(), s.size());
  ASSERT_EQ(a.state, HttpResponseReader::State::kDone);
  EXPECT_EQ(a.consumed, one.size());
  EXPECT_EQ(r.status(), 200);
  r.Reset();
  HttpResponseReader::Result b = r.Feed(s.data() + a.consumed, s.size() - a.consumed);
  ASSERT_EQ(b.state, HttpResponseReader::State::kDone);
  EXPECT_EQ(r.status(), 503);
  EXPECT_EQ(r.body(), "busy");
  EXPECT_TRUE(r.closes());
}

TEST(HttpResponseReader, Http10ClosesUnlessKeepAlive) {
  EXPECT_TRUE(FeedSplit("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 0).closes);
  EXPECT_FALSE(
      FeedSplit("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", 5)
          .closes);
  EXPECT_TRUE(FeedSplit("HTTP/1.1 200 OK\r\n\r\n", 3).closes);  // body until close
}

TEST(HttpResponseReader, KeepsOnlyTheStartOfALongBody) {
  std::string body(10000, 'e');
  std::string s = "HTTP/1.1 500 Oops\r\nContent-Length: 10000\r\n\r\n" + body;
  Parsed p = FeedSplit(s, 100);
  EXPECT_EQ(p.state, HttpResponseReader::State::kDone);
  EXPECT_EQ(p.consumed, s.size());
  EXPECT_EQ(p.body.size(), HttpResponseReader::kMaxKeptBody);
}

TEST(HttpResponseReader, RejectsMalformedAnswers) {
  EXPECT_EQ(FeedSplit("SSH-2.0-OpenSSH\r\n\r\n", 0).state, HttpResponseReader::State::kError);
  EXPECT_EQ(FeedSplit("HTTP/1.1 2x0 OK\r\n\r\n", 0).state, HttpResponseReader::State::kError);
  EXPECT_EQ(FeedSplit("HTTP/1.1 200 OK\r\nContent-Length: z\r\n\r\n", 0).state,
            HttpResponseReader::State::kError);
  EXPECT_EQ(FeedSplit("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0).state,
            HttpResponseReader::State::kError);
  std::string huge = "HTTP/1.1 200 OK\r\nX: " + std::string(20000, 'a');
  EXPECT_EQ(FeedSplit(huge, 7).state, HttpResponseReader::State::kError);
}

}  // namespace
}  // namespace ringcast::bench
