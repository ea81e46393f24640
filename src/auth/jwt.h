// JSON Web Tokens signed with HS256 (RFC 7519, RFC 7515 compact serialization): the signature
// check; the caller reads the decoded header and claims (JSON) itself (Dialogue's jwt_secret,
// docs/protocols/dialogue.md). The signature is compared in constant time over its 32 bytes.
// Stateless, any thread.
#pragma once

#include <string>
#include <string_view>

namespace ringcast::auth {

// Tokens longer than this are refused before any work.
inline constexpr size_t kMaxJwtBytes = 8192;

// Checks `token`'s HMAC-SHA256 signature with `secret` and decodes its header and claims into
// `header` and `claims` (JSON text, not checked). Null when the signature holds, else why not
// (malformed, or a bad signature). The header's "alg" is the caller's to check (HS256 only).
const char* VerifyJwtHs256(std::string_view token, std::string_view secret, std::string* header,
                           std::string* claims);

// A compact HS256 token of `header` and `claims` (JSON texts, taken as given), signed with
// `secret` (the DontCode realtime tokens, apps/dontcode/realtime_token.h).
std::string SignJwtHs256(std::string_view header, std::string_view claims, std::string_view secret);

// Encodes base64url without padding (RFC 4648 section 5).
std::string Base64UrlEncode(std::string_view data);

// Decodes base64url without padding (RFC 4648 section 5), as JWTs use it. False when malformed.
[[nodiscard]] bool Base64UrlDecode(std::string_view encoded, std::string* out);

}  // namespace ringcast::auth
