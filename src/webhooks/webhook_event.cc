// WebhookEvent's JSON shapes (Pusher's, docs/protocols/pusher.md) and the target filter.
#include "webhooks/webhook_event.h"

#include "util/json_writer.h"

namespace ringcast::webhooks {

std::string_view KindName(EventKind kind) {
  switch (kind) {
    case EventKind::kChannelOccupied:
      return "channel_occupied";
    case EventKind::kChannelVacated:
      return "channel_vacated";
    case EventKind::kMemberAdded:
      return "member_added";
    case EventKind::kMemberRemoved:
      return "member_removed";
    case EventKind::kClientEvent:
      return "client_event";
    case EventKind::kCacheMiss:
      return "cache_miss";
    case EventKind::kSubscriptionCount:
      return "subscription_count";
  }
  return "unknown";
}

void AppendEventJson(std::string* out, const WebhookEvent& ev) {
  util::JsonObject o(out);
  o.Str("name", KindName(ev.kind)).Str("channel", ev.channel);
  switch (ev.kind) {
    case EventKind::kMemberAdded:
    case EventKind::kMemberRemoved:
      o.Str("user_id", ev.user_id);
      break;
    case EventKind::kClientEvent:
      o.Str("event", ev.event).Str("data", ev.data).Str("socket_id", ev.socket_id);
      if (!ev.user_id.empty()) o.Str("user_id", ev.user_id);
      break;
    case EventKind::kSubscriptionCount:
      util::AppendUint(o.Key("subscription_count"), ev.subscription_count);
      break;
    default:
      break;
  }
  o.Close();
}

bool Matches(const config::WebhookConfig& target, const WebhookEvent& ev) {
  if (!target.event_types.empty()) {
    bool wanted = false;
    for (const std::string& t : target.event_types) wanted = wanted || t == KindName(ev.kind);
    if (!wanted) return false;
  }
  std::string_view ch = ev.channel;
  const std::string& pre = target.channel_name_starts_with;
  const std::string& suf = target.channel_name_ends_with;
  if (ch.size() < pre.size() || ch.substr(0, pre.size()) != pre) return false;
  if (ch.size() < suf.size() || ch.substr(ch.size() - suf.size()) != suf) return false;
  return true;
}

}  // namespace ringcast::webhooks
