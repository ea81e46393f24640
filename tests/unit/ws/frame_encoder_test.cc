// Frame encoder: header bytes at every length boundary, the RFC 6455 masked "Hello", close
// frames with reasons cut on a UTF-8 boundary, and raw first bytes for negative tests.
#include "ws/frame_encoder.h"

#include <gtest/gtest.h>

#include <string>

#include "ws_test_util.h"

namespace ringcast::ws {
namespace {

using wstest::RunWhole;

std::string Hex(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (!out.empty()) out.push_back(' ');
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string Header(Opcode op, uint64_t len, bool fin = true) {
  uint8_t h[kMaxServerHeaderBytes];
  const size_t n = EncodeHeader(h, op, len, fin);
  return std::string(reinterpret_cast<const char*>(h), n);
}

TEST(FrameEncoder, UsesTheMinimalLengthEncodingAtEveryBoundary) {
  EXPECT_EQ(Hex(Header(Opcode::kText, 0)), "81 00");
  EXPECT_EQ(Hex(Header(Opcode::kText, 125)), "81 7d");
  EXPECT_EQ(Hex(Header(Opcode::kBinary, 126)), "82 7e 00 7e");
  EXPECT_EQ(Hex(Header(Opcode::kBinary, 127)), "82 7e 00 7f");
  EXPECT_EQ(Hex(Header(Opcode::kBinary, 65535)), "82 7e ff ff");
  EXPECT_EQ(Hex(Header(Opcode::kBinary, 65536)), "82 7f 00 00 00 00 00 01 00 00");
  EXPECT_EQ(Hex(Header(Opcode::kBinary, 0x0102030405060708ull)), "82 7f 01 02 03 04 05 06 07 08");
  EXPECT_EQ(Hex(Header(Opcode::kText, 3, /*fin=*/false)), "01 03");
  EXPECT_EQ(Hex(Header(Opcode::kContinuation, 3)), "80 03");
  EXPECT_EQ(Hex(Header(Opcode::kPing, 0)), "89 00");
}

TEST(FrameEncoder, AppendsHeaderAndPayload) {
  std::string out = "x";
  AppendFrame(&out, Opcode::kText, "Hello");
  EXPECT_EQ(out, std::string("x\x81\x05Hello"));
  const std::string big(70000, 'z');
  out.clear();
  AppendFrame(&out, Opcode::kBinary, big);
  ASSERT_EQ(out.size(), 10 + big.size());
  EXPECT_EQ(out.substr(10), big);
}

TEST(FrameEncoder, ServerFramePayloadUndoesEveryHeaderLength) {
  for (size_t n : {0u, 1u, 125u, 126u, 65535u, 65536u, 70000u}) {
    std::string payload(n, 'p');
    std::string frame;
    AppendFrame(&frame, Opcode::kText, payload);
    EXPECT_EQ(ServerFramePayload(frame), payload) << n;
    if (n > 0) {
      EXPECT_EQ(ServerFramePayload(std::string_view(frame).substr(0, frame.size() - n - 1)), "")
          << "a cut header";
    }
  }
}

TEST(FrameEncoder, MasksTheRfc6455HelloExample) {
  std::string out;
  AppendMaskedFrame(&out, Opcode::kText, "Hello", 0x37fa213d);
  EXPECT_EQ(Hex(out), "81 85 37 fa 21 3d 7f 9f 4d 51 58");
  out.clear();
  AppendMaskedFrame(&out, Opcode::kPong, "Hello", 0x37fa213d);
  EXPECT_EQ(Hex(out), "8a 85 37 fa 21 3d 7f 9f 4d 51 58");
}

TEST(FrameEncoder, MaskedFramesRoundTripThroughTheParserAtEveryLength) {
  FrameLimits limits;
  limits.max_message_bytes = 1 << 20;
  for (size_t len : {0u, 1u, 7u, 8u, 9u, 31u, 32u, 33u, 125u, 126u, 127u, 65535u, 65536u, 70001u}) {
    std::string payload(len, '\0');
    for (size_t i = 0; i < len; ++i) payload[i] = static_cast<char>(i * 7 + 3);
    std::string frame;
    AppendMaskedFrame(&frame, Opcode::kBinary, payload, 0xa1b2c3d4);
    const size_t header = len <= 125 ? 6 : len <= 65535 ? 8 : 14;
    ASSERT_EQ(frame.size(), header + len);
    const wstest::Outcome o = RunWhole(frame, limits);
    ASSERT_EQ(o.fail_code, 0) << len;
    ASSERT_EQ(o.events.size(), 1u) << len;
    EXPECT_EQ(o.events[0], wstest::Binary(payload)) << len;
  }
}

TEST(FrameEncoder, WritesRawFirstBytes) {
  std::string out;
  AppendMaskedFrame(&out, uint8_t{0xC1}, "a", 0);  // FIN + RSV1 + text
  EXPECT_EQ(Hex(out), "c1 81 00 00 00 00 61");
}

TEST(FrameEncoder, WritesCloseFrames) {
  std::string out;
  AppendCloseFrame(&out, 1000, "bye");
  EXPECT_EQ(Hex(out), "88 05 03 e8 62 79 65");
  out.clear();
  AppendCloseFrame(&out, 4999, "");
  EXPECT_EQ(Hex(out), "88 02 13 87");
  out.clear();
  AppendCloseFrame(&out, 1005, "ignored");
  EXPECT_EQ(Hex(out), "88 00");
}

TEST(FrameEncoder, CutsCloseReasonsTo123BytesOnACodePointBoundary) {
  std::string out;
  AppendCloseFrame(&out, 1001, std::string(200, 'r'));
  ASSERT_EQ(out.size(), 2u + 2 + 123);
  EXPECT_EQ(static_cast<uint8_t>(out[1]), 125);

  // 122 ASCII bytes then a 2-byte code point straddling the 123-byte limit.
  std::string reason = std::string(122, 'a') + "\xc3\xa9" + "tail";
  out.clear();
  AppendCloseFrame(&out, 1001, reason);
  ASSERT_EQ(out.size(), 2u + 2 + 122);
  EXPECT_TRUE(IsValidUtf8(out.substr(4)));

  // A 4-byte code point at 121..124.
  reason = std::string(121, 'a') + "\xf0\x9f\x98\x80";
  out.clear();
  AppendCloseFrame(&out, 1001, reason);
  ASSERT_EQ(out.size(), 2u + 2 + 121);

  // Exactly 123 bytes stays whole.
  reason = std::string(121, 'a') + "\xc3\xa9";
  out.clear();
  AppendCloseFrame(&out, 1001, reason);
  EXPECT_EQ(out.substr(4), reason);
}

TEST(FrameEncoder, ReplacesInvalidBytesInCloseReasons) {
  std::string out;
  AppendCloseFrame(&out, 4007, "Unsupported protocol version 9\xff\xfe");
  EXPECT_EQ(out.substr(4), "Unsupported protocol version 9\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_TRUE(IsValidUtf8(out.substr(4)));
}

}  // namespace
}  // namespace ringcast::ws
