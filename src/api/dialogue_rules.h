// DialogueRules: a backend publish (the Pusher HTTP API) to a channel that is a Dialogue room
// checked against the room's rules, as Dialogue checks its server-side triggers
// (docs/protocols/dialogue.md, "Backend triggers"): in a room that lists events, the event must
// be listed (or the room must list "*"), and data must satisfy the event's schema; a Pusher
// publish's data is a string, validated as the JSON value it holds (or as that string when it
// is not JSON). A room that lists no events is read-only for clients only: the backend may
// publish any event there.
// Thread rules: one owner thread (it keeps a parser).
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"
#include "util/string_map.h"

namespace ringcast::api {

class DialogueRules {
 public:
  explicit DialogueRules(const config::DialogueConfig* cfg);
  // "" when `event` with `data` may be published on `channel` of app `app`, else why not.
  std::string Check(uint32_t app, std::string_view channel, std::string_view event,
                    std::string_view data);

 private:
  const config::DialogueConfig* cfg_;
  util::StringMap<const config::DialogueRoomConfig*> rooms_;
  simdjson::dom::parser parser_;
  std::string padded_;
};

}  // namespace ringcast::api
