// Dialogue's per-shard state (docs/protocols/dialogue.md): the fan-out encoder and its format,
// the rooms of the config by id, and scratch the shard's sessions share (one thread).
//
// DialogueEncoder: a publication on a room's channel becomes one WebSocket text frame holding
// the Socket.IO EVENT `42["dialogue:event",{"event":E,"roomId":C,"data":D,"from":F,
// "timestamp":T}]`, encoded once per publication per shard and shared by every Dialogue member
// there. D is the published data when it is JSON (a Dialogue trigger's value, or a Pusher API
// publish of JSON text), else the data as a JSON string; F the sender's user id, "system" for
// the backend (REST). T is the wall clock (ms) when the shard encoded it. Its member step
// delivers only the events a member subscribed to in that room (or all, after subscribeAll),
// and never another protocol's own events (pusher:*, pusher_internal:*).
// Thread rules: one per shard, on its thread.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/channel_table.h"
#include "engine/shard_env.h"
#include "engine/wire_format.h"
#include "util/string_map.h"

namespace ringcast::config {
struct DialogueRoomConfig;
}  // namespace ringcast::config

namespace ringcast::protocols::socketio {

class DialogueSocket;

// The engine member of a Dialogue socket (the encoder finds the socket through it). It names no
// connection: a socket outlives its transports (dialogue_socket.h), and the fan-out reaches it
// through the member step only.
struct DialogueSubscriber : engine::Subscriber {
  DialogueSubscriber(net::Connection* conn, engine::FormatId format, DialogueSocket* s)
      : engine::Subscriber(conn, format), socket(s) {}
  DialogueSocket* socket;
};

class DialogueEncoder : public engine::PublicationEncoder {
 public:
  [[nodiscard]] net::LocalFrame* Encode(const engine::PublicationView& pub) override;
  bool HasMemberStep() const override { return true; }
  bool DeliverToMember(const engine::Member& member, net::LocalFrame* frame,
                       const engine::PublicationView& pub) override;

 private:
  std::string text_;
  std::string padded_;
  simdjson::dom::parser parser_;
};

struct DialogueShared {
  void Register(engine::ShardEnv* env);
  // The config's room, or nullptr.
  const config::DialogueRoomConfig* Room(std::string_view id) const;
  // The control plane's answer to a bounded room's join (engine/room_slot.h), for the socket
  // that asked; a slot granted to a socket that is gone (or left meanwhile) is given back.
  void OnRoomSlot(const engine::RoomSlot& slot);

  DialogueEncoder encoder;
  engine::FormatId format = 0;
  util::StringMap<const config::DialogueRoomConfig*> rooms;
  // The shard's sockets by serial (DialogueSocket registers itself), for answers addressed by it.
  std::unordered_map<uint64_t, DialogueSocket*> sockets;
  engine::ShardEnv* env = nullptr;
  // A client message's JSON with simdjson's padding, and its parser.
  std::string padded;
  simdjson::dom::parser parser;
  std::string scratch;
};

// Appends `data` as a JSON value: itself (minified) when it is JSON, else as a JSON string.
void AppendJsonValue(std::string* out, std::string_view data, std::string* padded,
                     simdjson::dom::parser* parser);

}  // namespace ringcast::protocols::socketio
