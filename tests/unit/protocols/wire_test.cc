// Tests for src/protocols/pusher/wire and event_encoder: the one Pusher event builder gives
// exactly the protocol's shape (data always double encoded as a string, channel and user_id
// only when given, everything escaped), the protocol-version check gives the documented close
// codes, the app key is found in the WebSocket path, and the fan-out encoder wraps the event in
// one complete unmasked text frame with the minimal length encoding.
#include <gtest/gtest.h>

#include <string>

#include "engine/publication.h"
#include "protocols/pusher/event_encoder.h"
#include "protocols/pusher/wire.h"

namespace ringcast::protocols::pusher {
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

TEST(PusherWire, WatchlistEventsShapeLeavesEmptyListsOut) {
  std::string out;
  wire::AppendWatchlistEvents(&out, {"a", "b\""}, {"c"});
  EXPECT_EQ(out, R"({"events":[{"name":"online","user_ids":["a","b\""]},)"
                 R"({"name":"offline","user_ids":["c"]}]})");
  out.clear();
  wire::AppendWatchlistEvents(&out, {}, {"c"});
  EXPECT_EQ(out, R"({"events":[{"name":"offline","user_ids":["c"]}]})");
}

TEST(PusherWire, ChannelEventShape) {
  std::string out;
  wire::AppendEvent(&out, "my-event", "my-channel", R"({"x":1})");
  EXPECT_EQ(out, R"({"event":"my-event","channel":"my-channel","data":"{\"x\":1}"})");
}

TEST(PusherWire, ProtocolEventWithoutChannel) {
  std::string out = "prefix";
  wire::AppendEvent(&out, "pusher:pong", {}, "{}");
  EXPECT_EQ(out, R"(prefix{"event":"pusher:pong","data":"{}"})");
}

TEST(PusherWire, UserIdOnlyWhenGiven) {
  std::string out;
  wire::AppendEvent(&out, "client-typing", "presence-c", "hi", "user-1");
  EXPECT_EQ(out,
            R"({"event":"client-typing","channel":"presence-c","data":"hi","user_id":"user-1"})");
}

TEST(PusherWire, EverythingIsEscaped) {
  std::string out;
  wire::AppendEvent(&out, "ev\"il\n", "c\\h", "line\nquote\"");
  EXPECT_EQ(out, R"({"event":"ev\"il\n","channel":"c\\h","data":"line\nquote\""})");
}

TEST(PusherWire, PresencePayloads) {
  std::string s;
  wire::AppendPresenceData(&s, {{"1", "{\"name\":\"A\"}"}, {"u\"2", ""}});
  EXPECT_EQ(s,
            R"({"presence":{"ids":["1","u\"2"],"hash":{"1":{"name":"A"},"u\"2":null},"count":2}})");
  s.clear();
  wire::AppendPresenceData(&s, {});
  EXPECT_EQ(s, R"({"presence":{"ids":[],"hash":{},"count":0}})");
  s.clear();
  wire::AppendMemberAdded(&s, "7", "");
  EXPECT_EQ(s, R"({"user_id":"7","user_info":null})");
  s.clear();
  wire::AppendMemberRemoved(&s, "7");
  EXPECT_EQ(s, R"({"user_id":"7"})");
}

TEST(PusherWire, SubscriptionCount) {
  std::string s;
  wire::AppendSubscriptionCount(&s, 42);
  EXPECT_EQ(s, R"({"subscription_count":42})");
  EXPECT_EQ(wire::kSubscriptionCount, "pusher_internal:subscription_count");
}

TEST(PusherWire, ProtocolVersions) {
  std::string reason;
  EXPECT_EQ(wire::CheckProtocolVersion("7", &reason), 0);
  EXPECT_EQ(wire::CheckProtocolVersion("5", &reason), 0);
  EXPECT_EQ(wire::CheckProtocolVersion("", &reason), wire::kCloseNoVersion);
  EXPECT_EQ(reason, "No protocol version supplied");
  EXPECT_EQ(wire::CheckProtocolVersion("7a", &reason), wire::kCloseInvalidVersionFormat);
  EXPECT_EQ(wire::CheckProtocolVersion("-7", &reason), wire::kCloseUnsupportedVersion);
  EXPECT_EQ(wire::CheckProtocolVersion("8", &reason), wire::kCloseUnsupportedVersion);
  EXPECT_EQ(reason, "Unsupported protocol version 8");
  EXPECT_EQ(wire::CheckProtocolVersion("4", &reason), wire::kCloseUnsupportedVersion);
  EXPECT_EQ(wire::kCloseNoVersion, 4008);
  EXPECT_EQ(wire::kCloseInvalidVersionFormat, 4006);
  EXPECT_EQ(wire::kCloseUnsupportedVersion, 4007);
}

TEST(PusherWire, AppKeyFromPath) {
  std::string_view key;
  EXPECT_TRUE(wire::AppKeyFromPath("/app/abc", &key));
  EXPECT_EQ(key, "abc");
  EXPECT_TRUE(wire::AppKeyFromPath("/prefix/app/k2", &key));
  EXPECT_EQ(key, "k2");
  EXPECT_FALSE(wire::AppKeyFromPath("/app/", &key));
  EXPECT_FALSE(wire::AppKeyFromPath("/app/a/b", &key));
  EXPECT_FALSE(wire::AppKeyFromPath("/apps/1/events", &key));
}

std::string EncodeToString(const engine::PublicationView& pub) {
  PusherEventEncoder encoder;
  net::LocalFrame* frame = encoder.Encode(pub);
  EXPECT_EQ(frame->refs(), 1u);
  std::string bytes(frame->data(), frame->size());
  frame->Unref();
  return bytes;
}

TEST(PusherEventEncoder, OneUnmaskedTextFrameWithTheEventJson) {
  engine::PublicationView pub;
  pub.channel = "news";
  pub.event = "e";
  pub.data = "hi";
  pub.sequence = 9;
  std::string frame = EncodeToString(pub);
  std::string json = R"({"event":"e","channel":"news","data":"hi"})";
  ASSERT_EQ(frame.size(), 2 + json.size());
  EXPECT_EQ(Hex(frame.substr(0, 2)), "81" + Hex(std::string(1, static_cast<char>(json.size()))));
  EXPECT_EQ(frame.substr(2), json);
}

TEST(PusherEventEncoder, LengthEncodingAtTheBoundaries) {
  engine::PublicationView pub;
  pub.channel = "c";
  pub.event = "e";
  // {"event":"e","channel":"c","data":""} is 37 bytes: pick data sizes around 125 and 65535.
  const size_t overhead = 37;
  std::string small(125 - overhead, 'a');
  pub.data = small;
  EXPECT_EQ(Hex(EncodeToString(pub).substr(0, 2)), "817d");
  std::string mid(126 - overhead, 'b');
  pub.data = mid;
  EXPECT_EQ(Hex(EncodeToString(pub).substr(0, 4)), "817e007e");
  std::string big(65536 - overhead, 'c');
  pub.data = big;
  std::string frame = EncodeToString(pub);
  EXPECT_EQ(Hex(frame.substr(0, 10)), "817f0000000000010000");
  EXPECT_EQ(frame.size(), 65546u);
}

}  // namespace
}  // namespace ringcast::protocols::pusher
