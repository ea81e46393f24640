#include "api/dialogue_rules.h"

#include "config/json_schema.h"
#include "util/json_writer.h"

namespace ringcast::api {

DialogueRules::DialogueRules(const config::DialogueConfig* cfg) : cfg_(cfg) {
  if (!cfg->enabled) return;
  for (const config::DialogueRoomConfig& room : cfg->rooms) rooms_.emplace(room.id, &room);
}

std::string DialogueRules::Check(uint32_t app, std::string_view channel, std::string_view event,
                                 std::string_view data) {
  if (rooms_.empty() || app != cfg_->app) return "";
  auto it = rooms_.find(channel);
  if (it == rooms_.end()) return "";
  const config::DialogueRoomConfig& room = *it->second;
  if (room.events.empty()) return "";  // read-only for clients; the backend may publish
  const config::DialogueEventConfig* def = room.FindEvent(event);
  if (def == nullptr) {
    return "Event '" + std::string(event) + "' is not allowed in room '" + room.id + "'";
  }
  if (def->schema == nullptr) return "";
  padded_.assign(data);
  padded_.resize(data.size() + simdjson::SIMDJSON_PADDING);
  simdjson::dom::element value;
  std::string err;
  if (parser_.parse(padded_.data(), data.size(), false).get(value) == simdjson::SUCCESS) {
    err = def->schema->Validate(value);
  } else {
    // Not JSON: the string itself is the value.
    std::string quoted;
    util::AppendJsonString(&quoted, data);
    padded_.assign(quoted);
    padded_.resize(quoted.size() + simdjson::SIMDJSON_PADDING);
    if (parser_.parse(padded_.data(), quoted.size(), false).get(value) != simdjson::SUCCESS) {
      return "Event data does not fit the schema of '" + std::string(event) + "' in room '" +
             room.id + "'";
    }
    err = def->schema->Validate(value);
  }
  if (err.empty()) return "";
  return "Event '" + std::string(event) + "' fails its schema in room '" + room.id + "': " + err;
}

}  // namespace ringcast::api
