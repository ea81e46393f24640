// Socket.IO wire packets (protocols/socketio/packet.h): the examples of the Engine.IO v4 and
// Socket.IO v5 protocol documents decode to their fields and encode back; malformed headers and
// payloads that do not fit their type are refused.
#include "protocols/socketio/packet.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringcast::protocols::socketio {
namespace {

SioPacket Decode(std::string_view text) {
  SioPacket p;
  const char* error = DecodeSioPacket(text, &p);
  EXPECT_EQ(error, nullptr) << text;
  return p;
}

std::string Encode(const SioPacket& p) {
  std::string out;
  AppendSioPacket(&out, p);
  return out;
}

TEST(SocketIoPacket, ProtocolExamplesDecodeAndEncodeBack) {
  SioPacket p = Decode("0");
  EXPECT_EQ(p.type, SioType::kConnect);
  EXPECT_EQ(p.nsp, "/");
  EXPECT_EQ(p.data, "");
  p = Decode(R"(0/admin,{"token":"123"})");
  EXPECT_EQ(p.nsp, "/admin");
  EXPECT_EQ(p.data, R"({"token":"123"})");
  EXPECT_EQ(Encode(p), R"(0/admin,{"token":"123"})");
  p = Decode(R"(2["hello",1])");
  EXPECT_EQ(p.type, SioType::kEvent);
  EXPECT_FALSE(p.has_id);
  EXPECT_EQ(p.data, R"(["hello",1])");
  p = Decode(R"(2/admin,456["project:delete",123])");
  EXPECT_EQ(p.nsp, "/admin");
  EXPECT_TRUE(p.has_id);
  EXPECT_EQ(p.id, 456u);
  EXPECT_EQ(Encode(p), R"(2/admin,456["project:delete",123])");
  p = Decode("3/admin,456[]");
  EXPECT_EQ(p.type, SioType::kAck);
  EXPECT_EQ(p.id, 456u);
  p = Decode(R"(51-["hello",{"_placeholder":true,"num":0}])");
  EXPECT_EQ(p.type, SioType::kBinaryEvent);
  EXPECT_EQ(p.attachments, 1u);
  EXPECT_EQ(Encode(p), R"(51-["hello",{"_placeholder":true,"num":0}])");
  p = Decode(R"(4{"message":"Not authorized"})");
  EXPECT_EQ(p.type, SioType::kConnectError);
  p = Decode("1/admin,");
  EXPECT_EQ(p.type, SioType::kDisconnect);
  EXPECT_EQ(p.nsp, "/admin");
  EXPECT_EQ(Encode(p), "1/admin,");
  p = Decode(R"(2/,7["a"])");  // "/" written out: the same packet as without it
  EXPECT_EQ(Encode(p), R"(27["a"])");
}

TEST(SocketIoPacket, MalformedIsRefused) {
  SioPacket p;
  for (const char* bad : {"", "7", "x", "5[\"a\"]", "5-[\"a\"]", "5a-[\"a\"]", "511-[\"a\"]", "2",
                          "2{}", "2\"a\"", "1{}", "0[]", "3{}", "4", "4[]", "2/admin[\"a\"]",
                          "299999999999999999[\"a\"]", "29007199254740992[]"}) {
    EXPECT_NE(DecodeSioPacket(bad, &p), nullptr) << bad;
  }
  EXPECT_EQ(DecodeSioPacket("29007199254740991[]", &p), nullptr);  // the largest safe id
  EXPECT_NE(DecodeSioPacket("0/" + std::string(300, 'n') + ",", &p), nullptr);
}

TEST(EngineIoPacket, TypesPayloadsAndTheHandshake) {
  EioPacket e;
  ASSERT_TRUE(DecodeEioPacket("4hello", &e));
  EXPECT_EQ(e.type, EioType::kMessage);
  EXPECT_EQ(e.data, "hello");
  ASSERT_TRUE(DecodeEioPacket("2", &e));
  EXPECT_EQ(e.type, EioType::kPing);
  EXPECT_FALSE(DecodeEioPacket("", &e));
  EXPECT_FALSE(DecodeEioPacket("7", &e));
  EXPECT_EQ(SplitEioPayload("4hello\x1e"
                            "2\x1e"
                            "4"),
            (std::vector<std::string_view>{"4hello", "2", "4"}));
  EXPECT_TRUE(SplitEioPayload("").empty());
  std::string out;
  AppendEioPacket(&out, EioType::kOpen, EioOpenData("abc", true, 25000, 20000, 1000000));
  EXPECT_EQ(out,
            R"(0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,)"
            R"("maxPayload":1000000})");
}

TEST(EngineIoQuery, NeedsVersionFourAndAKnownTransport) {
  EioQuery q;
  EioError e = EioError::kForbidden;
  ASSERT_TRUE(ParseEioQuery("EIO=4&transport=websocket&t=x", &q, &e));
  EXPECT_EQ(q.transport, "websocket");
  EXPECT_EQ(q.sid, "");
  ASSERT_TRUE(ParseEioQuery("transport=polling&EIO=4&sid=a%2Eb&sid=other", &q, &e));
  EXPECT_EQ(q.sid, "a.b") << "the first sid, percent-decoded";
  EXPECT_FALSE(ParseEioQuery("EIO=3&transport=polling", &q, &e));
  EXPECT_EQ(e, EioError::kUnsupportedProtocolVersion);
  EXPECT_FALSE(ParseEioQuery("transport=polling", &q, &e));
  EXPECT_EQ(e, EioError::kUnsupportedProtocolVersion);
  EXPECT_FALSE(ParseEioQuery("EIO=4&transport=flash", &q, &e));
  EXPECT_EQ(e, EioError::kTransportUnknown);
  EXPECT_FALSE(ParseEioQuery("EIO=4", &q, &e));
  EXPECT_EQ(e, EioError::kTransportUnknown);
  EXPECT_FALSE(ParseEioQuery("EIO=4&transport=%zz", &q, &e));
  EXPECT_EQ(e, EioError::kBadRequest);
}

TEST(EngineIoQuery, ErrorsAreEngineIoJson) {
  std::string out;
  AppendEioErrorResponse(&out, EioError::kSessionIdUnknown, /*keep_alive=*/true);
  EXPECT_TRUE(out.starts_with("HTTP/1.1 400 ")) << out;
  EXPECT_TRUE(out.ends_with(R"({"code":1,"message":"Session ID unknown"})")) << out;
  out.clear();
  AppendEioErrorResponse(&out, EioError::kForbidden, /*keep_alive=*/false);
  EXPECT_TRUE(out.starts_with("HTTP/1.1 403 ")) << out;
  EXPECT_TRUE(out.ends_with(R"({"code":4,"message":"Forbidden"})")) << out;
}

}  // namespace
}  // namespace ringcast::protocols::socketio
