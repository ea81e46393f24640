// FrameParser: RFC 6455 examples, every length boundary, every failure code, fragmentation
// with control frames in between, split invariance (every cut, byte by byte, random cuts),
// zero-copy delivery, buffer lifetime, UTF-8 failing at the right chunk, stop and close.
#include "ws/frame_parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ws_test_util.h"

namespace ringcast::ws {
namespace {

using wstest::Binary;
using wstest::Close;
using wstest::ClosePayload;
using wstest::Event;
using wstest::Masked;
using wstest::MaskedRaw;
using wstest::MaskedWithLengthField;
using wstest::Outcome;
using wstest::Ping;
using wstest::Pong;
using wstest::Recorder;
using wstest::RunByteByByte;
using wstest::RunParser;
using wstest::RunWhole;
using wstest::Text;

std::string Raw(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

Outcome Fails(uint16_t code) { return Outcome{{}, code}; }

// Whole, byte by byte, and every single cut: all must equal `expected`.
void ExpectSameForEverySplit(const std::string& stream, const Outcome& expected,
                             const FrameLimits& limits = {}) {
  EXPECT_EQ(RunWhole(stream, limits), expected);
  EXPECT_EQ(RunByteByByte(stream, limits), expected);
  for (size_t cut = 1; cut < stream.size(); ++cut) {
    ASSERT_EQ(RunParser(stream, limits, {cut}), expected) << "cut at " << cut;
  }
}

TEST(FrameParser, FitsInOneCacheLine) { EXPECT_LE(sizeof(FrameParser), 64u); }

TEST(FrameParser, ParsesTheRfc6455MaskedHelloExample) {
  ExpectSameForEverySplit(Raw({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}),
                          Outcome{{Text("Hello")}, 0});
  // The RFC's masked Pong carrying "Hello".
  ExpectSameForEverySplit(Raw({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}),
                          Outcome{{Pong("Hello")}, 0});
}

TEST(FrameParser, RejectsTheRfc6455UnmaskedExamples) {
  EXPECT_EQ(RunWhole(Raw({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f})), Fails(1002));
  EXPECT_EQ(RunWhole(Raw({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f})), Fails(1002));
}

TEST(FrameParser, HandlesEveryLengthBoundary) {
  FrameLimits limits;
  limits.max_message_bytes = 1 << 20;
  for (size_t len : {0u, 1u, 125u, 126u, 127u, 65535u, 65536u}) {
    std::string payload(len, '\0');
    for (size_t i = 0; i < len; ++i) payload[i] = static_cast<char>('a' + i % 26);
    const std::string stream = Masked(Opcode::kText, payload) + Masked(Opcode::kBinary, payload);
    const Outcome expected{{Text(payload), Binary(payload)}, 0};
    EXPECT_EQ(RunWhole(stream, limits), expected) << len;
    EXPECT_EQ(RunByteByByte(stream, limits), expected) << len;
    // Cuts inside the length field, the mask key and the payload.
    for (size_t cut : {1u, 2u, 3u, 5u, 7u, 9u, 13u, 15u}) {
      EXPECT_EQ(RunParser(stream, limits, {cut}), expected) << len << " cut " << cut;
    }
  }
}

TEST(FrameParser, AcceptsControlFramesOfUpTo125Bytes) {
  const std::string p125(125, 'p');
  ExpectSameForEverySplit(
      Masked(Opcode::kPing, p125) + Masked(Opcode::kPong, "") + Masked(Opcode::kPing, ""),
      Outcome{{Ping(p125), Pong(""), Ping("")}, 0});
}

TEST(FrameParser, FailsOnRsvBits) {
  for (int rsv : {0x40, 0x20, 0x10, 0x70}) {
    EXPECT_EQ(RunWhole(MaskedRaw(static_cast<uint8_t>(0x81 | rsv), "a")), Fails(1002)) << rsv;
    EXPECT_EQ(RunWhole(MaskedRaw(static_cast<uint8_t>(0x89 | rsv), "")), Fails(1002)) << rsv;
  }
}

TEST(FrameParser, FailsOnReservedOpcodes) {
  for (int op : {3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf}) {
    EXPECT_EQ(RunWhole(MaskedRaw(static_cast<uint8_t>(0x80 | op), "")), Fails(1002)) << op;
    // Also inside a fragmented message.
    EXPECT_EQ(RunWhole(Masked(Opcode::kText, "a", false) +
                       MaskedRaw(static_cast<uint8_t>(0x80 | op), "")),
              Fails(1002))
        << op;
  }
}

TEST(FrameParser, FailsOnUnmaskedClientFrames) {
  std::string f = Masked(Opcode::kBinary, "abc");
  f[1] = static_cast<char>(f[1] & 0x7f);
  f.erase(2, 4);
  EXPECT_EQ(RunWhole(f), Fails(1002));
}

TEST(FrameParser, FailsOnBadControlFrames) {
  // 126-byte ping (16-bit length), fragmented ping, fragmented close.
  EXPECT_EQ(RunWhole(MaskedWithLengthField(0x89, 126, Raw({0x00, 0x7e}), std::string(126, 'x'))),
            Fails(1002));
  EXPECT_EQ(RunWhole(MaskedRaw(0x09, "x")), Fails(1002));
  EXPECT_EQ(RunWhole(MaskedRaw(0x08, ClosePayload(1000))), Fails(1002));
  EXPECT_EQ(RunWhole(MaskedRaw(0x0a, "")), Fails(1002));
  // Decided from the first two bytes, before the rest arrives.
  EXPECT_EQ(RunWhole(Raw({0x89, 0xfe})), Fails(1002));
}

TEST(FrameParser, FailsOnFragmentationErrors) {
  // Continuation with no message open.
  EXPECT_EQ(RunWhole(Masked(Opcode::kContinuation, "x")), Fails(1002));
  EXPECT_EQ(RunWhole(Masked(Opcode::kText, "a") + Masked(Opcode::kContinuation, "x")),
            (Outcome{{Text("a")}, 1002}));
  // A new text or binary frame while a fragmented message is open.
  EXPECT_EQ(RunWhole(Masked(Opcode::kText, "a", false) + Masked(Opcode::kText, "b")), Fails(1002));
  EXPECT_EQ(RunWhole(Masked(Opcode::kBinary, "a", false) + Masked(Opcode::kBinary, "b")),
            Fails(1002));
}

TEST(FrameParser, FailsOnBadLengthEncodings) {
  // 64-bit length with the most significant bit set.
  EXPECT_EQ(RunWhole(MaskedWithLengthField(0x82, 127, Raw({0x80, 0, 0, 0, 0, 0, 0, 1}), "")),
            Fails(1002));
  // Non-minimal: 125 in 16 bits, 65535 in 64 bits, 0 in 64 bits.
  EXPECT_EQ(RunWhole(MaskedWithLengthField(0x82, 126, Raw({0x00, 0x7d}), std::string(125, 'a'))),
            Fails(1002));
  EXPECT_EQ(RunWhole(MaskedWithLengthField(0x82, 127, Raw({0, 0, 0, 0, 0, 0, 0xff, 0xff}),
                                           std::string(65535, 'a'))),
            Fails(1002));
  EXPECT_EQ(RunWhole(MaskedWithLengthField(0x82, 127, Raw({0, 0, 0, 0, 0, 0, 0, 0}), "")),
            Fails(1002));
  // The smallest legal values of each form pass.
  FrameLimits limits;
  limits.max_message_bytes = 1 << 20;
  EXPECT_EQ(
      RunWhole(MaskedWithLengthField(0x82, 126, Raw({0x00, 0x7e}), std::string(126, 'a')), limits),
      (Outcome{{Binary(std::string(126, 'a'))}, 0}));
  EXPECT_EQ(RunWhole(MaskedWithLengthField(0x82, 127, Raw({0, 0, 0, 0, 0, 1, 0, 0}),
                                           std::string(65536, 'a')),
                     limits),
            (Outcome{{Binary(std::string(65536, 'a'))}, 0}));
}

TEST(FrameParser, FailsOversizedMessagesFromTheHeaderAlone) {
  FrameLimits limits;
  limits.max_message_bytes = 1000;
  EXPECT_EQ(RunWhole(Masked(Opcode::kBinary, std::string(1000, 'a')), limits),
            (Outcome{{Binary(std::string(1000, 'a'))}, 0}));
  EXPECT_EQ(RunWhole(Masked(Opcode::kBinary, std::string(1001, 'a')), limits), Fails(1009));
  // Only the 8-byte header of a 2^40-byte frame: refused before any payload.
  EXPECT_EQ(RunWhole(Raw({0x82, 0xff, 0, 0, 0x01, 0, 0, 0, 0, 0, 1, 2, 3, 4}), limits),
            Fails(1009));
  // Across fragments: 600 + 401 > 1000, decided at the second header.
  const std::string two = Masked(Opcode::kText, std::string(600, 'a'), false) +
                          Masked(Opcode::kContinuation, "", false);
  EXPECT_EQ(RunWhole(two + Masked(Opcode::kContinuation, std::string(400, 'b')), limits),
            (Outcome{{Text(std::string(600, 'a') + std::string(400, 'b'))}, 0}));
  const std::string third_header =
      Masked(Opcode::kContinuation, std::string(401, 'b')).substr(0, 8);
  EXPECT_EQ(RunWhole(two + third_header, limits), Fails(1009));
  // Split so that the first fragment is buffered by the parser before the check.
  EXPECT_EQ(RunParser(two + third_header, limits, {300, 610}), Fails(1009));
}

TEST(FrameParser, FailsMessagesWithTooManyFragments) {
  FrameLimits limits;
  limits.max_fragments = 3;
  const std::string f1 = Masked(Opcode::kBinary, "a", false);
  const std::string c = Masked(Opcode::kContinuation, "b", false);
  const std::string end = Masked(Opcode::kContinuation, "c");
  EXPECT_EQ(RunWhole(f1 + c + end, limits), (Outcome{{Binary("abc")}, 0}));
  EXPECT_EQ(RunWhole(f1 + c + c + end, limits), Fails(1009));
  // Control frames in between do not count.
  EXPECT_EQ(RunWhole(f1 + Masked(Opcode::kPing, "") + c + end, limits),
            (Outcome{{Ping(""), Binary("abc")}, 0}));
}

TEST(FrameParser, FailsOnInvalidUtf8Text) {
  EXPECT_EQ(RunWhole(Masked(Opcode::kText, "ab\xff")), Fails(1007));
  EXPECT_EQ(RunWhole(Masked(Opcode::kText, "\xed\xa0\x80")), Fails(1007));  // surrogate
  EXPECT_EQ(RunWhole(Masked(Opcode::kText, "\xc0\xaf")), Fails(1007));      // overlong
  EXPECT_EQ(RunWhole(Masked(Opcode::kText, "ok\xe2\x82")), Fails(1007));    // ends mid code point
  EXPECT_EQ(
      RunWhole(Masked(Opcode::kText, "ok\xe2", false) + Masked(Opcode::kContinuation, "\x82")),
      Fails(1007));
  // Binary is never checked.
  EXPECT_EQ(RunWhole(Masked(Opcode::kBinary, "\xff\xfe")), (Outcome{{Binary("\xff\xfe")}, 0}));
}

TEST(FrameParser, AcceptsCodePointsSplitAcrossFragmentsAndChunks) {
  const std::string stream = Masked(Opcode::kText, "\xe2", false) + Masked(Opcode::kPing, "mid") +
                             Masked(Opcode::kContinuation, "\x82", false) +
                             Masked(Opcode::kContinuation, "\xac!");
  ExpectSameForEverySplit(stream, Outcome{{Ping("mid"), Text("\xe2\x82\xac!")}, 0});
}

TEST(FrameParser, FailsInvalidUtf8AtTheChunkThatMakesItInvalid) {
  // F4 in the first fragment, 90 (above U+10FFFF) in the second; the first chunk ends right
  // after the 0x90 byte's frame header.
  const std::string first = Masked(Opcode::kText, "ab\xf4", false);
  const std::string second = Masked(Opcode::kContinuation, "\x90\x80\x80 tail");
  std::string stream = first + second;
  FrameParser parser{FrameLimits{}};
  Recorder rec;
  const size_t cut = first.size() + 6;  // header of the second frame
  ConsumeResult r = parser.Consume(stream.data(), cut, rec);
  EXPECT_EQ(r.fail_code, 0);
  EXPECT_EQ(r.consumed, cut);
  EXPECT_TRUE(parser.InMessage());
  r = parser.Consume(stream.data() + cut, 1, rec);  // just the 0x90
  EXPECT_EQ(r.fail_code, 1007);
  EXPECT_TRUE(parser.Finished());
  EXPECT_TRUE(rec.events.empty());

  // Same inside one frame split across chunks: "abc" + ED | A0 80.
  const std::string frame = Masked(Opcode::kText, "abc\xed\xa0\x80");
  FrameParser p2{FrameLimits{}};
  std::string copy = frame;
  r = p2.Consume(copy.data(), 6 + 4, rec);  // header + "abc" + ED
  EXPECT_EQ(r.fail_code, 0);
  r = p2.Consume(copy.data() + 10, 1, rec);  // A0
  EXPECT_EQ(r.fail_code, 1007);
}

TEST(FrameParser, SkipsUtf8ChecksWhenDisabled) {
  FrameLimits limits;
  limits.validate_utf8 = false;
  EXPECT_EQ(RunWhole(Masked(Opcode::kText, "a\xff"), limits), (Outcome{{Text("a\xff")}, 0}));
  EXPECT_EQ(RunWhole(Masked(Opcode::kClose, ClosePayload(1000, "\xff")), limits),
            (Outcome{{Close(1000, "\xff")}, 0}));
}

TEST(FrameParser, DeliversFragmentedMessagesWithControlFramesBetween) {
  const std::string stream =
      Masked(Opcode::kText, "Hel", false) + Masked(Opcode::kPing, "p1") +
      Masked(Opcode::kContinuation, "lo ", false) + Masked(Opcode::kPong, "") +
      Masked(Opcode::kContinuation, "", false) + Masked(Opcode::kContinuation, "w\xc3\xb6rld") +
      Masked(Opcode::kBinary, std::string(300, '\x01')) + Masked(Opcode::kText, "");
  ExpectSameForEverySplit(stream, Outcome{{Ping("p1"), Pong(""), Text("Hello w\xc3\xb6rld"),
                                           Binary(std::string(300, '\x01')), Text("")},
                                          0});
}

TEST(FrameParser, ClosesWithCodeAndReason) {
  ExpectSameForEverySplit(Masked(Opcode::kClose, ClosePayload(1000, "bye")),
                          Outcome{{Close(1000, "bye")}, 0});
  ExpectSameForEverySplit(Masked(Opcode::kClose, ""), Outcome{{Close(1005)}, 0});
  const std::string reason(123, 'r');
  ExpectSameForEverySplit(Masked(Opcode::kClose, ClosePayload(4999, reason)),
                          Outcome{{Close(4999, reason)}, 0});
}

TEST(FrameParser, AcceptsExactlyTheValidCloseCodes) {
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000,
                   3999, 4000, 4999}) {
    EXPECT_EQ(RunWhole(Masked(Opcode::kClose, ClosePayload(static_cast<uint16_t>(code)))),
              (Outcome{{Close(code)}, 0}))
        << code;
  }
  for (int code : {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    EXPECT_EQ(RunWhole(Masked(Opcode::kClose, ClosePayload(static_cast<uint16_t>(code)))),
              Fails(1002))
        << code;
  }
}

TEST(FrameParser, FailsOnBadClosePayloads) {
  EXPECT_EQ(RunWhole(Masked(Opcode::kClose, "\x03")), Fails(1002));  // 1 byte
  EXPECT_EQ(RunWhole(Masked(Opcode::kClose, ClosePayload(1000, "\xce\xba\xed\xa0\x80"))),
            Fails(1007));
  EXPECT_EQ(RunWhole(Masked(Opcode::kClose, ClosePayload(1000, "ok\xe2\x82"))), Fails(1007));
  // Invalid reason and invalid code: the reason is judged first (as wslay does).
  EXPECT_EQ(RunWhole(Masked(Opcode::kClose, ClosePayload(999, "\xff"))), Fails(1007));
}

TEST(FrameParser, StopsConsumingAfterClose) {
  std::string stream = Masked(Opcode::kText, "a") + Masked(Opcode::kClose, ClosePayload(1001)) +
                       Masked(Opcode::kText, "never");
  const size_t close_end = Masked(Opcode::kText, "a").size() + 8;
  FrameParser parser{FrameLimits{}};
  Recorder rec;
  ConsumeResult r = parser.Consume(stream.data(), stream.size(), rec);
  EXPECT_EQ(r.consumed, close_end);
  EXPECT_EQ(r.fail_code, 0);
  EXPECT_TRUE(parser.Finished());
  EXPECT_EQ(rec.events, (std::vector<Event>{Text("a"), Close(1001)}));
  r = parser.Consume(stream.data() + close_end, stream.size() - close_end, rec);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_EQ(rec.events.size(), 2u);
}

TEST(FrameParser, StopsWhenACallbackReturnsFalseAndCanGoOn) {
  const std::string a = Masked(Opcode::kText, "one", false);
  const std::string p = Masked(Opcode::kPing, "p");
  const std::string b = Masked(Opcode::kContinuation, "two");
  const std::string c = Masked(Opcode::kBinary, "three");
  std::string stream = a + p + b + c;
  FrameParser parser{FrameLimits{}};
  Recorder rec;
  rec.stop_after = 1;  // the ping
  ConsumeResult r = parser.Consume(stream.data(), stream.size(), rec);
  EXPECT_EQ(r.fail_code, 0);
  EXPECT_EQ(r.consumed, a.size() + p.size());
  EXPECT_TRUE(parser.InMessage());
  rec.stop_after = -1;
  r = parser.Consume(stream.data() + r.consumed, stream.size() - r.consumed, rec);
  EXPECT_EQ(r.fail_code, 0);
  EXPECT_EQ(r.consumed, b.size() + c.size());
  EXPECT_EQ(rec.events, (std::vector<Event>{Ping("p"), Text("onetwo"), Binary("three")}));
}

TEST(FrameParser, DeliversMessagesCompleteInOneChunkWithoutCopying) {
  std::string stream = Masked(Opcode::kText, "single") + Masked(Opcode::kBinary, "fr", false) +
                       Masked(Opcode::kPing, "x") + Masked(Opcode::kContinuation, "ag", false) +
                       Masked(Opcode::kContinuation, "ments");
  FrameParser parser{FrameLimits{}};
  struct Spy : Recorder {
    const char* lo;
    const char* hi;
    int in_chunk = 0;
    bool OnMessage(Opcode op, std::string_view payload) override {
      if (payload.data() >= lo && payload.data() + payload.size() <= hi) ++in_chunk;
      return Recorder::OnMessage(op, payload);
    }
  } spy;
  spy.lo = stream.data();
  spy.hi = stream.data() + stream.size();
  const ConsumeResult r = parser.Consume(stream.data(), stream.size(), spy);
  EXPECT_EQ(r.fail_code, 0);
  EXPECT_EQ(spy.events, (std::vector<Event>{Text("single"), Ping("x"), Binary("fragments")}));
  EXPECT_EQ(spy.in_chunk, 2);
  EXPECT_EQ(parser.AllocatedBytes(), 0u);
}

TEST(FrameParser, BuffersOnlyWhatStraddlesChunksAndFreesLargeBuffers) {
  FrameLimits limits;
  limits.max_message_bytes = 1 << 20;
  FrameParser parser(limits);
  Recorder rec;
  // A 100 KiB message in two chunks: buffered, then freed after delivery.
  std::string big = Masked(Opcode::kBinary, std::string(100 * 1024, 'b'));
  ConsumeResult r = parser.Consume(big.data(), 5000, rec);
  EXPECT_EQ(r.consumed, 5000u);
  EXPECT_TRUE(parser.InMessage());
  EXPECT_EQ(parser.BufferedBytes(), 5000u - 14);
  EXPECT_GE(parser.AllocatedBytes(), 100u * 1024);
  r = parser.Consume(big.data() + 5000, big.size() - 5000, rec);
  EXPECT_EQ(r.fail_code, 0);
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0], Binary(std::string(100 * 1024, 'b')));
  EXPECT_EQ(parser.AllocatedBytes(), 0u);
  EXPECT_EQ(parser.BufferedBytes(), 0u);

  // A small split message keeps a small buffer for next time.
  std::string small = Masked(Opcode::kText, "hello there");
  r = parser.Consume(small.data(), 9, rec);
  EXPECT_EQ(parser.BufferedBytes(), 3u);
  r = parser.Consume(small.data() + 9, small.size() - 9, rec);
  EXPECT_EQ(rec.events.back(), Text("hello there"));
  EXPECT_LE(parser.AllocatedBytes(), FrameParser::kRetainedBufferBytes);

  // A control frame split across chunks uses its own buffer, released after delivery.
  std::string ping = Masked(Opcode::kPing, "split ping");
  r = parser.Consume(ping.data(), 10, rec);
  EXPECT_EQ(parser.BufferedBytes(), 4u);
  r = parser.Consume(ping.data() + 10, ping.size() - 10, rec);
  EXPECT_EQ(rec.events.back(), Ping("split ping"));
  EXPECT_EQ(parser.BufferedBytes(), 0u);
  EXPECT_LE(parser.AllocatedBytes(), FrameParser::kRetainedBufferBytes);
  parser.Reset();
  EXPECT_EQ(parser.AllocatedBytes(), 0u);
}

TEST(FrameParser, GivesTheSameEventsForEverySplitOfAMixedStream) {
  FrameLimits limits;
  limits.max_message_bytes = 1 << 20;
  std::string payload(70000, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i % 251);
  std::string stream;
  stream += Masked(Opcode::kText, "first");
  stream += Masked(Opcode::kBinary, payload.substr(0, 126), false, 0x11223344);
  stream += Masked(Opcode::kPing, "ping!", true, 0x55667788);
  stream += Masked(Opcode::kContinuation, payload.substr(126, 5000), false, 0x99aabbcc);
  stream += Masked(Opcode::kContinuation, payload.substr(5126), true, 0xddeeff00);
  stream += Masked(Opcode::kText, "\xf0\x9f\x98\x80 emoji", true, 0x0f0f0f0f);
  stream += Masked(Opcode::kPong, "", true, 0);
  stream += Masked(Opcode::kClose, ClosePayload(1000, "done"), true, 0x12345678);
  stream += Masked(Opcode::kText, "after close");
  const Outcome expected{{Text("first"), Ping("ping!"), Binary(payload),
                          Text("\xf0\x9f\x98\x80 emoji"), Pong(""), Close(1000, "done")},
                         0};
  EXPECT_EQ(RunWhole(stream, limits), expected);
  EXPECT_EQ(RunByteByByte(stream, limits), expected);
  // Every single cut outside the long payload, and a sample inside it.
  for (size_t cut = 1; cut < stream.size();
       cut += (cut < 200 || cut > stream.size() - 200) ? 1 : 97) {
    ASSERT_EQ(RunParser(stream, limits, {cut}), expected) << "cut " << cut;
  }
  std::mt19937 rng(12345);
  for (int round = 0; round < 300; ++round) {
    std::vector<size_t> cuts;
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) cuts.push_back(1 + rng() % (stream.size() - 1));
    std::sort(cuts.begin(), cuts.end());
    ASSERT_EQ(RunParser(stream, limits, cuts), expected) << "round " << round;
  }
}

TEST(FrameParser, GivesTheSameFailureForEverySplit) {
  const std::vector<std::pair<std::string, Outcome>> cases = {
      {Masked(Opcode::kText, "ok") + Masked(Opcode::kText, "bad \xf4\x90 utf8"),
       Outcome{{Text("ok")}, 1007}},
      {Masked(Opcode::kText, "a", false) + Masked(Opcode::kPing, "") + Masked(Opcode::kText, "b"),
       Outcome{{Ping("")}, 1002}},
      {Masked(Opcode::kBinary, "x") + MaskedRaw(0x82 | 0x40, "y"), Outcome{{Binary("x")}, 1002}},
      {Masked(Opcode::kPing, "z") + Masked(Opcode::kClose, ClosePayload(1004)),
       Outcome{{Ping("z")}, 1002}},
  };
  for (const auto& [stream, expected] : cases) ExpectSameForEverySplit(stream, expected);
}

TEST(FrameParser, ResetsAfterAFailure) {
  FrameParser parser{FrameLimits{}};
  Recorder rec;
  std::string bad = MaskedRaw(0x83, "");
  EXPECT_EQ(parser.Consume(bad.data(), bad.size(), rec).fail_code, 1002);
  EXPECT_TRUE(parser.Finished());
  std::string good = Masked(Opcode::kText, "again");
  EXPECT_EQ(parser.Consume(good.data(), good.size(), rec).consumed, 0u);
  parser.Reset();
  const ConsumeResult r = parser.Consume(good.data(), good.size(), rec);
  EXPECT_EQ(r.fail_code, 0);
  EXPECT_EQ(rec.events, (std::vector<Event>{Text("again")}));
}

TEST(FrameParser, MovesWithItsState) {
  FrameLimits limits;
  limits.max_message_bytes = 100;
  FrameParser a(limits);
  Recorder rec;
  std::string s = Masked(Opcode::kText, "moved message");
  ASSERT_EQ(a.Consume(s.data(), 10, rec).fail_code, 0);
  FrameParser b(std::move(a));
  ASSERT_EQ(b.Consume(s.data() + 10, s.size() - 10, rec).fail_code, 0);
  EXPECT_EQ(rec.events, (std::vector<Event>{Text("moved message")}));
  std::string big = Masked(Opcode::kText, std::string(101, 'x'));
  EXPECT_EQ(b.Consume(big.data(), big.size(), rec).fail_code, 1009);  // limits moved too
}

}  // namespace
}  // namespace ringcast::ws
