// POST /api/trigger parsing; see datonow_trigger_request.h for the contract.
#include "api/datonow_trigger_request.h"

#include <simdjson.h>

#include "engine/channel_name.h"
#include "util/utf8_truncate.h"

namespace ringcast::api {

bool ParseTriggerSignature(std::string_view header, std::string* hex_lower) {
  constexpr std::string_view kPrefix = "sha256=";
  if (header.size() != kPrefix.size() + 64 || header.substr(0, kPrefix.size()) != kPrefix) {
    return false;
  }
  hex_lower->clear();
  for (char c : header.substr(kPrefix.size())) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    hex_lower->push_back(c);
  }
  return true;
}

const char* FindTriggerAppKey(std::string_view body, std::string* app_key) {
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(body);
  simdjson::ondemand::document doc;
  simdjson::ondemand::object obj;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS ||
      doc.get_object().get(obj) != simdjson::SUCCESS) {
    return "The body must be a JSON object";
  }
  std::string_view sv;
  if (obj["appKey"].get_string().get(sv) != simdjson::SUCCESS || sv.empty()) {
    return "appKey is required and must be a non-empty string";
  }
  *app_key = std::string(sv);
  return nullptr;
}

std::string ParseDatonowTrigger(std::string_view body, const TriggerLimits& limits,
                                DatonowTriggerFields* out, int* status) {
  *status = 400;
  simdjson::dom::parser parser;
  simdjson::dom::element root, el;
  simdjson::dom::object obj;
  if (parser.parse(body).get(root) != simdjson::SUCCESS || root.get(obj) != simdjson::SUCCESS) {
    return "The body must be a JSON object";
  }
  std::string_view sv;
  if (obj["event"].get(el) != simdjson::SUCCESS || el.get_string().get(sv) != simdjson::SUCCESS) {
    return "event is required and must be a string";
  }
  if (const char* e = engine::EventNameError(sv, limits.max_event_name_length)) {
    return std::string("Invalid event name: ") + e;
  }
  out->event = std::string(sv);
  if (obj["channel"].get(el) != simdjson::SUCCESS) {
    return "channel is required (a string or an array of strings)";
  }
  if (el.get_string().get(sv) == simdjson::SUCCESS) {
    out->channels.emplace_back(sv);
  } else {
    simdjson::dom::array arr;
    if (el.get_array().get(arr) != simdjson::SUCCESS) {
      return "channel must be a string or an array of strings";
    }
    if (arr.size() > limits.max_channels) {
      return "Too many channels: " + std::to_string(arr.size()) + ", limit " +
             std::to_string(limits.max_channels);
    }
    for (simdjson::dom::element c : arr) {
      if (c.get_string().get(sv) != simdjson::SUCCESS) return "Channel names must be strings";
      out->channels.emplace_back(sv);
    }
  }
  if (out->channels.empty()) return "channel must name at least one channel";
  for (const std::string& c : out->channels) {
    if (const char* e = engine::ChannelNameError(c, limits.max_channel_name_length,
                                                 /*allow_internal=*/true)) {
      return "Invalid channel name '" + util::Utf8Truncate(c, 200) + "': " + e;
    }
  }
  if (obj["data"].get(el) != simdjson::SUCCESS) return "data is required";
  if (el.get_string().get(sv) == simdjson::SUCCESS) {
    out->data = std::string(sv);
  } else {
    out->data = simdjson::minify(el);  // relayed as its JSON text, as the Pusher API does
  }
  if (out->data.size() > limits.max_data_bytes) {
    *status = 413;
    return "Event data too large: " + std::to_string(out->data.size()) + " bytes, limit " +
           std::to_string(limits.max_data_bytes);
  }
  if (obj["socketId"].get(el) == simdjson::SUCCESS && !el.is_null()) {
    if (el.get_string().get(sv) != simdjson::SUCCESS) return "socketId must be a string";
    const size_t dot = sv.find('.');
    bool ok = dot != std::string_view::npos && dot > 0 && dot + 1 < sv.size() &&
              sv.find('.', dot + 1) == std::string_view::npos && sv.size() <= 41;
    for (char c : sv) ok = ok && (c == '.' || (c >= '0' && c <= '9'));
    if (!ok) return "Invalid socketId '" + util::Utf8Truncate(sv, 64) + "'";
    out->socket_id = std::string(sv);
  }
  if (obj["requestId"].get(el) == simdjson::SUCCESS && !el.is_null()) {
    if (el.get_string().get(sv) != simdjson::SUCCESS || sv.empty() ||
        sv.size() > kMaxRequestIdBytes) {
      return "requestId must be a non-empty string of at most 200 bytes";
    }
    out->request_id = std::string(sv);
  }
  return std::string();
}

}  // namespace ringcast::api
