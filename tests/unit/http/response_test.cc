// Response bytes, checked exactly: status line, framing headers, extra headers, JSON errors.

#include "http/response.h"

#include <gtest/gtest.h>

namespace ringcast::http {
namespace {

TEST(Response, WritesStatusLineFramingHeadersAndBody) {
  std::string out;
  AppendResponse(&out, 200, "text/plain", "hi", true);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: text/plain\r\n"
            "Content-Length: 2\r\n"
            "Connection: keep-alive\r\n"
            "\r\n"
            "hi");
}

TEST(Response, OmitsEmptyContentTypeAndSaysClose) {
  std::string out;
  AppendResponse(&out, 404, "", "", false);
  EXPECT_EQ(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

TEST(Response, CopiesExtraHeadersVerbatimBeforeTheEmptyLine) {
  std::string out;
  AppendResponse(&out, 405, "text/plain", "no", true, "Allow: GET, POST\r\nX-A: b\r\n");
  EXPECT_EQ(out,
            "HTTP/1.1 405 Method Not Allowed\r\n"
            "Content-Type: text/plain\r\n"
            "Content-Length: 2\r\n"
            "Connection: keep-alive\r\n"
            "Allow: GET, POST\r\n"
            "X-A: b\r\n"
            "\r\n"
            "no");
}

TEST(Response, AppendsAfterExistingOutput) {
  std::string out = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n";
  const std::string first = out;
  AppendResponse(&out, 201, "application/json", "{}", true);
  EXPECT_EQ(out, first +
                     "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                     "Content-Length: 2\r\nConnection: keep-alive\r\n\r\n{}");
}

TEST(Response, SendsNoContentLengthFor204) {
  std::string out;
  AppendResponse(&out, 204, "", "", true);
  EXPECT_EQ(out, "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n");
}

TEST(Response, KeepsTheSpaceForAnUnknownReason) {
  std::string out;
  AppendResponse(&out, 599, "", "", false);
  EXPECT_EQ(out, "HTTP/1.1 599 \r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

TEST(Response, KnowsTheReasonPhrasesTheParserAnswersWith) {
  EXPECT_EQ(ReasonPhrase(400), "Bad Request");
  EXPECT_EQ(ReasonPhrase(411), "Length Required");
  EXPECT_EQ(ReasonPhrase(413), "Content Too Large");
  EXPECT_EQ(ReasonPhrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(ReasonPhrase(501), "Not Implemented");
  EXPECT_EQ(ReasonPhrase(505), "HTTP Version Not Supported");
  EXPECT_EQ(ReasonPhrase(101), "Switching Protocols");
  EXPECT_EQ(ReasonPhrase(0), "");
}

TEST(Response, JsonErrorHasExactBodyAndEscapesTheMessage) {
  std::string out;
  AppendJsonError(&out, 401, "bad \"auth_signature\"\n\x01", false);
  const std::string body = R"({"error":"bad \"auth_signature\"\n\u0001","code":401})";
  EXPECT_EQ(out,
            "HTTP/1.1 401 Unauthorized\r\n"
            "Content-Type: application/json\r\n"
            "Content-Length: " +
                std::to_string(body.size()) +
                "\r\n"
                "Connection: close\r\n"
                "\r\n" +
                body);
}

TEST(Response, JsonErrorKeepsUtf8AndTheConnection) {
  std::string out;
  AppendJsonError(&out, 413, "caf\xc3\xa9", true);
  EXPECT_EQ(out,
            "HTTP/1.1 413 Content Too Large\r\n"
            "Content-Type: application/json\r\n"
            "Content-Length: 28\r\n"
            "Connection: keep-alive\r\n"
            "\r\n"
            "{\"error\":\"caf\xc3\xa9\",\"code\":413}");
}

}  // namespace
}  // namespace ringcast::http
