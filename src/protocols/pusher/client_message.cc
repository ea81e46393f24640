#include "protocols/pusher/client_message.h"

namespace ringcast::protocols::pusher {

namespace sj = simdjson::ondemand;

simdjson::padded_string_view ClientMessageParser::Pad(std::string* buf, std::string_view text) {
  buf->assign(text);
  buf->resize(text.size() + simdjson::SIMDJSON_PADDING, ' ');
  return simdjson::padded_string_view(buf->data(), text.size(), buf->size());
}

const char* ClientMessageParser::Parse(std::string_view text, ClientMessage* out) {
  *out = ClientMessage();
  sj::document doc;
  if (outer_.iterate(Pad(&outer_buf_, text)).get(doc)) return "message is not JSON";
  sj::object obj;
  if (doc.get_object().get(obj)) return "message must be a JSON object";
  std::string_view event;
  auto ev = obj.find_field_unordered("event");
  if (ev.error() == simdjson::NO_SUCH_FIELD) return "message has no \"event\"";
  if (ev.get_string().get(event)) return "\"event\" must be a string";
  out->event = event;

  auto ch = obj.find_field_unordered("channel");
  if (ch.error() == simdjson::SUCCESS) {
    std::string_view channel;
    if (ch.get_string().get(channel)) return "\"channel\" must be a string";
    out->channel = channel;
  } else if (ch.error() != simdjson::NO_SUCH_FIELD) {
    return "message is not valid JSON";
  }

  auto data = obj.find_field_unordered("data");
  if (data.error() == simdjson::SUCCESS) {
    sj::value v = data.value_unsafe();
    sj::json_type type;
    if (v.type().get(type)) return "message is not valid JSON";
    out->has_data = true;
    std::string_view raw;
    switch (type) {
      case sj::json_type::string:
        out->data_is_string = true;
        if (v.get_string().get(raw)) return "\"data\" is not a valid string";
        break;
      case sj::json_type::object: {
        sj::object o;
        if (v.get_object().get(o) || o.raw_json().get(raw)) return "\"data\" is not valid JSON";
        break;
      }
      case sj::json_type::array: {
        sj::array a;
        if (v.get_array().get(a) || a.raw_json().get(raw)) return "\"data\" is not valid JSON";
        break;
      }
      default:
        raw = v.raw_json_token();
        while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' ||
                                raw.back() == '\t')) {
          raw.remove_suffix(1);
        }
        break;
    }
    out->data = raw;
  } else if (data.error() != simdjson::NO_SUCH_FIELD) {
    return "message is not valid JSON";
  }
  return nullptr;
}

const char* ClientMessageParser::ParseSubscribeData(const ClientMessage& msg,
                                                    SubscribeData* out) {
  *out = SubscribeData();
  if (!msg.has_data) return "\"data\" is missing";
  sj::document doc;
  if (inner_.iterate(Pad(&inner_buf_, msg.data)).get(doc)) return "\"data\" is not JSON";
  sj::object obj;
  if (doc.get_object().get(obj)) return "\"data\" must be an object";
  std::string_view s;
  auto ch = obj.find_field_unordered("channel");
  if (ch.error() == simdjson::NO_SUCH_FIELD) return "\"data.channel\" is missing";
  if (ch.get_string().get(s)) return "\"data.channel\" must be a string";
  out->channel = s;
  auto auth = obj.find_field_unordered("auth");
  if (auth.error() == simdjson::SUCCESS) {
    bool is_null = false;
    if (auth.is_null().get(is_null) == simdjson::SUCCESS && is_null) {
      // tolerated: some clients send null for public channels
    } else if (auth.get_string().get(s)) {
      return "\"data.auth\" must be a string";
    } else {
      out->auth = s;
    }
  } else if (auth.error() != simdjson::NO_SUCH_FIELD) {
    return "\"data\" is not valid JSON";
  }
  auto cd = obj.find_field_unordered("channel_data");
  if (cd.error() == simdjson::SUCCESS) {
    if (cd.get_string().get(s)) return "\"data.channel_data\" must be a string";
    out->channel_data = s;
    out->has_channel_data = true;
  } else if (cd.error() != simdjson::NO_SUCH_FIELD) {
    return "\"data\" is not valid JSON";
  }
  return nullptr;
}

}  // namespace ringcast::protocols::pusher
