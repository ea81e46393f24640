// SseRequestTarget implementation: query percent-encoding (everything but RFC 3986 unreserved
// characters, so a ',' in a channel name cannot split it) and the stream signature.
#include "ringcast-bench/sse_target.h"

#include "auth/crypto.h"

namespace ringcast::bench {
namespace {

void AppendQueryValue(std::string* out, std::string_view v) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : v) {
    auto c = static_cast<unsigned char>(ch);
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out->push_back(ch);
    } else {
      out->push_back('%');
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    }
  }
}

bool NeedsSignature(std::string_view channel) {
  return channel.substr(0, 8) == "private-" || channel.substr(0, 9) == "presence-";
}

}  // namespace

std::string SseRequestTarget(std::string_view app_key, std::string_view app_secret,
                             std::string_view channel, uint64_t expires_s) {
  std::string t = "/sse/";
  t.append(app_key);  // as the WebSocket path /app/KEY takes it
  t.append("?channels=");
  AppendQueryValue(&t, channel);
  if (NeedsSignature(channel)) {
    std::string expires = std::to_string(expires_s);
    std::string to_sign = "sse\n" + expires + "\n" + std::string(channel) + "\n";
    std::string auth = std::string(app_key) + ":" + auth::HmacSha256Hex(app_secret, to_sign);
    t.append("&expires=").append(expires).append("&auth=");
    AppendQueryValue(&t, auth);
  }
  return t;
}

}  // namespace ringcast::bench
