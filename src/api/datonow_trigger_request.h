// Parsing of POST /api/trigger (docs/protocols/datonow.md, "Signed trigger"): the
// X-Datonow-Signature header, the body's appKey (read alone, before the signature is checked)
// and, once the signature holds, the whole body.
//
// Owns: nothing; pure functions. Thread rules: any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::api {

// "sha256=<64 hex digits>" (either case) -> the 64 digits in lower case. False when malformed.
bool ParseTriggerSignature(std::string_view header, std::string* hex_lower);

// The body's top-level "appKey" string, found without validating the rest of the body (simdjson
// On Demand stops once it has it). nullptr on success, else the 400 message.
const char* FindTriggerAppKey(std::string_view body, std::string* app_key);

struct TriggerLimits {
  uint32_t max_channels = 100;
  uint32_t max_channel_name_length = 164;
  uint32_t max_event_name_length = 200;
  uint32_t max_data_bytes = 10 * 1024;
};

// The whole body: {appKey, channel (string or array of strings), event, data, socketId?,
// requestId?}. `data` is relayed as given when a string, else as its minified JSON text.
struct DatonowTriggerFields {
  std::vector<std::string> channels;
  std::string event;
  std::string data;
  std::string socket_id;   // "" when absent or null
  std::string request_id;  // "" when absent or null
};
constexpr size_t kMaxRequestIdBytes = 200;

// "" on success, else the message; *status is then 400, or 413 for data over max_data_bytes.
std::string ParseDatonowTrigger(std::string_view body, const TriggerLimits& limits,
                                DatonowTriggerFields* out, int* status);

}  // namespace ringcast::api
