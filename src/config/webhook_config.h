// ParseWebhooks: reads an app's "webhooks" array (soketi's shape) from the config file into
// WebhookConfig values, refusing what ringcast cannot deliver with a message that says why
// (hostnames other than "localhost", since the control plane has no non-blocking resolver yet;
// unknown event types; reserved or malformed headers). http and https targets are accepted.
// Main thread, at load (config/config.h).
#pragma once

#include <simdjson.h>

#include <string>
#include <vector>

#include "config/config.h"

namespace ringcast::config {

// Webhook targets per app at most.
inline constexpr size_t kMaxWebhooksPerApp = 16;
// The event kinds a webhook may name in "event_types".
inline constexpr const char* kWebhookEventTypes[] = {
    "channel_occupied", "channel_vacated", "member_added",       "member_removed",
    "client_event",     "cache_miss",      "subscription_count",
};

// Returns "" or an error message.
std::string ParseWebhooks(simdjson::dom::element value, std::vector<WebhookConfig>* out);

// Checks one target's URL: "" or why it is refused.
std::string CheckWebhookUrl(const std::string& url);

}  // namespace ringcast::config
