// CRC-32C against published check values (RFC 3720 B.4, leveldb crc32c_test) and the mask.
#include "store/crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace ringcast::store::crc32c {
namespace {

TEST(Crc32cTest, MatchesStandardCheckValues) {
  EXPECT_EQ(Value("123456789"), 0xe3069283u);
  std::string zeros(32, '\0');
  EXPECT_EQ(Value(zeros), 0x8a9136aau);
  std::string ones(32, '\xff');
  EXPECT_EQ(Value(ones), 0x62a8ab43u);
  std::string inc(32, '\0');
  for (int i = 0; i < 32; ++i) inc[i] = static_cast<char>(i);
  EXPECT_EQ(Value(inc), 0x46dd794eu);
}

TEST(Crc32cTest, ExtendEqualsWhole) {
  EXPECT_EQ(Value("hello world"), Extend(Value("hello "), "world", 5));
}

TEST(Crc32cTest, MaskRoundTripsAndChangesValue) {
  uint32_t crc = Value("foo");
  EXPECT_NE(crc, Mask(crc));
  EXPECT_NE(crc, Mask(Mask(crc)));
  EXPECT_EQ(crc, Unmask(Mask(crc)));
  EXPECT_EQ(crc, Unmask(Unmask(Mask(Mask(crc)))));
}

}  // namespace
}  // namespace ringcast::store::crc32c
