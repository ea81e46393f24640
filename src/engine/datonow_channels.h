// Datonow socket routing names: the internal engine channels that the Datonow API (control
// plane, api/) publishes to and the Datonow sessions (shards, protocols/datonow/) join, and the
// event names of those internal publications. Both sides see engine/, neither sees the other,
// so the names live here; what the client receives is protocols/datonow/wire.h's business.
// Channels of an app (channels are per app, so the names carry no app):
//   #datonow-app            every token socket of the app (broadcast notifications)
//   #datonow-token-<id>     every socket of client token <id> (targeted notifications, deletion)
//   #datonow-socket-<sid>   one appKey socket (POST /api/subscribe, /api/unsubscribe)
// Names start with '#': no client may subscribe to them (engine/channel_name.h).
// Pure, any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast::engine::datonow {

inline constexpr std::string_view kChannelPrefix = "#datonow-";
inline constexpr std::string_view kBroadcastChannel = "#datonow-app";
inline constexpr std::string_view kTokenChannelPrefix = "#datonow-token-";
inline constexpr std::string_view kSocketChannelPrefix = "#datonow-socket-";

// A new notification (data: the stored message object, JSON).
inline constexpr std::string_view kNotificationEvent = "datonow:notification";
// The token was deleted: its sockets close (data: empty).
inline constexpr std::string_view kTokenDeletedEvent = "datonow_internal:token_deleted";
// A client message that POST /api/subscribe or /api/unsubscribe hands to one appKey socket
// (data: the message text, as if the client had sent it).
inline constexpr std::string_view kSocketCommandEvent = "datonow_internal:command";

// Whether `name` is one of these channels (left out of channel lists and webhooks).
inline bool IsInternal(std::string_view name) {
  return name.substr(0, kChannelPrefix.size()) == kChannelPrefix;
}
inline std::string TokenChannel(uint64_t token_id) {
  return std::string(kTokenChannelPrefix) + std::to_string(token_id);
}
inline std::string SocketChannel(std::string_view socket_id) {
  return std::string(kSocketChannelPrefix).append(socket_id);
}
// The token id of a token channel name; false for any other name.
inline bool ParseTokenChannel(std::string_view name, uint64_t* id) {
  if (name.substr(0, kTokenChannelPrefix.size()) != kTokenChannelPrefix) return false;
  std::string_view digits = name.substr(kTokenChannelPrefix.size());
  if (digits.empty() || digits.size() > 19) return false;
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *id = v;
  return true;
}

}  // namespace ringcast::engine::datonow
