#include "protocols/sse/sse_request.h"

#include <charconv>

#include "http/query.h"

namespace ringcast::protocols::sse {

const char* ParseSseQuery(std::string_view query, uint32_t max_channels, SseRequest* out) {
  *out = SseRequest();
  std::vector<http::QueryParam> params;
  if (!http::ParseQuery(query, &params, /*plus_as_space=*/true)) return "Malformed query string";
  for (const http::QueryParam& p : params) {
    if (p.key == "channels") {
      std::string_view list = p.value;
      while (true) {
        size_t comma = list.find(',');
        std::string_view name = list.substr(0, comma);
        if (name.empty()) return "Empty channel name in 'channels'";
        if (out->channels.size() >= max_channels) return "Too many channels";
        for (const std::string& have : out->channels) {
          if (have == name) return "Channel named twice in 'channels'";
        }
        out->channels.emplace_back(name);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
    } else if (p.key == "channel") {
      if (p.value.empty()) return "Empty channel name in 'channel'";
      if (out->channels.size() >= max_channels) return "Too many channels";
      for (const std::string& have : out->channels) {
        if (have == p.value) return "Channel named twice";
      }
      out->channels.emplace_back(p.value);
    } else if (p.key == "last_event_id" || p.key == "lastEventId") {
      out->last_event_id = p.value;
    } else if (p.key == "auth") {
      out->auth = p.value;
    } else if (p.key == "expires") {
      out->expires = p.value;
    }
  }
  if (out->channels.empty()) return "Missing 'channels' (a comma-separated list)";
  return nullptr;
}

namespace {
bool ParseU64(std::string_view s, uint64_t* v) {
  if (s.empty() || s.size() > 20) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}
}  // namespace

bool ParseEventId(std::string_view id, size_t channels, std::vector<SsePosition>* out) {
  out->clear();
  if (channels == 0) return false;
  while (true) {
    size_t comma = id.find(',');
    std::string_view pos = id.substr(0, comma);
    size_t dot = pos.find('.');
    SsePosition p;
    if (dot == std::string_view::npos || !ParseU64(pos.substr(0, dot), &p.epoch) ||
        !ParseU64(pos.substr(dot + 1), &p.seq) || out->size() >= channels) {
      out->clear();
      return false;
    }
    out->push_back(p);
    if (comma == std::string_view::npos) break;
    id.remove_prefix(comma + 1);
  }
  if (out->size() != channels) {
    out->clear();
    return false;
  }
  return true;
}

std::string SseStringToSign(std::string_view expires, const std::vector<std::string>& channels) {
  std::string s = "sse\n";
  s.append(expires);
  s.push_back('\n');
  for (const std::string& c : channels) {
    s.append(c);
    s.push_back('\n');
  }
  return s;
}

void AppendEventId(std::string* out, const std::vector<SsePosition>& positions) {
  for (size_t i = 0; i < positions.size(); ++i) {
    if (i > 0) out->push_back(',');
    out->append(std::to_string(positions[i].epoch));
    out->push_back('.');
    out->append(std::to_string(positions[i].seq));
  }
}

}  // namespace ringcast::protocols::sse
