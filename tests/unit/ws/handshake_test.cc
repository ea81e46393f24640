// Opening handshake: the RFC 6455 accept-key example, every CheckUpgrade rule, and the exact
// bytes of the 101 answer and of the refusals.
#include "ws/handshake.h"

#include <gtest/gtest.h>

#include <string>

namespace ringcast::ws {
namespace {

constexpr std::string_view kKey = "dGhlIHNhbXBsZSBub25jZQ==";

UpgradeCheck Check(std::string_view method = "GET", int minor = 1,
                   std::string_view upgrade = "websocket", bool connection = true,
                   std::string_view version = "13", std::string_view key = kKey) {
  return CheckUpgrade(method, minor, upgrade, connection, version, key);
}

TEST(Handshake, ComputesTheRfc6455ExampleAcceptKey) {
  EXPECT_EQ(ComputeAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(Handshake, AcceptsAValidUpgrade) {
  const UpgradeCheck c = Check();
  EXPECT_EQ(c.status, 0);
  EXPECT_TRUE(c.message.empty());
  EXPECT_EQ(Check("GET", 1, "WebSocket").status, 0);
  EXPECT_EQ(Check("GET", 1, "h2c, websocket").status, 0);
  EXPECT_EQ(Check("GET", 1, " WEBSOCKET ").status, 0);
  EXPECT_EQ(Check("GET", 1, "websocket", true, " 13 ").status, 0);
  EXPECT_EQ(Check("GET", 1, "websocket", true, "13", " dGhlIHNhbXBsZSBub25jZQ== ").status, 0);
}

TEST(Handshake, RefusesWrongMethodOrHttpVersion) {
  EXPECT_EQ(Check("POST").status, 400);
  EXPECT_EQ(Check("get").status, 400);
  EXPECT_EQ(Check("GET", 0).status, 400);
}

TEST(Handshake, RefusesMissingUpgradeOrConnectionTokens) {
  EXPECT_EQ(Check("GET", 1, "").status, 400);
  EXPECT_EQ(Check("GET", 1, "h2c").status, 400);
  EXPECT_EQ(Check("GET", 1, "websockets").status, 400);
  EXPECT_EQ(Check("GET", 1, "web socket").status, 400);
  EXPECT_EQ(Check("GET", 1, "websocket", false).status, 400);
}

TEST(Handshake, AnswersWrongOrMissingVersionWith426) {
  EXPECT_EQ(Check("GET", 1, "websocket", true, "8").status, 426);
  EXPECT_EQ(Check("GET", 1, "websocket", true, "").status, 426);
  EXPECT_EQ(Check("GET", 1, "websocket", true, "13, 8").status, 426);
  EXPECT_EQ(Check("GET", 1, "websocket", true, "130").status, 426);
}

TEST(Handshake, RefusesKeysThatAreNotBase64Of16Bytes) {
  auto key = [](std::string_view k) { return Check("GET", 1, "websocket", true, "13", k).status; };
  EXPECT_EQ(key(""), 400);
  EXPECT_EQ(key("dGhlIHNhbXBsZSBub25jZQ="), 400);   // 23 chars
  EXPECT_EQ(key("dGhlIHNhbXBsZSBub25jZQ"), 400);    // no padding
  EXPECT_EQ(key("dGhlIHNhbXBsZSBub25jZSE="), 400);  // 17 bytes
  EXPECT_EQ(key("dGhlIHNhbXBsZSBub25j!Q=="), 400);  // bad alphabet
  EXPECT_EQ(key("AAAAAAAAAAAAAAAAAAAAAA=="), 0);    // 16 zero bytes
}

TEST(Handshake, WritesThe101WithoutExtensions) {
  std::string out = "prefix|";
  AppendUpgradeResponse(&out, ComputeAcceptKey(kKey));
  EXPECT_EQ(out,
            "prefix|HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
  EXPECT_EQ(out.find("Extensions"), std::string::npos);
}

TEST(Handshake, RefusalOf426CarriesTheSupportedVersion) {
  std::string out;
  AppendUpgradeRefusal(&out, Check("GET", 1, "websocket", true, "8"));
  EXPECT_EQ(out.rfind("HTTP/1.1 426 Upgrade Required\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("\r\nSec-WebSocket-Version: 13\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\nUpgrade: websocket\r\n"), std::string::npos) << out;
  const size_t body = out.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  EXPECT_EQ(out.substr(body + 4), "Sec-WebSocket-Version must be 13\n");
  EXPECT_NE(out.find("Content-Length: 33\r\n"), std::string::npos) << out;
}

TEST(Handshake, RefusalOf400ClosesWithoutVersionHeader) {
  std::string out;
  AppendUpgradeRefusal(&out, Check("POST"));
  EXPECT_EQ(out.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("\r\nConnection: close\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("Sec-WebSocket-Version"), std::string::npos) << out;
}

}  // namespace
}  // namespace ringcast::ws
