// PushRequest: the body of POST {prefix} (the Impulse broker's push), checked as the broker's
// zod schema (schemas/push.js) checks it:
//   {"channel": non-empty string, "payload": any JSON (optional),
//    "audience": {"tokens": string | string[] (optional), "topic": non-empty string (optional)}
//    (optional)}
// Unknown keys are ignored; a key given twice counts once, its last value (as JSON.parse).
// One rule is ringcast's own: the channel must be a name ringcast's non-Pusher protocols accept
// (engine::GenericChannelNameError), else the body is refused as invalid.
// Pure: bytes in, a result out; no I/O. Any thread (each caller its own parser object).
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "protocols/impulse/impulse_wire.h"

namespace ringcast::protocols::impulse {

struct PushRequest {
  std::string channel;
  std::string payload;  // one line of minified JSON ("" when absent)
  wire::Audience audience;
};

enum class PushParse {
  kOk,
  kBadJson,  // not JSON: 400 "Invalid JSON body"
  kBadBody,  // JSON, but not the schema: 400 "Invalid request body" (details says why)
};

class PushParser {
 public:
  // Parses `body`; on kBadBody `details` says which field is wrong.
  [[nodiscard]] PushParse Parse(std::string_view body, size_t max_channel_length, PushRequest* out,
                                std::string* details);

 private:
  simdjson::dom::parser parser_;
  std::string padded_;  // the body with simdjson's padding
};

// Minifies one JSON value (the payload) into `out`, replacing it.
void AppendMinified(std::string* out, simdjson::dom::element value);

}  // namespace ringcast::protocols::impulse
