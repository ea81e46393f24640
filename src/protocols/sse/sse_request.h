// SSE request parsing: the query of GET /sse/{app_key} and the resume token (the SSE `id:`).
//
// Query parameters (application/x-www-form-urlencoded, '+' is a space):
//   channels=a,b,c      the channels of the stream, in order (comma separated; repeated
//                       `channels` parameters append); at least one, at most `max_channels`
//   channel=NAME        one channel, taken whole (for names with a comma); repeatable
//   last_event_id=ID    the resume token, as the Last-Event-ID header (the header wins)
//   auth=KEY:SIGNATURE  private/presence channels (docs/protocols/sse.md "Private channels")
//   expires=UNIX_S      the signature's expiry (part of what is signed)
// Resume token (`id:` of every event, per subscriber): one position per channel of the stream,
// in the order of `channels`, joined by ',': each position is "<epoch>.<seq>" in decimal, the
// channel's history epoch on the control plane and the sequence of the last event of that
// channel the stream delivered (0: none since the epoch began). Example: "3.17,3.0".
// Private and presence channels: `auth` = "<app_key>:<hex HMAC-SHA256(app secret, S)>" with
// S = "sse\n<expires>\n<every channel of the stream, in order, each followed by \n>", and
// `expires` a unix time in seconds not yet past (SseStringToSign). Checked as Pusher channel
// auth is (auth::VerifyAuthToken: exact key, constant-time signature).
// Pure functions, any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::protocols::sse {

struct SsePosition {
  uint64_t epoch = 0;
  uint64_t seq = 0;
  bool operator==(const SsePosition&) const = default;
};

struct SseRequest {
  std::vector<std::string> channels;
  std::string last_event_id;  // from the query (the caller prefers the header)
  std::string auth;
  std::string expires;
};

// Fills *out from the raw query text. Returns nullptr or a message for a 400 answer.
// Channel names are checked by the caller (engine/channel_name.h), not here.
[[nodiscard]] const char* ParseSseQuery(std::string_view query, uint32_t max_channels,
                                        SseRequest* out);

// Parses a resume token of exactly `channels` positions. False (and *out empty) when it is
// malformed or names another number of channels.
[[nodiscard]] bool ParseEventId(std::string_view id, size_t channels,
                                std::vector<SsePosition>* out);

// The string an `auth` signature signs.
std::string SseStringToSign(std::string_view expires, const std::vector<std::string>& channels);

// Appends the resume token of `positions`.
void AppendEventId(std::string* out, const std::vector<SsePosition>& positions);

}  // namespace ringcast::protocols::sse
