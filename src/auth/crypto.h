// Crypto primitives for signatures and handshakes: thin, allocation-light wrappers over BoringSSL.
//
// Owns nothing: every function is stateless and safe to call from any thread at the same time
// (BoringSSL's one-shot digests and RAND_bytes are thread-safe). Failures inside BoringSSL on
// valid arguments are broken invariants and abort (RC_CHECK); bad input from a peer is reported
// through return values (Base64Decode), never by aborting.
// Hex output is always lower-case. ConstantTimeEquals leaks only the lengths of its inputs, so
// callers compare fixed-length encodings (hex digests) when the length itself is secret.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast::auth {

// HMAC-SHA256 with a key of any length (RFC 2104, RFC 4231).
std::array<uint8_t, 32> HmacSha256(std::string_view key, std::string_view msg);
// Lower-case hex of HmacSha256 (64 characters).
std::string HmacSha256Hex(std::string_view key, std::string_view msg);

// Lower-case hex MD5 (32 characters). For Pusher's body_md5 only; not a security primitive.
std::string Md5Hex(std::string_view data);

// SHA-1 (RFC 3174). For the RFC 6455 Sec-WebSocket-Accept value only.
std::array<uint8_t, 20> Sha1(std::string_view data);

// Lower-case hex SHA-256 (64 characters).
std::string Sha256Hex(std::string_view data);

// Lower-case hex of |len| bytes at |data| (2 * len characters).
std::string HexLower(const uint8_t* data, size_t len);

// Standard base64 alphabet with '=' padding (RFC 4648 section 4).
std::string Base64Encode(std::string_view data);
// Decodes padded standard base64 into |*out|; no whitespace, no URL-safe alphabet. Returns false
// (leaving |*out| empty) on malformed input.
[[nodiscard]] bool Base64Decode(std::string_view encoded, std::string* out);

// True iff |a| and |b| are equal. The running time depends only on the lengths.
[[nodiscard]] bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Cryptographically secure random bytes (BoringSSL RAND_bytes).
void RandomBytes(uint8_t* out, size_t len);
uint64_t RandomU64();

}  // namespace ringcast::auth
