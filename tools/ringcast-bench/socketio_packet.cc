// Socket.IO / Engine.IO v4 packet parsing and encoding for the bench's socket.io client mode:
// the type digits, the optional attachment count, namespace and ack id of a Socket.IO packet,
// and the event arrays read with simdjson on demand. Pure; see socketio_packet.h.
#include "ringcast-bench/socketio_packet.h"

#include <utility>

#include "util/json_writer.h"

namespace ringcast::bench {

namespace sj = simdjson::ondemand;

const char* ParseEngineIoPacket(std::string_view text, EngineIoPacket* out) {
  *out = EngineIoPacket();
  if (text.empty()) return "empty engine.io packet";
  char t = text[0];
  if (t < '0' || t > '6') return "unknown engine.io packet type";
  out->type = static_cast<EioType>(t - '0');
  out->data = text.substr(1);
  return nullptr;
}

const char* ParseSocketIoPacket(std::string_view text, SocketIoPacket* out) {
  *out = SocketIoPacket();
  if (text.empty()) return "empty socket.io packet";
  char t = text[0];
  if (t < '0' || t > '6') return "unknown socket.io packet type";
  out->type = static_cast<SioType>(t - '0');
  size_t i = 1;
  if (out->type == SioType::kBinaryEvent || out->type == SioType::kBinaryAck) {
    uint64_t n = 0;
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i - start < 9) {
      n = n * 10 + static_cast<uint64_t>(text[i] - '0');
      ++i;
    }
    if (i == start || i >= text.size() || text[i] != '-') return "bad socket.io attachment count";
    out->attachments = static_cast<uint32_t>(n);
    ++i;
  }
  if (i < text.size() && text[i] == '/') {
    size_t comma = text.find(',', i);
    if (comma == std::string_view::npos) {
      // "1/chat" (DISCONNECT) or "0/chat" (CONNECT) may end with the namespace.
      out->nsp = text.substr(i);
      i = text.size();
    } else {
      out->nsp = text.substr(i, comma - i);
      i = comma + 1;
    }
  }
  if (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    int64_t id = 0;
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (i - start >= 15) return "socket.io ack id too long";
      id = id * 10 + (text[i] - '0');
      ++i;
    }
    out->ack_id = id;
  }
  out->payload = text.substr(i);
  switch (out->type) {
    case SioType::kEvent:
    case SioType::kBinaryEvent:
      if (out->payload.empty() || out->payload.front() != '[')
        return "socket.io event is not an array";
      break;
    case SioType::kAck:
    case SioType::kBinaryAck:
      if (out->ack_id < 0) return "socket.io ack without an id";
      if (out->payload.empty() || out->payload.front() != '[')
        return "socket.io ack is not an array";
      break;
    case SioType::kConnect:
    case SioType::kConnectError:
      if (!out->payload.empty() && out->payload.front() != '{') {
        return "socket.io connect payload is not an object";
      }
      break;
    case SioType::kDisconnect:
      break;
  }
  return nullptr;
}

void AppendSocketIoEvent(std::string* out, std::string_view event, std::string_view arg,
                         int64_t ack_id) {
  out->append("42");
  if (ack_id >= 0) util::AppendUint(out, static_cast<uint64_t>(ack_id));
  out->push_back('[');
  util::AppendJsonString(out, event);
  out->push_back(',');
  util::AppendJsonString(out, arg);
  out->push_back(']');
}

std::string_view SocketIoArgsParser::Pad(std::string_view text) {
  pad_.assign(text);
  pad_.resize(text.size() + simdjson::SIMDJSON_PADDING, ' ');
  return std::string_view(pad_.data(), text.size());
}

const char* SocketIoArgsParser::ParseEvent(std::string_view array_json, PusherMessage* out) {
  return Parse(array_json, true, out);
}

const char* SocketIoArgsParser::ParseAck(std::string_view array_json, PusherMessage* out) {
  return Parse(array_json, false, out);
}

namespace {

// out->data = `v`: the unescaped string (data_is_string), else its raw JSON.
const char* ReadValue(sj::value& v, PusherMessage* out) {
  sj::json_type type;
  if (v.type().get(type)) return "socket.io payload is not valid JSON";
  if (type == sj::json_type::string) {
    if (v.get_string().get(out->data)) return "socket.io argument is not a valid string";
    out->data_is_string = true;
  } else if (type == sj::json_type::object) {
    sj::object o;
    if (v.get_object().get(o) || o.raw_json().get(out->data)) return "bad socket.io argument";
  } else if (type == sj::json_type::array) {
    sj::array a;
    if (v.get_array().get(a) || a.raw_json().get(out->data)) return "bad socket.io argument";
  } else {
    out->data = v.raw_json_token();
  }
  return nullptr;
}

}  // namespace

const char* SocketIoArgsParser::Parse(std::string_view array_json, bool has_name,
                                      PusherMessage* out) {
  *out = PusherMessage();
  simdjson::padded_string_view view(array_json.data(), array_json.size(),
                                    array_json.size() + simdjson::SIMDJSON_PADDING);
  sj::document doc;
  if (parser_.iterate(view).get(doc)) return "socket.io payload is not JSON";
  sj::array arr;
  if (doc.get_array().get(arr)) return "socket.io payload is not an array";
  bool first = true;
  bool have_arg = false;
  for (auto result : arr) {
    sj::value v;
    if (std::move(result).get(v)) return "socket.io payload is not valid JSON";
    if (first && has_name) {
      first = false;
      if (v.get_string().get(out->event)) return "socket.io event name is not a string";
      continue;
    }
    first = false;
    if (have_arg) break;  // further arguments are not used
    have_arg = true;
    if (const char* err = ReadValue(v, out)) return err;
  }
  if (has_name && first) return "socket.io event without a name";
  return nullptr;
}

const char* SocketIoArgsParser::ParseDialogue(std::string_view array_json, bool has_name,
                                              PusherMessage* out) {
  *out = PusherMessage();
  simdjson::padded_string_view view(array_json.data(), array_json.size(),
                                    array_json.size() + simdjson::SIMDJSON_PADDING);
  sj::document doc;
  if (parser_.iterate(view).get(doc)) return "socket.io payload is not JSON";
  sj::array arr;
  if (doc.get_array().get(arr)) return "socket.io payload is not an array";
  bool first = true;
  bool envelope = false;
  for (auto result : arr) {
    sj::value v;
    if (std::move(result).get(v)) return "socket.io payload is not valid JSON";
    if (first && has_name) {
      first = false;
      if (v.get_string().get(out->event)) return "socket.io event name is not a string";
      envelope = out->event == "dialogue:event";
      continue;
    }
    first = false;
    sj::object obj;
    if (v.get_object().get(obj)) return nullptr;  // not an object: nothing to read
    for (auto field : obj) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return "bad dialogue field";
      sj::value fv;
      if (field.value().get(fv)) return "bad dialogue field";
      if (key == "roomId") {
        if (fv.get_string().get(out->channel)) return "dialogue roomId is not a string";
      } else if (envelope && key == "event") {
        if (fv.get_string().get(out->event)) return "dialogue event is not a string";
      } else if (envelope && key == "data") {
        if (const char* err = ReadValue(fv, out)) return err;
      }
    }
    break;  // further arguments are not used
  }
  if (has_name && first) return "socket.io event without a name";
  return nullptr;
}

}  // namespace ringcast::bench
