// Pusher HTTP API request signing (auth_version 1.0): build the string to sign, verify a
// request, and sign one for our own clients (tests, load generator, webhooks' callers).
//
// Owns no state; every function is pure and may be called from any thread at once.
// The caller (src/http, src/api) passes query parameters already split on '&'/'=' and
// percent-decoded, the path as the client signed it (/apps/{id}/..., deployment prefix
// stripped) and the raw body bytes. This file never parses URLs and never includes src/http.
//
// String to sign: METHOD "\n" PATH "\n" QUERY, where QUERY is every parameter except
// auth_signature, keys lower-cased, stably sorted by key, values of duplicate keys joined with
// ',' in arrival order, pairs "k=v" joined with '&', nothing escaped. This matches the `pusher`
// npm SDK (sorted, raw) and pusher-http-php (lower-cased, ksort'ed, arrays imploded with ',').
// Verification order: auth_key, auth_signature present, auth_version, auth_timestamp, then the
// HMAC-SHA256 signature in constant time (upper- or lower-case hex accepted), and only then
// body_md5 against the body. The signature covers the body_md5 parameter, so a forged request
// costs one HMAC and never an MD5 of its body; and everything up to the HMAC needs only the
// request head, so a server can refuse a forged request before reading its body
// (VerifyPusherSignature), then check the body once it has it (VerifyBodyMd5).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/query_param.h"

namespace ringcast::auth {

// The window the Pusher REST API allows between auth_timestamp and the server clock.
inline constexpr int64_t kMaxTimestampSkewSeconds = 600;

using util::QueryParam;  // the type http::ParseQuery produces

struct SignedRequest {
  std::string_view method;                          // e.g. "POST"
  std::string_view path;                            // e.g. "/apps/3/events", no query
  const std::vector<QueryParam>* params = nullptr;  // required (not null)
  std::string_view body;                            // raw body bytes, empty for GET
};

struct [[nodiscard]] VerifyResult {
  int status = 0;       // 0 ok; 401 bad or missing auth; 400 malformed
  std::string message;  // for the operator and the client; empty when ok
  bool ok() const { return status == 0; }
};

// Checks a Pusher-signed REST request against one app's credentials: VerifyPusherSignature,
// then VerifyBodyMd5. |now_unix_s| is the server's wall clock (util::WallSeconds()); the
// timestamp may be off by max_skew_s either way.
[[nodiscard]] VerifyResult VerifyPusherRequest(const SignedRequest& req, std::string_view app_key,
                                               std::string_view app_secret, int64_t now_unix_s,
                                               int64_t max_skew_s = kMaxTimestampSkewSeconds);

// The head-only part: every check up to and including the HMAC; req.body is not looked at.
[[nodiscard]] VerifyResult VerifyPusherSignature(const SignedRequest& req, std::string_view app_key,
                                                 std::string_view app_secret, int64_t now_unix_s,
                                                 int64_t max_skew_s = kMaxTimestampSkewSeconds);

// The body part, for a request whose signature was verified: body_md5 must be present when the
// body is not empty, and must be the MD5 of the body when present.
[[nodiscard]] VerifyResult VerifyBodyMd5(const std::vector<QueryParam>& params,
                                         std::string_view body);

// METHOD\nPATH\nk=v&... as described above. The method is upper-cased (ASCII).
std::string StringToSign(std::string_view method, std::string_view path,
                         const std::vector<QueryParam>& params);

// Signs a request as the Pusher SDKs do and returns the query string for its URL (no '?'):
// |params| plus auth_key, auth_timestamp, auth_version=1.0, body_md5 (when |body| is non-empty)
// and auth_signature last. Any reserved auth_* or body_md5 entries in |params| are replaced.
// Keys and values are percent-encoded (RFC 3986 unreserved characters kept), so the result
// verifies after the usual percent-decoding.
std::string SignedQuery(std::string_view method, std::string_view path,
                        std::vector<QueryParam> params, std::string_view body, std::string_view key,
                        std::string_view secret, int64_t now_unix_s);

}  // namespace ringcast::auth
