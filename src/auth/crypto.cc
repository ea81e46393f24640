// Crypto primitives over BoringSSL; see crypto.h for the contract.
#include "auth/crypto.h"

#include <openssl/base64.h>
#include <openssl/digest.h>
#include <openssl/hmac.h>
#include <openssl/md5.h>
#include <openssl/mem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstring>

#include "util/log.h"

namespace ringcast::auth {
namespace {

const uint8_t* Bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

}  // namespace

std::array<uint8_t, 32> HmacSha256(std::string_view key, std::string_view msg) {
  std::array<uint8_t, 32> mac;
  unsigned int mac_len = 0;
  const uint8_t* ok =
      HMAC(EVP_sha256(), key.data(), key.size(), Bytes(msg), msg.size(), mac.data(), &mac_len);
  RC_CHECK(ok != nullptr && mac_len == mac.size());
  return mac;
}

std::string HmacSha256Hex(std::string_view key, std::string_view msg) {
  const std::array<uint8_t, 32> mac = HmacSha256(key, msg);
  return HexLower(mac.data(), mac.size());
}

std::string Md5Hex(std::string_view data) {
  uint8_t digest[MD5_DIGEST_LENGTH];
  MD5(Bytes(data), data.size(), digest);
  return HexLower(digest, sizeof(digest));
}

std::array<uint8_t, 20> Sha1(std::string_view data) {
  static_assert(SHA_DIGEST_LENGTH == 20);
  std::array<uint8_t, 20> digest;
  SHA1(Bytes(data), data.size(), digest.data());
  return digest;
}

std::string Sha256Hex(std::string_view data) {
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(Bytes(data), data.size(), digest);
  return HexLower(digest, sizeof(digest));
}

std::string HexLower(const uint8_t* data, size_t len) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(len * 2, '\0');
  for (size_t i = 0; i < len; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0x0f];
  }
  return out;
}

std::string Base64Encode(std::string_view data) {
  size_t encoded_len = 0;  // includes the trailing NUL that EVP_EncodeBlock writes
  RC_CHECK(EVP_EncodedLength(&encoded_len, data.size()) == 1);
  std::string out(encoded_len, '\0');
  const size_t written =
      EVP_EncodeBlock(reinterpret_cast<uint8_t*>(out.data()), Bytes(data), data.size());
  RC_CHECK(written + 1 == encoded_len);
  out.resize(written);
  return out;
}

bool Base64Decode(std::string_view encoded, std::string* out) {
  out->clear();
  size_t max_len = 0;
  if (EVP_DecodedLength(&max_len, encoded.size()) != 1) return false;
  out->resize(max_len);
  size_t len = 0;
  if (EVP_DecodeBase64(reinterpret_cast<uint8_t*>(out->data()), &len, max_len, Bytes(encoded),
                       encoded.size()) != 1) {
    out->clear();
    return false;
  }
  out->resize(len);
  return true;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void RandomBytes(uint8_t* out, size_t len) { RC_CHECK(RAND_bytes(out, len) == 1); }

uint64_t RandomU64() {
  uint8_t bytes[sizeof(uint64_t)];
  RandomBytes(bytes, sizeof(bytes));
  uint64_t value;
  std::memcpy(&value, bytes, sizeof(value));
  return value;
}

}  // namespace ringcast::auth
