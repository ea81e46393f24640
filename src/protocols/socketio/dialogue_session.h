// DialogueSession: a Socket.IO client of Dialogue's rooms over the Engine.IO WebSocket
// transport, GET {dialogue.path}/?EIO=4&transport=websocket (docs/protocols/socketio.md,
// docs/protocols/dialogue.md).
//
// Engine.IO: the open packet (sid, pingInterval, pingTimeout, maxPayload) goes out at once; the
// server pings ("2") every ping_interval_ms and closes the connection when the pong ("3") has
// not come ping_timeout_ms later; a close packet ("1") closes. Binary attachments are refused:
// the BINARY_EVENT's attachments are read and dropped and the client gets dialogue:error
// INVALID_REQUEST; a binary frame nobody announced closes the connection (1003).
// Socket.IO: CONNECT to "/" with an auth object answers `40{"sid":...}` then
// `dialogue:connected {clientId, userId}` (the user id is auth.userId, else auth.token, else the
// socket id, as Dialogue's default); another namespace gets CONNECT_ERROR "Invalid namespace";
// DISCONNECT leaves every room. EVENTs before CONNECT are ignored, as Socket.IO servers do.
// Dialogue: join, leave, subscribe, subscribeAll, unsubscribe, trigger, listRooms (the seed's
// section 5); answers are the dialogue:* events, and an ack when the client asked for one.
// A member receives a room's events through the shard's DialogueEncoder (dialogue_shared.h).
// Thread rules: the owning shard's thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/shard_env.h"
#include "protocols/socketio/dialogue_shared.h"
#include "protocols/socketio/packet.h"
#include "protocols/ws_session.h"

namespace ringcast::protocols::socketio {

class DialogueSession : public WsSession {
 public:
  DialogueSession(engine::ShardEnv* env, DialogueShared* shared, net::Connection& conn);

  // Sends the open packet and arms the ping (or closes 1013 when the app cannot take it).
  void Start();

  void OnTimer(net::Connection& c, uint8_t kind) override;
  void OnClosed(net::Connection& c) override;

  // Whether this member receives `event` of room `room` (its subscriptions there).
  bool Wants(std::string_view room, std::string_view event) const;
  // Queues the shared fan-out frame.
  void Deliver(net::LocalFrame* frame);

 protected:
  bool OnTextMessage(std::string_view text) override;
  bool OnBinaryMessage(std::string_view bytes) override;
  void OnPeerActivity() override {}

 private:
  static constexpr uint8_t kPingTimer = kFirstDerivedTimer;
  static constexpr uint8_t kPongTimer = kFirstDerivedTimer + 1;

  struct Joined {
    std::string room;
    std::vector<std::string> events;  // subscribed event names
    bool all = false;                 // subscribeAll ("*")
  };

  bool OnSocketIo(std::string_view text);
  void OnEvent(std::string_view name, simdjson::dom::element arg, const SioPacket& p);
  void Join(std::string_view room_id, const SioPacket& p);
  void Leave(std::string_view room_id, const SioPacket& p, bool answer);
  void Trigger(simdjson::dom::object arg, const SioPacket& p);
  void ListRooms(const SioPacket& p);
  Joined* Find(std::string_view room);

  // Sends `42["<event>",<json>]`, and `43<id>[<json>]` when the client asked for an ack.
  void Emit(std::string_view event, std::string_view json, const SioPacket* ack_of = nullptr);
  void EmitError(std::string_view code, std::string_view message,
                 const SioPacket* ack_of = nullptr);
  void SendEio(EioType type, std::string_view data);

  DialogueShared* shared_;
  DialogueSubscriber sub_;
  uint32_t app_ = 0;
  bool counted_ = false;    // holds one of the app's max_connections
  bool connected_ = false;  // Socket.IO CONNECT to "/" done
  bool awaiting_pong_ = false;
  uint64_t pong_deadline_ms_ = 0;  // the current ping's pong is due by then
  uint32_t attachments_left_ = 0;  // binary frames of a refused BINARY_EVENT still to drop
  uint64_t trigger_window_ms_ = 0;
  uint32_t triggers_in_window_ = 0;
  std::string sid_;
  std::string user_id_;
  std::vector<Joined> joined_;
};

}  // namespace ringcast::protocols::socketio
