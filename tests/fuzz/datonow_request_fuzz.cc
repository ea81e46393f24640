// libFuzzer target: the Datonow request parsing (api/datonow_request.h) that DatonowApi runs on
// every /api/... body and query from any client. Input: the first byte picks the parser, the
// rest is the body or query. Checks: no crash or sanitizer report; whatever parses is within the
// documented bounds, and its extras/payload are JSON that parses again to the same text.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/datonow_request.h"

using namespace ringcast::api;

namespace {

void CheckMinifiedJson(const std::string& text) {
  simdjson::dom::parser parser;
  simdjson::dom::element el;
  if (parser.parse(text).get(el) != simdjson::SUCCESS) std::abort();
  if (simdjson::minify(el) != text) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      DatonowMessageFields f;
      if (ParseDatonowMessage(in, &f) != nullptr) break;
      if (f.title.empty() || f.priority < 1 || f.priority > 10 || f.ttl < 0 ||
          f.ttl > kMaxTtlSeconds || (!f.has_message && !f.message.empty())) {
        std::abort();
      }
      if (f.extras.empty() || f.extras.front() != '{') std::abort();
      CheckMinifiedJson(f.extras);
      CheckMinifiedJson(f.payload);
      break;
    }
    case 1: {
      std::string name;
      if (ParseDatonowTokenName(in, &name) == nullptr && name.size() > 200) std::abort();
      break;
    }
    case 2: {
      DatonowListQuery q;
      if (ParseDatonowListQuery(in, &q) == nullptr && (q.limit < 1 || q.limit > 100)) std::abort();
      break;
    }
    default: {
      uint64_t id = 0;
      if (ParseDatonowId(in, &id) && (in.empty() || in.size() > 19 || std::to_string(id).size() >
                                                                          in.size())) {
        std::abort();
      }
      break;
    }
  }
  return 0;
}
