// The Impulse wire and push parser (src/protocols/impulse): the body is read as the broker's
// zod schema reads it (what is refused, as JSON or as body; last key wins; an empty token
// string filters nothing; a missing payload stays missing), the audience survives its trip
// through a publication's bytes and matches as the broker's routes/post.js does, and the
// record, comment and answers are the broker's bytes.
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"
#include "protocols/impulse/impulse_wire.h"
#include "protocols/impulse/push_request.h"

namespace ringcast::protocols::impulse {
namespace {

PushParse Parse(std::string_view body, PushRequest* out, std::string* details = nullptr) {
  static PushParser parser;
  std::string d;
  PushParse r = parser.Parse(body, 164, out, &d);
  if (details != nullptr) *details = d;
  return r;
}

TEST(ImpulsePushParser, ReadsChannelPayloadAndAudience) {
  PushRequest r;
  ASSERT_EQ(Parse(R"({"channel":"chat:message","payload":{ "a" : [1, 2.5, "x"] },
                     "audience":{"tokens":["t1","t2"],"topic":"room-42"},"extra":1})",
                  &r),
            PushParse::kOk);
  EXPECT_EQ(r.channel, "chat:message");
  EXPECT_EQ(r.payload, R"({"a":[1,2.5,"x"]})") << "minified onto one line";
  EXPECT_TRUE(r.audience.has_tokens);
  EXPECT_EQ(r.audience.tokens, (std::vector<std::string>{"t1", "t2"}));
  EXPECT_TRUE(r.audience.has_topic);
  EXPECT_EQ(r.audience.topic, "room-42");
  EXPECT_FALSE(r.audience.payload_absent);
}

TEST(ImpulsePushParser, RefusesWhatTheBrokerRefuses) {
  PushRequest r;
  std::string why;
  EXPECT_EQ(Parse("", &r), PushParse::kBadJson);
  EXPECT_EQ(Parse("{", &r), PushParse::kBadJson);
  EXPECT_EQ(Parse("[]", &r), PushParse::kBadBody) << "the batch is N POSTs (pushMany), no array";
  EXPECT_EQ(Parse("null", &r), PushParse::kBadBody);
  EXPECT_EQ(Parse(R"({"payload":1})", &r, &why), PushParse::kBadBody);
  EXPECT_NE(why.find("channel"), std::string::npos);
  EXPECT_EQ(Parse(R"({"channel":""})", &r), PushParse::kBadBody);
  EXPECT_EQ(Parse(R"({"channel":7})", &r), PushParse::kBadBody);
  EXPECT_EQ(Parse(R"({"channel":"c","audience":null})", &r), PushParse::kBadBody);
  EXPECT_EQ(Parse(R"({"channel":"c","audience":{"topic":""}})", &r), PushParse::kBadBody);
  EXPECT_EQ(Parse(R"({"channel":"c","audience":{"topic":null}})", &r), PushParse::kBadBody);
  EXPECT_EQ(Parse(R"({"channel":"c","audience":{"tokens":[1]}})", &r), PushParse::kBadBody);
  EXPECT_EQ(Parse(R"({"channel":"c","audience":{"tokens":{}}})", &r), PushParse::kBadBody);
  EXPECT_EQ(Parse(R"({"channel":"has space"})", &r), PushParse::kBadBody)
      << "ringcast's own rule: generic channel names only";
}

TEST(ImpulsePushParser, FollowsJavaScriptWhereTheSchemaIsLoose) {
  PushRequest r;
  ASSERT_EQ(Parse(R"({"channel":"a","channel":"b"})", &r), PushParse::kOk);
  EXPECT_EQ(r.channel, "b") << "JSON.parse keeps a key's last value";
  EXPECT_TRUE(r.audience.payload_absent);
  ASSERT_EQ(Parse(R"({"channel":"c","payload":null,"audience":{"tokens":""}})", &r),
            PushParse::kOk);
  EXPECT_EQ(r.payload, "null");
  EXPECT_FALSE(r.audience.payload_absent);
  EXPECT_FALSE(r.audience.has_tokens) << "an empty token string is falsy: no filter";
  ASSERT_EQ(Parse(R"({"channel":"c","audience":{"tokens":"one"}})", &r), PushParse::kOk);
  EXPECT_EQ(r.audience.tokens, (std::vector<std::string>{"one"}));
  ASSERT_EQ(Parse(R"({"channel":"c","audience":{"tokens":[]}})", &r), PushParse::kOk);
  EXPECT_TRUE(r.audience.has_tokens) << "an empty list is a filter nobody passes";
}

TEST(ImpulseWire, AudienceRoundTripsAndMatchesAsTheBroker) {
  wire::Audience a;
  EXPECT_EQ(wire::EncodeAudience(a), "") << "no audience: a plain publication for everyone";
  a.has_topic = true;
  a.topic = "room-1";
  a.has_tokens = true;
  a.tokens = {"zed", "amy", std::string("n\0ul", 4)};
  std::string bytes = wire::EncodeAudience(a);
  wire::AudienceView v;
  ASSERT_TRUE(wire::DecodeAudience(bytes, &v));
  EXPECT_TRUE(wire::Matches(v, "room-1", "amy"));
  EXPECT_TRUE(wire::Matches(v, "room-1", std::string_view("n\0ul", 4)));
  EXPECT_FALSE(wire::Matches(v, "room-2", "amy")) << "another topic";
  EXPECT_FALSE(wire::Matches(v, "", "amy")) << "no topic";
  EXPECT_FALSE(wire::Matches(v, "room-1", "bob")) << "a token not in the list";
  EXPECT_FALSE(wire::Matches(v, "room-1", "")) << "no token never matches a list";

  wire::Audience topic_only;
  topic_only.has_topic = true;
  topic_only.topic = "t";
  const std::string topic_bytes = wire::EncodeAudience(topic_only);  // v views into it
  ASSERT_TRUE(wire::DecodeAudience(topic_bytes, &v));
  EXPECT_TRUE(wire::Matches(v, "t", ""));
  EXPECT_TRUE(wire::Matches(v, "t", "any-token"));

  ASSERT_TRUE(wire::DecodeAudience("", &v));
  EXPECT_TRUE(wire::Matches(v, "", "")) << "no audience matches every stream";
  EXPECT_FALSE(wire::DecodeAudience(bytes.substr(0, bytes.size() - 1), &v)) << "truncated";
  EXPECT_FALSE(wire::DecodeAudience(bytes + "x", &v)) << "trailing bytes";
}

TEST(ImpulseWire, RecordsAndAnswersAreTheBrokersBytes) {
  std::string out;
  wire::AppendRecord(&out, "user:online", R"({"a":1})", false);
  EXPECT_EQ(out, "data: {\"channel\":\"user:online\",\"payload\":{\"a\":1}}\n\n");
  out.clear();
  wire::AppendRecord(&out, "c", "", true);
  EXPECT_EQ(out, "data: {\"channel\":\"c\"}\n\n") << "JSON.stringify drops an undefined payload";
  out.clear();
  wire::AppendSent(&out, 3, true);
  EXPECT_NE(out.find("\r\n\r\n{\"sent\":3}"), std::string::npos);
  out.clear();
  wire::AppendError(&out, 400, wire::kBadJson, false);
  EXPECT_NE(out.find("\r\n\r\n{\"error\":\"Invalid JSON body\"}"), std::string::npos);
  config::ImpulseConfig cfg;
  cfg.secret = "s";
  out.clear();
  wire::AppendStreamStart(&out, cfg, "news");
  EXPECT_NE(out.find("Content-Type: text/event-stream\r\n"), std::string::npos);
  EXPECT_NE(out.find("Access-Control-Allow-Origin: *\r\n"), std::string::npos);
  EXPECT_EQ(out.substr(out.find("\r\n\r\n") + 4), ": Connected to channel: news\n\n");
}

TEST(ImpulseWire, CorsFollowsTheConfig) {
  config::ImpulseConfig cfg;
  std::string out;
  wire::AppendPreflight(&out, cfg, true);
  EXPECT_EQ(out.substr(0, out.find("\r\n")), "HTTP/1.1 204 No Content");
  EXPECT_NE(out.find("Access-Control-Allow-Origin: *\r\n"), std::string::npos);
  EXPECT_NE(out.find("Access-Control-Allow-Headers: Authorization, Content-Type\r\n"),
            std::string::npos);
  EXPECT_NE(out.find("Access-Control-Allow-Methods: GET, POST, OPTIONS\r\n"), std::string::npos);
  EXPECT_EQ(out.find("Credentials"), std::string::npos) << "the broker's default: none";
  EXPECT_EQ(out.find("Content-Length"), std::string::npos) << "204 has no body";

  cfg.cors_origin = "https://app.example";
  cfg.cors_credentials = true;
  out.clear();
  wire::AppendCorsHeaders(&out, cfg);
  EXPECT_NE(out.find("Access-Control-Allow-Origin: https://app.example\r\n"), std::string::npos);
  EXPECT_NE(out.find("Vary: Origin\r\n"), std::string::npos);
  EXPECT_NE(out.find("Access-Control-Allow-Credentials: true\r\n"), std::string::npos);

  cfg.cors_origin = "";
  cfg.cors_credentials = false;
  out.clear();
  wire::AppendCorsHeaders(&out, cfg);
  EXPECT_EQ(out, "") << "an empty origin turns CORS headers off";
}

TEST(ImpulseWire, BearerAndEndpoint) {
  EXPECT_EQ(wire::CheckBearer("", "sec"), 401);
  EXPECT_EQ(wire::CheckBearer("Basic sec", "sec"), 401);
  EXPECT_EQ(wire::CheckBearer("bearer sec", "sec"), 401) << "the broker's check is case-sensitive";
  EXPECT_EQ(wire::CheckBearer("Bearer se", "sec"), 403);
  EXPECT_EQ(wire::CheckBearer("Bearer secx", "sec"), 403);
  EXPECT_EQ(wire::CheckBearer("Bearer sec", "sec"), 0);
  config::ImpulseConfig cfg;
  EXPECT_FALSE(wire::IsEndpoint(cfg, "/impulse")) << "off without a secret";
  cfg.secret = "s";
  EXPECT_TRUE(wire::IsEndpoint(cfg, "/impulse"));
  EXPECT_TRUE(wire::IsEndpoint(cfg, "/impulse/"));
  EXPECT_FALSE(wire::IsEndpoint(cfg, "/impulsex"));
  EXPECT_FALSE(wire::IsEndpoint(cfg, "/impulse/x"));
}

}  // namespace
}  // namespace ringcast::protocols::impulse
