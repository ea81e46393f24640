// Tests for src/util/json_writer: escaping of every control character, quotes and backslashes,
// UTF-8 (and any other byte >= 0x20) passed through unchanged, integers at their limits, and the
// JsonObject builder's commas and key escaping.
#include "util/json_writer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace ringcast::util {
namespace {

std::string Escaped(std::string_view text) {
  std::string out;
  AppendJsonEscaped(&out, text);
  return out;
}

std::string Quoted(std::string_view text) {
  std::string out;
  AppendJsonString(&out, text);
  return out;
}

TEST(JsonWriter, QuotesAndBackslashesAreEscaped) {
  EXPECT_EQ(Quoted(R"(say "hi" \o/)"), R"("say \"hi\" \\o/")");
  EXPECT_EQ(Escaped("\""), "\\\"");
  EXPECT_EQ(Escaped("\\"), "\\\\");
  EXPECT_EQ(Escaped("\\\"\\"), "\\\\\\\"\\\\");
}

TEST(JsonWriter, ShortEscapesForNamedControlCharacters) {
  EXPECT_EQ(Escaped("\n"), "\\n");
  EXPECT_EQ(Escaped("\r"), "\\r");
  EXPECT_EQ(Escaped("\t"), "\\t");
  EXPECT_EQ(Escaped("\b"), "\\b");
  EXPECT_EQ(Escaped("\f"), "\\f");
}

TEST(JsonWriter, EveryOtherControlCharacterIsAUnicodeEscape) {
  static const char kHex[] = "0123456789abcdef";
  for (int c = 0; c < 0x20; ++c) {
    std::string expected;
    switch (c) {
      case '\n':
        expected = "\\n";
        break;
      case '\r':
        expected = "\\r";
        break;
      case '\t':
        expected = "\\t";
        break;
      case '\b':
        expected = "\\b";
        break;
      case '\f':
        expected = "\\f";
        break;
      default:
        expected = std::string("\\u00") + kHex[c >> 4] + kHex[c & 15];
    }
    EXPECT_EQ(Escaped(std::string(1, static_cast<char>(c))), expected) << "byte " << c;
  }
  EXPECT_EQ(Escaped(std::string_view("\0", 1)), "\\u0000");
  EXPECT_EQ(Escaped("\x1f"), "\\u001f");
  EXPECT_EQ(Escaped("\x1b[0m"), "\\u001b[0m");
}

TEST(JsonWriter, PrintableAsciiAndDelPassThrough) {
  std::string all;
  for (int c = 0x20; c <= 0x7f; ++c) {
    if (c != '"' && c != '\\') all.push_back(static_cast<char>(c));
  }
  EXPECT_EQ(Escaped(all), all);
}

TEST(JsonWriter, Utf8PassesThroughUnchanged) {
  const std::string text = "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80 \xE6\x97\xA5\xE6\x9C\xAC";
  EXPECT_EQ(Escaped(text), text);
  EXPECT_EQ(Quoted(text), "\"" + text + "\"");
  // Bytes that are not valid UTF-8 are not the writer's business either.
  EXPECT_EQ(Escaped("\xff\xfe\x80"), "\xff\xfe\x80");
}

TEST(JsonWriter, MixedRunsKeepTheirOrder) {
  EXPECT_EQ(Escaped("ab\ncd\"ef\\gh\x01ij"), "ab\\ncd\\\"ef\\\\gh\\u0001ij");
  EXPECT_EQ(Escaped("\n\n"), "\\n\\n");
  EXPECT_EQ(Escaped("x\n"), "x\\n");
  EXPECT_EQ(Escaped("\nx"), "\\nx");
  EXPECT_EQ(Escaped(""), "");
  EXPECT_EQ(Quoted(""), "\"\"");
}

TEST(JsonWriter, AppendsAfterExistingContent) {
  std::string out = "prefix:";
  AppendJsonString(&out, "a\tb");
  AppendJsonEscaped(&out, "\"");
  EXPECT_EQ(out, "prefix:\"a\\tb\"\\\"");
}

TEST(JsonWriter, IntegersAtTheirLimits) {
  std::string out;
  AppendInt(&out, 0);
  out.push_back(' ');
  AppendInt(&out, -1);
  out.push_back(' ');
  AppendInt(&out, std::numeric_limits<int64_t>::min());
  out.push_back(' ');
  AppendInt(&out, std::numeric_limits<int64_t>::max());
  out.push_back(' ');
  AppendUint(&out, std::numeric_limits<uint64_t>::max());
  out.push_back(' ');
  AppendUint(&out, 0);
  EXPECT_EQ(out, "0 -1 -9223372036854775808 9223372036854775807 18446744073709551615 0");
}

TEST(JsonObject, EmptyObject) {
  std::string out;
  JsonObject(&out).Close();
  EXPECT_EQ(out, "{}");
}

TEST(JsonObject, FieldsAreCommaSeparatedInOrder) {
  std::string out;
  JsonObject(&out)
      .Str("socket_id", "123.456")
      .Int("activity_timeout", 120)
      .Bool("ok", true)
      .Bool("no", false)
      .Int("neg", -7)
      .Raw("data", R"({"a":[1,2]})")
      .Close();
  EXPECT_EQ(out, R"({"socket_id":"123.456","activity_timeout":120,"ok":true,"no":false,"neg":-7,)"
                 R"("data":{"a":[1,2]}})");
}

TEST(JsonObject, KeysAndStringValuesAreEscaped) {
  std::string out;
  JsonObject(&out).Str("we\"ird\n", "va\\lue\x02").Close();
  EXPECT_EQ(out, R"({"we\"ird\n":"va\\lue\u0002"})");
}

TEST(JsonObject, KeyLetsTheCallerWriteTheValue) {
  std::string out = "[";
  JsonObject o(&out);
  o.Int("a", 1);
  std::string* value = o.Key("list");
  EXPECT_EQ(value, &out);
  value->append("[true]");
  o.Str("b", "");
  o.Close();
  out.push_back(']');
  EXPECT_EQ(out, R"([{"a":1,"list":[true],"b":""}])");
}

TEST(JsonObject, NestedObjectThroughKey) {
  std::string out;
  JsonObject outer(&out);
  JsonObject(outer.Key("inner")).Str("x", "y").Close();
  outer.Int("n", 2).Close();
  EXPECT_EQ(out, R"({"inner":{"x":"y"},"n":2})");
}

}  // namespace
}  // namespace ringcast::util
