// RequestParser: every error status, exact heads under every split, limits, framing and
// connection rules, and a pipelined read loop together with BodyReader.

#include "http/request_parser.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "http/body_reader.h"

namespace ringcast::http {
namespace {

// Everything a head says, as one string, so that two parses can be compared exactly.
std::string Describe(const RequestHead& h) {
  std::string s;
  s += std::to_string(static_cast<int>(h.method)) + "|" + std::string(h.method_name) + "|";
  s += std::string(h.target) + "|" + std::string(h.path) + "|" + std::string(h.query) + "|";
  s += "1." + std::to_string(h.version_minor) + "|";
  for (const Header& hd : h.header_list()) {
    s += std::string(hd.name) + "=" + std::string(hd.value) + ";";
  }
  s += "|cl=" + std::to_string(h.content_length) + "|chunked=" + std::to_string(h.chunked);
  s += "|ka=" + std::to_string(h.keep_alive) + "|up=" + std::to_string(h.upgrade);
  return s;
}

bool Inside(std::string_view view, std::string_view buf) {
  return view.empty() ||
         (view.data() >= buf.data() && view.data() + view.size() <= buf.data() + buf.size());
}

void ExpectViewsInside(const RequestHead& h, std::string_view buf) {
  EXPECT_TRUE(Inside(h.method_name, buf));
  EXPECT_TRUE(Inside(h.target, buf));
  EXPECT_TRUE(Inside(h.path, buf));
  EXPECT_TRUE(Inside(h.query, buf));
  for (const Header& hd : h.header_list()) {
    EXPECT_TRUE(Inside(hd.name, buf));
    EXPECT_TRUE(Inside(hd.value, buf));
  }
}

struct Result {
  std::unique_ptr<const std::string> bytes;  // what head's views point into
  ParseState state;
  int status = 0;
  size_t head_size = 0;
  RequestHead head;
};

Result ParseWhole(std::string_view buf, Limits limits = {}) {
  Result r;
  r.bytes = std::make_unique<const std::string>(buf);
  RequestParser parser(limits);
  r.state = parser.Parse(*r.bytes, &r.head);
  r.status = parser.error_status();
  r.head_size = parser.head_size();
  return r;
}

int StatusOf(std::string_view buf, Limits limits = {}) {
  Result r = ParseWhole(buf, limits);
  EXPECT_NE(r.state, ParseState::kNeedMore) << buf;
  return r.status;
}

// A realistic WebSocket upgrade, as a Pusher client library sends it.
constexpr std::string_view kUpgrade =
    "GET /app/app-key?protocol=7&client=js&version=8.3.0&flash=false HTTP/1.1\r\n"
    "Host: ws.example.com:6001\r\n"
    "Connection: Upgrade\r\n"
    "Pragma: no-cache\r\n"
    "Cache-Control: no-cache\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36\r\n"
    "Upgrade: websocket\r\n"
    "Origin: https://example.com\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Accept-Language: en-US,en;q=0.9\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    "\r\n";

TEST(RequestParser, ParsesWebSocketUpgradeRequest) {
  Result r = ParseWhole(kUpgrade);
  ASSERT_EQ(r.state, ParseState::kDone);
  EXPECT_EQ(r.head_size, kUpgrade.size());
  EXPECT_EQ(r.head.method, Method::kGet);
  EXPECT_EQ(r.head.method_name, "GET");
  EXPECT_EQ(r.head.target, "/app/app-key?protocol=7&client=js&version=8.3.0&flash=false");
  EXPECT_EQ(r.head.path, "/app/app-key");
  EXPECT_EQ(r.head.query, "protocol=7&client=js&version=8.3.0&flash=false");
  EXPECT_EQ(r.head.version_minor, 1);
  ASSERT_EQ(r.head.header_count, 12u);
  EXPECT_EQ(r.head.headers[0].name, "Host");
  EXPECT_EQ(r.head.headers[0].value, "ws.example.com:6001");
  EXPECT_EQ(r.head.headers[11].name, "Sec-WebSocket-Extensions");
  EXPECT_EQ(r.head.headers[11].value, "permessage-deflate; client_max_window_bits");
  EXPECT_EQ(r.head.Get("sec-websocket-key"), "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(r.head.content_length, -1);
  EXPECT_FALSE(r.head.chunked);
  EXPECT_TRUE(r.head.keep_alive);
  EXPECT_TRUE(r.head.upgrade);
  ExpectViewsInside(r.head, *r.bytes);
}

TEST(RequestParser, SameHeadForEveryTwoWaySplitOfTheBuffer) {
  const std::string expected = Describe(ParseWhole(kUpgrade).head);
  for (size_t cut = 0; cut <= kUpgrade.size(); ++cut) {
    RequestParser parser({});
    RequestHead head;
    // Fresh strings for each call: the caller's buffer may move between calls.
    std::string first(kUpgrade.substr(0, cut));
    ParseState st = parser.Parse(first, &head);
    if (cut < kUpgrade.size()) {
      ASSERT_EQ(st, ParseState::kNeedMore) << "cut " << cut;
      first.assign(kUpgrade.size(), 'X');  // the old bytes die; no view may still use them
      std::string whole(kUpgrade);
      st = parser.Parse(whole, &head);
      ASSERT_EQ(st, ParseState::kDone) << "cut " << cut;
      EXPECT_EQ(Describe(head), expected) << "cut " << cut;
      ExpectViewsInside(head, whole);
    } else {
      ASSERT_EQ(st, ParseState::kDone);
      EXPECT_EQ(Describe(head), expected);
    }
    EXPECT_EQ(parser.head_size(), kUpgrade.size());
  }
}

TEST(RequestParser, SameHeadWhenFedByteByByte) {
  const std::string expected = Describe(ParseWhole(kUpgrade).head);
  RequestParser parser({});
  RequestHead head;
  std::string buf;
  for (size_t i = 0; i < kUpgrade.size(); ++i) {
    buf.push_back(kUpgrade[i]);
    buf.shrink_to_fit();  // encourages the buffer to move
    const ParseState st = parser.Parse(buf, &head);
    ASSERT_EQ(st, i + 1 == kUpgrade.size() ? ParseState::kDone : ParseState::kNeedMore) << i;
  }
  EXPECT_EQ(Describe(head), expected);
  EXPECT_EQ(parser.head_size(), kUpgrade.size());
  ExpectViewsInside(head, buf);
}

TEST(RequestParser, SameErrorForEverySplitOfABadRequest) {
  const std::string bad = "GET / HTTP/1.1\r\nHost: a\r\nX-One: 1\r\n folded\r\nX-Two: 2\r\n\r\n";
  for (size_t cut = 0; cut <= bad.size(); ++cut) {
    RequestParser parser({});
    RequestHead head;
    ParseState st = parser.Parse(std::string_view(bad).substr(0, cut), &head);
    if (st == ParseState::kNeedMore) st = parser.Parse(bad, &head);
    ASSERT_EQ(st, ParseState::kError) << cut;
    EXPECT_EQ(parser.error_status(), 400) << cut;
  }
}

TEST(RequestParser, HeadSizeStopsAtTheEmptyLineBeforeTheBody) {
  const std::string buf =
      "POST /apps/1/events HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
  Result r = ParseWhole(buf);
  ASSERT_EQ(r.state, ParseState::kDone);
  EXPECT_EQ(r.head_size, buf.size() - 5);
  EXPECT_EQ(r.head.method, Method::kPost);
  EXPECT_EQ(r.head.content_length, 5);
}

TEST(RequestParser, NeedsMoreUntilTheEmptyLine) {
  RequestParser parser({});
  RequestHead head;
  EXPECT_EQ(parser.Parse("", &head), ParseState::kNeedMore);
  EXPECT_EQ(parser.Parse("GET / HTTP/1.1\r\nHost: a\r\n", &head), ParseState::kNeedMore);
  EXPECT_EQ(parser.Parse("GET / HTTP/1.1\r\nHost: a\r\n\r", &head), ParseState::kNeedMore);
  EXPECT_EQ(parser.Parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n", &head), ParseState::kDone);
  EXPECT_EQ(parser.error_status(), 0);
  EXPECT_EQ(parser.error_message(), "");
}

TEST(RequestParser, DoneAndErrorAreStickyUntilReset) {
  RequestParser parser({});
  RequestHead head;
  ASSERT_EQ(parser.Parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n", &head), ParseState::kDone);
  EXPECT_EQ(parser.Parse("garbage", &head), ParseState::kDone);
  parser.Reset();
  ASSERT_EQ(parser.Parse("GET / HTTP/9.1\r\n", &head), ParseState::kError);
  EXPECT_EQ(parser.Parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n", &head), ParseState::kError);
  EXPECT_EQ(parser.error_status(), 505);
  parser.Reset();
  EXPECT_EQ(parser.error_status(), 0);
  ASSERT_EQ(parser.Parse("HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n", &head), ParseState::kDone);
  EXPECT_EQ(head.method, Method::kHead);
  EXPECT_EQ(parser.head_size(), 29u);
}

TEST(RequestParser, AcceptsBareLfLineEndings) {
  const std::string buf = "GET /a?b HTTP/1.1\nHost: h\nX-A:  v \n\n";
  Result r = ParseWhole(buf);
  ASSERT_EQ(r.state, ParseState::kDone);
  EXPECT_EQ(r.head_size, buf.size());
  EXPECT_EQ(r.head.Get("x-a"), "v");
  EXPECT_EQ(r.head.query, "b");
}

TEST(RequestParser, SkipsEmptyLinesBeforeTheRequestLine) {
  const std::string buf = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
  Result r = ParseWhole(buf);
  ASSERT_EQ(r.state, ParseState::kDone);
  EXPECT_EQ(r.head_size, buf.size());
  EXPECT_EQ(r.head.target, "/");
}

TEST(RequestParser, RejectsBareCrWith400) {
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: a\rX-B: b\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: a\r\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\rHost: a\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n"), 400);
}

TEST(RequestParser, RejectsObsFoldWith400) {
  Result r = ParseWhole("GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n");
  EXPECT_EQ(r.state, ParseState::kError);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n\ttwo\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), 400);
}

TEST(RequestParser, RejectsWhitespaceBeforeColonWith400) {
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: a\r\nContent-Length\t: 0\r\n\r\n"), 400);
}

TEST(RequestParser, RejectsInvalidHeaderNamesWith400) {
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: a\r\nX Y: 1\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: a\r\n: 1\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: a\r\nX(1): 1\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: a\r\nNoColonHere\r\n\r\n"), 400);
}

TEST(RequestParser, RejectsNulAndControlBytesInHeaderValuesWith400) {
  using std::string_literals::operator""s;
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n"s), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x01\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x1b[0m\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: a\r\nX-A: \x7f\r\n\r\n"), 400);
}

TEST(RequestParser, AcceptsTabsAndObsTextInHeaderValuesAndTrimsOws) {
  Result r = ParseWhole("GET / HTTP/1.1\r\nHost: a\r\nX-A: \t caf\xc3\xa9\tau lait \t\r\n\r\n");
  ASSERT_EQ(r.state, ParseState::kDone);
  EXPECT_EQ(r.head.Get("X-A"), "caf\xc3\xa9\tau lait");
  Result empty = ParseWhole("GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\n\r\n");
  ASSERT_EQ(empty.state, ParseState::kDone);
  EXPECT_TRUE(empty.head.Has("x-empty"));
  EXPECT_EQ(empty.head.Get("x-empty"), "");
}

TEST(RequestParser, RejectsMalformedRequestLinesWith400) {
  for (std::string_view line : {
           "GET  / HTTP/1.1",                   // empty target
           "GET / HTTP/1.1 ",                   // trailing space
           "GET /HTTP/1.1",                     // one space
           "GET / http/1.1",                    // version name is case-sensitive
           "GET / HTTP/1.10",                   // two-digit minor
           "GET / HTTP/11",                     // no dot
           "G@T / HTTP/1.1",                    // method not a token
           " GET / HTTP/1.1",                   // leading space
           "GET x HTTP/1.1",                    // relative target
           "GET /a#frag HTTP/1.1",              // fragment
           "GET /caf\xc3\xa9 HTTP/1.1",         // raw UTF-8 in target
           "GET /a\x01 HTTP/1.1",               // control byte in target
           "GET * HTTP/1.1",                    // '*' is for OPTIONS only
           "CONNECT example.com:443 HTTP/1.1",  // authority-form
           "GET http://host HTTP/1.1",          // absolute-form without a path
           "GET http://host?x=1 HTTP/1.1",      // ... nor with only a query
           "GET http:///path HTTP/1.1",         // absolute-form without a host
           "GET ftp://host/path HTTP/1.1",      // unknown scheme
       }) {
    const std::string buf = std::string(line) + "\r\nHost: a\r\n\r\n";
    EXPECT_EQ(StatusOf(buf), 400) << line;
  }
}

TEST(RequestParser, RejectsBytesThatCannotStartARequestAtOnce) {
  // A TLS ClientHello on the plain-text port: no need to wait for a line ending.
  RequestParser parser({});
  RequestHead head;
  EXPECT_EQ(parser.Parse("\x16\x03\x01\x02\x00", &head), ParseState::kError);
  EXPECT_EQ(parser.error_status(), 400);
}

TEST(RequestParser, RejectsUnsupportedVersionsWith505) {
  EXPECT_EQ(StatusOf("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
  EXPECT_EQ(StatusOf("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), 505);
  EXPECT_EQ(StatusOf("GET / HTTP/0.9\r\nHost: a\r\n\r\n"), 505);
  // Decided on the request line, before the head is complete.
  RequestParser parser({});
  RequestHead head;
  EXPECT_EQ(parser.Parse("GET / HTTP/3.0\r\nHo", &head), ParseState::kError);
  EXPECT_EQ(parser.error_status(), 505);
}

TEST(RequestParser, AcceptsHttp10WithoutHost) {
  Result r = ParseWhole("GET /x HTTP/1.0\r\n\r\n");
  ASSERT_EQ(r.state, ParseState::kDone);
  EXPECT_EQ(r.head.version_minor, 0);
  EXPECT_EQ(r.head.header_count, 0u);
}

TEST(RequestParser, RejectsMissingOrRepeatedHostIn11With400) {
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"), 400);
}

TEST(RequestParser, AcceptsAsteriskTargetForOptions) {
  Result r = ParseWhole("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(r.state, ParseState::kDone);
  EXPECT_EQ(r.head.method, Method::kOptions);
  EXPECT_EQ(r.head.target, "*");
  EXPECT_EQ(r.head.path, "*");
  EXPECT_EQ(r.head.query, "");
}

TEST(RequestParser, ReducesAbsoluteFormTargetToItsPath) {
  Result r =
      ParseWhole("GET HTTPS://example.com:8443/apps/1/channels?a=b HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(r.state, ParseState::kDone);
  EXPECT_EQ(r.head.target, "HTTPS://example.com:8443/apps/1/channels?a=b");
  EXPECT_EQ(r.head.path, "/apps/1/channels");
  EXPECT_EQ(r.head.query, "a=b");
  Result plain = ParseWhole("GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(plain.state, ParseState::kDone);
  EXPECT_EQ(plain.head.path, "/");
  EXPECT_EQ(plain.head.query, "");
}

TEST(RequestParser, SplitsQueryAtTheFirstQuestionMark) {
  Result r = ParseWhole("GET /a/b??c=d?e HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(r.state, ParseState::kDone);
  EXPECT_EQ(r.head.path, "/a/b");
  EXPECT_EQ(r.head.query, "?c=d?e");
  Result empty = ParseWhole("GET /a? HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(empty.head.path, "/a");
  EXPECT_EQ(empty.head.query, "");
}

TEST(RequestParser, MapsMethodNamesCaseSensitively) {
  const std::pair<std::string_view, Method> cases[] = {
      {"GET", Method::kGet},     {"HEAD", Method::kHead},     {"POST", Method::kPost},
      {"PUT", Method::kPut},     {"DELETE", Method::kDelete}, {"OPTIONS", Method::kOptions},
      {"PATCH", Method::kPatch}, {"get", Method::kOther},     {"PURGE", Method::kOther},
  };
  for (const auto& [name, method] : cases) {
    const bool body = method == Method::kPost || method == Method::kPut || method == Method::kPatch;
    const std::string buf = std::string(name) + " / HTTP/1.1\r\nHost: a\r\n" +
                            (body ? "Content-Length: 0\r\n" : "") + "\r\n";
    Result r = ParseWhole(buf);
    ASSERT_EQ(r.state, ParseState::kDone) << name;
    EXPECT_EQ(r.head.method, method) << name;
    EXPECT_EQ(r.head.method_name, name);
  }
}

std::string WithHeaders(size_t count) {
  std::string buf = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (size_t i = 1; i < count; ++i) buf += "X-" + std::to_string(i) + ": v\r\n";
  return buf + "\r\n";
}

TEST(RequestParser, AcceptsExactlyMaxHeadersAndRejectsOneMoreWith400) {
  Result r = ParseWhole(WithHeaders(RequestHead::kMaxHeaders));
  ASSERT_EQ(r.state, ParseState::kDone);
  EXPECT_EQ(r.head.header_count, RequestHead::kMaxHeaders);
  EXPECT_EQ(r.head.headers[63].name, "X-63");
  EXPECT_EQ(StatusOf(WithHeaders(RequestHead::kMaxHeaders + 1)), 400);
}

TEST(RequestParser, Rejects431AsSoonAsTheBufferPassesTheLimitWithoutAHead) {
  Limits limits;
  limits.max_head_bytes = 64;
  std::string buf = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ";
  buf.resize(64, 'p');
  RequestParser parser(limits);
  RequestHead head;
  EXPECT_EQ(parser.Parse(buf, &head), ParseState::kNeedMore);
  buf.push_back('p');
  EXPECT_EQ(parser.Parse(buf, &head), ParseState::kError);
  EXPECT_EQ(parser.error_status(), 431);
}

TEST(RequestParser, AcceptsAHeadOfExactlyMaxHeadBytesAndRejectsOneMoreWith431) {
  const std::string head_text = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: pppp\r\n\r\n";
  Limits limits;
  limits.max_head_bytes = head_text.size();
  Result r = ParseWhole(head_text + "body bytes after the head do not count", limits);
  ASSERT_EQ(r.state, ParseState::kDone);
  EXPECT_EQ(r.head_size, head_text.size());
  limits.max_head_bytes = head_text.size() - 1;
  EXPECT_EQ(StatusOf(head_text, limits), 431);
}

TEST(RequestParser, RejectsASingleLineOverTheLimitWith431) {
  Limits limits;
  limits.max_head_bytes = 1024;
  const std::string buf = "GET /" + std::string(2000, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n";
  EXPECT_EQ(StatusOf(buf, limits), 431);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(20000, 'b') + "\r\n\r\n"),
            431);
}

std::string Post(std::string_view headers) {
  return "POST /apps/1/events HTTP/1.1\r\nHost: a\r\n" + std::string(headers) + "\r\n";
}

TEST(RequestParser, ReadsContentLength) {
  Result r = ParseWhole(Post("Content-Length: 1234\r\n"));
  ASSERT_EQ(r.state, ParseState::kDone);
  EXPECT_EQ(r.head.content_length, 1234);
  EXPECT_FALSE(r.head.chunked);
  Result repeated = ParseWhole(Post("Content-Length: 7\r\ncontent-length: 7\r\n"));
  ASSERT_EQ(repeated.state, ParseState::kDone);
  EXPECT_EQ(repeated.head.content_length, 7);
  Result list = ParseWhole(Post("Content-Length: 7 , 7\r\n"));
  ASSERT_EQ(list.state, ParseState::kDone);
  EXPECT_EQ(list.head.content_length, 7);
  Result zeros = ParseWhole(Post("Content-Length: 007\r\n"));
  EXPECT_EQ(zeros.head.content_length, 7);
}

TEST(RequestParser, RejectsInvalidContentLengthWith400) {
  for (std::string_view value :
       {"-1", "+1", "1a", "0x10", "", "1 2", "1,", ",1", "1.0", "99999999999999999999"}) {
    EXPECT_EQ(StatusOf(Post("Content-Length: " + std::string(value) + "\r\n")), 400) << value;
  }
}

TEST(RequestParser, RejectsDifferentContentLengthValuesWith400) {
  EXPECT_EQ(StatusOf(Post("Content-Length: 7\r\nContent-Length: 8\r\n")), 400);
  EXPECT_EQ(StatusOf(Post("Content-Length: 7, 8\r\n")), 400);
}

TEST(RequestParser, RejectsContentLengthWithTransferEncodingWith400) {
  EXPECT_EQ(StatusOf(Post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n")), 400);
  EXPECT_EQ(StatusOf(Post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n")), 400);
}

TEST(RequestParser, RejectsContentLengthAboveMaxBodyWith413) {
  Limits limits;
  limits.max_body_bytes = 100;
  EXPECT_EQ(StatusOf(Post("Content-Length: 101\r\n"), limits), 413);
  EXPECT_EQ(ParseWhole(Post("Content-Length: 100\r\n"), limits).state, ParseState::kDone);
  EXPECT_EQ(StatusOf(Post("Content-Length: 9223372036854775807\r\n")), 413);
}

TEST(RequestParser, RejectsBodyMethodsWithoutLengthWith411) {
  EXPECT_EQ(StatusOf(Post("")), 411);
  EXPECT_EQ(StatusOf("PUT /x HTTP/1.1\r\nHost: a\r\n\r\n"), 411);
  EXPECT_EQ(StatusOf("PATCH /x HTTP/1.1\r\nHost: a\r\n\r\n"), 411);
  Result get = ParseWhole("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(get.state, ParseState::kDone);
  EXPECT_EQ(get.head.content_length, -1);
  Result del = ParseWhole("DELETE /x HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(del.state, ParseState::kDone);
}

TEST(RequestParser, AcceptsChunkedAsTheOnlyTransferCoding) {
  Result r = ParseWhole(Post("Transfer-Encoding: chunked\r\n"));
  ASSERT_EQ(r.state, ParseState::kDone);
  EXPECT_TRUE(r.head.chunked);
  EXPECT_EQ(r.head.content_length, -1);
  Result upper = ParseWhole(Post("Transfer-Encoding:  CHUNKED , \r\n"));
  ASSERT_EQ(upper.state, ParseState::kDone);
  EXPECT_TRUE(upper.head.chunked);
}

TEST(RequestParser, RejectsOtherTransferCodingsWith501) {
  for (std::string_view te :
       {"gzip", "identity", "gzip, chunked", "chunked, gzip", "chunked;x=1"}) {
    EXPECT_EQ(StatusOf(Post("Transfer-Encoding: " + std::string(te) + "\r\n")), 501) << te;
  }
  EXPECT_EQ(StatusOf(Post("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")), 501);
}

TEST(RequestParser, RejectsMalformedTransferEncodingWith400) {
  EXPECT_EQ(StatusOf(Post("Transfer-Encoding: chunked, chunked\r\n")), 400);
  EXPECT_EQ(StatusOf(Post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")), 400);
  EXPECT_EQ(StatusOf(Post("Transfer-Encoding: ,\r\n")), 400);
  EXPECT_EQ(StatusOf("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
}

bool KeepAlive(std::string_view version, std::string_view headers) {
  Result r = ParseWhole("GET / HTTP/" + std::string(version) + "\r\nHost: a\r\n" +
                        std::string(headers) + "\r\n");
  EXPECT_EQ(r.state, ParseState::kDone) << headers;
  return r.head.keep_alive;
}

TEST(RequestParser, KeepsHttp11AliveUnlessConnectionClose) {
  EXPECT_TRUE(KeepAlive("1.1", ""));
  EXPECT_TRUE(KeepAlive("1.1", "Connection: keep-alive\r\n"));
  EXPECT_FALSE(KeepAlive("1.1", "Connection: close\r\n"));
  EXPECT_FALSE(KeepAlive("1.1", "Connection: Keep-Alive, CLOSE\r\n"));
  EXPECT_FALSE(KeepAlive("1.1", "Connection: upgrade\r\nConnection: Close\r\n"));
  EXPECT_TRUE(KeepAlive("1.1", "Connection: closed\r\n"));
}

TEST(RequestParser, KeepsHttp10AliveOnlyWithConnectionKeepAlive) {
  EXPECT_FALSE(KeepAlive("1.0", ""));
  EXPECT_TRUE(KeepAlive("1.0", "Connection: keep-alive\r\n"));
  EXPECT_TRUE(KeepAlive("1.0", "connection: Keep-Alive\r\n"));
  EXPECT_FALSE(KeepAlive("1.0", "Connection: keep-alive, close\r\n"));
}

TEST(RequestParser, FlagsUpgradeOnlyWithTokenAndUpgradeHeader) {
  auto upgrade = [](std::string_view headers) {
    Result r = ParseWhole("GET /app/k HTTP/1.1\r\nHost: a\r\n" + std::string(headers) + "\r\n");
    EXPECT_EQ(r.state, ParseState::kDone);
    return r.head.upgrade;
  };
  EXPECT_TRUE(upgrade("Connection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n"));
  EXPECT_TRUE(upgrade("upgrade: websocket\r\nconnection: UPGRADE\r\n"));
  EXPECT_FALSE(upgrade("Connection: Upgrade\r\n"));
  EXPECT_FALSE(upgrade("Upgrade: websocket\r\n"));
  EXPECT_FALSE(upgrade("Connection: upgraded\r\nUpgrade: websocket\r\n"));
}

// A connection's read loop: parse a head, read its body, drop both, go on with the rest.
TEST(RequestParser, ParsesPipelinedGetPostGetFromOneBuffer) {
  std::string buf =
      "GET /first HTTP/1.1\r\nHost: a\r\n\r\n"
      "POST /apps/1/events HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world"
      "PUT /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\n\r\n"
      "GET /last?x=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
  RequestParser parser({});
  BodyReader reader;
  std::vector<std::string> seen;
  std::string_view rest = buf;
  while (!rest.empty()) {
    RequestHead head;
    ASSERT_EQ(parser.Parse(rest, &head), ParseState::kDone) << rest;
    const std::string target(head.target);
    const bool keep_alive = head.keep_alive;
    rest.remove_prefix(parser.head_size());
    reader.Start(head, parser.limits());
    std::string body;
    size_t consumed = 0;
    ASSERT_EQ(reader.Feed(rest, &consumed, &body), ParseState::kDone);
    rest.remove_prefix(consumed);
    seen.push_back(target + " [" + body + "] " + (keep_alive ? "keep" : "close"));
    parser.Reset();
  }
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0], "/first [] keep");
  EXPECT_EQ(seen[1], "/apps/1/events [hello world] keep");
  EXPECT_EQ(seen[2], "/chunked [abc] keep");
  EXPECT_EQ(seen[3], "/last?x=1 [] close");
}

TEST(RequestParser, ErrorMessagesDescribeTheProblem) {
  RequestParser parser({});
  RequestHead head;
  ASSERT_EQ(parser.Parse(Post(""), &head), ParseState::kError);
  EXPECT_EQ(parser.error_status(), 411);
  EXPECT_EQ(parser.error_message(), "Content-Length required");
  parser.Reset();
  ASSERT_EQ(parser.Parse("GET / HTTP/1.1\r\nHost: a\r\n x\r\n\r\n", &head), ParseState::kError);
  EXPECT_EQ(parser.error_message(), "obs-fold or whitespace before a header name");
}

}  // namespace
}  // namespace ringcast::http
