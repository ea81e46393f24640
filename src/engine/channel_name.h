// Channel names: validation and kind, by prefix, as Pusher defines them.
//
// Allowed characters A-Z a-z 0-9 _ - = @ , . ; (max length configurable, Pusher's is 164).
// A leading '#' is reserved for server-internal channels (#server-to-user-<id>). Kinds are
// decided in pusher-js's order: private-encrypted-, private-, presence-; cache- variants are
// flagged separately. Pure functions, any thread.
#pragma once

#include <cstddef>
#include <string_view>

namespace ringcast::engine {

enum class ChannelKind { kPublic, kPrivate, kPrivateEncrypted, kPresence, kServerToUser };

ChannelKind KindOf(std::string_view name);
bool IsCacheChannel(std::string_view name);
bool NeedsAuth(ChannelKind kind);

// Returns nullptr when `name` is a valid channel name a client may use, else why not.
// `allow_internal` admits '#server-to-user-...' names (REST side).
const char* ChannelNameError(std::string_view name, size_t max_length, bool allow_internal);

// The rule of protocols other than Pusher (SSE, Impulse): any non-empty name of printable ASCII
// without whitespace (0x21..0x7E), at most `max_length` bytes, not starting with '#' (reserved
// for internal channels). So "user:online" is a channel there; a channel is the same channel
// whichever protocol names it (Pusher sessions and the Pusher API keep ChannelNameError).
const char* GenericChannelNameError(std::string_view name, size_t max_length);

// Server-internal routing channels: a leading '#' other than Pusher's "#server-to-user-"
// (the Datonow sockets' "#datonow-", the DontCode presence channels "#rt-presence:", MoChat's).
// They are not the app's: never listed, no channel webhooks, no history.
inline bool IsRoutingChannel(std::string_view name) {
  return name.starts_with('#') && !name.starts_with("#server-to-user-");
}

// Event names: non-empty, at most `max_length` bytes, no control characters.
const char* EventNameError(std::string_view name, size_t max_length);

}  // namespace ringcast::engine
