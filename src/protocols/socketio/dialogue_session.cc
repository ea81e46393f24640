#include "protocols/socketio/dialogue_session.h"

#include <algorithm>

#include "config/config.h"
#include "engine/app_registry.h"
#include "util/json_writer.h"

namespace ringcast::protocols::socketio {

namespace {

// Dialogue's error codes (docs/protocols/dialogue.md).
constexpr std::string_view kInvalidRequest = "INVALID_REQUEST";
constexpr std::string_view kRoomNotFound = "ROOM_NOT_FOUND";
constexpr std::string_view kEventNotAllowed = "EVENT_NOT_ALLOWED";
constexpr std::string_view kRateLimited = "RATE_LIMITED";
constexpr std::string_view kPayloadTooLarge = "PAYLOAD_TOO_LARGE";
constexpr std::string_view kTooManyRooms = "TOO_MANY_ROOMS";
constexpr std::string_view kServerBusy = "SERVER_BUSY";
constexpr std::string_view kNotInRoom = "NOT_IN_ROOM";

bool GetString(simdjson::dom::object obj, std::string_view key, std::string_view* out) {
  return obj[key].get_string().get(*out) == simdjson::SUCCESS;
}

// Event names the Pusher side of a shared channel reserves.
bool ReservedEventName(std::string_view name) {
  return name.starts_with("pusher:") || name.starts_with("pusher_internal:");
}

}  // namespace

DialogueSession::DialogueSession(engine::ShardEnv* env, DialogueShared* shared,
                                 net::Connection& conn)
    : WsSession(env, conn), shared_(shared), sub_(&conn, shared->format, this) {}

void DialogueSession::Start() {
  const config::DialogueConfig& cfg = env().config().dialogue;
  app_ = cfg.app;
  if (!env().apps().app(app_).enabled) return Close(4003, "Application disabled");
  if (conn().over_capacity() || env().shutting_down()) return Close(1013, "Over capacity");
  if (!env().apps().TryAcquireConnection(app_)) {
    return Close(1013, "Application is over connection quota");
  }
  counted_ = true;
  sid_ = env().socket_ids().Format(env().shard_id(), conn().serial());
  SendEio(EioType::kOpen, EioOpenData(sid_, /*upgrade_to_websocket=*/false, cfg.ping_interval_ms,
                                      cfg.ping_timeout_ms, env().limits().max_ws_message_bytes));
  loop().ScheduleTimer(conn(), loop().now_ms() + cfg.ping_interval_ms, kPingTimer);
}

void DialogueSession::SendEio(EioType type, std::string_view data) {
  std::string& s = shared_->scratch;
  s.clear();
  AppendEioPacket(&s, type, data);
  SendText(s);
}

void DialogueSession::OnTimer(net::Connection& c, uint8_t kind) {
  const config::DialogueConfig& cfg = env().config().dialogue;
  if (kind == kPingTimer) {
    if (closing() || !c.open()) return;
    SendEio(EioType::kPing, {});
    awaiting_pong_ = true;
    pong_deadline_ms_ = loop().now_ms() + cfg.ping_timeout_ms;
    loop().ScheduleTimer(c, pong_deadline_ms_, kPongTimer);
    return;
  }
  if (kind == kPongTimer) {
    // A timer of an earlier ping fires before the current deadline: nothing to do.
    if (awaiting_pong_ && loop().now_ms() >= pong_deadline_ms_) Close(4000, "ping timeout");
    return;
  }
  WsSession::OnTimer(c, kind);
}

void DialogueSession::OnClosed(net::Connection& c) {
  (void)c;
  env().UnsubscribeAll(&sub_);
  joined_.clear();
  if (counted_) env().apps().ReleaseConnection(app_);
  counted_ = false;
}

bool DialogueSession::OnBinaryMessage(std::string_view bytes) {
  (void)bytes;
  if (attachments_left_ == 0) {
    Close(1003, "Unexpected binary message");
    return false;
  }
  --attachments_left_;
  return true;
}

bool DialogueSession::OnTextMessage(std::string_view text) {
  EioPacket packet;
  if (!DecodeEioPacket(text, &packet)) {
    Close(1002, "Bad Engine.IO packet");
    return false;
  }
  switch (packet.type) {
    case EioType::kPong:
      if (awaiting_pong_) {
        awaiting_pong_ = false;
        loop().ScheduleTimer(conn(), loop().now_ms() + env().config().dialogue.ping_interval_ms,
                             kPingTimer);
      }
      return true;
    case EioType::kPing:  // an Engine.IO v3 habit, or a probe: answered
      SendEio(EioType::kPong, packet.data);
      return true;
    case EioType::kClose:
      Close(1000, "");
      return false;
    case EioType::kMessage:
      return OnSocketIo(packet.data);
    case EioType::kUpgrade:
    case EioType::kNoop:
      return true;
    case EioType::kOpen:
      break;
  }
  Close(1002, "Unexpected Engine.IO packet");
  return false;
}

bool DialogueSession::OnSocketIo(std::string_view text) {
  if (attachments_left_ > 0) {
    Close(1002, "Attachments expected");
    return false;
  }
  SioPacket p;
  if (const char* err = DecodeSioPacket(text, &p)) {
    Close(1002, err);
    return false;
  }
  if (p.nsp != "/") {
    if (p.type == SioType::kConnect) {
      SioPacket refusal;
      refusal.type = SioType::kConnectError;
      refusal.nsp = p.nsp;
      refusal.data = "{\"message\":\"Invalid namespace\"}";
      std::string out;
      AppendSioPacket(&out, refusal);
      SendEio(EioType::kMessage, out);
    }
    return true;  // packets of namespaces not connected are ignored
  }
  switch (p.type) {
    case SioType::kConnect: {
      if (connected_) return true;
      // Dialogue's default identity: auth.userId, else auth.token, else the socket id.
      user_id_ = sid_;
      if (!p.data.empty()) {
        DialogueShared& sh = *shared_;
        sh.padded.assign(p.data);
        sh.padded.resize(p.data.size() + simdjson::SIMDJSON_PADDING);
        simdjson::dom::object auth;
        std::string_view v;
        if (sh.parser.parse(sh.padded.data(), p.data.size(), false).get_object().get(auth)) {
          Close(1002, "Bad CONNECT payload");
          return false;
        }
        if (GetString(auth, "userId", &v) || GetString(auth, "token", &v)) user_id_ = v;
      }
      connected_ = true;
      std::string out = "0{\"sid\":\"" + sid_ + "\"}";
      SendEio(EioType::kMessage, out);
      std::string data;
      util::JsonObject(&data).Str("clientId", sid_).Str("userId", user_id_).Close();
      Emit("dialogue:connected", data);
      return conn().open();
    }
    case SioType::kDisconnect:
      if (!connected_) return true;
      connected_ = false;
      env().UnsubscribeAll(&sub_);
      joined_.clear();
      return true;
    case SioType::kBinaryEvent:
    case SioType::kBinaryAck:
      attachments_left_ = p.attachments;
      if (connected_ && p.type == SioType::kBinaryEvent) {
        EmitError(kInvalidRequest, "Binary attachments are not supported");
      }
      return conn().open();
    case SioType::kAck:  // this server asks for no acks
    case SioType::kConnectError:
      return true;
    case SioType::kEvent:
      break;
  }
  if (!connected_) return true;
  DialogueShared& sh = *shared_;
  sh.padded.assign(p.data);
  sh.padded.resize(p.data.size() + simdjson::SIMDJSON_PADDING);
  simdjson::dom::array args;
  if (sh.parser.parse(sh.padded.data(), p.data.size(), false).get_array().get(args)) {
    Close(1002, "Bad EVENT payload");
    return false;
  }
  std::string_view name;
  auto it = args.begin();
  if (it == args.end() || (*it).get_string().get(name)) {
    Close(1002, "EVENT without a name");
    return false;
  }
  ++it;
  simdjson::dom::element arg;
  if (it != args.end()) arg = *it;
  OnEvent(name, arg, p);
  return conn().open();
}

void DialogueSession::OnEvent(std::string_view name, simdjson::dom::element arg,
                              const SioPacket& p) {
  if (!name.starts_with("dialogue:")) return;  // not Dialogue's: ignored, as by Dialogue
  name.remove_prefix(9);
  if (name == "listRooms") return ListRooms(p);
  simdjson::dom::object obj;
  std::string_view room_id;
  if (arg.get_object().get(obj) || !GetString(obj, "roomId", &room_id)) {
    if (name == "join" || name == "leave" || name == "subscribe" || name == "subscribeAll" ||
        name == "unsubscribe" || name == "trigger") {
      EmitError(kInvalidRequest, "roomId is required", &p);
    }
    return;
  }
  if (name == "join") return Join(room_id, p);
  if (name == "leave") return Leave(room_id, p, /*answer=*/true);
  if (name == "trigger") return Trigger(obj, p);
  if (name == "subscribe" || name == "unsubscribe" || name == "subscribeAll") {
    Joined* j = Find(room_id);
    std::string_view event;
    if (name != "subscribeAll" && !GetString(obj, "eventName", &event)) {
      return EmitError(kInvalidRequest, "eventName is required", &p);
    }
    if (j == nullptr) {  // not a member: nothing to change (Dialogue ignores it)
      return EmitError(kNotInRoom, "Not a member of room '" + std::string(room_id) + "'", &p);
    }
    if (name == "subscribeAll" || (name == "subscribe" && event == "*")) {
      j->all = true;
    } else if (name == "subscribe") {
      if (std::find(j->events.begin(), j->events.end(), event) == j->events.end() &&
          j->events.size() < 1000) {
        j->events.emplace_back(event);
      }
    } else if (event == "*") {
      j->all = false;
    } else {
      std::erase(j->events, event);
    }
    if (p.has_id) Emit("", "{\"ok\":true}", &p);
  }
}

DialogueSession::Joined* DialogueSession::Find(std::string_view room) {
  for (Joined& j : joined_) {
    if (j.room == room) return &j;
  }
  return nullptr;
}

void DialogueSession::Join(std::string_view room_id, const SioPacket& p) {
  const config::DialogueRoomConfig* room = shared_->Room(room_id);
  if (room == nullptr) {
    return EmitError(kRoomNotFound, "Room '" + std::string(room_id) + "' does not exist", &p);
  }
  std::string data;
  util::JsonObject(&data).Str("roomId", room->id).Str("roomName", room->name).Close();
  if (Find(room_id) != nullptr) return Emit("dialogue:joined", data, &p);
  const config::Limits& limits = env().limits();
  if (joined_.size() >= limits.max_subscriptions_per_connection) {
    return EmitError(kTooManyRooms, "Too many rooms joined on this connection", &p);
  }
  if (env().channels().Find(app_, room->id) == nullptr &&
      env().channels().app_channel_count(app_) >= limits.max_channels_per_app_per_shard) {
    return EmitError(kServerBusy, "Too many channels for this app on this shard", &p);
  }
  if (env().Subscribe(app_, room->id, &sub_).refused) {
    return EmitError(kServerBusy, "Server busy, retry", &p);
  }
  Joined j;
  j.room = room->id;
  for (const std::string& e : room->default_subscriptions) {
    if (e == "*") {
      j.all = true;
    } else {
      j.events.push_back(e);
    }
  }
  joined_.push_back(std::move(j));
  Emit("dialogue:joined", data, &p);
}

void DialogueSession::Leave(std::string_view room_id, const SioPacket& p, bool answer) {
  auto it = std::find_if(joined_.begin(), joined_.end(),
                         [&](const Joined& j) { return j.room == room_id; });
  if (it == joined_.end()) return;
  if (engine::Channel* ch = env().channels().Find(app_, room_id))
    (void)env().Unsubscribe(&sub_, ch);
  joined_.erase(it);
  if (!answer) return;
  std::string data;
  util::JsonObject(&data).Str("roomId", room_id).Close();
  Emit("dialogue:left", data, &p);
}

void DialogueSession::Trigger(simdjson::dom::object arg, const SioPacket& p) {
  std::string_view room_id, event;
  (void)GetString(arg, "roomId", &room_id);
  if (!GetString(arg, "event", &event) || event.empty()) {
    return EmitError(kInvalidRequest, "event is required", &p);
  }
  const config::DialogueRoomConfig* room = shared_->Room(room_id);
  if (room == nullptr) {
    return EmitError(kRoomNotFound, "Room '" + std::string(room_id) + "' does not exist", &p);
  }
  const config::Limits& limits = env().limits();
  bool allowed = event.size() <= limits.max_event_name_length && !ReservedEventName(event) &&
                 std::any_of(room->events.begin(), room->events.end(),
                             [&](const config::DialogueEventConfig& e) {
                               return e.name == event || e.name == "*";
                             });
  if (!allowed) {
    return EmitError(
        kEventNotAllowed,
        "Event '" + std::string(event) + "' is not allowed in room '" + std::string(room_id) + "'",
        &p);
  }
  uint64_t now = loop().now_ms();
  if (now >= trigger_window_ms_ + 1000) {
    trigger_window_ms_ = now;
    triggers_in_window_ = 0;
  }
  if (limits.client_events_per_second > 0 &&
      triggers_in_window_ >= limits.client_events_per_second) {
    return EmitError(kRateLimited, "Too many events; slow down", &p);
  }
  ++triggers_in_window_;
  simdjson::dom::element value;
  std::string data = arg["data"].get(value) == simdjson::SUCCESS
                         ? std::string(simdjson::minify(value))
                         : std::string("null");
  if (data.size() > limits.max_event_data_bytes) {
    return EmitError(kPayloadTooLarge, "Event data is too large", &p);
  }
  engine::PublicationView pub;
  pub.app = app_;
  pub.channel = room->id;
  pub.event = event;
  pub.data = data;
  pub.user_id = user_id_;
  if (!env().control().ForwardPublication(engine::BuildPublication(pub, /*refs=*/1))) {
    return EmitError(kServerBusy, "Server busy, event dropped", &p);
  }
  if (p.has_id) Emit("", "{\"ok\":true}", &p);
}

void DialogueSession::ListRooms(const SioPacket& p) {
  std::string data = "[";
  for (const config::DialogueRoomConfig& room : env().config().dialogue.rooms) {
    if (data.size() > 1) data += ',';
    const engine::Channel* ch = env().channels().Find(app_, room.id);
    util::JsonObject o(&data);
    o.Str("id", room.id).Str("name", room.name);
    if (!room.description.empty()) o.Str("description", room.description);
    o.Int("size", ch == nullptr ? 0 : static_cast<int64_t>(ch->members.size()));
    if (room.max_size > 0) o.Int("maxSize", room.max_size);
    o.Close();
  }
  data += ']';
  Emit("dialogue:rooms", data, &p);
}

void DialogueSession::Emit(std::string_view event, std::string_view json, const SioPacket* ack_of) {
  std::string out;
  if (!event.empty()) {
    out = "42[";
    util::AppendJsonString(&out, event);
    out += ',';
    out.append(json);
    out += ']';
    SendText(out);
  }
  if (ack_of != nullptr && ack_of->has_id) {
    out = "43";
    out += std::to_string(ack_of->id);
    out += '[';
    out.append(json);
    out += ']';
    SendText(out);
  }
}

void DialogueSession::EmitError(std::string_view code, std::string_view message,
                                const SioPacket* ack_of) {
  std::string data;
  util::JsonObject(&data).Str("code", code).Str("message", message).Close();
  Emit("dialogue:error", data, ack_of);
}

bool DialogueSession::Wants(std::string_view room, std::string_view event) const {
  for (const Joined& j : joined_) {
    if (j.room != room) continue;
    return j.all || std::find(j.events.begin(), j.events.end(), event) != j.events.end();
  }
  return false;
}

void DialogueSession::Deliver(net::LocalFrame* frame) {
  frame->Ref();
  loop().Send(conn(), frame);
}

}  // namespace ringcast::protocols::socketio
