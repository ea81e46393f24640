// ClientMessageParser: reads the JSON messages a Pusher client sends over its WebSocket.
//
// Accepts {"event":E, "channel"?:C, "data"?:D} where D may be an object or a string holding
// JSON ("double encoded"; pusher-js sends objects for pusher:* events, other clients strings).
// The whole message is validated (simdjson DOM parse), so nothing malformed is ever relayed;
// non-string data is handed on as its minified JSON text. Views in the results point into the
// parser's own buffers and stay valid until the next Parse. No allocation once the buffers have
// grown to the largest message seen (bounded by the WebSocket message limit).
// Thread rules: one parser per shard, used by that shard only.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

namespace ringcast::protocols::pusher {

struct ClientMessage {
  std::string_view event;
  std::string_view channel;    // top-level "channel" (client events), empty if absent
  bool has_data = false;
  bool data_is_string = false;
  // The string's content, or the minified JSON of other values (left empty for pusher:*
  // events, whose data is read with ParseSubscribeData).
  std::string_view data;
};

struct SubscribeData {
  std::string_view channel;
  std::string_view auth;
  std::string_view channel_data;
  bool has_channel_data = false;
};

// A presence channel_data document: {"user_id": String|Number, "user_info"?: any}.
struct PresenceMember {
  std::string user_id;    // a number is kept as its decimal text
  std::string user_info;  // minified JSON; empty when absent or null
};

// pusher:signin data: {"auth": String, "user_data": String}, and the id and watchlist inside
// user_data.
struct SigninData {
  std::string auth;
  std::string user_data;  // the exact signed JSON text
  std::string user_id;    // user_data's "id" (a non-empty string)
  // user_data's "watchlist" (an array; absent or null: none): its non-empty string entries, the
  // first wire::kMaxWatchlistIds of them (other entries are skipped), and how many there were.
  std::vector<std::string> watchlist;
  size_t watchlist_ids = 0;
};

class ClientMessageParser {
 public:
  // Returns nullptr on success, else why the message is malformed.
  const char* Parse(std::string_view text, ClientMessage* out);
  // Reads the data of pusher:subscribe / pusher:unsubscribe from the message Parse read last
  // (`msg` must be its result): an object, or a string holding one.
  const char* ParseSubscribeData(const ClientMessage& msg, SubscribeData* out);
  // Reads a presence channel_data string (independent of the views above: uses its own parser).
  const char* ParseChannelData(std::string_view channel_data, PresenceMember* out);
  // Reads the data of pusher:signin from the message Parse read last, and user_data's id and
  // watchlist.
  const char* ParseSigninData(const ClientMessage& msg, SigninData* out);

 private:
  // The message's "data" as an object: the object itself, or the object a string holds.
  const char* DataObject(const ClientMessage& msg, simdjson::dom::object* out);

  simdjson::dom::parser outer_;
  simdjson::dom::parser inner_;
  simdjson::dom::parser member_;
  simdjson::dom::element data_;  // the last message's "data" (valid until the next Parse)
  std::string data_text_;        // minified non-string data
};

}  // namespace ringcast::protocols::pusher
