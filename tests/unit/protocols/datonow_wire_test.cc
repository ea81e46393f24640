// The Datonow socket wire (protocols/datonow/wire.h): frame shape, event-name mapping, data as
// a JSON value (raw when it is one JSON text, else a string), internal channels left out; the
// appKey client-message translation to Pusher's.
#include "protocols/datonow/wire.h"

#include <gtest/gtest.h>

#include <string>

namespace ringcast::protocols::datonow::wire {
namespace {

std::string Frame(std::string_view event, std::string_view channel, std::string_view data,
                  std::string_view user = {}) {
  simdjson::dom::parser v;
  std::string out;
  AppendFrame(&out, event, channel, data, user, &v);
  return out;
}

TEST(DatonowWire, FrameCarriesDataAsAJsonValue) {
  EXPECT_EQ(Frame("order", "orders", R"({"id":1})"),
            R"({"event":"order","channel":"orders","data":{"id":1}})");
  EXPECT_EQ(Frame("order", "orders", "hello"),
            R"({"event":"order","channel":"orders","data":"hello"})");
  EXPECT_EQ(Frame("order", "orders", ""), R"({"event":"order","channel":"orders","data":""})");
  EXPECT_EQ(Frame("order", "orders", "{\"a\":"),
            R"({"event":"order","channel":"orders","data":"{\"a\":"})");
  EXPECT_EQ(Frame("client-x", "private-a", "1", "u1"),
            R"({"event":"client-x","channel":"private-a","data":1,"user_id":"u1"})");
}

TEST(DatonowWire, ProtocolEventsAreRenamedAndInternalChannelsHidden) {
  EXPECT_EQ(Frame("pusher_internal:member_added", "presence-r", R"({"user_id":"b"})"),
            R"({"event":"datonow:member_added","channel":"presence-r","data":{"user_id":"b"}})");
  EXPECT_EQ(Frame("pusher:error", "", R"({"code":4200})"),
            R"({"event":"datonow:error","data":{"code":4200}})");
  EXPECT_EQ(Frame("datonow:notification", "#datonow-app", R"({"id":3})"),
            R"({"event":"datonow:notification","data":{"id":3}})");
}

TEST(DatonowWire, TranslatesClientMessagesToPusher) {
  ClientTranslator t;
  std::string out;
  EXPECT_EQ(
      t.Translate(R"({"event":"datonow:subscribe","data":{"channel":"a", "auth":"k:1"}})", &out),
      nullptr);
  EXPECT_EQ(out, R"({"event":"pusher:subscribe","data":{"channel":"a","auth":"k:1"}})");
  EXPECT_EQ(t.Translate(R"({"event":"datonow:ping"})", &out), nullptr);
  EXPECT_EQ(out, R"({"event":"pusher:ping"})");
  const std::string client = R"({"event":"client-t","channel":"private-a","data":{}})";
  EXPECT_EQ(t.Translate(client, &out), nullptr);
  EXPECT_EQ(out, client);
  EXPECT_STREQ(t.Translate(R"({"event":"pusher:subscribe","data":{}})", &out), "Unsupported event");
  EXPECT_STREQ(t.Translate(R"({"event":"datonow:notification"})", &out), "Unsupported event");
  EXPECT_STREQ(t.Translate("[1]", &out), "message must be a JSON object");
  EXPECT_STREQ(t.Translate("{", &out), "message is not valid JSON");
  EXPECT_STREQ(t.Translate(R"({"event":"datonow:subscribe","channel":3})", &out),
               "\"channel\" must be a string");
}

}  // namespace
}  // namespace ringcast::protocols::datonow::wire
