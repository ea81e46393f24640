// SseRequestTarget: the request target of a ringcast SSE stream for one channel,
// /sse/{app_key}?channels=<channel>, percent-encoded, plus `expires` and `auth` when the channel
// is private- or presence- (signed as docs/protocols/sse.md says: HMAC-SHA256 of
// "sse\n<expires>\n<channel>\n" with the app secret, as the app's auth endpoint would).
// Pure; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast::bench {

// `expires_s`: the signature's expiry, a unix time in seconds (ignored for public channels).
std::string SseRequestTarget(std::string_view app_key, std::string_view app_secret,
                             std::string_view channel, uint64_t expires_s);

}  // namespace ringcast::bench
