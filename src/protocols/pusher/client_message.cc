#include "protocols/pusher/client_message.h"

#include "protocols/pusher/wire.h"

namespace ringcast::protocols::pusher {

namespace dom = simdjson::dom;

const char* ClientMessageParser::Parse(std::string_view text, ClientMessage* out) {
  *out = ClientMessage();
  data_ = dom::element();
  dom::element root;
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return "message is not JSON";
  simdjson::error_code err = outer_.parse(text.data(), text.size()).get(root);
  if (err == simdjson::UTF8_ERROR) return "message is not valid UTF-8";
  if (err) return "message is not valid JSON";
  dom::object obj;
  if (root.get_object().get(obj)) return "message must be a JSON object";
  dom::element ev;
  if (obj["event"].get(ev)) return "message has no \"event\"";
  if (ev.get_string().get(out->event)) return "\"event\" must be a string";
  dom::element ch;
  if (obj["channel"].get(ch) == simdjson::SUCCESS && ch.get_string().get(out->channel)) {
    return "\"channel\" must be a string";
  }
  if (obj["data"].get(data_) == simdjson::SUCCESS) {
    out->has_data = true;
    if (data_.get_string().get(out->data) == simdjson::SUCCESS) {
      out->data_is_string = true;
    } else if (out->event.substr(0, 7) != "pusher:") {
      // Relayed (client events): minify. Protocol events read their data through
      // ParseSubscribeData instead, so they skip the serialization.
      data_text_ = simdjson::minify(data_);
      out->data = data_text_;
    }
  }
  return nullptr;
}

const char* ClientMessageParser::DataObject(const ClientMessage& msg, dom::object* out) {
  if (!msg.has_data) return "\"data\" is missing";
  dom::element data = data_;
  if (msg.data_is_string) {
    simdjson::error_code err = inner_.parse(msg.data.data(), msg.data.size()).get(data);
    if (err) return "\"data\" is not JSON";
  }
  if (data.get_object().get(*out)) return "\"data\" must be an object";
  return nullptr;
}

const char* ClientMessageParser::ParseSubscribeData(const ClientMessage& msg,
                                                    SubscribeData* out) {
  *out = SubscribeData();
  dom::object obj;
  if (const char* err = DataObject(msg, &obj)) return err;
  dom::element field;
  if (obj["channel"].get(field)) return "\"data.channel\" is missing";
  if (field.get_string().get(out->channel)) return "\"data.channel\" must be a string";
  if (obj["auth"].get(field) == simdjson::SUCCESS && !field.is_null() &&
      field.get_string().get(out->auth)) {
    return "\"data.auth\" must be a string";
  }
  if (obj["channel_data"].get(field) == simdjson::SUCCESS) {
    if (field.get_string().get(out->channel_data)) return "\"data.channel_data\" must be a string";
    out->has_channel_data = true;
  }
  return nullptr;
}

const char* ClientMessageParser::ParseChannelData(std::string_view channel_data,
                                                  PresenceMember* out) {
  *out = PresenceMember();
  dom::element doc;
  if (member_.parse(channel_data.data(), channel_data.size()).get(doc)) {
    return "\"channel_data\" is not JSON";
  }
  dom::object obj;
  if (doc.get_object().get(obj)) return "\"channel_data\" must be a JSON object";
  dom::element field;
  if (obj["user_id"].get(field)) return "\"channel_data.user_id\" is missing";
  std::string_view sv;
  int64_t i;
  uint64_t u;
  if (field.get_string().get(sv) == simdjson::SUCCESS) {
    out->user_id = std::string(sv);
  } else if (field.get_int64().get(i) == simdjson::SUCCESS) {
    out->user_id = std::to_string(i);
  } else if (field.get_uint64().get(u) == simdjson::SUCCESS) {
    out->user_id = std::to_string(u);
  } else {
    return "\"channel_data.user_id\" must be a string or an integer";
  }
  if (out->user_id.empty()) return "\"channel_data.user_id\" must not be empty";
  if (obj["user_info"].get(field) == simdjson::SUCCESS && !field.is_null()) {
    out->user_info = simdjson::minify(field);
  }
  return nullptr;
}

const char* ClientMessageParser::ParseSigninData(const ClientMessage& msg, SigninData* out) {
  *out = SigninData();
  dom::object obj;
  if (const char* err = DataObject(msg, &obj)) return err;
  dom::element field;
  std::string_view sv;
  if (obj["auth"].get(field) || field.get_string().get(sv)) return "\"data.auth\" must be a string";
  out->auth = std::string(sv);
  if (obj["user_data"].get(field) || field.get_string().get(sv)) {
    return "\"data.user_data\" must be a string";
  }
  out->user_data = std::string(sv);
  dom::element doc;
  if (member_.parse(out->user_data).get(doc)) return "\"user_data\" is not JSON";
  if (doc["id"].get(field) || field.get_string().get(sv) || sv.empty()) {
    return "\"user_data.id\" must be a non-empty string";
  }
  out->user_id = std::string(sv);
  if (doc["watchlist"].get(field) == simdjson::SUCCESS && !field.is_null()) {
    dom::array ids;
    if (field.get_array().get(ids)) return "\"user_data.watchlist\" must be an array of user ids";
    for (dom::element id : ids) {
      if (id.get_string().get(sv) || sv.empty()) continue;
      if (++out->watchlist_ids <= wire::kMaxWatchlistIds) out->watchlist.emplace_back(sv);
    }
  }
  return nullptr;
}

}  // namespace ringcast::protocols::pusher
