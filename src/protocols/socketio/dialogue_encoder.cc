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

net::LocalFrame* DialogueEncoder::Encode(const engine::PublicationView& pub) {
  text_.assign("42[\"dialogue:event\",{\"event\":");
  util::AppendJsonString(&text_, pub.event);
  text_ += ",\"roomId\":";
  util::AppendJsonString(&text_, pub.channel);
  text_ += ",\"data\":";
  AppendJsonValue(&text_, pub.data, &padded_, &parser_);
  text_ += ",\"from\":";
  util::AppendJsonString(&text_, pub.user_id.empty() ? std::string_view("system") : pub.user_id);
  text_ += ",\"timestamp\":";
  util::AppendInt(&text_, util::WallMs());
  text_ += "}]";
  return TextFrame(text_);
}

bool DialogueEncoder::DeliverToMember(const engine::Member& member, net::LocalFrame* frame,
                                      const engine::PublicationView& pub) {
  // Another protocol's own events on a shared channel are not room events.
  if (pub.event.starts_with("pusher:") || pub.event.starts_with("pusher_internal:")) return false;
  DialogueSocket* socket = static_cast<DialogueSubscriber*>(member.sub)->socket;
  if (!socket->Wants(pub.channel, pub.event)) return false;
  socket->Deliver(frame);
  return true;
}

}  // namespace ringcast::protocols::socketio
