// Tests for the bench's Socket.IO / Engine.IO v4 packets (tools/ringcast-bench/socketio_packet.h):
// every Engine.IO type digit, Socket.IO packets with and without namespace, ack id and binary
// attachment count, the event and ack arrays (string arguments unescaped, other JSON raw),
// the encoder's escaping, and rejection of malformed packets. The sample packets are the ones
// socket.io 4.8 (engine.io 6.6) sends, as documented in socket.io-protocol v5.
#include "ringcast-bench/socketio_packet.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace ringcast::bench {
namespace {

// A copy with simdjson's padding after it, as ClientFrameReader guarantees for its views.
struct Padded {
  explicit Padded(std::string_view s) : buf(s) {
    buf.resize(s.size() + simdjson::SIMDJSON_PADDING, ' ');
    view = std::string_view(buf.data(), s.size());
  }
  std::string buf;
  std::string_view view;
};

TEST(EngineIoPacket, ReadsEveryType) {
  EngineIoPacket p;
  ASSERT_EQ(ParseEngineIoPacket(R"(0{"sid":"abc","upgrades":[],"pingInterval":25000})", &p),
            nullptr);
  EXPECT_EQ(p.type, EioType::kOpen);
  EXPECT_EQ(p.data, R"({"sid":"abc","upgrades":[],"pingInterval":25000})");
  ASSERT_EQ(ParseEngineIoPacket("1", &p), nullptr);
  EXPECT_EQ(p.type, EioType::kClose);
  ASSERT_EQ(ParseEngineIoPacket("2", &p), nullptr);
  EXPECT_EQ(p.type, EioType::kPing);
  EXPECT_EQ(p.data, "");
  ASSERT_EQ(ParseEngineIoPacket("2probe", &p), nullptr);
  EXPECT_EQ(p.data, "probe");
  ASSERT_EQ(ParseEngineIoPacket("3", &p), nullptr);
  EXPECT_EQ(p.type, EioType::kPong);
  ASSERT_EQ(ParseEngineIoPacket(R"(42["bench","x"])", &p), nullptr);
  EXPECT_EQ(p.type, EioType::kMessage);
  EXPECT_EQ(p.data, R"(2["bench","x"])");
  ASSERT_EQ(ParseEngineIoPacket("5", &p), nullptr);
  EXPECT_EQ(p.type, EioType::kUpgrade);
  ASSERT_EQ(ParseEngineIoPacket("6", &p), nullptr);
  EXPECT_EQ(p.type, EioType::kNoop);
}

TEST(EngineIoPacket, RejectsEmptyAndUnknown) {
  EngineIoPacket p;
  EXPECT_NE(ParseEngineIoPacket("", &p), nullptr);
  EXPECT_NE(ParseEngineIoPacket("7", &p), nullptr);
  EXPECT_NE(ParseEngineIoPacket("x", &p), nullptr);
}

TEST(SocketIoPacket, ConnectAckWithSid) {
  SocketIoPacket p;
  ASSERT_EQ(ParseSocketIoPacket(R"(0{"sid":"wZX3oN0bSVIhsaknAAAI"})", &p), nullptr);
  EXPECT_EQ(p.type, SioType::kConnect);
  EXPECT_EQ(p.nsp, "/");
  EXPECT_EQ(p.ack_id, -1);
  EXPECT_EQ(p.payload, R"({"sid":"wZX3oN0bSVIhsaknAAAI"})");
  ASSERT_EQ(ParseSocketIoPacket("0", &p), nullptr);  // the client's "40" without payload
  EXPECT_EQ(p.payload, "");
}

TEST(SocketIoPacket, EventWithAndWithoutAckId) {
  SocketIoPacket p;
  ASSERT_EQ(ParseSocketIoPacket(R"(2["bench","rb1.0.0.1.2."])", &p), nullptr);
  EXPECT_EQ(p.type, SioType::kEvent);
  EXPECT_EQ(p.ack_id, -1);
  EXPECT_EQ(p.payload, R"(["bench","rb1.0.0.1.2."])");
  ASSERT_EQ(ParseSocketIoPacket(R"(2123["subscribe","bench-0"])", &p), nullptr);
  EXPECT_EQ(p.ack_id, 123);
  EXPECT_EQ(p.payload, R"(["subscribe","bench-0"])");
}

TEST(SocketIoPacket, NamespaceBeforeAckId) {
  SocketIoPacket p;
  ASSERT_EQ(ParseSocketIoPacket(R"(2/admin,456["project:delete",123])", &p), nullptr);
  EXPECT_EQ(p.nsp, "/admin");
  EXPECT_EQ(p.ack_id, 456);
  EXPECT_EQ(p.payload, R"(["project:delete",123])");
  ASSERT_EQ(ParseSocketIoPacket("1/admin,", &p), nullptr);
  EXPECT_EQ(p.type, SioType::kDisconnect);
  EXPECT_EQ(p.nsp, "/admin");
  ASSERT_EQ(ParseSocketIoPacket("0/admin", &p), nullptr);  // namespace ends the packet
  EXPECT_EQ(p.nsp, "/admin");
}

TEST(SocketIoPacket, AckNeedsAnIdAndAnArray) {
  SocketIoPacket p;
  ASSERT_EQ(ParseSocketIoPacket(R"(31["bench-0"])", &p), nullptr);
  EXPECT_EQ(p.type, SioType::kAck);
  EXPECT_EQ(p.ack_id, 1);
  EXPECT_EQ(p.payload, R"(["bench-0"])");
  EXPECT_NE(ParseSocketIoPacket(R"(3["bench-0"])", &p), nullptr);
  EXPECT_NE(ParseSocketIoPacket("31", &p), nullptr);
}

TEST(SocketIoPacket, BinaryAttachmentCount) {
  SocketIoPacket p;
  ASSERT_EQ(ParseSocketIoPacket(R"(51-["hello",{"_placeholder":true,"num":0}])", &p), nullptr);
  EXPECT_EQ(p.type, SioType::kBinaryEvent);
  EXPECT_EQ(p.attachments, 1u);
  EXPECT_EQ(p.payload, R"(["hello",{"_placeholder":true,"num":0}])");
  ASSERT_EQ(ParseSocketIoPacket(R"(62-/admin,456[{"_placeholder":true,"num":0}])", &p), nullptr);
  EXPECT_EQ(p.type, SioType::kBinaryAck);
  EXPECT_EQ(p.attachments, 2u);
  EXPECT_EQ(p.nsp, "/admin");
  EXPECT_EQ(p.ack_id, 456);
  EXPECT_NE(ParseSocketIoPacket(R"(5["x"])", &p), nullptr);   // no count
  EXPECT_NE(ParseSocketIoPacket(R"(51["x"])", &p), nullptr);  // no '-'
}

TEST(SocketIoPacket, RejectsMalformed) {
  SocketIoPacket p;
  EXPECT_NE(ParseSocketIoPacket("", &p), nullptr);
  EXPECT_NE(ParseSocketIoPacket("9", &p), nullptr);
  EXPECT_NE(ParseSocketIoPacket("2", &p), nullptr);                     // event without array
  EXPECT_NE(ParseSocketIoPacket(R"(2{"a":1})", &p), nullptr);           // event with an object
  EXPECT_NE(ParseSocketIoPacket(R"(0["x"])", &p), nullptr);             // connect with an array
  EXPECT_NE(ParseSocketIoPacket("21234567890123456[1]", &p), nullptr);  // absurd ack id
  EXPECT_EQ(ParseSocketIoPacket(R"(4{"message":"Not authorized"})", &p), nullptr);
  EXPECT_EQ(p.type, SioType::kConnectError);
}

TEST(SocketIoArgs, EventNameAndStringArgument) {
  SocketIoArgsParser parser;
  Padded in(R"(["bench","rb1.0.3.17.123456789.xxxx"])");
  PusherMessage m;
  ASSERT_EQ(parser.ParseEvent(in.view, &m), nullptr);
  EXPECT_EQ(m.event, "bench");
  EXPECT_TRUE(m.data_is_string);
  EXPECT_EQ(m.data, "rb1.0.3.17.123456789.xxxx");
}

TEST(SocketIoArgs, UnescapesStringsAndKeepsOtherJsonRaw) {
  SocketIoArgsParser parser;
  PusherMessage m;
  Padded esc(R"(["ev","a\"b\\c\u00e9"])");
  ASSERT_EQ(parser.ParseEvent(esc.view, &m), nullptr);
  EXPECT_EQ(m.data, "a\"b\\c\xc3\xa9");
  Padded obj(R"(["ev",{"k":[1,2]},"ignored"])");
  ASSERT_EQ(parser.ParseEvent(obj.view, &m), nullptr);
  EXPECT_FALSE(m.data_is_string);
  EXPECT_EQ(m.data, R"({"k":[1,2]})");
  Padded num(R"(["ev",42])");
  ASSERT_EQ(parser.ParseEvent(num.view, &m), nullptr);
  EXPECT_FALSE(m.data_is_string);
  EXPECT_EQ(m.data.substr(0, 2), "42");
  Padded none(R"(["ev"])");
  ASSERT_EQ(parser.ParseEvent(none.view, &m), nullptr);
  EXPECT_EQ(m.event, "ev");
  EXPECT_EQ(m.data, "");
}

TEST(SocketIoArgs, AckArgument) {
  SocketIoArgsParser parser;
  PusherMessage m;
  Padded in(R"(["bench-0"])");
  ASSERT_EQ(parser.ParseAck(in.view, &m), nullptr);
  EXPECT_EQ(m.event, "");
  EXPECT_TRUE(m.data_is_string);
  EXPECT_EQ(m.data, "bench-0");
  Padded empty("[]");
  ASSERT_EQ(parser.ParseAck(empty.view, &m), nullptr);
  EXPECT_FALSE(m.data_is_string);
}

TEST(SocketIoArgs, DialogueEnvelopeAndJoinAck) {
  SocketIoArgsParser parser;
  PusherMessage m;
  Padded ev(
      R"(["dialogue:event",{"event":"bench","roomId":"bench-3","data":"rb1.0.3.7.9.x\"","from":"system","timestamp":1}])");
  ASSERT_EQ(parser.ParseDialogue(ev.view, true, &m), nullptr);
  EXPECT_EQ(m.event, "bench");
  EXPECT_EQ(m.channel, "bench-3");
  EXPECT_TRUE(m.data_is_string);
  EXPECT_EQ(m.data, "rb1.0.3.7.9.x\"");
  Padded obj(R"(["dialogue:event",{"event":"e","roomId":"r","data":{"a":[1]}}])");
  ASSERT_EQ(parser.ParseDialogue(obj.view, true, &m), nullptr);
  EXPECT_FALSE(m.data_is_string);
  EXPECT_EQ(m.data, R"({"a":[1]})");
  Padded other(R"(["dialogue:joined",{"roomId":"r","roomName":"R"}])");
  ASSERT_EQ(parser.ParseDialogue(other.view, true, &m), nullptr);
  EXPECT_EQ(m.event, "dialogue:joined");
  EXPECT_EQ(m.channel, "r");
  Padded ack(R"([{"roomId":"bench-0","roomName":"bench-0"}])");
  ASSERT_EQ(parser.ParseDialogue(ack.view, false, &m), nullptr);
  EXPECT_EQ(m.channel, "bench-0");
  Padded refused(R"([{"code":"ROOM_NOT_FOUND","message":"no"}])");
  ASSERT_EQ(parser.ParseDialogue(refused.view, false, &m), nullptr);
  EXPECT_EQ(m.channel, "");
  Padded bad(R"({"x":1})");
  EXPECT_NE(parser.ParseDialogue(bad.view, true, &m), nullptr);
}

TEST(SocketIoArgs, RejectsNonArraysAndNamelessEvents) {
  SocketIoArgsParser parser;
  PusherMessage m;
  Padded obj(R"({"a":1})");
  EXPECT_NE(parser.ParseEvent(obj.view, &m), nullptr);
  Padded empty("[]");
  EXPECT_NE(parser.ParseEvent(empty.view, &m), nullptr);
  Padded num("[1,2]");
  EXPECT_NE(parser.ParseEvent(num.view, &m), nullptr);
  std::string_view padded = parser.Pad("not json");
  EXPECT_NE(parser.ParseEvent(padded, &m), nullptr);
}

TEST(SocketIoEncode, EventWithAckIdIsEscaped) {
  std::string out;
  AppendSocketIoEvent(&out, "subscribe", "bench-0", 1);
  EXPECT_EQ(out, R"(421["subscribe","bench-0"])");
  out.clear();
  AppendSocketIoEvent(&out, "e", "q\"x", -1);
  EXPECT_EQ(out, R"(42["e","q\"x"])");
  // What we send parses back.
  EngineIoPacket e;
  ASSERT_EQ(ParseEngineIoPacket(out, &e), nullptr);
  SocketIoPacket s;
  ASSERT_EQ(ParseSocketIoPacket(e.data, &s), nullptr);
  SocketIoArgsParser parser;
  PusherMessage m;
  ASSERT_EQ(parser.ParseEvent(parser.Pad(s.payload), &m), nullptr);
  EXPECT_EQ(m.event, "e");
  EXPECT_EQ(m.data, "q\"x");
}

}  // namespace
}  // namespace ringcast::bench
