// BodyReader: Content-Length and chunked bodies, exact stopping point, every split, and each
// error status (400 syntax, 413 size, 431 trailers).

#include "http/body_reader.h"

#include <gtest/gtest.h>

#include <string>

namespace ringcast::http {
namespace {

RequestHead LengthHead(int64_t length) {
  RequestHead head;
  head.content_length = length;
  return head;
}

RequestHead ChunkedHead() {
  RequestHead head;
  head.chunked = true;
  return head;
}

struct FeedResult {
  ParseState state;
  size_t consumed = 0;
  std::string body;
  int status = 0;
};

FeedResult FeedAll(const RequestHead& head, std::string_view in, Limits limits = {}) {
  BodyReader reader;
  reader.Start(head, limits);
  FeedResult r;
  r.state = reader.Feed(in, &r.consumed, &r.body);
  r.status = reader.error_status();
  return r;
}

// Feeds `in` in the given pieces, as separate reads; returns the state after the last feed that
// used bytes, with the total consumed.
FeedResult FeedPieces(const RequestHead& head, const std::vector<std::string_view>& pieces,
                      Limits limits = {}) {
  BodyReader reader;
  reader.Start(head, limits);
  FeedResult r;
  r.state = ParseState::kNeedMore;
  for (std::string_view piece : pieces) {
    size_t consumed = 0;
    r.state = reader.Feed(piece, &consumed, &r.body);
    r.consumed += consumed;
    if (r.state != ParseState::kNeedMore) break;
    EXPECT_EQ(consumed, piece.size());
  }
  r.status = reader.error_status();
  return r;
}

TEST(BodyReader, NoBodyIsDoneAtOnceWithoutConsuming) {
  const FeedResult r = FeedAll(RequestHead(), "GET / HTTP/1.1\r\n");
  EXPECT_EQ(r.state, ParseState::kDone);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_EQ(r.body, "");
  const FeedResult zero = FeedAll(LengthHead(0), "next");
  EXPECT_EQ(zero.state, ParseState::kDone);
  EXPECT_EQ(zero.consumed, 0u);
}

TEST(BodyReader, StopsExactlyAtTheEndOfAContentLengthBody) {
  const FeedResult r = FeedAll(LengthHead(5), "helloGET / HTTP/1.1\r\n");
  EXPECT_EQ(r.state, ParseState::kDone);
  EXPECT_EQ(r.consumed, 5u);
  EXPECT_EQ(r.body, "hello");
}

TEST(BodyReader, ReadsAContentLengthBodyAcrossFeeds) {
  BodyReader reader;
  reader.Start(LengthHead(11), {});
  std::string body = "prefix:";
  size_t consumed = 0;
  EXPECT_EQ(reader.Feed("", &consumed, &body), ParseState::kNeedMore);
  EXPECT_EQ(consumed, 0u);
  EXPECT_EQ(reader.Feed("hello", &consumed, &body), ParseState::kNeedMore);
  EXPECT_EQ(consumed, 5u);
  EXPECT_EQ(reader.Feed(" world!!", &consumed, &body), ParseState::kDone);
  EXPECT_EQ(consumed, 6u);
  EXPECT_EQ(body, "prefix:hello world");  // appends to what the caller had
  EXPECT_EQ(reader.body_bytes(), 11u);
  EXPECT_EQ(reader.Feed("more", &consumed, &body), ParseState::kDone);
  EXPECT_EQ(consumed, 0u);
}

TEST(BodyReader, RejectsContentLengthAboveMaxBodyWith413) {
  Limits limits;
  limits.max_body_bytes = 10;
  const FeedResult r = FeedAll(LengthHead(11), "01234567890", limits);
  EXPECT_EQ(r.state, ParseState::kError);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_EQ(FeedAll(LengthHead(10), "0123456789", limits).state, ParseState::kDone);
}

TEST(BodyReader, DiscardsTheBodyWhenGivenNoString) {
  BodyReader reader;
  reader.Start(ChunkedHead(), {});
  size_t consumed = 0;
  EXPECT_EQ(reader.Feed("4\r\nabcd\r\n0\r\n\r\n", &consumed, nullptr), ParseState::kDone);
  EXPECT_EQ(consumed, 14u);
  EXPECT_EQ(reader.body_bytes(), 4u);
}

constexpr std::string_view kChunked =
    "5\r\nhello\r\n"
    "1;name=value;flag\r\n \r\n"
    "00006 \t; ext = \"quoted\"\r\nworld!\r\n"
    "A\r\n0123456789\r\n"
    "a\r\nabcdefghij\r\n"
    "0\r\nX-Trailer: one\r\nChecksum: abc\r\n\r\n";
constexpr std::string_view kChunkedBody = "hello world!0123456789abcdefghij";

TEST(BodyReader, DecodesChunksIgnoringExtensionsAndSkippingTrailers) {
  const std::string in = std::string(kChunked) + "GET /next HTTP/1.1\r\n";
  const FeedResult r = FeedAll(ChunkedHead(), in);
  EXPECT_EQ(r.state, ParseState::kDone);
  EXPECT_EQ(r.consumed, kChunked.size());
  EXPECT_EQ(r.body, kChunkedBody);
}

TEST(BodyReader, DecodesChunkedBodySplitAtEveryByte) {
  const std::string in = std::string(kChunked) + "NEXT";
  for (size_t cut = 0; cut <= in.size(); ++cut) {
    const std::string_view all = in;
    const FeedResult r = FeedPieces(ChunkedHead(), {all.substr(0, cut), all.substr(cut)});
    EXPECT_EQ(r.state, ParseState::kDone) << cut;
    EXPECT_EQ(r.consumed, kChunked.size()) << cut;
    EXPECT_EQ(r.body, kChunkedBody) << cut;
  }
}

TEST(BodyReader, DecodesChunkedBodyFedByteByByte) {
  BodyReader reader;
  reader.Start(ChunkedHead(), {});
  std::string body;
  for (size_t i = 0; i < kChunked.size(); ++i) {
    size_t consumed = 0;
    const ParseState st = reader.Feed(kChunked.substr(i, 1), &consumed, &body);
    ASSERT_EQ(consumed, 1u) << i;
    ASSERT_EQ(st, i + 1 == kChunked.size() ? ParseState::kDone : ParseState::kNeedMore) << i;
  }
  EXPECT_EQ(body, kChunkedBody);
}

TEST(BodyReader, AcceptsAnEmptyChunkedBody) {
  const FeedResult r = FeedAll(ChunkedHead(), "0\r\n\r\nX");
  EXPECT_EQ(r.state, ParseState::kDone);
  EXPECT_EQ(r.consumed, 5u);
  EXPECT_EQ(r.body, "");
}

TEST(BodyReader, RejectsBadChunkSyntaxWith400) {
  for (std::string_view in : {
           "\r\n",                   // no size
           "g\r\n",                  // not hex
           "-5\r\nhello\r\n",        // sign
           "0x5\r\nhello\r\n",       // C prefix
           "5\nhello\r\n0\r\n\r\n",  // bare LF after the size
           "5\rXhello",              // bare CR
           "5 \r\nhello\r\n",        // whitespace without an extension
           "5 x\r\nhello\r\n",       // junk after the size
           "5;a\x01\r\nhello\r\n",   // control byte in an extension
           "5;a\nhello\r\n",         // LF inside an extension
           "5\r\nhelloX\r\n",        // data longer than its size
           "5\r\nhello\rX",          // data CR without LF
           "5\r\nhello\n0\r\n\r\n",  // bare LF after data
           "0\r\n\n",                // bare LF at the end
           "0\r\n\rX",               // CR without LF at the end
           "0\r\n x: y\r\n\r\n",     // trailer starts with whitespace
           "0\r\nX: a\x01\r\n\r\n",  // control byte in a trailer
           "0\r\nX: a\n\r\n",        // bare LF in trailers
       }) {
    const FeedResult r = FeedAll(ChunkedHead(), in);
    EXPECT_EQ(r.state, ParseState::kError) << in;
    EXPECT_EQ(r.status, 400) << in;
  }
}

TEST(BodyReader, RejectsChunksPastMaxBodyWith413) {
  Limits limits;
  limits.max_body_bytes = 10;
  EXPECT_EQ(FeedAll(ChunkedHead(), "a\r\n0123456789\r\n0\r\n\r\n", limits).state,
            ParseState::kDone);
  const FeedResult one_chunk = FeedAll(ChunkedHead(), "b\r\n", limits);
  EXPECT_EQ(one_chunk.state, ParseState::kError);
  EXPECT_EQ(one_chunk.status, 413);
  EXPECT_EQ(one_chunk.consumed, 0u);  // decided on the digit, before the data arrives
  const FeedResult sum = FeedAll(ChunkedHead(), "5\r\nhello\r\n6\r\nworld!\r\n", limits);
  EXPECT_EQ(sum.state, ParseState::kError);
  EXPECT_EQ(sum.status, 413);
  EXPECT_EQ(sum.body, "hello");
  EXPECT_EQ(sum.consumed, 10u);
}

TEST(BodyReader, RejectsHugeChunkSizesWith413WithoutOverflow) {
  const FeedResult r = FeedAll(ChunkedHead(), "10000000000000000000000000001\r\nx");
  EXPECT_EQ(r.state, ParseState::kError);
  EXPECT_EQ(r.status, 413);
}

TEST(BodyReader, RejectsEndlessChunkSizeLinesWith400) {
  Limits limits;
  limits.max_head_bytes = 64;
  const FeedResult zeros = FeedAll(ChunkedHead(), std::string(100, '0'), limits);
  EXPECT_EQ(zeros.state, ParseState::kError);
  EXPECT_EQ(zeros.status, 400);
  EXPECT_EQ(zeros.consumed, 64u);
  const FeedResult ext = FeedAll(ChunkedHead(), "1;" + std::string(100, 'e'), limits);
  EXPECT_EQ(ext.state, ParseState::kError);
  EXPECT_EQ(ext.status, 400);
}

TEST(BodyReader, RejectsTrailersPastMaxHeadBytesWith431) {
  Limits limits;
  limits.max_head_bytes = 32;
  const std::string ok = "0\r\nX-T: " + std::string(23, 'v') + "\r\n\r\n";  // 32 bytes of trailer
  EXPECT_EQ(FeedAll(ChunkedHead(), ok, limits).state, ParseState::kDone);
  const std::string big = "0\r\nX-T: " + std::string(24, 'v') + "\r\n\r\n";
  const FeedResult r = FeedAll(ChunkedHead(), big, limits);
  EXPECT_EQ(r.state, ParseState::kError);
  EXPECT_EQ(r.status, 431);
}

TEST(BodyReader, ErrorIsStickyAndReportsItsMessage) {
  BodyReader reader;
  reader.Start(ChunkedHead(), {});
  size_t consumed = 7;
  std::string body;
  ASSERT_EQ(reader.Feed("zz", &consumed, &body), ParseState::kError);
  EXPECT_EQ(consumed, 0u);
  EXPECT_EQ(reader.error_message(), "missing chunk size");
  EXPECT_EQ(reader.Feed("0\r\n\r\n", &consumed, &body), ParseState::kError);
  EXPECT_EQ(consumed, 0u);
  reader.Start(ChunkedHead(), {});
  EXPECT_EQ(reader.error_status(), 0);
  EXPECT_EQ(reader.Feed("0\r\n\r\n", &consumed, &body), ParseState::kDone);
}

}  // namespace
}  // namespace ringcast::http
