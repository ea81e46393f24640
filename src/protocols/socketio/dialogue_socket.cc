#include "protocols/socketio/dialogue_socket.h"

#include <algorithm>

#include "auth/jwt.h"
#include "config/config.h"
#include "config/json_schema.h"
#include "engine/app_registry.h"
#include "engine/channel_name.h"
#include "util/clock.h"
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
constexpr std::string_view kValidationFailed = "VALIDATION_FAILED";
constexpr std::string_view kRoomFull = "ROOM_FULL";
constexpr std::string_view kJoinDenied = "JOIN_DENIED";

bool GetString(simdjson::dom::object obj, std::string_view key, std::string_view* out) {
  return obj[key].get_string().get(*out) == simdjson::SUCCESS;
}

// Event names the Pusher side of a shared channel reserves.
bool ReservedEventName(std::string_view name) {
  return name.starts_with("pusher:") || name.starts_with("pusher_internal:");
}

}  // namespace

DialogueSocket::DialogueSocket(engine::ShardEnv* env, DialogueShared* shared, uint64_t serial,
                               SioApp* app)
    : env_(env),
      shared_(shared),
      sio_app_(app),
      sub_(nullptr, shared->format, this),
      serial_(serial) {
  app_ = env->config().dialogue.app;
  sid_ = env->socket_ids().Format(env->shard_id(), serial);
  shared_->sockets[serial_] = this;
}

DialogueSocket::~DialogueSocket() {
  for (engine::HookCall* h : waiting_triggers_) delete h;
  EndApp();
  if (connected_ && sio_app_ == nullptr) NotifyHook("disconnected");
  shared_->sockets.erase(serial_);
  LeaveAll();
  if (counted_) env_->apps().ReleaseConnection(app_);
}

const char* DialogueSocket::Acquire(uint16_t* code) {
  *code = 1013;
  if (!env_->apps().app(app_).enabled) {
    *code = 4003;
    return "Application disabled";
  }
  if (env_->shutting_down()) return "Over capacity";
  if (!env_->apps().TryAcquireConnection(app_)) return "Application is over connection quota";
  counted_ = true;
  return nullptr;
}

std::string DialogueSocket::OpenData(bool upgrades) const {
  const config::DialogueConfig& cfg = env_->config().dialogue;
  const config::Limits& limits = env_->limits();
  return EioOpenData(sid_, upgrades, cfg.ping_interval_ms, cfg.ping_timeout_ms,
                     std::min(limits.max_ws_message_bytes, limits.max_request_body_bytes));
}

void DialogueSocket::Attach(DialogueTransport* transport) {
  bool first = transport_ == nullptr;
  transport_ = transport;
  const config::DialogueConfig& cfg = env_->config().dialogue;
  uint64_t now = env_->loop().now_ms();
  if (first || !awaiting_pong_) {
    transport_->ScheduleSocketTimer(now + cfg.ping_interval_ms, kPingTimer);
  } else {
    transport_->ScheduleSocketTimer(pong_deadline_ms_, kPongTimer);
  }
}

void DialogueSocket::Send(EioType type, std::string_view data) {
  std::string& s = shared_->scratch;
  s.clear();
  AppendEioPacket(&s, type, data);
  transport_->SendPacket(s);
}

void DialogueSocket::Close(uint16_t code, std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  EndApp();
  LeaveAll();
  transport_->CloseTransport(code, reason);
}

void DialogueSocket::OnTimer(uint8_t kind) {
  if (closed_) return;
  if (kind == kCloseTimer) {
    if (close_code_ == 0) return;
    // A Socket.IO DISCONNECT first: the client does not reconnect on its own.
    if (connected_) Send(EioType::kMessage, "1");
    Close(close_code_, close_reason_);
    return;
  }
  const config::DialogueConfig& cfg = env_->config().dialogue;
  uint64_t now = env_->loop().now_ms();
  if (kind == kPingTimer) {
    if (awaiting_pong_) return;  // an earlier timer: the ping is out
    Send(EioType::kPing, {});
    awaiting_pong_ = true;
    pong_deadline_ms_ = now + cfg.ping_timeout_ms;
    transport_->ScheduleSocketTimer(pong_deadline_ms_, kPongTimer);
  } else if (kind == kPongTimer) {
    // A timer of an earlier ping fires before the current deadline: nothing to do.
    if (awaiting_pong_ && now >= pong_deadline_ms_) Close(4000, "ping timeout");
  }
}

std::string DialogueSocket::VerifiedUser(std::string_view token) {
  if (token.empty()) return "Authentication failed: auth.token is required";
  std::string header, claims;
  if (const char* bad =
          auth::VerifyJwtHs256(token, env_->config().dialogue.jwt_secret, &header, &claims)) {
    return std::string("Authentication failed: ") + bad;
  }
  DialogueShared& sh = *shared_;
  simdjson::dom::object obj;
  std::string_view alg;
  sh.padded.assign(header);
  sh.padded.resize(header.size() + simdjson::SIMDJSON_PADDING);
  if (sh.parser.parse(sh.padded.data(), header.size(), false).get_object().get(obj) !=
          simdjson::SUCCESS ||
      !GetString(obj, "alg", &alg) || alg != "HS256") {
    return "Authentication failed: the token is not HS256";
  }
  sh.padded.assign(claims);
  sh.padded.resize(claims.size() + simdjson::SIMDJSON_PADDING);
  std::string_view sub;
  if (sh.parser.parse(sh.padded.data(), claims.size(), false).get_object().get(obj) !=
          simdjson::SUCCESS ||
      !GetString(obj, "sub", &sub) || sub.empty()) {
    return "Authentication failed: the token has no sub";
  }
  const double now = static_cast<double>(util::WallSeconds());
  double t;
  simdjson::dom::element v;
  if (obj["exp"].get(v) == simdjson::SUCCESS) {
    if (v.get_double().get(t) != simdjson::SUCCESS || now >= t) {
      return "Authentication failed: the token has expired";
    }
  }
  if (obj["nbf"].get(v) == simdjson::SUCCESS) {
    if (v.get_double().get(t) != simdjson::SUCCESS || now < t) {
      return "Authentication failed: the token is not valid yet";
    }
  }
  user_id_ = std::string(sub);
  return "";
}

void DialogueSocket::EndApp() {
  if (sio_app_ == nullptr || app_ended_ || !(connected_ || authenticating_)) return;
  app_ended_ = true;
  authenticating_ = false;
  sio_app_->OnEnd(*this);
}

void DialogueSocket::AcceptConnect(std::string_view user_id, uint32_t app) {
  if (!authenticating_ || closed_) return;
  authenticating_ = false;
  if (app != app_) {
    // Counted against the app the socket turned out to belong to.
    if (counted_) env_->apps().ReleaseConnection(app_);
    counted_ = false;
    app_ = app;
    if (!env_->apps().TryAcquireConnection(app_)) {
      RefuseConnect("Application is over connection quota");
      return;
    }
    counted_ = true;
  }
  user_id_ = user_id;
  connected_ = true;
  Send(EioType::kMessage, "0{\"sid\":\"" + sid_ + "\"}");
}

void DialogueSocket::RefuseConnect(std::string_view message) {
  authenticating_ = false;
  if (closed_) return;
  std::string out = "4";
  util::JsonObject(&out).Str("message", message).Close();
  Send(EioType::kMessage, out);
}

bool DialogueSocket::JoinChannel(std::string_view name) {
  return !env_->Subscribe(app_, name, &sub_).refused;
}

bool DialogueSocket::CallControl(engine::HookCall* h) {
  h->kind = engine::HookCall::Kind::kApp;
  h->app = app_;
  h->shard = env_->shard_id();
  h->serial = serial_;
  return env_->control().CallHook(h);
}

void DialogueSocket::CloseSoon(uint16_t code, std::string_view reason) {
  if (closed_ || close_code_ != 0) return;
  close_code_ = code;
  close_reason_ = reason;
  transport_->ScheduleSocketTimer(env_->loop().now_ms(), kCloseTimer);
}

void DialogueSocket::RollWindow() {
  uint64_t now = env_->loop().now_ms();
  if (now >= window_ms_ + 1000) {
    window_ms_ = now;
    messages_in_window_ = 0;
    triggers_in_window_ = 0;
  }
}

bool DialogueSocket::OnEioBinary() {
  if (attachments_left_ == 0) {
    Close(1003, "Unexpected binary message");
    return false;
  }
  --attachments_left_;
  return true;
}

bool DialogueSocket::OnEioText(std::string_view text) {
  if (closed_) return false;
  EioPacket packet;
  if (!DecodeEioPacket(text, &packet)) {
    Close(1002, "Bad Engine.IO packet");
    return false;
  }
  switch (packet.type) {
    case EioType::kPong:
      if (awaiting_pong_) {
        awaiting_pong_ = false;
        transport_->ScheduleSocketTimer(
            env_->loop().now_ms() + env_->config().dialogue.ping_interval_ms, kPingTimer);
      }
      return true;
    case EioType::kPing:  // an Engine.IO v3 habit: answered
      Send(EioType::kPong, packet.data);
      return true;
    case EioType::kClose:
      Close(1000, "");
      return false;
    case EioType::kMessage: {
      RollWindow();
      const uint32_t limit = env_->limits().client_messages_per_second;
      if (messages_in_window_ < UINT32_MAX) ++messages_in_window_;
      if (limit > 0 && messages_in_window_ > limit) {
        // One error per window, not one per dropped message (no amplification).
        if (messages_in_window_ == limit + 1) {
          EmitError(kRateLimited, "Too many messages: rate limit reached; dropped");
        }
        return !closed_;
      }
      return OnSocketIo(packet.data);
    }
    case EioType::kUpgrade:
    case EioType::kNoop:
      return true;
    case EioType::kOpen:
      break;
  }
  Close(1002, "Unexpected Engine.IO packet");
  return false;
}

void DialogueSocket::CompleteConnect() {
  if (user_id_.size() > env_->apps().app(app_).max_presence_user_id_length) {
    // It travels with every event the socket triggers: bounded as presence user ids.
    Send(EioType::kMessage, "4{\"message\":\"userId is too long\"}");
    user_id_.clear();
    claims_.clear();
    return;
  }
  connected_ = true;
  std::string out = "0{\"sid\":\"" + sid_ + "\"}";
  Send(EioType::kMessage, out);
  std::string data;
  util::JsonObject(&data).Str("clientId", sid_).Str("userId", user_id_).Close();
  Emit("dialogue:connected", data);
  NotifyHook("connected");
}

bool DialogueSocket::HookOn(std::string_view hook) const {
  const config::DialogueHooksConfig& hooks = env_->config().dialogue.hooks;
  return !hooks.url.empty() && hooks.Has(hook);
}

engine::HookCall* DialogueSocket::NewHookCall(engine::HookCall::Kind kind, std::string_view hook,
                                              bool with_body) {
  auto* h = new engine::HookCall();
  h->kind = kind;
  h->hook = std::string(hook);
  h->app = app_;
  h->serial = serial_;
  if (!with_body) return h;
  std::string& b = h->body;
  b = "{\"clientId\":";
  util::AppendJsonString(&b, sid_);
  b += ",\"userId\":";
  util::AppendJsonString(&b, user_id_);
  if (!claims_.empty()) {
    b += ",\"auth\":";
    b += claims_;
  }
  return h;
}

void DialogueSocket::NotifyHook(std::string_view hook, std::string_view room) {
  if (!HookOn(hook)) return;
  engine::HookCall* h = NewHookCall(engine::HookCall::Kind::kNotify, hook);
  if (!room.empty()) {
    h->body += ",\"roomId\":";
    util::AppendJsonString(&h->body, room);
  }
  h->body += '}';
  (void)env_->control().CallHook(h);  // refused when backed up: dropped, counted by the outbox
}

void DialogueSocket::OnHookAnswer(engine::HookCall& h) {
  using Kind = engine::HookCall::Kind;
  if (h.kind == Kind::kApp) {
    if (sio_app_ != nullptr && !closed_) sio_app_->OnAnswer(*this, h);
    return;
  }
  SioPacket p;
  p.has_id = h.has_tag;
  p.id = h.tag;
  if (h.kind == Kind::kAuthenticate) {
    if (!authenticating_ || closed_) return;
    authenticating_ = false;
    if (!h.allowed) {
      std::string out = "4";
      util::JsonObject(&out)
          .Str("message", h.message.empty() ? "Authentication failed" : h.message)
          .Close();
      Send(EioType::kMessage, out);
      user_id_.clear();
      return;
    }
    if (!h.answer_user_id.empty()) user_id_ = h.answer_user_id;
    claims_ = h.claims.size() <= kMaxClaimsBytes ? h.claims : std::string();
    CompleteConnect();
    return;
  }
  if (h.kind == Kind::kBeforeJoin) {
    Joined* j = closed_ ? nullptr : Find(h.room);
    if (j == nullptr || !j->hooking) return;  // left meanwhile
    j->hooking = false;
    p.has_id = j->ack;
    p.id = j->ack_id;
    const config::DialogueRoomConfig* room = shared_->Room(h.room);
    if (!h.allowed || room == nullptr) {
      std::erase_if(joined_, [&](const Joined& x) { return x.room == h.room; });
      if (room == nullptr) {
        return EmitError(kRoomNotFound, "Room '" + h.room + "' does not exist", &p);
      }
      return EmitError(kJoinDenied, h.message.empty() ? "Join denied" : h.message, &p);
    }
    return ContinueJoin(*room, j);
  }
  if (h.kind != Kind::kTrigger) return;
  if (h.before_each) trigger_hooking_ = false;
  if (!closed_) {
    if (!h.code.empty()) {
      EmitError(h.code, h.message, &p);
    } else if (p.has_id) {
      Emit("", "{\"ok\":true}", &p);
    }
  }
  // The next trigger waiting behind this one.
  while (!closed_ && !trigger_hooking_ && !waiting_triggers_.empty()) {
    engine::HookCall* next = waiting_triggers_.front();
    waiting_triggers_.pop_front();
    SioPacket q;
    q.has_id = next->has_tag;
    q.id = next->tag;
    if (!SendTriggerCall(next)) EmitError(kServerBusy, "Server busy, event dropped", &q);
  }
}

bool DialogueSocket::SendTriggerCall(engine::HookCall* h) {
  const bool waits = h->before_each;
  if (!env_->control().CallHook(h)) return false;
  if (waits) trigger_hooking_ = true;
  return true;
}

bool DialogueSocket::OnSocketIo(std::string_view text) {
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
      Send(EioType::kMessage, out);
    }
    return true;  // packets of namespaces not connected are ignored
  }
  switch (p.type) {
    case SioType::kConnect: {
      if (connected_ || authenticating_) return true;
      if (sio_app_ != nullptr) {
        authenticating_ = true;
        app_ended_ = false;
        sio_app_->OnConnect(*this, p.data);
        return !closed_;
      }
      // Dialogue's default identity: auth.userId, else auth.token, else the socket id; with
      // jwt_secret, the verified token's `sub` (VerifiedUser); with the authenticate hook, the
      // user id it returns.
      user_id_ = sid_;
      const bool jwt = !env_->config().dialogue.jwt_secret.empty();
      std::string refused;
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
        if (jwt) {
          if (!GetString(auth, "token", &v)) v = {};
          std::string token(v);  // the parser's buffer is reused below
          refused = VerifiedUser(token);
        } else if (GetString(auth, "userId", &v) || GetString(auth, "token", &v)) {
          user_id_ = v;
        }
      } else if (jwt) {
        refused = "Authentication failed: auth.token is required";
      }
      if (refused.empty() && HookOn("authenticate")) {
        engine::HookCall* h = NewHookCall(engine::HookCall::Kind::kAuthenticate, "authenticate");
        h->body += ",\"authData\":";
        h->body.append(p.data.empty() ? std::string_view("{}") : std::string_view(p.data));
        h->body += '}';
        if (env_->control().CallHook(h)) {
          authenticating_ = true;
          return true;
        }
        refused = "Server busy, retry";
      }
      if (!refused.empty()) {
        std::string out = "4";
        util::JsonObject(&out).Str("message", refused).Close();
        Send(EioType::kMessage, out);
        user_id_.clear();
        return true;
      }
      CompleteConnect();
      return !closed_;
    }
    case SioType::kDisconnect:
      if (sio_app_ != nullptr) {
        EndApp();
        connected_ = false;
        LeaveAll();
        return true;
      }
      authenticating_ = false;  // an answer still on its way is dropped
      if (!connected_) return true;
      connected_ = false;
      LeaveAll();
      NotifyHook("disconnected");
      return true;
    case SioType::kBinaryEvent:
    case SioType::kBinaryAck:
      attachments_left_ = p.attachments;
      if (connected_ && p.type == SioType::kBinaryEvent) {
        EmitError(kInvalidRequest, "Binary attachments are not supported");
      }
      return !closed_;
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
  // No payload: a default element has no document behind it (never read it), so none is passed.
  simdjson::dom::element arg;
  const bool has_arg = it != args.end();
  if (has_arg) arg = *it;
  OnEvent(name, has_arg ? &arg : nullptr, p);
  return !closed_;
}

void DialogueSocket::OnEvent(std::string_view name, const simdjson::dom::element* arg,
                             const SioPacket& p) {
  if (sio_app_ != nullptr) {
    sio_app_->OnEvent(*this, name, arg, p);
    return;
  }
  if (!name.starts_with("dialogue:")) return;  // not Dialogue's: ignored, as by Dialogue
  name.remove_prefix(9);
  if (name == "listRooms") return ListRooms(p);
  if (name == "createRoom" || name == "deleteRoom") {
    return AskRoomChange(name == "createRoom", arg, p);
  }
  simdjson::dom::object obj;
  std::string_view room_id;
  if (arg == nullptr || arg->get_object().get(obj) || !GetString(obj, "roomId", &room_id)) {
    if (name == "join" || name == "leave" || name == "subscribe" || name == "subscribeAll" ||
        name == "unsubscribe" || name == "trigger" || name == "getHistory") {
      EmitError(kInvalidRequest, "roomId is required", &p);
    }
    return;
  }
  if (name == "join") return Join(room_id, p);
  if (name == "leave") return Leave(room_id, p);
  if (name == "trigger") return Trigger(obj, p);
  if (name == "getHistory") return GetHistory(obj, room_id, p);
  if (name == "subscribe" || name == "unsubscribe" || name == "subscribeAll") {
    Joined* j = Find(room_id);
    std::string_view event;
    if (name != "subscribeAll" && !GetString(obj, "eventName", &event)) {
      return EmitError(kInvalidRequest, "eventName is required", &p);
    }
    if (name != "subscribeAll") {
      // Kept per member: bounded as event names are.
      if (const char* bad = engine::EventNameError(event, env_->limits().max_event_name_length)) {
        return EmitError(kInvalidRequest, std::string("Invalid eventName: ") + bad, &p);
      }
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

void DialogueSocket::Unjoin(const Joined& j) {
  if (j.pending) return;  // the slot's answer finds no waiting join and gives it back
  if (engine::Channel* ch = env_->channels().Find(app_, j.room)) (void)env_->Unsubscribe(&sub_, ch);
  if (j.counted) env_->control().NoteRoomLeave(app_, j.room);
}

void DialogueSocket::LeaveAll() {
  for (const Joined& j : joined_) {
    if (j.counted) env_->control().NoteRoomLeave(app_, j.room);
  }
  env_->UnsubscribeAll(&sub_);
  joined_.clear();
  syncing_ = 0;
}

DialogueSocket::Joined* DialogueSocket::Find(std::string_view room) {
  for (Joined& j : joined_) {
    if (j.room == room) return &j;
  }
  return nullptr;
}

void DialogueSocket::Join(std::string_view room_id, const SioPacket& p) {
  const config::DialogueRoomConfig* room = shared_->Room(room_id);
  if (room == nullptr) {
    return EmitError(kRoomNotFound, "Room '" + std::string(room_id) + "' does not exist", &p);
  }
  if (Joined* j = Find(room_id)) {
    if (j->pending) return;  // answered when the slot comes
    std::string data;
    util::JsonObject(&data).Str("roomId", room->id).Str("roomName", room->name).Close();
    return Emit("dialogue:joined", data, &p);
  }
  const config::Limits& limits = env_->limits();
  if (joined_.size() >= limits.max_subscriptions_per_connection) {
    return EmitError(kTooManyRooms, "Too many rooms joined on this connection", &p);
  }
  Joined j;
  j.room = room->id;
  j.ack = p.has_id;
  j.ack_id = p.id;
  if (HookOn("beforeJoin")) {
    engine::HookCall* h = NewHookCall(engine::HookCall::Kind::kBeforeJoin, "beforeJoin");
    h->room = room->id;
    h->body += ",\"roomId\":";
    util::AppendJsonString(&h->body, room->id);
    h->body += ",\"room\":";
    AppendRoomInfo(&h->body, *room);
    h->body += '}';
    if (!env_->control().CallHook(h)) return EmitError(kServerBusy, "Server busy, retry", &p);
    j.pending = true;
    j.hooking = true;
    joined_.push_back(std::move(j));
    return;
  }
  joined_.push_back(std::move(j));
  ContinueJoin(*room, &joined_.back());
}

void DialogueSocket::ContinueJoin(const config::DialogueRoomConfig& room, Joined* j) {
  SioPacket p;  // the join's ack, if it asked for one
  p.has_id = j->ack;
  p.id = j->ack_id;
  if (room.max_size == 0) {
    j->pending = false;
    return FinishJoin(room, j, p);
  }
  // A bounded room: the control plane counts its members over the shards (engine/room_slot.h).
  auto* slot = new engine::RoomSlot();
  slot->app = app_;
  slot->room = room.id;
  slot->max = room.max_size;
  slot->serial = serial_;
  if (!env_->control().NoteRoomJoin(slot)) {
    std::erase_if(joined_, [&](const Joined& x) { return x.room == room.id; });
    return EmitError(kServerBusy, "Server busy, retry", &p);
  }
  j->pending = true;
}

bool DialogueSocket::OnRoomSlot(const engine::RoomSlot& slot) {
  Joined* j = closed_ ? nullptr : Find(slot.room);
  if (j == nullptr || !j->pending || j->hooking) return false;
  SioPacket p;  // the join's ack, if it asked for one
  p.has_id = j->ack;
  p.id = j->ack_id;
  j->pending = false;
  const config::DialogueRoomConfig* room = shared_->Room(slot.room);
  if (!slot.granted || room == nullptr) {
    std::erase_if(joined_, [&](const Joined& x) { return x.room == slot.room; });
    if (room == nullptr) return false;
    EmitError(kRoomFull, "Room '" + room->id + "' is at capacity", &p);
    return true;
  }
  j->counted = true;
  FinishJoin(*room, j, p);
  return true;
}

void DialogueSocket::FinishJoin(const config::DialogueRoomConfig& room, Joined* j,
                                const SioPacket& p) {
  const config::Limits& limits = env_->limits();
  const char* busy = nullptr;
  if (env_->channels().Find(app_, room.id) == nullptr &&
      env_->channels().app_channel_count(app_) >= limits.max_channels_per_app_per_shard) {
    busy = "Too many channels for this app on this shard";
  } else if (env_->Subscribe(app_, room.id, &sub_).refused) {
    busy = "Server busy, retry";
  }
  if (busy != nullptr) {
    if (j->counted) env_->control().NoteRoomLeave(app_, room.id);
    std::erase_if(joined_, [&](const Joined& x) { return x.room == room.id; });
    return EmitError(kServerBusy, busy, &p);
  }
  for (const std::string& e : room.default_subscriptions) {
    if (e == "*") {
      j->all = true;
    } else {
      j->events.push_back(e);
    }
  }
  std::string data;
  util::JsonObject(&data).Str("roomId", room.id).Str("roomName", room.name).Close();
  Emit("dialogue:joined", data, &p);
  AskSync(room, j);
  NotifyHook("joined", room.id);
}

void DialogueSocket::AskSync(const config::DialogueRoomConfig& room, Joined* j) {
  if (room.sync_history_on_join == 0 ||
      std::none_of(room.events.begin(), room.events.end(),
                   [](const config::DialogueEventConfig& e) { return e.history; })) {
    return;
  }
  auto* q = new engine::RoomHistoryQuery();
  q->app = app_;
  q->serial = serial_;
  q->room = room.id;
  q->sync = true;
  q->count =
      room.sync_history_on_join == config::DialogueRoomConfig::kAll ? 0 : room.sync_history_on_join;
  if (!env_->control().QueryRoomHistory(q)) {
    return EmitError(kServerBusy, "Server busy: the room's history was not sent");
  }
  j->syncing = true;
  j->first_live_us = 0;
  ++syncing_;
}

void DialogueSocket::NoteLive(const engine::PublicationView& pub) {
  for (Joined& j : joined_) {
    if (j.syncing && j.first_live_us == 0 && j.room == pub.channel) j.first_live_us = pub.stamp_us;
  }
}

void DialogueSocket::GetHistory(simdjson::dom::object arg, std::string_view room_id,
                                const SioPacket& p) {
  uint64_t now = env_->loop().now_ms();
  if (now >= history_window_ms_ + 60000) {
    history_window_ms_ = now;
    history_in_window_ = 0;
  }
  if (history_in_window_ >= kHistoryPerMinute) {
    return EmitError(kRateLimited, "Too many history requests. Please wait before trying again.",
                     &p);
  }
  ++history_in_window_;
  const config::DialogueRoomConfig* room = shared_->Room(room_id);
  if (room == nullptr) {
    return EmitError(kRoomNotFound, "Room '" + std::string(room_id) + "' does not exist", &p);
  }
  uint64_t range[2] = {0, 50};
  const char* names[2] = {"start", "end"};
  for (int i = 0; i < 2; ++i) {
    simdjson::dom::element v;
    if (arg[names[i]].get(v) != simdjson::SUCCESS || v.is_null()) continue;
    double d;
    if (v.get_double().get(d) != simdjson::SUCCESS || d < 0 || d > 1e9 ||
        d != static_cast<double>(static_cast<uint64_t>(d))) {
      return EmitError(kInvalidRequest, std::string(names[i]) + " must be a non-negative integer",
                       &p);
    }
    range[i] = static_cast<uint64_t>(d);
  }
  std::string_view event;
  const bool named = GetString(arg, "eventName", &event) && !event.empty();
  const config::DialogueEventConfig* def = named ? room->FindEvent(event) : nullptr;
  if (def == nullptr || !def->history || range[1] <= range[0]) {
    // Nothing kept: answered here, as Dialogue answers (eventName null when none was given).
    engine::RoomHistoryQuery q;
    q.room = room->id;
    q.event = std::string(event);
    q.start = static_cast<uint32_t>(range[0]);
    q.end = static_cast<uint32_t>(range[1]);
    q.tag = p.id;
    q.has_tag = p.has_id;
    if (!named) q.event.clear();
    return OnRoomHistory(q);
  }
  auto* q = new engine::RoomHistoryQuery();
  q->app = app_;
  q->serial = serial_;
  q->room = room->id;
  q->event = std::string(event);
  q->start = static_cast<uint32_t>(range[0]);
  q->end = static_cast<uint32_t>(range[1]);
  q->tag = p.id;
  q->has_tag = p.has_id;
  if (!env_->control().QueryRoomHistory(q)) {
    return EmitError(kServerBusy, "Server busy, retry", &p);
  }
}

void DialogueSocket::AppendHistoryEvents(std::string* out, const engine::RoomHistoryQuery& q,
                                         uint64_t before_us) {
  *out += '[';
  bool first = true;
  const size_t base = out->size();
  for (const engine::RoomHistoryQuery::Item& item : q.items) {
    if (before_us != 0 && item.stamp_us >= before_us) continue;
    if (out->size() - base > kMaxHistoryBytes) break;
    if (!first) *out += ',';
    first = false;
    AppendEventMessage(out, item.event, q.room, item.data, item.from, item.stamp_us,
                       &shared_->padded, &shared_->parser, item.meta);
  }
  *out += ']';
}

void DialogueSocket::OnRoomHistory(engine::RoomHistoryQuery& q) {
  if (closed_) return;
  std::string data;
  if (q.sync) {
    Joined* j = Find(q.room);
    if (j == nullptr || !j->syncing) return;  // left meanwhile
    j->syncing = false;
    --syncing_;
    if (q.items.empty()) return;  // as Dialogue: no history, no message
    data = "{\"roomId\":";
    util::AppendJsonString(&data, q.room);
    data += ",\"events\":";
    AppendHistoryEvents(&data, q, j->first_live_us);
    data += '}';
    return Emit("dialogue:history", data);
  }
  data = "{\"roomId\":";
  util::AppendJsonString(&data, q.room);
  data += ",\"eventName\":";
  if (q.event.empty()) {
    data += "null";
  } else {
    util::AppendJsonString(&data, q.event);
  }
  data += ",\"events\":";
  AppendHistoryEvents(&data, q, 0);
  data += ",\"start\":";
  util::AppendInt(&data, q.start);
  data += ",\"end\":";
  util::AppendInt(&data, q.end);
  data += '}';
  SioPacket p;
  p.has_id = q.has_tag;
  p.id = q.tag;
  Emit("dialogue:historyResponse", data, &p);
}

void DialogueSocket::Leave(std::string_view room_id, const SioPacket& p) {
  auto it = std::find_if(joined_.begin(), joined_.end(),
                         [&](const Joined& j) { return j.room == room_id; });
  if (it == joined_.end()) return;
  bool was_pending = it->pending;
  if (it->syncing) --syncing_;
  Unjoin(*it);
  joined_.erase(it);
  if (was_pending) return;
  std::string data;
  util::JsonObject(&data).Str("roomId", room_id).Close();
  Emit("dialogue:left", data, &p);
  NotifyHook("left", room_id);
}

void DialogueSocket::Trigger(simdjson::dom::object arg, const SioPacket& p) {
  std::string_view room_id, event;
  (void)GetString(arg, "roomId", &room_id);
  if (!GetString(arg, "event", &event) || event.empty()) {
    return EmitError(kInvalidRequest, "event is required", &p);
  }
  const config::DialogueRoomConfig* room = shared_->Room(room_id);
  if (room == nullptr) {
    return EmitError(kRoomNotFound, "Room '" + std::string(room_id) + "' does not exist", &p);
  }
  const config::Limits& limits = env_->limits();
  if (const char* bad = engine::EventNameError(event, limits.max_event_name_length)) {
    return EmitError(kEventNotAllowed, std::string("Invalid event name: ") + bad, &p);
  }
  const config::DialogueEventConfig* def = room->FindEvent(event);
  if (def == nullptr || ReservedEventName(event)) {
    return EmitError(
        kEventNotAllowed,
        "Event '" + std::string(event) + "' is not allowed in room '" + std::string(room_id) + "'",
        &p);
  }
  RollWindow();
  if (limits.client_events_per_second > 0 &&
      triggers_in_window_ >= limits.client_events_per_second) {
    return EmitError(kRateLimited, "Too many events; slow down", &p);
  }
  ++triggers_in_window_;
  simdjson::dom::element value;
  const bool has_data = arg["data"].get(value) == simdjson::SUCCESS;
  if (def->schema != nullptr) {
    std::string err = has_data ? def->schema->Validate(value) : std::string("data: is required");
    if (!err.empty()) return EmitError(kValidationFailed, err, &p);
  }
  std::string data = has_data ? std::string(simdjson::minify(value)) : std::string("null");
  // Dialogue's optional `meta`: an object, carried with the event unchecked (counted in size).
  std::string meta;
  simdjson::dom::element meta_value;
  if (arg["meta"].get(meta_value) == simdjson::SUCCESS && !meta_value.is_null()) {
    if (!meta_value.is_object()) return EmitError(kInvalidRequest, "meta must be an object", &p);
    meta = std::string(simdjson::minify(meta_value));
  }
  if (data.size() + meta.size() > limits.max_event_data_bytes) {
    return EmitError(kPayloadTooLarge, "Event data is too large", &p);
  }
  const bool before = HookOn("beforeEach");
  if (before || HookOn("afterEach") ||
      env_->config().dialogue.UserEventsPerSecond(env_->limits()) > 0) {
    // Published by the control plane: within the user's rate over the node, after beforeEach
    // decided (its data when it transformed it), with afterEach told. The ack (or the refusal)
    // comes with its answer.
    // The body is only for beforeEach: a trigger the control plane just publishes (per-user
    // limit, afterEach) carries the publication's fields alone.
    engine::HookCall* h = NewHookCall(engine::HookCall::Kind::kTrigger, "beforeEach", before);
    h->room = room->id;
    h->event = std::string(event);
    h->user_id = user_id_;
    h->before_each = before;
    h->tag = p.id;
    h->has_tag = p.has_id;
    if (before) {
      h->body += ",\"roomId\":";
      util::AppendJsonString(&h->body, room->id);
      h->body += ",\"from\":";
      util::AppendJsonString(&h->body, user_id_);
      h->body += ",\"message\":";
      AppendEventMessage(&h->body, h->event, room->id, data, user_id_, 0, &shared_->padded,
                         &shared_->parser, meta);
      h->body += '}';
    }
    h->data = std::move(data);
    h->meta = std::move(meta);
    if (trigger_hooking_) {
      if (waiting_triggers_.size() >= kMaxWaitingTriggers) {
        delete h;
        return EmitError(kRateLimited, "Too many events waiting for the backend; slow down", &p);
      }
      waiting_triggers_.push_back(h);
      return;
    }
    if (!SendTriggerCall(h)) return EmitError(kServerBusy, "Server busy, event dropped", &p);
    return;
  }
  engine::PublicationView pub;
  pub.app = app_;
  pub.channel = room->id;
  pub.event = event;
  pub.data = data;
  pub.user_id = user_id_;
  pub.meta = meta;
  if (!env_->control().ForwardPublication(engine::BuildPublication(pub, /*refs=*/1))) {
    return EmitError(kServerBusy, "Server busy, event dropped", &p);
  }
  if (p.has_id) Emit("", "{\"ok\":true}", &p);
}

void DialogueSocket::AskRoomChange(bool create, const simdjson::dom::element* arg,
                                   const SioPacket& p) {
  simdjson::dom::object obj;
  if (arg == nullptr || arg->get_object().get(obj) != simdjson::SUCCESS) {
    return EmitError(kInvalidRequest,
                     create ? "Room id and name are required" : "roomId is required", &p);
  }
  auto* c = new engine::RoomChange();
  c->op = create ? engine::RoomChange::Op::kCreate : engine::RoomChange::Op::kDelete;
  c->app = app_;
  c->serial = serial_;
  c->user_id = user_id_;
  c->tag = p.id;
  c->has_tag = p.has_id;
  std::string_view id, name, description;
  const char* bad = nullptr;
  if (!create) {
    if (!GetString(obj, "roomId", &id)) bad = "roomId is required";
  } else if (!GetString(obj, "id", &id) || !GetString(obj, "name", &name)) {
    bad = "Room id and name are required";
  } else {
    simdjson::dom::element v;
    if (obj["description"].get(v) == simdjson::SUCCESS && !v.is_null() &&
        v.get_string().get(description) != simdjson::SUCCESS) {
      bad = "description must be a string";
    }
    double max_size = 0;
    if (obj["maxSize"].get(v) == simdjson::SUCCESS && !v.is_null() &&
        (v.get_double().get(max_size) != simdjson::SUCCESS || max_size < 0 || max_size > 1000000 ||
         max_size != static_cast<double>(static_cast<uint32_t>(max_size)))) {
      bad = "maxSize must be an integer from 0 to 1000000";
    } else {
      c->max_size = static_cast<uint32_t>(max_size);  // in range: checked above
    }
  }
  if (bad != nullptr) {
    delete c;
    return EmitError(kInvalidRequest, bad, &p);
  }
  c->id = std::string(id);
  c->name = std::string(name);
  c->description = std::string(description);
  if (!env_->control().RequestRoomChange(c)) {
    return EmitError(kServerBusy, "Server busy, retry", &p);
  }
}

void DialogueSocket::OnRoomChangeAnswer(const engine::RoomChange& c) {
  if (closed_) return;
  SioPacket p;
  p.has_id = c.has_tag;
  p.id = c.tag;
  if (!c.code.empty()) return EmitError(c.code, c.message, &p);
  if (!p.has_id) return;  // the broadcast was its answer
  std::string data;
  if (c.op == engine::RoomChange::Op::kCreate) {
    AppendRoomInfo(&data, *c.room);
  } else {
    data = "{\"ok\":true}";
  }
  Emit("", data, &p);
}

void DialogueSocket::DropRoom(std::string_view room) {
  auto it =
      std::find_if(joined_.begin(), joined_.end(), [&](const Joined& j) { return j.room == room; });
  if (it == joined_.end()) return;
  if (it->syncing) --syncing_;
  Unjoin(*it);
  joined_.erase(it);
}

void DialogueSocket::ListRooms(const SioPacket& p) {
  std::string data = "[";
  std::vector<const config::DialogueRoomConfig*> rooms;
  for (const config::DialogueRoomConfig& room : env_->config().dialogue.rooms) {
    rooms.push_back(&room);
  }
  for (const auto& room : shared_->created) rooms.push_back(room.get());
  for (const config::DialogueRoomConfig* r : rooms) {
    const config::DialogueRoomConfig& room = *r;
    if (data.size() > 1) data += ',';
    const engine::Channel* ch = env_->channels().Find(app_, room.id);
    util::JsonObject o(&data);
    o.Str("id", room.id).Str("name", room.name);
    if (!room.description.empty()) o.Str("description", room.description);
    o.Int("size", ch == nullptr ? 0 : static_cast<int64_t>(ch->members.size()));
    if (room.max_size > 0) o.Int("maxSize", room.max_size);
    if (room.dynamic && !room.by_backend) o.Str("createdById", room.created_by);
    o.Close();
  }
  data += ']';
  Emit("dialogue:rooms", data, &p);
}

void DialogueSocket::Emit(std::string_view event, std::string_view json, const SioPacket* ack_of) {
  std::string out;
  if (!event.empty()) {
    out = "2[";
    util::AppendJsonString(&out, event);
    out += ',';
    out.append(json);
    out += ']';
    Send(EioType::kMessage, out);
  }
  if (ack_of != nullptr && ack_of->has_id) {
    out = "3";
    out += std::to_string(ack_of->id);
    out += '[';
    out.append(json);
    out += ']';
    Send(EioType::kMessage, out);
  }
}

void DialogueSocket::EmitError(std::string_view code, std::string_view message,
                               const SioPacket* ack_of) {
  std::string data;
  util::JsonObject(&data).Str("code", code).Str("message", message).Close();
  Emit("dialogue:error", data, ack_of);
}

bool DialogueSocket::Wants(std::string_view room, std::string_view event) const {
  if (sio_app_ != nullptr) return true;  // it joins only the channels its application chose
  for (const Joined& j : joined_) {
    if (j.room != room) continue;
    return j.all || std::find(j.events.begin(), j.events.end(), event) != j.events.end();
  }
  return false;
}

}  // namespace ringcast::protocols::socketio
