// Webhook body, signature and request bytes (see payload.h).
#include "webhooks/payload.h"

#include "auth/crypto.h"
#include "util/json_writer.h"

namespace ringcast::webhooks {

std::string BuildBody(int64_t time_ms, const std::vector<WebhookEvent>& events) {
  std::string out;
  out.reserve(64 + events.size() * 96);
  out.append("{\"time_ms\":");
  util::AppendInt(&out, time_ms);
  out.append(",\"events\":[");
  for (size_t i = 0; i < events.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendEventJson(&out, events[i]);
  }
  out.append("]}");
  return out;
}

std::string Sign(const std::string& secret, const std::string& body) {
  return auth::HmacSha256Hex(secret, body);
}

std::string BuildHeadPrefix(const config::AppConfig& app, const config::WebhookConfig& target,
                            const std::string& request_target, const std::string& authority) {
  std::string h = "POST " + request_target + " HTTP/1.1\r\nHost: " + authority +
                  "\r\nUser-Agent: ringcast/" RINGCAST_VERSION
                  "\r\nContent-Type: application/json\r\nX-Pusher-Key: " +
                  app.key + "\r\n";
  for (const auto& [name, value] : target.headers) h += name + ": " + value + "\r\n";
  return h;
}

std::string BuildRequest(const std::string& head_prefix, const std::string& secret,
                         const std::string& body) {
  std::string r;
  r.reserve(head_prefix.size() + body.size() + 160);
  r.append(head_prefix);
  r.append("X-Pusher-Signature: ").append(Sign(secret, body));
  r.append("\r\nContent-Length: ").append(std::to_string(body.size()));
  r.append("\r\nConnection: close\r\n\r\n");
  r.append(body);
  return r;
}

}  // namespace ringcast::webhooks
