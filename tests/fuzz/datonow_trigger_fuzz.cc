// libFuzzer target: the POST /api/trigger parsing (api/datonow_trigger_request.h) that
// DatonowTrigger runs on any client's X-Datonow-Signature header and body. Input: the first byte
// picks the parser, the rest is the header or body. Checks: no crash or sanitizer report; what
// parses is within the documented bounds (a 64-digit lower-case signature; 1..max channels, each
// a valid name; data within its limit; requestId 1..200 bytes).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/datonow_trigger_request.h"

using namespace ringcast::api;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      std::string hex;
      if (!ParseTriggerSignature(in, &hex)) break;
      if (hex.size() != 64) std::abort();
      for (char c : hex) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) std::abort();
      }
      break;
    }
    case 1: {
      std::string key;
      if (FindTriggerAppKey(in, &key) == nullptr && key.empty()) std::abort();
      break;
    }
    default: {
      TriggerLimits limits;
      limits.max_channels = 4;
      limits.max_data_bytes = 256;
      DatonowTriggerFields f;
      int status = 0;
      std::string error = ParseDatonowTrigger(in, limits, &f, &status);
      if (!error.empty()) {
        if (status != 400 && status != 413) std::abort();
        break;
      }
      if (f.channels.empty() || f.channels.size() > limits.max_channels || f.event.empty() ||
          f.data.size() > limits.max_data_bytes || f.request_id.size() > kMaxRequestIdBytes) {
        std::abort();
      }
      for (const std::string& c : f.channels) {
        if (c.empty() || c.size() > limits.max_channel_name_length) std::abort();
      }
      break;
    }
  }
  return 0;
}
