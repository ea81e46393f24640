// WebhookEvent: one Pusher webhook event (docs/protocols/pusher.md, "Webhooks") as the control
// plane emits it, and the per-target rule that decides whether a target wants it (its
// "event_types" and its channel-name "filter", config/config.h WebhookConfig).
// Pure; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"

namespace ringcast::webhooks {

enum class EventKind : uint8_t {
  kChannelOccupied,
  kChannelVacated,
  kMemberAdded,
  kMemberRemoved,
  kClientEvent,
  kCacheMiss,
  kSubscriptionCount,
};

// The event's "name" on the wire: "channel_occupied", ...
std::string_view KindName(EventKind kind);

struct WebhookEvent {
  EventKind kind = EventKind::kChannelOccupied;
  std::string channel;
  std::string user_id;    // member_added/member_removed; client_event on presence channels
  std::string event;      // client_event: the event name
  std::string data;       // client_event: the data, sent as a JSON string
  std::string socket_id;  // client_event: the sender
  uint64_t subscription_count = 0;  // subscription_count
  // Sent without the vacate/remove delay and its cancellation: cluster mode, where Redis delayed
  // it already (docs/cluster.md).
  bool undelayed = false;
};

// Appends the event's JSON object: {"name":...,"channel":...,...}.
void AppendEventJson(std::string* out, const WebhookEvent& ev);

// True when `target` takes `ev`: its kind is in event_types (empty: every kind) and the channel
// name starts and ends with the filter's strings.
bool Matches(const config::WebhookConfig& target, const WebhookEvent& ev);

}  // namespace ringcast::webhooks
