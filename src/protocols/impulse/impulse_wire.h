// The Impulse broker's wire (@impulselab/realtime-service 0.1.1; docs/protocols/impulse.md):
// everything ringcast must say byte for byte as the broker does, in one place.
//   - the audience of a push ({tokens, topic}) as the opaque bytes a publication carries
//     (engine::PublicationView::audience), and the broker's matching rule;
//   - the stream's record `data: {"channel":C,"payload":P}\n\n`, its connect and heartbeat
//     comments, its response head and CORS headers;
//   - the JSON answers ({"error": ...}, {"sent": N}) and the preflight.
// Pure functions, any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::config {
struct ImpulseConfig;
}  // namespace ringcast::config

namespace ringcast::protocols::impulse::wire {

// Who a push is for. Broker rule (routes/post.js): with a topic, only streams opened with that
// topic; with tokens (a string or an array; an empty string means none), only streams opened
// with a token in the list. A stream without a token never matches a token list.
struct Audience {
  bool has_topic = false;
  std::string topic;
  bool has_tokens = false;
  std::vector<std::string> tokens;
  bool payload_absent = false;  // the push had no "payload" key: the record has none either
};

// The bytes of `a` for PublicationView::audience; "" when it restricts nothing and the payload
// is present (then every subscriber of the channel, any protocol, receives the push).
std::string EncodeAudience(const Audience& a);

// A decoded audience, viewing the encoded bytes (valid while they are). Tokens sorted.
struct AudienceView {
  bool has_topic = false;
  std::string_view topic;
  bool has_tokens = false;
  std::vector<std::string_view> tokens;
  bool payload_absent = false;
};
// False when `bytes` is not EncodeAudience's output (then nobody matches).
[[nodiscard]] bool DecodeAudience(std::string_view bytes, AudienceView* out);
// Whether a stream opened with `topic` and `token` ("": none) receives a push for `a`.
bool Matches(const AudienceView& a, std::string_view topic, std::string_view token);

// The record of one push: "data: " + {"channel":C,"payload":P} + "\n\n". `payload_json` is
// one line of JSON (or ignored when `payload_absent`).
void AppendRecord(std::string* out, std::string_view channel, std::string_view payload_json,
                  bool payload_absent);

// CORS header lines of the stream and the preflight (the broker's three, with the configured
// origin and credentials); nothing when cors_origin is "".
void AppendCorsHeaders(std::string* out, const config::ImpulseConfig& cfg);
// The stream's response head (200 text/event-stream, no caching, then the connect comment).
void AppendStreamStart(std::string* out, const config::ImpulseConfig& cfg,
                       std::string_view channel);
inline constexpr std::string_view kHeartbeat = ": heartbeat\n\n";
// OPTIONS: 204 with the CORS headers.
void AppendPreflight(std::string* out, const config::ImpulseConfig& cfg, bool keep_alive);
// An application/json answer `body`.
void AppendJson(std::string* out, int status, std::string_view body, bool keep_alive);
// {"error": message} (and "details" when non-empty).
void AppendError(std::string* out, int status, std::string_view message, bool keep_alive,
                 std::string_view details = {});
// 200 {"sent":N}.
void AppendSent(std::string* out, uint64_t sent, bool keep_alive);

// The broker's messages.
inline constexpr std::string_view kNoChannel = "channel query parameter is required";
inline constexpr std::string_view kNoAuth = "Authorization header required";
inline constexpr std::string_view kBadToken = "Invalid token";
inline constexpr std::string_view kBadJson = "Invalid JSON body";
inline constexpr std::string_view kBadBody = "Invalid request body";
inline constexpr std::string_view kBadMethod = "Method not allowed";

// Whether `path` is the endpoint: the prefix, or the prefix and '/'.
bool IsEndpoint(const config::ImpulseConfig& cfg, std::string_view path);

// The Authorization check of POST: 0 when allowed, else 401 (missing, or not "Bearer ...") or
// 403 (another token; compared in constant time).
int CheckBearer(std::string_view authorization, std::string_view secret);

}  // namespace ringcast::protocols::impulse::wire
