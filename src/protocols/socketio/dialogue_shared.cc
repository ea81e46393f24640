#include "protocols/socketio/dialogue_shared.h"

#include <cstring>

#include "config/config.h"
#include "protocols/socketio/dialogue_socket.h"
#include "util/clock.h"
#include "util/json_writer.h"
#include "ws/frame_encoder.h"

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
  uint8_t header[ws::kMaxServerHeaderBytes];
  size_t header_len = ws::EncodeHeader(header, ws::Opcode::kText, text_.size());
  char* bytes;
  net::LocalFrame* frame =
      net::LocalFrame::Allocate(static_cast<uint32_t>(header_len + text_.size()), &bytes);
  std::memcpy(bytes, header, header_len);
  std::memcpy(bytes + header_len, text_.data(), text_.size());
  return frame;
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

void DialogueShared::Register(engine::ShardEnv* shard_env) {
  env = shard_env;
  format = env->RegisterFormat(&encoder);
  rooms.clear();
  for (const config::DialogueRoomConfig& room : env->config().dialogue.rooms) {
    rooms.emplace(room.id, &room);
  }
}

void DialogueShared::OnRoomSlot(const engine::RoomSlot& slot) {
  auto it = sockets.find(slot.serial);
  if (it != sockets.end() && it->second->OnRoomSlot(slot)) return;
  if (slot.granted) env->control().NoteRoomLeave(slot.app, slot.room);
}

const config::DialogueRoomConfig* DialogueShared::Room(std::string_view id) const {
  auto it = rooms.find(id);
  return it == rooms.end() ? nullptr : it->second;
}

}  // namespace ringcast::protocols::socketio
