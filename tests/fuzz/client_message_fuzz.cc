// libFuzzer target for the JSON a Pusher client sends over its WebSocket: ClientMessageParser
// (Parse, then ParseSubscribeData as the session calls it for pusher:subscribe/unsubscribe,
// ParseChannelData on a subscribe's channel_data (presence), ParseSigninData for pusher:signin).
//
// Input: the message text (the WebSocket layer has already checked it is UTF-8; the target
// skips other inputs). Checks: every view of a parsed message is valid UTF-8 (what the
// session echoes or relays; an empty event is the session's to refuse); non-string data
// is valid JSON again (it is relayed as such); a second parse of the same text gives the same
// result (the parser's reused buffers carry nothing over); a presence member's user id is
// non-empty and valid UTF-8 and its user info valid JSON; a signin's user id is non-empty and its
// watchlist holds at most the protocol's 100 ids, each non-empty and valid UTF-8.
// Any violation traps.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocols/pusher/client_message.h"
#include "protocols/pusher/wire.h"
#include "ws/utf8.h"

namespace {

#define FUZZ_CHECK(cond)           \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

using ringcast::protocols::pusher::ClientMessage;
using ringcast::protocols::pusher::ClientMessageParser;
using ringcast::protocols::pusher::PresenceMember;
using ringcast::protocols::pusher::SigninData;
using ringcast::protocols::pusher::SubscribeData;

std::string Transcript(ClientMessageParser& parser, std::string_view text) {
  ClientMessage msg;
  const char* err = parser.Parse(text, &msg);
  if (err != nullptr) return std::string("error: ") + err;
  FUZZ_CHECK(ringcast::ws::IsValidUtf8(msg.event));
  FUZZ_CHECK(ringcast::ws::IsValidUtf8(msg.channel));
  FUZZ_CHECK(ringcast::ws::IsValidUtf8(msg.data));
  if (msg.has_data && !msg.data_is_string && !msg.data.empty()) {
    simdjson::dom::parser again;
    simdjson::dom::element e;
    FUZZ_CHECK(!again.parse(std::string(msg.data)).get(e));
  }
  std::string out = std::string(msg.event) + '\x01' + std::string(msg.channel) + '\x01' +
                    (msg.has_data ? "d" : "-") + (msg.data_is_string ? "s" : "-") +
                    std::string(msg.data);
  if (msg.event == "pusher:subscribe" || msg.event == "pusher:unsubscribe") {
    SubscribeData d;
    const char* serr = parser.ParseSubscribeData(msg, &d);
    if (serr != nullptr) {
      out += std::string("\x02") + serr;
    } else {
      FUZZ_CHECK(ringcast::ws::IsValidUtf8(d.channel));
      FUZZ_CHECK(ringcast::ws::IsValidUtf8(d.auth));
      FUZZ_CHECK(ringcast::ws::IsValidUtf8(d.channel_data));
      out += '\x02' + std::string(d.channel) + '\x01' + std::string(d.auth) + '\x01' +
             std::string(d.channel_data);
      if (d.has_channel_data) {
        std::string channel_data(d.channel_data);  // the views die with the next parse
        PresenceMember m;
        const char* merr = parser.ParseChannelData(channel_data, &m);
        if (merr != nullptr) {
          out += std::string("\x03") + merr;
        } else {
          FUZZ_CHECK(!m.user_id.empty() && ringcast::ws::IsValidUtf8(m.user_id));
          if (!m.user_info.empty()) {
            simdjson::dom::parser again;
            simdjson::dom::element e;
            FUZZ_CHECK(!again.parse(m.user_info).get(e));
          }
          out += '\x03' + m.user_id + '\x01' + m.user_info;
        }
      }
    }
  }
  if (msg.event == "pusher:signin") {
    SigninData s;
    const char* serr = parser.ParseSigninData(msg, &s);
    if (serr != nullptr) {
      out += std::string("\x04") + serr;
    } else {
      FUZZ_CHECK(!s.user_id.empty() && ringcast::ws::IsValidUtf8(s.user_data));
      out += '\x04' + s.auth + '\x01' + s.user_data + '\x01' + s.user_id;
      // The watchlist: the first kMaxWatchlistIds non-empty ids, all of them counted.
      FUZZ_CHECK(s.watchlist.size() <= ringcast::protocols::pusher::wire::kMaxWatchlistIds);
      FUZZ_CHECK(s.watchlist.size() == s.watchlist_ids ||
                 s.watchlist.size() == ringcast::protocols::pusher::wire::kMaxWatchlistIds);
      for (const std::string& id : s.watchlist) {
        FUZZ_CHECK(!id.empty() && ringcast::ws::IsValidUtf8(id));
        out += '\x01' + id;
      }
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (!ringcast::ws::IsValidUtf8(text)) return 0;  // the frame layer refuses it with 1007
  static ClientMessageParser parser;  // reused, as the shard reuses its one parser
  std::string first = Transcript(parser, text);
  FUZZ_CHECK(Transcript(parser, text) == first);
  return 0;
}
