// Datonow socket wire knowledge, in one place (docs/protocols/datonow.md, "Sockets"): the frame
// every server message uses, the event names, the close codes, and the translation of an appKey
// client's messages into the Pusher protocol messages whose machinery (channels, auth, presence)
// the appKey session reuses.
// Frame (one WebSocket text message, server -> client):
//   {"event":E[,"channel":C],"data":V[,"user_id":U]}
// V is the event's data as a JSON value: the data bytes themselves when they are one valid JSON
// text, else a JSON string holding them (so a Pusher REST trigger's data "{\"a\":1}" arrives as
// the object {"a":1}, and "hello" as the string "hello"). Unlike Pusher's, data is not
// double-encoded. Internal channels (names starting with '#') are not named in frames.
// Event names: Pusher's protocol events ("pusher:X", "pusher_internal:X") become "datonow:X";
// application events keep their names.
// Pure functions, any thread (ClientTranslator: one per shard).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "simdjson.h"

namespace ringcast::protocols::datonow::wire {

// ---- close codes (token sockets; appKey sockets use Pusher's, protocols/pusher/wire.h) ----
inline constexpr uint16_t kCloseAppOverQuota = 4004;  // the app's max_connections (as Pusher)
inline constexpr uint16_t kCloseTokenDeleted = 4010;  // 40xx: do not reconnect
inline constexpr uint16_t kCloseOverCapacity = 4100;  // shard full, server busy, slow consumer
inline constexpr uint16_t kCloseReconnect = 4200;     // server restarting
inline constexpr uint16_t kClosePongTimeout = 4201;

// ---- error codes (datonow:error, no close) ----
inline constexpr int kErrorGeneric = 4200;   // malformed or unsupported message
inline constexpr int kErrorRejected = 4301;  // rate limit, too many pending commands

inline constexpr std::string_view kConnectionEstablished = "datonow:connection_established";

// "pusher:X" and "pusher_internal:X" -> "datonow:X"; anything else unchanged.
void AppendEventName(std::string* out, std::string_view event);

// Appends `data` as a JSON value (see the file comment); `validator` checks it is one JSON text.
void AppendDataValue(std::string* out, std::string_view data, simdjson::dom::parser* validator);

// Appends one frame (see the file comment). `event` is mapped with AppendEventName; a channel
// that is empty or starts with '#' and an empty user id are left out.
void AppendFrame(std::string* out, std::string_view event, std::string_view channel,
                 std::string_view data, std::string_view user_id, simdjson::dom::parser* validator);

// Turns an appKey client's message into the Pusher protocol message PusherSession handles:
//   {"event":"datonow:subscribe"|"datonow:unsubscribe"|"datonow:ping"|"datonow:pong"|
//    "datonow:signin", "data":..., "channel"?:...} -> the same with "pusher:" and data as given;
//   {"event":"client-...", ...}                      -> unchanged (client events);
// anything else is an error (returned, static text; `out` undefined then).
class ClientTranslator {
 public:
  [[nodiscard]] const char* Translate(std::string_view text, std::string* out);

 private:
  simdjson::dom::parser parser_;
};

}  // namespace ringcast::protocols::datonow::wire
