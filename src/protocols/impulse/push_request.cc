#include "protocols/impulse/push_request.h"

#include "engine/channel_name.h"

namespace ringcast::protocols::impulse {

void AppendMinified(std::string* out, simdjson::dom::element value) {
  out->append(simdjson::minify(value));
}

PushParse PushParser::Parse(std::string_view body, size_t max_channel_length, PushRequest* out,
                            std::string* details) {
  *out = PushRequest{};
  details->clear();
  padded_.assign(body);
  padded_.resize(body.size() + simdjson::SIMDJSON_PADDING);
  simdjson::dom::element root;
  if (parser_.parse(padded_.data(), body.size(), false).get(root)) return PushParse::kBadJson;
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) {
    *details = "Expected object";
    return PushParse::kBadBody;
  }
  // JSON.parse keeps a key's last value: find each key's last occurrence.
  simdjson::dom::element channel, payload, audience;
  bool has_channel = false, has_payload = false, has_audience = false;
  for (auto field : obj) {
    if (field.key == "channel") {
      channel = field.value;
      has_channel = true;
    } else if (field.key == "payload") {
      payload = field.value;
      has_payload = true;
    } else if (field.key == "audience") {
      audience = field.value;
      has_audience = true;
    }
  }
  std::string_view sv;
  if (!has_channel || channel.get_string().get(sv)) {
    *details = "channel: Expected string";
    return PushParse::kBadBody;
  }
  if (sv.empty()) {
    *details = "channel: String must contain at least 1 character(s)";
    return PushParse::kBadBody;
  }
  if (const char* err = engine::GenericChannelNameError(sv, max_channel_length)) {
    *details = std::string("channel: ") + err;
    return PushParse::kBadBody;
  }
  out->channel = std::string(sv);
  // JSON.stringify drops an undefined payload; null is kept.
  if (has_payload) {
    AppendMinified(&out->payload, payload);
  } else {
    out->audience.payload_absent = true;
  }
  if (!has_audience) return PushParse::kOk;
  simdjson::dom::object aud;
  if (audience.get_object().get(aud)) {
    *details = "audience: Expected object";
    return PushParse::kBadBody;
  }
  simdjson::dom::element tokens, topic;
  bool has_tokens = false, has_topic = false;
  for (auto field : aud) {
    if (field.key == "tokens") {
      tokens = field.value;
      has_tokens = true;
    } else if (field.key == "topic") {
      topic = field.value;
      has_topic = true;
    }
  }
  if (has_tokens) {
    simdjson::dom::array list;
    if (tokens.get_string().get(sv) == simdjson::SUCCESS) {
      // A string is one token; the empty string filters nothing (it is falsy in the broker).
      if (!sv.empty()) {
        out->audience.has_tokens = true;
        out->audience.tokens.emplace_back(sv);
      }
    } else if (tokens.get_array().get(list) == simdjson::SUCCESS) {
      out->audience.has_tokens = true;
      for (simdjson::dom::element t : list) {
        if (t.get_string().get(sv)) {
          *details = "audience.tokens: Expected string or array of strings";
          return PushParse::kBadBody;
        }
        out->audience.tokens.emplace_back(sv);
      }
    } else {
      *details = "audience.tokens: Expected string or array of strings";
      return PushParse::kBadBody;
    }
  }
  if (has_topic) {
    if (topic.get_string().get(sv)) {
      *details = "audience.topic: Expected string";
      return PushParse::kBadBody;
    }
    if (sv.empty()) {
      *details = "audience.topic: String must contain at least 1 character(s)";
      return PushParse::kBadBody;
    }
    out->audience.has_topic = true;
    out->audience.topic = std::string(sv);
  }
  return PushParse::kOk;
}

}  // namespace ringcast::protocols::impulse
