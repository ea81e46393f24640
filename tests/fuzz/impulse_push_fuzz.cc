// libFuzzer target: the Impulse push body parser (protocols/impulse/push_request.h) that the
// control plane runs on every POST {impulse.prefix} body, and the audience bytes it encodes into
// publications (impulse_wire.h), which every shard decodes. Input: the first byte picks the
// mode, the rest is a body (0: parse) or raw audience bytes (1: decode). Checks: no crash or
// sanitizer report; what parses has a valid channel and a payload that is one line of minified
// JSON; its audience survives encode/decode with the same topic, tokens and payload flag; a
// stream matches only as the broker's rule says; decoding arbitrary bytes never reads outside
// them.
#include <simdjson.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/channel_name.h"
#include "protocols/impulse/impulse_wire.h"
#include "protocols/impulse/push_request.h"

using namespace ringcast::protocols::impulse;

namespace {

void CheckMinifiedJson(const std::string& text) {
  if (text.find_first_of("\r\n") != std::string::npos) std::abort();
  simdjson::dom::parser parser;
  simdjson::dom::element el;
  if (parser.parse(text).get(el) != simdjson::SUCCESS) std::abort();
  if (simdjson::minify(el) != text) std::abort();
}

void CheckParse(std::string_view body) {
  static PushParser parser;
  PushRequest req;
  std::string details;
  PushParse r = parser.Parse(body, 164, &req, &details);
  if (r == PushParse::kBadBody && details.empty()) std::abort();
  if (r != PushParse::kOk) return;
  if (ringcast::engine::GenericChannelNameError(req.channel, 164) != nullptr) std::abort();
  if (req.audience.payload_absent != req.payload.empty()) std::abort();
  if (!req.audience.payload_absent) CheckMinifiedJson(req.payload);
  if (req.audience.has_topic && req.audience.topic.empty()) std::abort();
  std::string bytes = wire::EncodeAudience(req.audience);
  wire::AudienceView v;
  if (!wire::DecodeAudience(bytes, &v)) std::abort();
  if (v.has_topic != req.audience.has_topic || v.topic != req.audience.topic ||
      v.has_tokens != req.audience.has_tokens || v.payload_absent != req.audience.payload_absent ||
      v.tokens.size() != req.audience.tokens.size()) {
    std::abort();
  }
  // The broker's rule, checked against every listed token and a stranger.
  std::string topic = req.audience.has_topic ? req.audience.topic : "";
  for (const std::string& t : req.audience.tokens) {
    bool want = !t.empty();
    if (wire::Matches(v, topic, t) != want) std::abort();
  }
  bool listed = std::find(req.audience.tokens.begin(), req.audience.tokens.end(), "\x01stranger") !=
                req.audience.tokens.end();
  if (wire::Matches(v, topic, "\x01stranger") != (!req.audience.has_tokens || listed)) {
    std::abort();
  }
  if (req.audience.has_topic && wire::Matches(v, topic + "x", "")) std::abort();
  std::string record;
  wire::AppendRecord(&record, req.channel, req.payload, req.audience.payload_absent);
  // One SSE event: "data: " + one line + a blank line.
  if (record.compare(0, 6, "data: ") != 0 || record.find('\n') != record.size() - 2) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    CheckParse(in);
  } else {
    // Own copy: ASan sees any read past the end.
    std::string copy(in);
    wire::AudienceView v;
    if (wire::DecodeAudience(copy, &v)) (void)wire::Matches(v, "t", "k");
  }
  return 0;
}
