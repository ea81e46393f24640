#include "protocols/datonow/wire.h"

#include "util/json_writer.h"

namespace ringcast::protocols::datonow::wire {

namespace dom = simdjson::dom;

void AppendEventName(std::string* out, std::string_view event) {
  if (event.substr(0, 7) == "pusher:") {
    out->append("datonow:").append(event.substr(7));
  } else if (event.substr(0, 16) == "pusher_internal:") {
    out->append("datonow:").append(event.substr(16));
  } else {
    out->append(event);
  }
}

void AppendDataValue(std::string* out, std::string_view data, dom::parser* validator) {
  dom::element root;
  if (!data.empty() && data.find_first_not_of(" \t\r\n") != std::string_view::npos &&
      validator->parse(data.data(), data.size()).get(root) == simdjson::SUCCESS) {
    out->append(data);
    return;
  }
  util::AppendJsonString(out, data);
}

void AppendFrame(std::string* out, std::string_view event, std::string_view channel,
                 std::string_view data, std::string_view user_id, dom::parser* validator) {
  out->append("{\"event\":");
  std::string name;
  AppendEventName(&name, event);
  util::AppendJsonString(out, name);
  if (!channel.empty() && channel[0] != '#') {
    out->append(",\"channel\":");
    util::AppendJsonString(out, channel);
  }
  out->append(",\"data\":");
  AppendDataValue(out, data, validator);
  if (!user_id.empty()) {
    out->append(",\"user_id\":");
    util::AppendJsonString(out, user_id);
  }
  out->push_back('}');
}

const char* ClientTranslator::Translate(std::string_view text, std::string* out) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return "message is not JSON";
  dom::element root;
  simdjson::error_code err = parser_.parse(text.data(), text.size()).get(root);
  if (err == simdjson::UTF8_ERROR) return "message is not valid UTF-8";
  if (err) return "message is not valid JSON";
  dom::object obj;
  if (root.get_object().get(obj)) return "message must be a JSON object";
  dom::element ev;
  std::string_view event;
  if (obj["event"].get(ev)) return "message has no \"event\"";
  if (ev.get_string().get(event)) return "\"event\" must be a string";
  if (event.substr(0, 7) == "client-") {
    out->assign(text);
    return nullptr;
  }
  if (event.substr(0, 8) != "datonow:") return "Unsupported event";
  std::string_view name = event.substr(8);
  if (name != "subscribe" && name != "unsubscribe" && name != "ping" && name != "pong" &&
      name != "signin") {
    return "Unsupported event";
  }
  out->clear();
  out->append("{\"event\":\"pusher:").append(name).push_back('"');
  dom::element field;
  if (obj["channel"].get(field) == simdjson::SUCCESS) {
    std::string_view channel;
    if (field.get_string().get(channel)) return "\"channel\" must be a string";
    out->append(",\"channel\":");
    util::AppendJsonString(out, channel);
  }
  if (obj["data"].get(field) == simdjson::SUCCESS) {
    out->append(",\"data\":");
    out->append(simdjson::minify(field));
  }
  out->push_back('}');
  return nullptr;
}

}  // namespace ringcast::protocols::datonow::wire
