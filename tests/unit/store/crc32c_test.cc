// CRC-32C against published check values (RFC 3720 B.4, leveldb crc32c_test) and the mask;
// the hardware path (when this CPU has one) against the portable table on random bytes.
#include "store/crc32c.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
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

TEST(Crc32cTest, PortableMatchesStandardCheckValues) {
  EXPECT_EQ(ExtendPortable(0, "123456789", 9), 0xe3069283u);
  std::string ones(32, '\xff');
  EXPECT_EQ(ExtendPortable(0, ones.data(), ones.size()), 0x62a8ab43u);
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// Every length 0..64 at every alignment 0..15, then long buffers: Extend (SSE4.2 where the
// CPU has it) must equal the table, from any starting CRC.
TEST(Crc32cTest, ExtendMatchesPortableAtEveryLengthAndAlignment) {
  std::printf("crc32c: %s\n", Accelerated() ? "SSE4.2 crc32 instruction" : "portable table");
  const std::string buf = RandomBytes(64 + 16, 1);
  for (size_t off = 0; off < 16; ++off) {
    for (size_t len = 0; len <= 64; ++len) {
      const char* p = buf.data() + off;
      ASSERT_EQ(Extend(0, p, len), ExtendPortable(0, p, len)) << off << " " << len;
      ASSERT_EQ(Extend(0xdeadbeefu, p, len), ExtendPortable(0xdeadbeefu, p, len))
          << off << " " << len;
    }
  }
  for (uint32_t seed = 2; seed < 22; ++seed) {
    const std::string big = RandomBytes(1000 + seed * 3331, seed);
    const uint32_t want = ExtendPortable(0, big.data(), big.size());
    EXPECT_EQ(Extend(0, big.data(), big.size()), want);
    // Any split point: Extend continues a CRC.
    const size_t cut = seed * 997 % big.size();
    EXPECT_EQ(Extend(Extend(0, big.data(), cut), big.data() + cut, big.size() - cut), want);
  }
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
