// Webhook payloads: the signed body and the complete HTTP/1.1 request of one delivery.
//
// Body: {"time_ms":<wall ms>,"events":[<event>, ...]} (Pusher's shape). Signature: lower-case
// hex HMAC-SHA256 of the raw body with the app's secret, in X-Pusher-Signature; the app's key
// goes in X-Pusher-Key; Content-Type is exactly "application/json" (the pusher SDK's webhook
// validator refuses anything else). The request closes its connection (Connection: close).
// Pure; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "webhooks/webhook_event.h"

namespace ringcast::webhooks {

std::string BuildBody(int64_t time_ms, const std::vector<WebhookEvent>& events);

// Lower-case hex HMAC-SHA256(secret, body).
std::string Sign(const std::string& secret, const std::string& body);

// The request head up to (not including) the per-delivery fields, built once per target:
// request line, Host, User-Agent, Content-Type, X-Pusher-Key and the target's own headers.
std::string BuildHeadPrefix(const config::AppConfig& app, const config::WebhookConfig& target,
                            const std::string& request_target, const std::string& authority);

// The whole request: prefix + X-Pusher-Signature + Content-Length + Connection + body.
std::string BuildRequest(const std::string& head_prefix, const std::string& secret,
                         const std::string& body);

}  // namespace ringcast::webhooks
