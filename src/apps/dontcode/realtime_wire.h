// The DontCode realtime socket's wire (docs/protocols/dontcode.md): JSON text frames, one object
// each, with a "type". Close codes and error codes, the internal presence channels, and the
// writers of the server's frames. Wire knowledge of this protocol lives here only.
// Pure functions, any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <simdjson.h>

namespace ringcast::apps::dontcode::wire {

// Close codes (the reason says the same in words).
inline constexpr uint16_t kCloseTokenExpired = 4001;   // the token's exp passed (also at connect)
inline constexpr uint16_t kCloseTokenInvalid = 4003;   // no token, malformed, bad signature
inline constexpr uint16_t kCloseAppOverQuota = 4004;   // the app's max_connections reached
inline constexpr uint16_t kClosePongTimeout = 4008;    // no answer to the server's ping
inline constexpr uint16_t kCloseOverCapacity = 4100;   // shard full, slow consumer, server busy
inline constexpr uint16_t kCloseRestarting = 4200;     // server shutdown: reconnect

// Error codes of {"type":"error"} frames (the connection stays open).
inline constexpr std::string_view kErrBadRequest = "bad_request";
inline constexpr std::string_view kErrChannelForbidden = "channel_forbidden";
inline constexpr std::string_view kErrRateLimited = "rate_limited";
inline constexpr std::string_view kErrServerBusy = "server_busy";
inline constexpr std::string_view kErrTooLarge = "too_large";

// The event of a publish made through this API (REST or socket); a Pusher subscriber of the
// channel receives it under this name.
inline constexpr std::string_view kMessageEvent = "message";

// Presence joins and leaves of channel C travel on the engine channel "#rt-presence:C", which
// only realtime sockets join (a leading '#': no client names it; engine/channel_name.h).
inline constexpr std::string_view kPresencePrefix = "#rt-presence:";
inline constexpr std::string_view kJoinEvent = "join";
inline constexpr std::string_view kLeaveEvent = "leave";
inline std::string PresenceChannel(std::string_view channel) {
  return std::string(kPresencePrefix).append(channel);
}

// {"id":I,"identity":N} (identity left out when empty): a presence member, as the REST
// presence list and the presence frames show it.
void AppendMember(std::string* out, std::string_view id, std::string_view identity);

// {"type":"error","code":C,"message":M[,"channel":X][,"ref":R]}. `ref_json`: the client's ref,
// as JSON text ("" for none).
void AppendError(std::string* out, std::string_view code, std::string_view message,
                 std::string_view channel, std::string_view ref_json);

// {"type":T,"channel":C[,"ref":R]} (subscribed, unsubscribed, published).
void AppendReply(std::string* out, std::string_view type, std::string_view channel,
                 std::string_view ref_json);

// One client frame, parsed: {"type", "channel"?, "data"?, "ref"?}.
struct ClientMessage {
  enum class Type { kPing, kSubscribe, kUnsubscribe, kPublish } type = Type::kPing;
  std::string ref;      // the client's ref as JSON text (a string or a number), or ""
  std::string channel;  // subscribe, unsubscribe, publish: a valid channel name
  std::string data;     // publish: a string's text, or any other JSON value minified
};

// Parses `text` (`padded`: scratch for simdjson's padding). Null when it is a valid client
// message, else why not (answered with kErrBadRequest; out->ref is set when it was readable).
// Whether the token allows the channel is the session's to check.
const char* ParseClientMessage(std::string_view text, simdjson::dom::parser* parser,
                               std::string* padded, ClientMessage* out);

}  // namespace ringcast::apps::dontcode::wire
