#include "protocols/pusher/wire.h"

#include <charconv>

#include "util/json_writer.h"
#include "util/utf8_truncate.h"

namespace ringcast::protocols::pusher::wire {

uint16_t CheckProtocolVersion(std::string_view value, std::string* reason) {
  if (value.empty()) {
    *reason = "No protocol version supplied";
    return kCloseNoVersion;
  }
  int version = 0;
  auto r = std::from_chars(value.data(), value.data() + value.size(), version);
  if (r.ec != std::errc() || r.ptr != value.data() + value.size()) {
    *reason = "Invalid protocol version format";
    return kCloseInvalidVersionFormat;
  }
  if (version < kMinProtocol || version > kMaxProtocol) {
    *reason = "Unsupported protocol version " + util::Utf8Truncate(value, 16);
    return kCloseUnsupportedVersion;
  }
  return 0;
}

bool AppKeyFromPath(std::string_view path, std::string_view* key) {
  size_t pos = path.rfind("/app/");
  if (pos == std::string_view::npos) return false;
  std::string_view rest = path.substr(pos + 5);
  if (rest.empty() || rest.find('/') != std::string_view::npos) return false;
  *key = rest;
  return true;
}

void AppendEvent(std::string* out, std::string_view event, std::string_view channel,
                 std::string_view data, std::string_view user_id) {
  out->append("{\"event\":");
  util::AppendJsonString(out, event);
  if (!channel.empty()) {
    out->append(",\"channel\":");
    util::AppendJsonString(out, channel);
  }
  out->append(",\"data\":");
  util::AppendJsonString(out, data);
  if (!user_id.empty()) {
    out->append(",\"user_id\":");
    util::AppendJsonString(out, user_id);
  }
  out->push_back('}');
}

void AppendMemberAdded(std::string* out, std::string_view user_id, std::string_view user_info) {
  out->append("{\"user_id\":");
  util::AppendJsonString(out, user_id);
  out->append(",\"user_info\":");
  out->append(user_info.empty() ? std::string_view("null") : user_info);
  out->push_back('}');
}

void AppendMemberRemoved(std::string* out, std::string_view user_id) {
  out->append("{\"user_id\":");
  util::AppendJsonString(out, user_id);
  out->push_back('}');
}

void AppendSubscriptionCount(std::string* out, uint64_t count) {
  out->append("{\"subscription_count\":");
  util::AppendUint(out, count);
  out->push_back('}');
}

void AppendPresenceData(std::string* out,
                        const std::vector<std::pair<std::string, std::string>>& members) {
  out->append("{\"presence\":{\"ids\":[");
  for (size_t i = 0; i < members.size(); ++i) {
    if (i) out->push_back(',');
    util::AppendJsonString(out, members[i].first);
  }
  out->append("],\"hash\":{");
  for (size_t i = 0; i < members.size(); ++i) {
    if (i) out->push_back(',');
    util::AppendJsonString(out, members[i].first);
    out->push_back(':');
    out->append(members[i].second.empty() ? std::string_view("null") : members[i].second);
  }
  out->append("},\"count\":");
  util::AppendUint(out, members.size());
  out->append("}}");
}

void AppendWatchlistEvents(std::string* out, const std::vector<std::string>& online,
                           const std::vector<std::string>& offline) {
  out->append("{\"events\":[");
  bool first = true;
  for (const auto& [name, ids] : {std::pair{"online", &online}, std::pair{"offline", &offline}}) {
    if (ids->empty()) continue;
    if (!first) out->push_back(',');
    first = false;
    out->append("{\"name\":\"").append(name).append("\",\"user_ids\":[");
    for (size_t i = 0; i < ids->size(); ++i) {
      if (i) out->push_back(',');
      util::AppendJsonString(out, (*ids)[i]);
    }
    out->append("]}");
  }
  out->append("]}");
}

}  // namespace ringcast::protocols::pusher::wire
