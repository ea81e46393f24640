#include "apps/dontcode/realtime_wire.h"

#include "apps/dontcode/realtime_token.h"
#include "util/json_writer.h"

namespace ringcast::apps::dontcode::wire {

void AppendMember(std::string* out, std::string_view id, std::string_view identity) {
  util::JsonObject o(out);
  o.Str("id", id);
  if (!identity.empty()) o.Str("identity", identity);
  o.Close();
}

void AppendError(std::string* out, std::string_view code, std::string_view message,
                 std::string_view channel, std::string_view ref_json) {
  util::JsonObject o(out);
  o.Str("type", "error").Str("code", code).Str("message", message);
  if (!channel.empty()) o.Str("channel", channel);
  if (!ref_json.empty()) o.Raw("ref", ref_json);
  o.Close();
}

void AppendReply(std::string* out, std::string_view type, std::string_view channel,
                 std::string_view ref_json) {
  util::JsonObject o(out);
  o.Str("type", type).Str("channel", channel);
  if (!ref_json.empty()) o.Raw("ref", ref_json);
  o.Close();
}

const char* ParseClientMessage(std::string_view text, simdjson::dom::parser* parser,
                               std::string* padded, ClientMessage* out) {
  *out = ClientMessage{};
  padded->assign(text);
  padded->resize(text.size() + simdjson::SIMDJSON_PADDING);
  simdjson::dom::object o;
  if (parser->parse(padded->data(), text.size(), false).get_object().get(o)) {
    return "Expected a JSON object";
  }
  simdjson::dom::element ref;
  if (o["ref"].get(ref) == simdjson::SUCCESS) {
    if (!(ref.is_string() || ref.is_number())) return "ref: Expected a string or a number";
    std::string json = simdjson::minify(ref);
    if (json.size() > 128) return "ref: at most 128 bytes";
    out->ref = std::move(json);
  }
  std::string_view type;
  if (o["type"].get_string().get(type)) return "type: Expected a string";
  if (type == "ping") {
    out->type = ClientMessage::Type::kPing;
    return nullptr;
  }
  if (type == "subscribe") {
    out->type = ClientMessage::Type::kSubscribe;
  } else if (type == "unsubscribe") {
    out->type = ClientMessage::Type::kUnsubscribe;
  } else if (type == "publish") {
    out->type = ClientMessage::Type::kPublish;
  } else {
    return "type: Unknown type";
  }
  std::string_view channel;
  if (o["channel"].get_string().get(channel) || RealtimeChannelError(channel) != nullptr) {
    return "channel: Expected a channel name";
  }
  out->channel = std::string(channel);
  if (out->type != ClientMessage::Type::kPublish) return nullptr;
  simdjson::dom::element data;
  if (o["data"].get(data)) return "data: required";
  // A string is published as its text (as a Pusher trigger's data), anything else as JSON.
  std::string_view str;
  out->data = data.get_string().get(str) == simdjson::SUCCESS ? std::string(str)
                                                              : simdjson::minify(data);
  return nullptr;
}

}  // namespace ringcast::apps::dontcode::wire
