// DialogueSocket: one Socket.IO client of Dialogue's rooms, whatever carries its Engine.IO
// packets (docs/protocols/socketio.md, docs/protocols/dialogue.md). Its transport is the
// WebSocket session (dialogue_session.h) or a long-polling session (server/eio_polls.h), and
// changes from the second to the first on an upgrade; the socket, its rooms and its engine
// membership stay.
//
// Engine.IO: the server pings ("2") every ping_interval_ms and closes the socket when the pong
// ("3") has not come ping_timeout_ms later; a close packet ("1") closes. Binary attachments are
// refused: a BINARY_EVENT's attachments are read and dropped and the client gets dialogue:error
// INVALID_REQUEST; binary data nobody announced closes the socket.
// Socket.IO: CONNECT to "/" with an auth object answers `40{"sid":...}` then
// `dialogue:connected {clientId, userId}` (the user id is auth.userId, else auth.token, else the
// socket id, as Dialogue's default); another namespace gets CONNECT_ERROR "Invalid namespace";
// DISCONNECT leaves every room. EVENTs before CONNECT are ignored, as Socket.IO servers do.
// Dialogue: join, leave, subscribe, subscribeAll, unsubscribe, trigger, listRooms (the seed's
// section 5); answers are the dialogue:* events, and an ack when the client asked for one.
// Hooks (config dialogue.hooks; docs/protocols/dialogue.md "Hooks"), asked of the control plane
// (engine/hook_call.h), never awaited on the shard: CONNECT waits for `authenticate` (its
// userId and claims win), a join for `beforeJoin` (refused: dialogue:error JOIN_DENIED), a
// trigger for `beforeEach` (one at a time per socket, in order; up to kMaxWaitingTriggers wait
// behind it, beyond RATE_LIMITED). connected, disconnected, joined and left are notified.
// A member receives a room's events through the shard's DialogueEncoder (dialogue_encoder.h),
// which hands the shared WebSocket frame to the transport.
// A socket of another application (`app`, protocols/socketio/sio_app.h: MoChat) keeps the
// Engine.IO and Socket.IO layers above and hands CONNECT, its EVENTs and its end to the
// application instead of Dialogue.
// Thread rules: the owning shard's thread.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "engine/shard_env.h"
#include "protocols/socketio/dialogue_shared.h"
#include "protocols/socketio/packet.h"
#include "protocols/socketio/sio_app.h"

namespace ringcast::protocols::socketio {

// What carries a socket's packets.
class DialogueTransport {
 public:
  virtual ~DialogueTransport() = default;
  // One Engine.IO packet (its text: type digit and data).
  virtual void SendPacket(std::string_view packet) = 0;
  // The fan-out's shared WebSocket text frame holding one Engine.IO packet (take a Ref to keep).
  virtual void SendPacketFrame(net::LocalFrame* frame) = 0;
  // Ends the socket (a WebSocket close code and reason; polling answers a close packet).
  virtual void CloseTransport(uint16_t code, std::string_view reason) = 0;
  // Arms the socket's timer `kind` (DialogueSocket::OnTimer) at `deadline_ms` (loop clock). A
  // later call for the same kind may leave the earlier one armed: OnTimer checks deadlines.
  virtual void ScheduleSocketTimer(uint64_t deadline_ms, uint8_t kind) = 0;
};

class DialogueSocket {
 public:
  static constexpr uint8_t kPingTimer = 1;
  static constexpr uint8_t kPongTimer = 2;
  static constexpr uint8_t kCloseTimer = 3;  // CloseSoon

  // `serial`: unique on the shard (a connection's, or IoLoop::NewSerial for polling). `app`: the
  // application other than Dialogue this socket serves (null: Dialogue).
  DialogueSocket(engine::ShardEnv* env, DialogueShared* shared, uint64_t serial,
                 SioApp* app = nullptr);
  ~DialogueSocket();
  DialogueSocket(const DialogueSocket&) = delete;
  DialogueSocket& operator=(const DialogueSocket&) = delete;

  // Takes one of the app's connections. Null, or why the socket cannot open (and a WebSocket
  // close code for it in *code).
  const char* Acquire(uint16_t* code);
  // The open packet's data; `upgrades`: the WebSocket upgrade is offered (polling).
  std::string OpenData(bool upgrades) const;
  // Sets (or changes, on an upgrade) the transport and arms the first ping.
  void Attach(DialogueTransport* transport);
  const std::string& sid() const { return sid_; }
  const std::string& user_id() const { return user_id_; }
  // A direct send (the REST API): the Socket.IO event `event` with JSON `data`, when the socket
  // is connected (and open). Returns whether it was sent.
  bool SendDirect(std::string_view event, std::string_view data) {
    if (!connected_ || closed_ || sio_app_ != nullptr) return false;
    Emit(event, data);
    return true;
  }
  // Joined to `room` (the join answered, not waiting for a hook or a slot).
  bool IsMember(std::string_view room) const {
    for (const Joined& j : joined_) {
      if (j.room == room) return !j.pending;
    }
    return false;
  }

  // The application-facing calls (SioApp): the socket's application, engine app and serial.
  SioApp* sio_app() const { return sio_app_; }
  uint32_t app() const { return app_; }
  uint64_t serial() const { return serial_; }
  bool connected() const { return connected_; }
  // Ends a CONNECT the application accepted: the socket belongs to user `user_id` of engine app
  // `app` (its connection is counted there) and gets `40{"sid":...}`. Ignored when the client
  // disconnected meanwhile.
  void AcceptConnect(std::string_view user_id, uint32_t app);
  // Ends a CONNECT the application refused: CONNECT_ERROR {message}.
  void RefuseConnect(std::string_view message);
  // Sends the Socket.IO event `event` with JSON `json`.
  void EmitEvent(std::string_view event, std::string_view json) { Emit(event, json); }
  // Answers `p`'s ack (when it asked for one) with JSON `json`.
  void Ack(const SioPacket& p, std::string_view json) { Emit({}, json, &p); }
  // Joins engine channel `name` of the socket's app (a routing channel, engine/channel_name.h);
  // false when refused (the control plane could not be told at once). Left on the socket's end.
  [[nodiscard]] bool JoinChannel(std::string_view name);
  // Sends `h` (kind kApp) to the control plane, naming this socket as the asker; false when
  // backed up (h is freed).
  [[nodiscard]] bool CallControl(engine::HookCall* h);
  // Closes the socket from its timer, not now (safe inside a fan-out).
  void CloseSoon(uint16_t code, std::string_view reason);

  // An Engine.IO text packet from the client. False when the socket closed.
  bool OnEioText(std::string_view text);
  // Binary data from the client (a WebSocket binary frame or a polling 'b' packet).
  bool OnEioBinary();
  void OnTimer(uint8_t kind);
  // The answer to a bounded room's join. False when this socket no longer waits for it (the
  // caller gives a granted slot back).
  bool OnRoomSlot(const engine::RoomSlot& slot);
  bool closed() const { return closed_; }
  // Ends the socket: the transport closes with `code` and `reason`.
  void Close(uint16_t code, std::string_view reason);

  // The answer to this socket's createRoom / deleteRoom: its ack, or dialogue:error.
  void OnRoomChangeAnswer(const engine::RoomChange& c);
  // Room `room` was deleted: a membership there ends (no dialogue:left; roomDeleted follows).
  void DropRoom(std::string_view room);
  // A broadcast dialogue:* event (roomCreated, roomDeleted), once the socket is connected.
  void Notify(std::string_view event, std::string_view json) {
    if (connected_ && !closed_ && sio_app_ == nullptr) Emit(event, json);
  }
  // The control plane's answer to a hook call this socket made.
  void OnHookAnswer(engine::HookCall& h);
  // The control plane's answer to a history query this socket sent (a join's sync, getHistory).
  void OnRoomHistory(engine::RoomHistoryQuery& q);
  // Every publication of a room this socket is a member of passes here before Wants: while a
  // join's history sync is on its way, the first one's stamp marks where live delivery began
  // (the sync leaves out that event and newer ones, so nothing comes twice).
  void SawLive(const engine::PublicationView& pub) {
    if (syncing_ > 0) NoteLive(pub);
  }
  // Whether this member receives `event` of room `room` (its subscriptions there).
  bool Wants(std::string_view room, std::string_view event) const;
  // The fan-out's shared frame.
  void Deliver(net::LocalFrame* frame) { transport_->SendPacketFrame(frame); }

 private:
  struct Joined {
    std::string room;
    std::vector<std::string> events;  // subscribed event names
    bool all = false;                 // subscribeAll ("*")
    bool pending = false;             // a bounded room's slot is asked for
    bool counted = false;             // holds a bounded room's slot (given back on leave)
    bool ack = false;                 // the join asked for an ack (answered with the slot)
    uint64_t ack_id = 0;
    bool hooking = false;        // beforeJoin is asked (pending too)
    bool syncing = false;        // the join's history sync is asked for
    uint64_t first_live_us = 0;  // the stamp of the first publication seen since (0: none)
  };
  // getHistory: at most this many a minute per socket (as Dialogue), beyond RATE_LIMITED.
  static constexpr uint32_t kHistoryPerMinute = 20;
  // A history answer's events stop past this many bytes (the client pages on).
  static constexpr size_t kMaxHistoryBytes = 1 << 20;
  // Triggers waiting behind the one beforeEach decides on.
  static constexpr size_t kMaxWaitingTriggers = 64;
  // authenticate's claims kept for later hook calls, at most this long (else dropped).
  static constexpr size_t kMaxClaimsBytes = 4096;

  bool OnSocketIo(std::string_view text);
  // The CONNECT's end: userId checked, `40` and dialogue:connected sent, `connected` notified.
  void CompleteConnect();
  bool HookOn(std::string_view hook) const;
  // A hook call of `kind` with the body's common fields (clientId, userId, auth) written and
  // the object left open; the caller appends its fields and closes it. `with_body` false: no
  // body (a trigger no hook is asked about).
  engine::HookCall* NewHookCall(engine::HookCall::Kind kind, std::string_view hook,
                                bool with_body = true);
  // A lifecycle notification (`hook` on): {clientId, userId, roomId?}.
  void NotifyHook(std::string_view hook, std::string_view room = {});
  // Sends a trigger's call (beforeEach) and marks it in flight; false when refused.
  bool SendTriggerCall(engine::HookCall* h);
  // The join of `j` (of `room`) goes on past beforeJoin: a bounded room's slot, or done.
  void ContinueJoin(const config::DialogueRoomConfig& room, Joined* j);
  // jwt_secret: sets user_id_ to the HS256 token's `sub` (auth/jwt.h; `exp` and `nbf` checked),
  // or returns the CONNECT_ERROR message.
  std::string VerifiedUser(std::string_view token);
  // `arg`: the event's first argument, nullptr when it has none.
  void OnEvent(std::string_view name, const simdjson::dom::element* arg, const SioPacket& p);
  void Join(std::string_view room_id, const SioPacket& p);
  // Subscribes `j` (a new membership of the config's `room`) and answers the join (`p`: its ack).
  void FinishJoin(const config::DialogueRoomConfig& room, Joined* j, const SioPacket& p);
  // Ends membership `j` (engine channel, bounded room's slot); the caller erases it.
  void Unjoin(const Joined& j);
  void Leave(std::string_view room_id, const SioPacket& p);
  void Trigger(simdjson::dom::object arg, const SioPacket& p);
  void ListRooms(const SioPacket& p);
  void GetHistory(simdjson::dom::object arg, std::string_view room_id, const SioPacket& p);
  // createRoom {id, name, description?, maxSize?} / deleteRoom {roomId}: asked of the control
  // plane (engine/room_change.h).
  void AskRoomChange(bool create, const simdjson::dom::element* arg, const SioPacket& p);
  // Asks for the join's history sync of `room` (when it syncs history on join).
  void AskSync(const config::DialogueRoomConfig& room, Joined* j);
  void NoteLive(const engine::PublicationView& pub);
  // Appends `q`'s items as a JSON array of EventMessages (up to kMaxHistoryBytes), those stamped
  // before `before_us` only (0: all).
  void AppendHistoryEvents(std::string* out, const engine::RoomHistoryQuery& q, uint64_t before_us);
  Joined* Find(std::string_view room);
  void LeaveAll();

  // Sends `42["<event>",<json>]`, and `43<id>[<json>]` when the client asked for an ack.
  void Emit(std::string_view event, std::string_view json, const SioPacket* ack_of = nullptr);
  void EmitError(std::string_view code, std::string_view message,
                 const SioPacket* ack_of = nullptr);
  void Send(EioType type, std::string_view data);
  // Starts a new rate window when a second has passed.
  void RollWindow();
  // The application's OnEnd, once, when the socket had asked to connect.
  void EndApp();

  engine::ShardEnv* env_;
  DialogueShared* shared_;
  SioApp* sio_app_ = nullptr;
  bool app_ended_ = false;   // EndApp ran
  uint16_t close_code_ = 0;  // CloseSoon's
  std::string close_reason_;
  DialogueTransport* transport_ = nullptr;
  DialogueSubscriber sub_;
  uint32_t app_ = 0;
  bool counted_ = false;    // holds one of the app's max_connections
  bool connected_ = false;  // Socket.IO CONNECT to "/" done
  bool closed_ = false;
  bool awaiting_pong_ = false;
  uint64_t pong_deadline_ms_ = 0;  // the current ping's pong is due by then
  uint32_t attachments_left_ = 0;  // binary data of a refused BINARY_EVENT still to drop
  // Rate limits, per one-second window: Socket.IO messages (limits.client_messages_per_second;
  // beyond it dropped, one RATE_LIMITED per window) and triggers (client_events_per_second).
  uint64_t window_ms_ = 0;
  uint32_t messages_in_window_ = 0;
  uint32_t triggers_in_window_ = 0;
  uint64_t history_window_ms_ = 0;  // getHistory's one-minute window
  uint32_t history_in_window_ = 0;
  uint32_t syncing_ = 0;  // joins whose history sync is on its way
  bool authenticating_ = false;                     // CONNECT waits for the authenticate hook
  bool trigger_hooking_ = false;                    // a trigger waits for beforeEach
  std::deque<engine::HookCall*> waiting_triggers_;  // behind it, owned
  std::string claims_;  // authenticate's claims (JSON object), "" when none
  uint64_t serial_;
  std::string sid_;
  std::string user_id_;
  std::vector<Joined> joined_;
};

}  // namespace ringcast::protocols::socketio
