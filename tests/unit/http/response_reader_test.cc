// Tests for http::ResponseReader (http/response_reader.h; ringcast-bench's and the webhook
// client's response reader): Content-Length and chunked bodies under every split, the 101
// upgrade answer followed by frames, pipelined answers, connection reuse rules (Connection as a
// token list), long bodies, and malformed answers.
#include "http/response_reader.h"

#include <gtest/gtest.h>

#include <string>

namespace ringcast::http {
namespace {

struct Parsed {
  ResponseReader::State state;
  size_t consumed;
  int status;
  std::string body;
  bool closes;
};

Parsed FeedSplit(const std::string& s, size_t cut) {
  ResponseReader r;
  ResponseReader::Result a = r.Feed(s.data(), cut);
  size_t consumed = a.consumed;
  ResponseReader::Result b = a;
  if (a.state == ResponseReader::State::kNeedMore) {
    b = r.Feed(s.data() + cut, s.size() - cut);
    consumed += b.consumed;
  }
  return {b.state, consumed, r.status(), std::string(r.body()), r.closes()};
}

TEST(ResponseReader, ContentLengthBodyUnderEverySplit) {
  std::string s =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    Parsed p = FeedSplit(s, cut);
    ASSERT_EQ(p.state, ResponseReader::State::kDone) << cut;
    EXPECT_EQ(p.consumed, s.size());
    EXPECT_EQ(p.status, 200);
    EXPECT_EQ(p.body, "{}");
    EXPECT_FALSE(p.closes);
  }
}

TEST(ResponseReader, ChunkedBodyUnderEverySplit) {
  std::string s =
      "HTTP/1.1 400 Bad Request\r\ntransfer-encoding: chunked\r\n\r\n"
      "5\r\n{\"err\r\n4;ext=1\r\nor\":\r\n3\r\n1}x\r\n0\r\nX-Trailer: 1\r\n\r\n";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    Parsed p = FeedSplit(s, cut);
    ASSERT_EQ(p.state, ResponseReader::State::kDone) << cut;
    EXPECT_EQ(p.consumed, s.size());
    EXPECT_EQ(p.status, 400);
    EXPECT_EQ(p.body, "{\"error\":1}x");
  }
}

TEST(ResponseReader, UpgradeAnswerStopsBeforeTheFrames) {
  std::string head =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
  std::string s = head + "\x81\x02{}";
  ResponseReader r;
  ResponseReader::Result res = r.Feed(s.data(), s.size());
  EXPECT_EQ(res.state, ResponseReader::State::kDone);
  EXPECT_EQ(res.consumed, head.size());
  EXPECT_EQ(r.status(), 101);
  EXPECT_EQ(r.websocket_accept(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(ResponseReader, EventStreamHeadStopsBeforeItsBody) {
  // An SSE answer: no length, body until close; the events after the head are the caller's.
  std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
      "Connection: close\r\n\r\n";
  std::string s = head + "retry: 2000\n\n";
  ResponseReader r;
  ResponseReader::Result res = r.Feed(s.data(), s.size());
  EXPECT_EQ(res.state, ResponseReader::State::kDone);
  EXPECT_EQ(res.consumed, head.size());
  EXPECT_EQ(r.status(), 200);
  EXPECT_EQ(r.content_type(), "text/event-stream; charset=utf-8");
  r.Reset();
  EXPECT_EQ(r.content_type(), "");
}

TEST(ResponseReader, ReadsPipelinedAnswersAfterReset) {
  std::string one = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
  std::string two =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n"
      "Connection: close\r\n\r\nbusy";
  std::string s = one + two;
  ResponseReader r;
  ResponseReader::Result a = r.Feed(s.data(), s.size());
  ASSERT_EQ(a.state, ResponseReader::State::kDone);
  EXPECT_EQ(a.consumed, one.size());
  EXPECT_EQ(r.status(), 200);
  r.Reset();
  ResponseReader::Result b = r.Feed(s.data() + a.consumed, s.size() - a.consumed);
  ASSERT_EQ(b.state, ResponseReader::State::kDone);
  EXPECT_EQ(r.status(), 503);
  EXPECT_EQ(r.body(), "busy");
  EXPECT_TRUE(r.closes());
}

TEST(ResponseReader, Http10ClosesUnlessKeepAlive) {
  EXPECT_TRUE(FeedSplit("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 0).closes);
  EXPECT_FALSE(
      FeedSplit("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", 5)
          .closes);
  EXPECT_TRUE(FeedSplit("HTTP/1.1 200 OK\r\n\r\n", 3).closes);  // body until close
}

TEST(ResponseReader, ConnectionIsReadAsATokenList) {
  EXPECT_TRUE(
      FeedSplit("HTTP/1.1 200 OK\r\nConnection: Upgrade, Close\r\nContent-Length: 0\r\n\r\n", 3)
          .closes);
  EXPECT_FALSE(
      FeedSplit("HTTP/1.1 200 OK\r\nConnection: closed\r\nContent-Length: 0\r\n\r\n", 3).closes);
}

TEST(ResponseReader, KeepsOnlyTheStartOfALongBody) {
  std::string body(10000, 'e');
  std::string s = "HTTP/1.1 500 Oops\r\nContent-Length: 10000\r\n\r\n" + body;
  Parsed p = FeedSplit(s, 100);
  EXPECT_EQ(p.state, ResponseReader::State::kDone);
  EXPECT_EQ(p.consumed, s.size());
  EXPECT_EQ(p.body.size(), ResponseReader::kMaxKeptBody);
}

TEST(ResponseReader, RejectsMalformedAnswers) {
  EXPECT_EQ(FeedSplit("SSH-2.0-OpenSSH\r\n\r\n", 0).state, ResponseReader::State::kError);
  EXPECT_EQ(FeedSplit("HTTP/1.1 2x0 OK\r\n\r\n", 0).state, ResponseReader::State::kError);
  EXPECT_EQ(FeedSplit("HTTP/1.1 200 OK\r\nContent-Length: z\r\n\r\n", 0).state,
            ResponseReader::State::kError);
  EXPECT_EQ(FeedSplit("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0).state,
            ResponseReader::State::kError);
  std::string huge = "HTTP/1.1 200 OK\r\nX: " + std::string(20000, 'a');
  EXPECT_EQ(FeedSplit(huge, 7).state, ResponseReader::State::kError);
}

}  // namespace
}  // namespace ringcast::http
