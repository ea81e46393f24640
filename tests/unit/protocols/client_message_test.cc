// Tests for src/protocols/pusher/client_message: the messages pusher-js and other clients send
// (data as an object, as a double-encoded string, as a number or array), field order, escapes,
// missing and mistyped fields, garbage, and the pusher:subscribe data reader (object or string,
// auth null tolerated, channel_data for presence).
#include "protocols/pusher/client_message.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringcast::protocols::pusher {
namespace {

class ClientMessageTest : public ::testing::Test {
 protected:
  // Parses `text`; returns the error ("" on success).
  std::string Parse(const std::string& text) {
    const char* err = parser_.Parse(text, &msg_);
    return err == nullptr ? "" : err;
  }
  std::string Subscribe(const std::string& text) {
    std::string err = Parse(text);
    if (!err.empty()) return "outer: " + err;
    const char* e = parser_.ParseSubscribeData(msg_, &sub_);
    return e == nullptr ? "" : e;
  }

  ClientMessageParser parser_;
  ClientMessage msg_;
  SubscribeData sub_;
};

TEST_F(ClientMessageTest, PusherJsSubscribeWithObjectData) {
  ASSERT_EQ(Parse(R"({"event":"pusher:subscribe","data":{"auth":"","channel":"my-channel"}})"), "");
  EXPECT_EQ(msg_.event, "pusher:subscribe");
  EXPECT_EQ(msg_.channel, "");
  EXPECT_TRUE(msg_.has_data);
  EXPECT_FALSE(msg_.data_is_string);
  EXPECT_EQ(msg_.data, "") << "protocol events skip serializing their data";
  ASSERT_EQ(parser_.ParseSubscribeData(msg_, &sub_), nullptr);
  EXPECT_EQ(sub_.channel, "my-channel");
  EXPECT_EQ(sub_.auth, "");
  EXPECT_FALSE(sub_.has_channel_data);
}

TEST_F(ClientMessageTest, DoubleEncodedStringData) {
  ASSERT_EQ(Parse(R"({"event":"pusher:subscribe","data":"{\"channel\":\"private-x\",)"
                  R"(\"auth\":\"key:abc\"}"})"),
            "");
  EXPECT_TRUE(msg_.has_data);
  EXPECT_TRUE(msg_.data_is_string);
  EXPECT_EQ(msg_.data, R"({"channel":"private-x","auth":"key:abc"})");
  ASSERT_EQ(parser_.ParseSubscribeData(msg_, &sub_), nullptr);
  EXPECT_EQ(sub_.channel, "private-x");
  EXPECT_EQ(sub_.auth, "key:abc");
}

TEST_F(ClientMessageTest, ClientEventWithChannelAndStringData) {
  ASSERT_EQ(Parse(R"({"event":"client-typing","channel":"private-chat","data":"hello"})"), "");
  EXPECT_EQ(msg_.event, "client-typing");
  EXPECT_EQ(msg_.channel, "private-chat");
  EXPECT_TRUE(msg_.data_is_string);
  EXPECT_EQ(msg_.data, "hello");
}

TEST_F(ClientMessageTest, FieldsInAnyOrderAndExtraFieldsIgnored) {
  ASSERT_EQ(Parse(R"({"data":{"x":[1,2]},"extra":{"deep":[{}]},"channel":"c","event":"e"})"), "");
  EXPECT_EQ(msg_.event, "e");
  EXPECT_EQ(msg_.channel, "c");
  EXPECT_EQ(msg_.data, R"({"x":[1,2]})");
}

TEST_F(ClientMessageTest, WhitespaceAroundTokens) {
  ASSERT_EQ(Parse(" \n{ \"event\" : \"e\" ,\t\"data\" : { \"a\" : 1 }}\r\n"), "");
  EXPECT_EQ(msg_.event, "e");
  EXPECT_EQ(msg_.data, R"({"a":1})") << "non-string data is relayed minified";
}

// Non-string data is relayed as minified JSON: no stray whitespace from the sender.
TEST_F(ClientMessageTest, ObjectAndArrayDataCarryNoTrailingWhitespace) {
  ASSERT_EQ(Parse(R"({"event":"e","data":{"a":1}   })"), "");
  EXPECT_EQ(msg_.data, R"({"a":1})");
  ASSERT_EQ(Parse(R"({"event":"e","data":[1] ,"x":2})"), "");
  EXPECT_EQ(msg_.data, "[1]");
}

TEST_F(ClientMessageTest, NoDataAndNoChannel) {
  ASSERT_EQ(Parse(R"({"event":"pusher:ping"})"), "");
  EXPECT_EQ(msg_.event, "pusher:ping");
  EXPECT_FALSE(msg_.has_data);
  EXPECT_FALSE(msg_.data_is_string);
  EXPECT_EQ(msg_.data, "");
  EXPECT_EQ(msg_.channel, "");
}

TEST_F(ClientMessageTest, EscapedStringsAreDecoded) {
  ASSERT_EQ(Parse(R"({"event":"pusher:\u0073ubscribe","channel":"caf\u00e9",)"
                  R"("data":"line\nbreak \"quoted\" \\ \u00e9 \ud83d\ude00"})"),
            "");
  EXPECT_EQ(msg_.event, "pusher:subscribe");
  EXPECT_EQ(msg_.channel, "caf\xC3\xA9");
  EXPECT_EQ(msg_.data, "line\nbreak \"quoted\" \\ \xC3\xA9 \xF0\x9F\x98\x80");
}

TEST_F(ClientMessageTest, NumbersLiteralsAndArraysAsDataAreTheirJsonText) {
  ASSERT_EQ(Parse(R"({"event":"e","data":42})"), "");
  EXPECT_TRUE(msg_.has_data);
  EXPECT_FALSE(msg_.data_is_string);
  EXPECT_EQ(msg_.data, "42");
  ASSERT_EQ(Parse(R"({"event":"e","data":-1.5e3 })"), "");
  EXPECT_EQ(msg_.data, "-1500.0") << "numbers are re-serialized";
  ASSERT_EQ(Parse("{\"event\":\"e\",\"data\":true\n}"), "");
  EXPECT_EQ(msg_.data, "true");
  ASSERT_EQ(Parse(R"({"data":null,"event":"e"})"), "");
  EXPECT_TRUE(msg_.has_data);
  EXPECT_EQ(msg_.data, "null");
  ASSERT_EQ(Parse(R"({"event":"e","data":[1, "two", {"three":3}]})"), "");
  EXPECT_EQ(msg_.data, R"([1,"two",{"three":3}])");
  ASSERT_EQ(Parse(R"({"event":"e","data":""})"), "");
  EXPECT_TRUE(msg_.has_data);
  EXPECT_TRUE(msg_.data_is_string);
  EXPECT_EQ(msg_.data, "");
}

TEST_F(ClientMessageTest, MissingOrMistypedFields) {
  EXPECT_EQ(Parse(R"({"data":{}})"), "message has no \"event\"");
  EXPECT_EQ(Parse(R"({})"), "message has no \"event\"");
  EXPECT_EQ(Parse(R"({"event":1})"), "\"event\" must be a string");
  EXPECT_EQ(Parse(R"({"event":null})"), "\"event\" must be a string");
  EXPECT_EQ(Parse(R"({"event":{"a":1}})"), "\"event\" must be a string");
  EXPECT_EQ(Parse(R"({"event":"e","channel":5})"), "\"channel\" must be a string");
  EXPECT_EQ(Parse(R"({"event":"e","channel":["c"]})"), "\"channel\" must be a string");
}

TEST_F(ClientMessageTest, GarbageIsRefused) {
  EXPECT_EQ(Parse(""), "message is not JSON");
  EXPECT_EQ(Parse("   "), "message is not JSON");
  EXPECT_EQ(Parse("[1,2]"), "message must be a JSON object");
  EXPECT_EQ(Parse("\"event\""), "message must be a JSON object");
  EXPECT_EQ(Parse("42"), "message must be a JSON object");
  // Malformed input fails whatever the parser reached first; the text varies, a failure does not.
  EXPECT_EQ(Parse("not json"), "message is not valid JSON");
  EXPECT_EQ(Parse("{"), "message is not valid JSON");
  EXPECT_EQ(Parse(R"({"event":"e")"), "message is not valid JSON");
  EXPECT_EQ(Parse(R"({"event":"e"} trailing)"), "message is not valid JSON");
  EXPECT_EQ(Parse(R"({"event":"e",})"), "message is not valid JSON");
  EXPECT_EQ(Parse(R"({"event":"e","data":{"a":})"), "message is not valid JSON");
  EXPECT_EQ(Parse(R"({"event":"e","data":{"a":1})"), "message is not valid JSON");
  EXPECT_EQ(Parse(R"({"event":"unterminated)"), "message is not valid JSON");
  EXPECT_EQ(Parse(std::string("{\"event\":\"e\xff\"}")), "message is not valid UTF-8");
  EXPECT_EQ(Parse(R"({"event":"e","data":{"a" 1}})"), "message is not valid JSON");
}

// The whole message is validated, not only the fields the server reads: malformed data is never
// relayed to other subscribers.
TEST_F(ClientMessageTest, InvalidJsonAnywhereInTheMessageIsRefused) {
  EXPECT_NE(Parse(R"({"event":"e","data":tru})"), "");
  EXPECT_NE(Parse(R"({"event":"e","data":1.2.3})"), "");
  EXPECT_NE(Parse(R"({"event":"e","data":-})"), "");
  EXPECT_NE(Parse(R"({"event":"e","data":{"a":[1,,2]}})"), "");
  EXPECT_NE(Parse(R"({"event":"e","data":{"a":tru}})"), "");
  EXPECT_NE(Parse(R"({"event":"e","x":[1,,2]})"), "");
}

TEST_F(ClientMessageTest, ParserIsReusableAcrossMessagesOfAnySize) {
  std::string big =
      R"({"event":"client-big","channel":"private-c","data":")" + std::string(60000, 'x') + "\"}";
  ASSERT_EQ(Parse(big), "");
  EXPECT_EQ(msg_.data.size(), 60000u);
  ASSERT_EQ(Parse(R"({"event":"small","data":{"k":"v"}})"), "");
  EXPECT_EQ(msg_.event, "small");
  EXPECT_EQ(msg_.channel, "");
  EXPECT_EQ(msg_.data, R"({"k":"v"})");
  EXPECT_EQ(Parse("[]"), "message must be a JSON object");
  ASSERT_EQ(Parse(R"({"event":"again"})"), "");
  EXPECT_EQ(msg_.event, "again");
  EXPECT_FALSE(msg_.has_data);
}

TEST_F(ClientMessageTest, PresenceSubscribeWithChannelData) {
  ASSERT_EQ(Subscribe(R"({"event":"pusher:subscribe","data":{"auth":"key:sig",)"
                      R"("channel_data":"{\"user_id\":\"1\",\"user_info\":{\"n\":\"a\"}}",)"
                      R"("channel":"presence-room"}})"),
            "");
  EXPECT_EQ(sub_.channel, "presence-room");
  EXPECT_EQ(sub_.auth, "key:sig");
  EXPECT_TRUE(sub_.has_channel_data);
  EXPECT_EQ(sub_.channel_data, R"({"user_id":"1","user_info":{"n":"a"}})");
}

TEST_F(ClientMessageTest, SubscribeAuthNullIsTolerated) {
  ASSERT_EQ(Subscribe(R"({"event":"pusher:subscribe","data":{"channel":"c","auth":null}})"), "");
  EXPECT_EQ(sub_.channel, "c");
  EXPECT_EQ(sub_.auth, "");
}

TEST_F(ClientMessageTest, SubscribeDataErrors) {
  EXPECT_EQ(Subscribe(R"({"event":"pusher:subscribe"})"), "\"data\" is missing");
  EXPECT_EQ(Subscribe(R"({"event":"pusher:subscribe","data":[1]})"), "\"data\" must be an object");
  EXPECT_EQ(Subscribe(R"({"event":"pusher:subscribe","data":"[1]"})"),
            "\"data\" must be an object");
  EXPECT_EQ(Subscribe(R"({"event":"pusher:subscribe","data":42})"), "\"data\" must be an object");
  EXPECT_EQ(Subscribe(R"({"event":"pusher:subscribe","data":{}})"), "\"data.channel\" is missing");
  EXPECT_EQ(Subscribe(R"({"event":"pusher:subscribe","data":{"auth":"x"}})"),
            "\"data.channel\" is missing");
  EXPECT_EQ(Subscribe(R"({"event":"pusher:subscribe","data":{"channel":7}})"),
            "\"data.channel\" must be a string");
  EXPECT_EQ(Subscribe(R"({"event":"pusher:subscribe","data":{"channel":null}})"),
            "\"data.channel\" must be a string");
  EXPECT_EQ(Subscribe(R"({"event":"pusher:subscribe","data":{"channel":"c","auth":5}})"),
            "\"data.auth\" must be a string");
  EXPECT_EQ(Subscribe(R"({"event":"pusher:subscribe","data":{"channel":"c","channel_data":{}}})"),
            "\"data.channel_data\" must be a string");
  EXPECT_EQ(Subscribe(R"({"event":"pusher:subscribe","data":"{\"channel\":"})"),
            "\"data\" is not JSON");
  EXPECT_EQ(Subscribe(R"({"event":"pusher:subscribe","data":"not json"})"),
            "\"data\" is not JSON");
  EXPECT_EQ(Subscribe(R"({"event":"pusher:subscribe","data":""})"), "\"data\" is not JSON");
}

TEST_F(ClientMessageTest, SubscribeFieldsInAnyOrderWithEscapes) {
  ASSERT_EQ(Subscribe(R"({"data":{"channel_data":"{}","auth":"a\u003ab","channel":"c\u0068an"},)"
                      R"("event":"pusher:subscribe"})"),
            "");
  EXPECT_EQ(sub_.channel, "chan");
  EXPECT_EQ(sub_.auth, "a:b");
  EXPECT_EQ(sub_.channel_data, "{}");
}

TEST_F(ClientMessageTest, UnsubscribeUsesTheSameDataReader) {
  ASSERT_EQ(Subscribe(R"({"event":"pusher:unsubscribe","data":{"channel":"my-channel"}})"), "");
  EXPECT_EQ(msg_.event, "pusher:unsubscribe");
  EXPECT_EQ(sub_.channel, "my-channel");
}

// pusher:signin with user_data = `user_data` (a JSON text, sent as a string).
std::string SigninText(const std::string& user_data) {
  std::string quoted;
  for (char c : user_data) {
    if (c == '"' || c == '\\') quoted.push_back('\\');
    quoted.push_back(c);
  }
  return R"({"event":"pusher:signin","data":{"auth":"k:s","user_data":")" + quoted + R"("}})";
}

TEST_F(ClientMessageTest, SigninReadsTheWatchlistAndKeepsTheFirstHundred) {
  SigninData d;
  ASSERT_EQ(Parse(SigninText(R"({"id":"a","watchlist":["b","c"]})")), "");
  ASSERT_EQ(parser_.ParseSigninData(msg_, &d), nullptr);
  EXPECT_EQ(d.user_id, "a");
  EXPECT_EQ(d.watchlist, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(d.watchlist_ids, 2u);
  // Absent or null: none. Non-string and empty entries are skipped.
  ASSERT_EQ(Parse(SigninText(R"({"id":"a"})")), "");
  ASSERT_EQ(parser_.ParseSigninData(msg_, &d), nullptr);
  EXPECT_TRUE(d.watchlist.empty());
  ASSERT_EQ(Parse(SigninText(R"({"id":"a","watchlist":null})")), "");
  ASSERT_EQ(parser_.ParseSigninData(msg_, &d), nullptr);
  EXPECT_EQ(d.watchlist_ids, 0u);
  ASSERT_EQ(Parse(SigninText(R"({"id":"a","watchlist":[1,"",{"x":1},"z"]})")), "");
  ASSERT_EQ(parser_.ParseSigninData(msg_, &d), nullptr);
  EXPECT_EQ(d.watchlist, std::vector<std::string>{"z"});
  // More than 100: the first 100 kept, all counted.
  std::string many = R"({"id":"a","watchlist":[)";
  for (int i = 0; i < 150; ++i) many += (i ? ",\"u" : "\"u") + std::to_string(i) + "\"";
  many += "]}";
  ASSERT_EQ(Parse(SigninText(many)), "");
  ASSERT_EQ(parser_.ParseSigninData(msg_, &d), nullptr);
  EXPECT_EQ(d.watchlist_ids, 150u);
  ASSERT_EQ(d.watchlist.size(), 100u);
  EXPECT_EQ(d.watchlist.front(), "u0");
  EXPECT_EQ(d.watchlist.back(), "u99");
  // Not an array: the signin is malformed.
  ASSERT_EQ(Parse(SigninText(R"({"id":"a","watchlist":"b"})")), "");
  EXPECT_NE(parser_.ParseSigninData(msg_, &d), nullptr);
}

}  // namespace
}  // namespace ringcast::protocols::pusher
