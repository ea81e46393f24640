// Tests for src/auth/crypto: published vectors (RFC 4231, RFC 1321 folklore, RFC 6455, RFC 4648)
// and the properties callers rely on.
#include "auth/crypto.h"

#include <gtest/gtest.h>

#include <string>

namespace ringcast::auth {
namespace {

TEST(Crypto, HmacSha256MatchesRfc4231TestCase2) {
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Crypto, HmacSha256HashesKeysLongerThanOneBlock) {  // RFC 4231 test case 6
  const std::string key(131, '\xaa');
  EXPECT_EQ(HmacSha256Hex(key, "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(Crypto, HmacSha256RawMatchesHex) {
  const auto mac = HmacSha256("Jefe", "what do ya want for nothing?");
  EXPECT_EQ(HexLower(mac.data(), mac.size()),
            HmacSha256Hex("Jefe", "what do ya want for nothing?"));
  EXPECT_EQ(mac[0], 0x5b);
  EXPECT_EQ(mac[31], 0x43);
}

TEST(Crypto, Md5HexOfQuickBrownFox) {
  EXPECT_EQ(Md5Hex("The quick brown fox jumps over the lazy dog"),
            "9e107d9d372bb6826bd81d3542a419d6");
  EXPECT_EQ(Md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Md5Hex("{}"), "99914b932bd37a50b983c5e7c90ae93b");
}

TEST(Crypto, Sha1AndBase64GiveRfc6455AcceptValue) {
  const auto digest = Sha1("dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  EXPECT_EQ(HexLower(digest.data(), digest.size()), "b37a4f2cc0624f1690f64606cf385945b2bec4ea");
  EXPECT_EQ(
      Base64Encode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size())),
      "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(Crypto, Sha256HexOfAbc) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Crypto, HexLowerEncodesEveryByte) {
  const uint8_t bytes[] = {0x00, 0x0f, 0xa0, 0xff};
  EXPECT_EQ(HexLower(bytes, sizeof(bytes)), "000fa0ff");
  EXPECT_EQ(HexLower(bytes, 0), "");
}

TEST(Crypto, Base64EncodeMatchesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
}

TEST(Crypto, Base64DecodeRoundTripsBinary) {
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  std::string decoded;
  ASSERT_TRUE(Base64Decode(Base64Encode(binary), &decoded));
  EXPECT_EQ(decoded, binary);
  ASSERT_TRUE(Base64Decode("Zm9vYg==", &decoded));
  EXPECT_EQ(decoded, "foob");
  ASSERT_TRUE(Base64Decode("", &decoded));
  EXPECT_EQ(decoded, "");
}

TEST(Crypto, Base64DecodeRejectsMalformedInput) {
  std::string decoded = "stale";
  EXPECT_FALSE(Base64Decode("Zm9", &decoded));  // not a multiple of 4
  EXPECT_TRUE(decoded.empty());
  EXPECT_FALSE(Base64Decode("Zm9!", &decoded));    // bad character
  EXPECT_FALSE(Base64Decode("Zg=a", &decoded));    // data after padding
  EXPECT_FALSE(Base64Decode("Zm9v\n", &decoded));  // whitespace
  EXPECT_FALSE(Base64Decode("Zm-_", &decoded));    // URL-safe alphabet
}

TEST(Crypto, ConstantTimeEqualsComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_TRUE(ConstantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  EXPECT_FALSE(ConstantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

TEST(Crypto, RandomBytesAreNotConstant) {
  uint8_t a[32] = {};
  uint8_t b[32] = {};
  RandomBytes(a, sizeof(a));
  RandomBytes(b, sizeof(b));
  EXPECT_NE(HexLower(a, sizeof(a)), HexLower(b, sizeof(b)));
  EXPECT_NE(HexLower(a, sizeof(a)), std::string(64, '0'));
  RandomBytes(a, 0);                    // a zero-length request is allowed
  EXPECT_NE(RandomU64(), RandomU64());  // 2^-64 chance of a false failure
}

}  // namespace
}  // namespace ringcast::auth
