// ClientMessageParser: reads the JSON messages a Pusher client sends over its WebSocket.
//
// Accepts {"event":E, "channel"?:C, "data"?:D} where D may be an object or a string holding
// JSON ("double encoded"; pusher-js sends objects for pusher:* events, other clients strings).
// Views in the results point into the parser's own buffers and stay valid until the next Parse.
// No allocation once the buffers have grown to the largest message seen (bounded by the
// WebSocket message limit). Thread rules: one parser per shard, used by that shard only.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

namespace ringcast::protocols::pusher {

struct ClientMessage {
  std::string_view event;
  std::string_view channel;    // top-level "channel" (client events), empty if absent
  bool has_data = false;
  bool data_is_string = false;
  std::string_view data;       // the string's content, or the raw JSON text of other values
};

struct SubscribeData {
  std::string_view channel;
  std::string_view auth;
  std::string_view channel_data;
  bool has_channel_data = false;
};

class ClientMessageParser {
 public:
  // Returns nullptr on success, else why the message is malformed.
  const char* Parse(std::string_view text, ClientMessage* out);
  // Reads the data of pusher:subscribe / pusher:unsubscribe from `msg` (object or string).
  const char* ParseSubscribeData(const ClientMessage& msg, SubscribeData* out);

 private:
  static simdjson::padded_string_view Pad(std::string* buf, std::string_view text);

  simdjson::ondemand::parser outer_;
  simdjson::ondemand::parser inner_;
  std::string outer_buf_;
  std::string inner_buf_;
};

}  // namespace ringcast::protocols::pusher
