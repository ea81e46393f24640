// Tests for ClientFrameReader (tools/ringcast-bench/client_frame_reader.h): the same events
// under every split of the input and byte by byte, zero-copy views for whole frames,
// fragmentation with interleaved control frames, stopping, and each protocol violation.
#include "ringcast-bench/client_frame_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ws/frame_encoder.h"

namespace ringcast::bench {
namespace {

using ws::Opcode;

struct Recorder : FrameSink {
  std::vector<std::string> events;
  std::vector<const char*> views;
  int stop_after = -1;

  bool Push(std::string e, const char* data) {
    events.push_back(std::move(e));
    views.push_back(data);
    return stop_after < 0 || static_cast<int>(events.size()) < stop_after;
  }
  bool OnMessage(Opcode op, std::string_view payload) override {
    return Push((op == Opcode::kText ? "text:" : "binary:") + std::string(payload), payload.data());
  }
  bool OnPing(std::string_view payload) override {
    return Push("ping:" + std::string(payload), payload.data());
  }
  bool OnPong(std::string_view payload) override {
    return Push("pong:" + std::string(payload), payload.data());
  }
  bool OnClose(uint16_t code, std::string_view reason) override {
    return Push("close:" + std::to_string(code) + ":" + std::string(reason), reason.data());
  }
};

std::string Frame(Opcode op, std::string_view payload, bool fin = true) {
  std::string s;
  ws::AppendFrame(&s, op, payload, fin);
  return s;
}

// Feeds `chunks` in order; returns the recorded events, or "error:<text>" as the last one.
std::vector<std::string> FeedChunks(const std::vector<std::string>& chunks) {
  ClientFrameReader reader;
  Recorder rec;
  for (const std::string& c : chunks) {
    std::string padded = c;
    padded.append(ClientFrameReader::kPadding, '\0');  // as the provided buffers have
    FrameReadResult r = reader.Consume(padded.data(), c.size(), &rec);
    if (r.error != nullptr) {
      rec.events.push_back(std::string("error:") + r.error);
      break;
    }
    EXPECT_EQ(r.consumed, c.size());
  }
  return rec.events;
}

std::string Stream() {
  std::string s;
  s += Frame(Opcode::kText, R"({"event":"a"})");
  s += Frame(Opcode::kText, std::string(300, 'm'));      // 16-bit length
  s += Frame(Opcode::kBinary, std::string(70000, 'b'));  // 64-bit length
  s += Frame(Opcode::kPing, "hi");
  s += Frame(Opcode::kText, "frag-", false);
  s += Frame(Opcode::kPong, "p");  // control frame inside a message
  s += Frame(Opcode::kContinuation, "ment-", false);
  s += Frame(Opcode::kContinuation, "ed");
  s += Frame(Opcode::kText, "");
  std::string close;
  ws::AppendCloseFrame(&close, 4100, "Over capacity");
  s += close;
  return s;
}

TEST(ClientFrameReader, ReadsAWholeStreamInOneChunk) {
  std::vector<std::string> ev = FeedChunks({Stream()});
  ASSERT_EQ(ev.size(), 8u);
  EXPECT_EQ(ev[0], R"(text:{"event":"a"})");
  EXPECT_EQ(ev[1], "text:" + std::string(300, 'm'));
  EXPECT_EQ(ev[2], "binary:" + std::string(70000, 'b'));
  EXPECT_EQ(ev[3], "ping:hi");
  EXPECT_EQ(ev[4], "pong:p");
  EXPECT_EQ(ev[5], "text:frag-ment-ed");
  EXPECT_EQ(ev[6], "text:");
  EXPECT_EQ(ev[7], "close:4100:Over capacity");
}

TEST(ClientFrameReader, SameEventsUnderEveryTwoWaySplit) {
  std::string s = Stream();
  std::vector<std::string> whole = FeedChunks({s});
  for (size_t cut = 0; cut <= s.size(); cut += (cut < 400 || cut > s.size() - 400) ? 1 : 97) {
    ASSERT_EQ(FeedChunks({s.substr(0, cut), s.substr(cut)}), whole) << "cut at " << cut;
  }
}

TEST(ClientFrameReader, SameEventsFedByteByByte) {
  std::string s;
  s += Frame(Opcode::kText, std::string(300, 'q'));
  s += Frame(Opcode::kText, "ab", false);
  s += Frame(Opcode::kPing, "x");
  s += Frame(Opcode::kContinuation, "cd");
  s += Frame(Opcode::kClose, "");
  std::vector<std::string> chunks;
  for (char ch : s) chunks.emplace_back(1, ch);
  EXPECT_EQ(FeedChunks(chunks), FeedChunks({s}));
  EXPECT_EQ(FeedChunks(chunks).back(), "close:1005:");
}

TEST(ClientFrameReader, WholeFrameIsAViewIntoTheInput) {
  std::string s = Frame(Opcode::kText, "hello") + std::string(64, '\0');
  ClientFrameReader reader;
  Recorder rec;
  FrameReadResult r = reader.Consume(s.data(), s.size() - 64, &rec);
  ASSERT_EQ(r.error, nullptr);
  ASSERT_EQ(rec.views.size(), 1u);
  EXPECT_EQ(rec.views[0], s.data() + 2);
  EXPECT_TRUE(reader.idle());
}

TEST(ClientFrameReader, SinkCanStopParsing) {
  std::string s = Frame(Opcode::kText, "a") + Frame(Opcode::kText, "b");
  ClientFrameReader reader;
  Recorder rec;
  rec.stop_after = 1;
  FrameReadResult r = reader.Consume(s.data(), s.size(), &rec);
  EXPECT_EQ(r.error, nullptr);
  EXPECT_EQ(r.consumed, 3u);
  EXPECT_EQ(rec.events.size(), 1u);
}

std::string FirstError(const std::string& bytes, size_t limit = 1 << 20) {
  ClientFrameReader reader(limit);
  Recorder rec;
  std::string padded = bytes + std::string(64, '\0');
  FrameReadResult r = reader.Consume(padded.data(), bytes.size(), &rec);
  return r.error == nullptr ? "" : r.error;
}

TEST(ClientFrameReader, RejectsMaskedServerFrames) {
  std::string s;
  ws::AppendMaskedFrame(&s, Opcode::kText, "hi", 0x01020304);
  EXPECT_EQ(FirstError(s), "server frame is masked");
}

TEST(ClientFrameReader, RejectsProtocolViolations) {
  EXPECT_EQ(FirstError(std::string("\xC1\x00", 2)), "RSV bits set (no extension was negotiated)");
  EXPECT_EQ(FirstError(std::string("\x83\x00", 2)), "unknown opcode");
  EXPECT_EQ(FirstError(std::string("\x09\x00", 2)), "fragmented control frame");
  EXPECT_EQ(FirstError(std::string("\x89\x7E\x00\x7E", 4) + std::string(126, 'x')),
            "control frame over 125 bytes");
  EXPECT_EQ(FirstError(std::string("\x88\x01\x03", 3)), "close frame with a 1-byte payload");
  EXPECT_EQ(FirstError(Frame(Opcode::kContinuation, "x")),
            "continuation frame outside a fragmented message");
  EXPECT_EQ(FirstError(Frame(Opcode::kText, "a", false) + Frame(Opcode::kText, "b")),
            "new data frame inside a fragmented message");
  EXPECT_EQ(FirstError(std::string("\x81\x7F\x80\x00\x00\x00\x00\x00\x00\x01", 10)),
            "64-bit length with the top bit set");
  EXPECT_EQ(FirstError(Frame(Opcode::kText, std::string(2000, 'x')), 1000),
            "message over the size limit");
  EXPECT_EQ(FirstError(Frame(Opcode::kText, std::string(600, 'x'), false) +
                           Frame(Opcode::kContinuation, std::string(600, 'x')),
                       1000),
            "message over the size limit");
}

TEST(ClientFrameReader, IsIdleOnlyBetweenFrames) {
  std::string s = Frame(Opcode::kText, std::string(100, 'z'));
  ClientFrameReader reader;
  Recorder rec;
  std::string padded = s + std::string(64, '\0');
  ASSERT_EQ(reader.Consume(padded.data(), 50, &rec).error, nullptr);
  EXPECT_FALSE(reader.idle());
  std::string rest = s.substr(50) + std::string(64, '\0');
  ASSERT_EQ(reader.Consume(rest.data(), s.size() - 50, &rec).error, nullptr);
  EXPECT_TRUE(reader.idle());
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0], "text:" + std::string(100, 'z'));
}

}  // namespace
}  // namespace ringcast::bench
