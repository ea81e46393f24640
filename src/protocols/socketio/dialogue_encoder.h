// DialogueEncoder: Dialogue's wire format in the fan-out (engine/wire_format.h). A publication
// on a room's channel becomes one WebSocket text frame holding the Socket.IO EVENT
// `42["dialogue:event",{"event":E,"roomId":C,"data":D,"from":F, "timestamp":T}]`, encoded once per
// publication per shard and shared by every Dialogue member there. D is the published data when it
// is JSON (a Dialogue trigger's value, or a Pusher API publish of JSON text), else the data as a
// JSON string; F the sender's user id, "system" for the backend (REST). T is the publication's
// stamp in ms (engine/publication.h: when the control plane published it, the same on every
// shard and in the room's history). Its member step delivers only the events a member subscribed to
// in that room (or all, after subscribeAll), and never another protocol's own events (pusher:*,
// pusher_internal:*). Thread rules: one per shard, on its thread.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "engine/channel_table.h"
#include "engine/wire_format.h"

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

// Appends `data` as a JSON value: itself (minified) when it is JSON, else as a JSON string.
void AppendJsonValue(std::string* out, std::string_view data, std::string* padded,
                     simdjson::dom::parser* parser);

// Appends Dialogue's EventMessage envelope {event, roomId, data, from, timestamp, meta?} (live
// events and history alike): `from` "" is "system"; `stamp_us` 0 is now; `meta` (a JSON
// object's text) only when not empty.
void AppendEventMessage(std::string* out, std::string_view event, std::string_view room,
                        std::string_view data, std::string_view from, uint64_t stamp_us,
                        std::string* padded, simdjson::dom::parser* parser,
                        std::string_view meta = {});

}  // namespace ringcast::protocols::socketio
