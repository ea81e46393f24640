// PusherMessageParser implementation: one pass over the outer object's fields with simdjson
// on-demand (any field order; data as a string or raw JSON), and the inner objects of
// connection_established and pusher:error parsed from a padded copy.
// One parser per worker thread.
#include "ringcast-bench/pusher_message.h"

#include <utility>

namespace ringcast::bench {

namespace sj = simdjson::ondemand;

simdjson::padded_string_view PusherMessageParser::Pad(std::string_view text) {
  pad_.assign(text);
  pad_.resize(text.size() + simdjson::SIMDJSON_PADDING, ' ');
  return simdjson::padded_string_view(pad_.data(), text.size(), pad_.size());
}

const char* PusherMessageParser::Parse(std::string_view text, PusherMessage* out) {
  *out = PusherMessage();
  simdjson::padded_string_view view(text.data(), text.size(),
                                    text.size() + simdjson::SIMDJSON_PADDING);
  sj::document doc;
  if (parser_.iterate(view).get(doc)) return "message is not JSON";
  sj::object obj;
  if (doc.get_object().get(obj)) return "message is not a JSON object";
  bool has_event = false;
  for (auto result : obj) {
    sj::field field;
    if (std::move(result).get(field)) return "message is not valid JSON";
    std::string_view key;
    if (field.unescaped_key().get(key)) return "message is not valid JSON";
    if (key == "event") {
      if (field.value().get_string().get(out->event)) return "\"event\" is not a string";
      has_event = true;
    } else if (key == "channel") {
      if (field.value().get_string().get(out->channel)) return "\"channel\" is not a string";
    } else if (key == "data") {
      sj::value v = field.value();
      sj::json_type type;
      if (v.type().get(type)) return "message is not valid JSON";
      if (type == sj::json_type::string) {
        if (v.get_string().get(out->data)) return "\"data\" is not a valid string";
        out->data_is_string = true;
      } else if (type == sj::json_type::object) {
        sj::object o;
        if (v.get_object().get(o) || o.raw_json().get(out->data)) return "bad \"data\"";
      } else if (type == sj::json_type::array) {
        sj::array a;
        if (v.get_array().get(a) || a.raw_json().get(out->data)) return "bad \"data\"";
      } else {
        out->data = v.raw_json_token();
      }
    }  // other fields (user_id, ...) are skipped by the iteration
  }
  if (!has_event) return "message has no \"event\"";
  return nullptr;
}

bool PusherMessageParser::ParseSocketId(std::string_view data, std::string* socket_id) {
  sj::document doc;
  if (inner_.iterate(Pad(data)).get(doc)) return false;
  sj::object obj;
  if (doc.get_object().get(obj)) return false;
  std::string_view id;
  if (obj.find_field_unordered("socket_id").get_string().get(id)) return false;
  socket_id->assign(id);
  return true;
}

void PusherMessageParser::ParseError(std::string_view data, int64_t* code, std::string* message) {
  *code = 0;
  message->clear();
  sj::document doc;
  if (inner_.iterate(Pad(data)).get(doc)) {
    message->assign(data.substr(0, 200));
    return;
  }
  sj::object obj;
  if (doc.get_object().get(obj)) return;
  int64_t c = 0;
  if (!obj.find_field_unordered("code").get_int64().get(c)) *code = c;
  std::string_view m;
  if (!obj.find_field_unordered("message").get_string().get(m)) message->assign(m.substr(0, 200));
}

}  // namespace ringcast::bench
