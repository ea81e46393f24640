// libFuzzer target for the Datonow sockets' parsers and frame builder: the appKey client-message
// translator (protocols/datonow/wire.h ClientTranslator, every message an appKey socket receives,
// also those POST /api/subscribe builds), the POST /api/subscribe body parser
// (api/datonow_socket_api.h ParseDatonowSubscribe), and the frame every Datonow socket receives
// (wire::AppendFrame, over arbitrary data bytes).
//
// Input: the text (the WebSocket layer has already checked UTF-8; inputs that are not are
// skipped). Checks: translating twice gives the same result (no state carried over); a
// "datonow:<name>" message becomes valid JSON that the Pusher parser accepts with the event
// "pusher:<name>"; a client- event is passed on as sent; a frame is valid JSON whose "data" is
// the input itself when the input is one JSON text, else a string; a parsed subscribe body has
// non-empty appKey, socketId and channel. Any violation traps.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/datonow_socket_api.h"
#include "protocols/datonow/wire.h"
#include "protocols/pusher/client_message.h"
#include "ws/utf8.h"

namespace {

#define FUZZ_CHECK(cond)           \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

namespace wire = ringcast::protocols::datonow::wire;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (!ringcast::ws::IsValidUtf8(text)) return 0;
  static wire::ClientTranslator translator;
  static ringcast::protocols::pusher::ClientMessageParser pusher;
  static simdjson::dom::parser validator;
  // One level deeper than the validator allows: a frame wraps the data in its object.
  static simdjson::dom::parser check = [] {
    simdjson::dom::parser p;
    (void)p.allocate(1 << 16, simdjson::DEFAULT_MAX_DEPTH + 1);
    return p;
  }();
  simdjson::dom::element e;

  std::string out;
  const char* err = translator.Translate(text, &out);
  std::string again;
  const char* err2 = translator.Translate(text, &again);
  FUZZ_CHECK((err == nullptr) == (err2 == nullptr));
  if (err == nullptr) {
    FUZZ_CHECK(out == again);
    FUZZ_CHECK(!check.parse(out).get(e));
    ringcast::protocols::pusher::ClientMessage msg;
    if (out == text) {
      // A client event, relayed as sent: the Pusher session checks the rest of it.
      FUZZ_CHECK(pusher.Parse(out, &msg) != nullptr || msg.event.substr(0, 7) == "client-");
    } else {
      FUZZ_CHECK(pusher.Parse(out, &msg) == nullptr);
      FUZZ_CHECK(msg.event.substr(0, 7) == "pusher:");
    }
  }

  std::string frame;
  wire::AppendFrame(&frame, "pusher_internal:member_added", "presence-x", text, "u", &validator);
  simdjson::dom::element root;
  FUZZ_CHECK(!check.parse(frame).get(root));
  std::string_view ev;
  FUZZ_CHECK(!root["event"].get_string().get(ev) && ev == "datonow:member_added");
  simdjson::dom::element value;
  FUZZ_CHECK(!root["data"].get(value));
  simdjson::dom::parser alone;
  simdjson::dom::element whole;
  const bool is_json = text.find_first_not_of(" \t\r\n") != std::string_view::npos &&
                       !alone.parse(text.data(), text.size()).get(whole);
  if (!is_json) {
    std::string_view s;
    FUZZ_CHECK(!value.get_string().get(s) && s == text);
  }

  ringcast::api::DatonowSubscribeFields f;
  if (ringcast::api::ParseDatonowSubscribe(text, &f) == nullptr) {
    FUZZ_CHECK(!f.app_key.empty() && !f.socket_id.empty() && !f.channel.empty());
  }
  return 0;
}
