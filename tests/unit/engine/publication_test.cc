// Tests for src/engine/publication: a built publication reads back field for field, its frame is
// a complete unmasked WebSocket text frame with the minimal length encoding (125, 126 and 65536
// byte payloads), it carries the reference count asked for, and the channel-event JSON is
// exactly Pusher's shape.
#include "engine/publication.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast::engine {
namespace {

std::string Hex(std::string_view bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

TEST(Publication, ReadsBackWhatWasBuilt) {
  const std::string json = R"({"event":"e","channel":"news","data":"hi"})";
  runtime::SharedBuf* buf = BuildPublication(3, "news", json, 2, 77, 5);
  EXPECT_EQ(buf->refs_for_test(), 5u);
  PublicationView v = ReadPublication(buf);
  EXPECT_EQ(v.app, 3u);
  EXPECT_EQ(v.channel, "news");
  EXPECT_EQ(v.exclude_shard, 2u);
  EXPECT_EQ(v.exclude_serial, 77u);
  ASSERT_EQ(v.ws_frame.size(), 2 + json.size());
  EXPECT_EQ(static_cast<uint8_t>(v.ws_frame[0]), 0x81);         // FIN + text
  EXPECT_EQ(static_cast<uint8_t>(v.ws_frame[1]), json.size());  // no mask bit
  EXPECT_EQ(v.ws_frame.substr(2), json);
  // The views point into the shared buffer itself (zero copy for every shard).
  EXPECT_GE(v.ws_frame.data(), buf->data());
  EXPECT_LE(v.ws_frame.data() + v.ws_frame.size(), buf->data() + buf->size());
  for (int i = 0; i < 5; ++i) buf->Release();
}

TEST(Publication, NoExclusionAndEmptyChannel) {
  runtime::SharedBuf* buf = BuildPublication(0, "", "{}", kNoShard, 0, 1);
  PublicationView v = ReadPublication(buf);
  EXPECT_EQ(v.channel, "");
  EXPECT_EQ(v.exclude_shard, kNoShard);
  EXPECT_EQ(v.exclude_serial, 0u);
  EXPECT_EQ(Hex(v.ws_frame), "81027b7d");
  buf->Release();
}

TEST(Publication, FrameHeaderFor125BytesIsTwoBytes) {
  std::string payload(125, 'a');
  runtime::SharedBuf* buf = BuildPublication(0, "c", payload, kNoShard, 0, 1);
  PublicationView v = ReadPublication(buf);
  ASSERT_EQ(v.ws_frame.size(), 127u);
  EXPECT_EQ(Hex(v.ws_frame.substr(0, 2)), "817d");
  EXPECT_EQ(v.ws_frame.substr(2), payload);
  buf->Release();
}

TEST(Publication, FrameHeaderFor126BytesUsesSixteenBitLength) {
  std::string payload(126, 'b');
  runtime::SharedBuf* buf = BuildPublication(0, "c", payload, kNoShard, 0, 1);
  PublicationView v = ReadPublication(buf);
  ASSERT_EQ(v.ws_frame.size(), 130u);
  EXPECT_EQ(Hex(v.ws_frame.substr(0, 4)), "817e007e");
  EXPECT_EQ(v.ws_frame.substr(4), payload);
  buf->Release();
}

TEST(Publication, FrameHeaderFor65535BytesStillSixteenBit) {
  std::string payload(65535, 'c');
  runtime::SharedBuf* buf = BuildPublication(0, "c", payload, kNoShard, 0, 1);
  PublicationView v = ReadPublication(buf);
  ASSERT_EQ(v.ws_frame.size(), 65539u);
  EXPECT_EQ(Hex(v.ws_frame.substr(0, 4)), "817effff");
  buf->Release();
}

TEST(Publication, FrameHeaderFor65536BytesUsesSixtyFourBitLength) {
  std::string payload(65536, 'd');
  payload.back() = 'z';
  runtime::SharedBuf* buf = BuildPublication(1, "big-channel", payload, 4, 5, 2);
  PublicationView v = ReadPublication(buf);
  ASSERT_EQ(v.ws_frame.size(), 65546u);
  EXPECT_EQ(Hex(v.ws_frame.substr(0, 10)), "817f0000000000010000");
  EXPECT_TRUE(v.ws_frame.substr(10) == payload);
  EXPECT_EQ(v.channel, "big-channel");
  EXPECT_EQ(v.app, 1u);
  buf->Release();
  buf->Release();
}

TEST(ChannelEventJson, PusherShapeWithEscapedDataAsAString) {
  std::string out;
  AppendChannelEventJson(&out, "my-event", "my-channel", R"({\"x\":1})");
  EXPECT_EQ(out, R"({"event":"my-event","channel":"my-channel","data":"{\"x\":1}"})");
}

TEST(ChannelEventJson, UserIdOnlyWhenGiven) {
  std::string out;
  AppendChannelEventJson(&out, "client-typing", "private-c", "hi", "user-1");
  EXPECT_EQ(out,
            R"({"event":"client-typing","channel":"private-c","data":"hi","user_id":"user-1"})");
}

TEST(ChannelEventJson, EventAndChannelAreEscapedDataIsTakenAsIs) {
  std::string out = "prefix";
  AppendChannelEventJson(&out, "ev\"il\n", "c\\h", "already\\nescaped");
  EXPECT_EQ(out, R"(prefix{"event":"ev\"il\n","channel":"c\\h","data":"already\nescaped"})");
}

}  // namespace
}  // namespace ringcast::engine
