// Pusher Channels wire knowledge, in one place: the event JSON every server message uses, the
// error and close codes, the protocol versions this server speaks, and where the app key sits
// in the WebSocket path. Used by PusherSession, the Pusher event encoder (the fan-out frame),
// the HTTP upgrade (server/http_front.cc) and the tests.
// Codes (https://pusher.com/docs/channels/library_auth_reference/pusher-websockets-protocol):
// 4000-4099 the client must not reconnect, 4100-4199 reconnect after backing off, 4200-4299
// reconnect at once, 4300-4399 other errors (not closes).
// Pure functions, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringcast::protocols::pusher::wire {

// ---- close codes (pusher:error then a WebSocket close with the same code) ----
inline constexpr uint16_t kCloseAppUnknown = 4001;
inline constexpr uint16_t kCloseAppDisabled = 4003;
inline constexpr uint16_t kCloseAppOverQuota = 4004;        // the app's max_connections
inline constexpr uint16_t kCloseInvalidVersionFormat = 4006;
inline constexpr uint16_t kCloseUnsupportedVersion = 4007;
inline constexpr uint16_t kCloseNoVersion = 4008;
inline constexpr uint16_t kCloseOverCapacity = 4100;         // also the slow-consumer close
inline constexpr uint16_t kCloseReconnect = 4200;            // server restarting
inline constexpr uint16_t kClosePongTimeout = 4201;

// ---- pusher:error codes sent without a close ----
inline constexpr int kErrorUnauthorized = 4009;  // subscription refused (auth, limits, names)
inline constexpr int kErrorGeneric = 4200;       // malformed or unsupported message
inline constexpr int kErrorRejected = 4301;      // client event or message refused (rates, ...)
inline constexpr int kErrorPresenceFull = 4100;  // subscription_error status: channel full

// ---- user sign-in ----
inline constexpr std::string_view kServerToUserPrefix = "#server-to-user-";
// Watchlist (user_data's "watchlist"): ids watched per connection; more: the first ones are
// kept, the signin succeeds and pusher:error 4302 says so.
inline constexpr size_t kMaxWatchlistIds = 100;
inline constexpr int kErrorWatchlistLimit = 4302;
inline constexpr std::string_view kWatchlistEvents = "pusher_internal:watchlist_events";

// ---- presence ----
inline constexpr std::string_view kMemberAdded = "pusher_internal:member_added";
inline constexpr std::string_view kMemberRemoved = "pusher_internal:member_removed";

// ---- subscription counts (apps with enable_subscription_count; pusher-js emits
// pusher:subscription_count on the channel) ----
inline constexpr std::string_view kSubscriptionCount = "pusher_internal:subscription_count";

// ---- protocol versions (the ?protocol= query parameter; pusher-js sends 7) ----
inline constexpr int kMinProtocol = 5;
inline constexpr int kMaxProtocol = 7;

// Checks the `protocol` query value (empty: not given). Returns 0 when it is a version this
// server speaks, else the close code (4006, 4007, 4008) and sets *reason.
uint16_t CheckProtocolVersion(std::string_view value, std::string* reason);

// Finds ".../app/{key}" (an optional path prefix is allowed, as pusher-js's wsPath adds one).
bool AppKeyFromPath(std::string_view path, std::string_view* key);

// Appends one Pusher event: {"event":E[,"channel":C],"data":"<data as a JSON string>"
// [,"user_id":U]}. `data` is raw (the protocol double-encodes: it is always sent as a string);
// an empty `channel` or `user_id` is left out. The only builder of event JSON in the server.
void AppendEvent(std::string* out, std::string_view event, std::string_view channel,
                 std::string_view data, std::string_view user_id = {});

// Presence payloads (the `data` of the events; user_info is JSON text, empty for none -> null).
// {"user_id":U,"user_info":I}
void AppendMemberAdded(std::string* out, std::string_view user_id, std::string_view user_info);
// {"user_id":U}
void AppendMemberRemoved(std::string* out, std::string_view user_id);
// {"subscription_count":N}
void AppendSubscriptionCount(std::string* out, uint64_t count);
// {"presence":{"ids":[..],"hash":{id:info},"count":N}} (subscription_succeeded).
void AppendPresenceData(std::string* out,
                        const std::vector<std::pair<std::string, std::string>>& members);

// {"events":[{"name":"online","user_ids":[..]},{"name":"offline","user_ids":[..]}]}
// (pusher_internal:watchlist_events); an empty list's event is left out.
void AppendWatchlistEvents(std::string* out, const std::vector<std::string>& online,
                           const std::vector<std::string>& offline);

}  // namespace ringcast::protocols::pusher::wire
