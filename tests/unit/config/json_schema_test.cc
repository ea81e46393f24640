#include "config/json_schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace ringcast::config {
namespace {

using ::testing::HasSubstr;

// Validates `json` against `schema` (both JSON texts); "" when valid.
std::string Check(const char* schema, const char* json) {
  JsonSchema s;
  std::string err = JsonSchema::Compile(schema, &s);
  EXPECT_EQ(err, "") << schema;
  simdjson::dom::parser parser;
  simdjson::padded_string padded{std::string(json)};
  simdjson::dom::element value;
  EXPECT_EQ(parser.parse(padded).get(value), simdjson::SUCCESS) << json;
  return s.Validate(value);
}

TEST(JsonSchema, TheIssueExampleAcceptsAndRefuses) {
  const char* message = R"({"type":"object","required":["text","senderId"],
    "properties":{"text":{"type":"string","minLength":1,"maxLength":10},
                  "senderId":{"type":"string"}}})";
  EXPECT_EQ(Check(message, R"({"text":"hi","senderId":"u1"})"), "");
  EXPECT_EQ(Check(message, R"({"text":"hi","senderId":"u1","extra":[1]})"), "")
      << "other properties are allowed unless additionalProperties is false";
  EXPECT_THAT(Check(message, R"({"text":"hi"})"), HasSubstr("\"senderId\" is required"));
  EXPECT_THAT(Check(message, R"({"text":"","senderId":"u"})"), HasSubstr("data.text: shorter"));
  EXPECT_THAT(Check(message, R"({"text":"0123456789a","senderId":"u"})"),
              HasSubstr("data.text: longer than 10"));
  EXPECT_EQ(Check(message, R"({"text":"ééééééééé","senderId":"u"})"), "")
      << "lengths count characters, not bytes";
  EXPECT_THAT(Check(message, R"({"text":5,"senderId":"u"})"),
              HasSubstr("data.text: expected string, got a number"));
  EXPECT_THAT(Check(message, R"("text")"), HasSubstr("data: expected object, got a string"));
}

TEST(JsonSchema, NumbersIntegersEnumsArraysAndAdditionalProperties) {
  EXPECT_EQ(Check(R"({"type":"integer","minimum":1,"maximum":3})", "2"), "");
  EXPECT_EQ(Check(R"({"type":"integer"})", "2.0"), "") << "2.0 is an integer in JSON Schema";
  EXPECT_THAT(Check(R"({"type":"integer"})", "2.5"), HasSubstr("expected integer"));
  EXPECT_THAT(Check(R"({"type":"number","minimum":1})", "0.5"), HasSubstr("below the minimum"));
  EXPECT_THAT(Check(R"({"type":"number","exclusiveMaximum":1})", "1"), HasSubstr("not below"));
  EXPECT_EQ(Check(R"({"type":["string","null"]})", "null"), "");
  EXPECT_EQ(Check(R"({"enum":["a",{"b":1},3]})", R"({ "b" : 1 })"), "");
  EXPECT_THAT(Check(R"({"enum":["a","b"]})", R"("c")"), HasSubstr("allowed values"));
  const char* list = R"({"type":"array","minItems":1,"maxItems":2,"items":{"type":"string"}})";
  EXPECT_EQ(Check(list, R"(["x"])"), "");
  EXPECT_THAT(Check(list, "[]"), HasSubstr("too few"));
  EXPECT_THAT(Check(list, R"(["a","b","c"])"), HasSubstr("too many"));
  EXPECT_THAT(Check(list, R"(["a",1])"), HasSubstr("data[1]: expected string"));
  const char* closed = R"({"type":"object","properties":{"a":{}},"additionalProperties":false})";
  EXPECT_EQ(Check(closed, R"({"a":[1,{}]})"), "");
  EXPECT_THAT(Check(closed, R"({"a":1,"b":2})"), HasSubstr("data.b: not an allowed property"));
  const char* typed = R"({"type":"object","additionalProperties":{"type":"boolean"}})";
  EXPECT_THAT(Check(typed, R"({"x":true,"y":1})"), HasSubstr("data.y: expected boolean"));
  EXPECT_EQ(Check(R"({"title":"anything","description":"goes"})", R"({"x":[null]})"), "");
}

TEST(JsonSchema, RefusesWhatTheSubsetDoesNotHave) {
  JsonSchema s;
  EXPECT_THAT(JsonSchema::Compile(R"({"type":"object","pattern":"^a"})", &s),
              HasSubstr("unsupported schema keyword \"pattern\""));
  EXPECT_THAT(JsonSchema::Compile(R"({"type":"strin"})", &s), HasSubstr("unknown type"));
  EXPECT_THAT(JsonSchema::Compile(R"({"properties":{"a":{"oneOf":[]}}})", &s),
              HasSubstr("properties.a: unsupported"));
  EXPECT_THAT(JsonSchema::Compile(R"({"minLength":-1})", &s), HasSubstr("count"));
  EXPECT_THAT(JsonSchema::Compile(R"([1])", &s), HasSubstr("must be an object"));
  EXPECT_THAT(JsonSchema::Compile(R"({"required":"a"})", &s), HasSubstr("list of names"));
  std::string deep = "{}";
  for (int i = 0; i < 40; ++i) deep = R"({"items":)" + deep + "}";
  EXPECT_THAT(JsonSchema::Compile(deep, &s), HasSubstr("too deep"));
}

}  // namespace
}  // namespace ringcast::config
