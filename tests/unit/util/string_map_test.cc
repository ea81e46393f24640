// Tests for src/util/string_map.h: lookups by string_view find keys stored as std::string
// (heterogeneous lookup), including views into a larger buffer and keys with NUL bytes.
#include "util/string_map.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace ringcast::util {
namespace {

TEST(StringMap, FindsStringKeysByStringView) {
  StringMap<int> map;
  map.emplace("presence-room", 1);
  map.emplace(std::string("a\0b", 3), 2);

  const std::string frame = R"({"channel":"presence-room"})";
  const std::string_view name = std::string_view(frame).substr(12, 13);
  ASSERT_EQ(name, "presence-room");
  auto it = map.find(name);
  ASSERT_NE(it, map.end());
  EXPECT_EQ(it->second, 1);

  EXPECT_EQ(map.find(std::string_view("a\0b", 3))->second, 2);
  EXPECT_EQ(map.find(std::string_view("a")), map.end());
  EXPECT_EQ(map.find(std::string_view("presence-roo")), map.end());
  EXPECT_TRUE(map.contains(std::string_view("presence-room")));
  EXPECT_EQ(StringHash()(std::string_view("x")), StringHash()(std::string("x")));
}

}  // namespace
}  // namespace ringcast::util
