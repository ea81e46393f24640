// PusherMessageParser: reads the Pusher protocol 7 messages a server sends to a client:
// {"event":..,"channel":..,"data":..} in any field order, with `data` a string (double
// encoded, as the protocol asks) or any JSON value, plus the few inner `data` objects the
// bench needs (connection_established's socket_id, pusher:error's code and message).
//
// Owns: two simdjson on-demand parsers and a padding buffer. Single-threaded: one parser per
// worker, shared by all of its connections. Views in PusherMessage point into the parser or
// the input and are valid until the next Parse call. Parse requires SIMDJSON_PADDING (64)
// readable bytes after `text` (ClientFrameReader guarantees it for provided read buffers);
// the inner parsers copy their input into a padded buffer (they run once per connection).
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast::bench {

struct PusherMessage {
  std::string_view event;
  std::string_view channel;  // empty when absent
  std::string_view data;     // the unescaped string, or the raw JSON of a non-string value
  bool data_is_string = false;
};

class PusherMessageParser {
 public:
  // Returns nullptr, or a static description of why `text` is not a Pusher message.
  [[nodiscard]] const char* Parse(std::string_view text, PusherMessage* out);

  // connection_established data: {"socket_id":"1.2","activity_timeout":120}.
  [[nodiscard]] bool ParseSocketId(std::string_view data, std::string* socket_id);

  // pusher:error data: {"code":4301,"message":".."} (either field may be missing: code 0).
  void ParseError(std::string_view data, int64_t* code, std::string* message);

 private:
  simdjson::padded_string_view Pad(std::string_view text);

  simdjson::ondemand::parser parser_;
  simdjson::ondemand::parser inner_;
  std::string pad_;
};

}  // namespace ringcast::bench
