#include "protocols/socketio/dialogue_encoder.h"

#include "protocols/socketio/dialogue_socket.h"
#include "protocols/ws_session.h"
#include "util/clock.h"
#include "util/json_writer.h"

namespace ringcast::protocols::socketio {

void AppendJsonValue(std::string* out, std::string_view data, std::string* padded,
                     simdjson::dom::parser* parser) {
  padded->assign(data);
  padded->resize(data.size() + simdjson::SIMDJSON_PADDING);
  simdjson::dom::element value;
  if (!data.empty() &&
      parser->parse(padded->data(), data.size(), false).get(value) == simdjson::SUCCESS) {
    out->append(simdjson::minify(value));
  } else {
    util::AppendJsonString(out, data);
  }
}

void AppendEventMessage(std::string* out, std::string_view event, std::string_view room,
                        std::string_view data, std::string_view from, uint64_t stamp_us,
                        std::string* padded, simdjson::dom::parser* parser, std::string_view meta) {
  *out += "{\"event\":";
  util::AppendJsonString(out, event);
  *out += ",\"roomId\":";
  util::AppendJsonString(out, room);
  *out += ",\"data\":";
  AppendJsonValue(out, data, padded, parser);
  *out += ",\"from\":";
  util::AppendJsonString(out, from.empty() ? std::string_view("system") : from);
  *out += ",\"timestamp\":";
  util::AppendInt(out, stamp_us != 0 ? static_cast<int64_t>(stamp_us / 1000) : util::WallMs());
  if (!meta.empty()) {
    *out += ",\"meta\":";
    out->append(meta);
  }
  *out += '}';
}

net::LocalFrame* DialogueEncoder::Encode(const engine::PublicationView& pub) {
  if (pub.channel.starts_with('#')) {
    // A routing channel of a Socket.IO application (sio_app.h): the plain event.
    text_.assign("42[");
    util::AppendJsonString(&text_, pub.event);
    text_ += ',';
    AppendJsonValue(&text_, pub.data, &padded_, &parser_);
    text_ += ']';
    return TextFrame(text_);
  }
  text_.assign("42[\"dialogue:event\",");
  AppendEventMessage(&text_, pub.event, pub.channel, pub.data, pub.user_id, pub.stamp_us, &padded_,
                     &parser_, pub.meta);
  text_ += ']';
  return TextFrame(text_);
}

bool DialogueEncoder::DeliverToMember(const engine::Member& member, net::LocalFrame* frame,
                                      const engine::PublicationView& pub) {
  // Another protocol's own events on a shared channel are not room events.
  if (pub.event.starts_with("pusher:") || pub.event.starts_with("pusher_internal:")) return false;
  DialogueSocket* socket = static_cast<DialogueSubscriber*>(member.sub)->socket;
  if (SioApp* app = socket->sio_app()) {
    if (!app->OnPublication(*socket, pub)) return false;
    socket->Deliver(frame);
    return true;
  }
  socket->SawLive(pub);
  if (!socket->Wants(pub.channel, pub.event)) return false;
  socket->Deliver(frame);
  return true;
}

}  // namespace ringcast::protocols::socketio
