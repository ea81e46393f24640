#include "protocols/datonow/token_session.h"

#include "engine/datonow_channels.h"
#include "util/json_writer.h"

namespace ringcast::protocols::datonow {

DatonowTokenSession::DatonowTokenSession(engine::ShardEnv* env, DatonowShared* shared,
                                         net::Connection& conn, uint32_t app, uint64_t token_id)
    : WsSession(env, conn),
      app_(app),
      token_id_(token_id),
      shared_(shared),
      sub_(&conn, shared->format) {}

void DatonowTokenSession::Start() {
  if (conn().over_capacity() || env().shutting_down()) {
    Refuse(wire::kCloseOverCapacity, "Over capacity");
    return;
  }
  if (!env().apps().TryAcquireConnection(app_)) {
    Refuse(wire::kCloseAppOverQuota, "Application is over connection quota");
    return;
  }
  counted_ = true;
  // Joined before anything is sent: once the client sees connection_established, every
  // notification the control plane publishes reaches it.
  if (env().Subscribe(app_, engine::datonow::kBroadcastChannel, &sub_).refused ||
      env().Subscribe(app_, engine::datonow::TokenChannel(token_id_), &sub_).refused) {
    Refuse(wire::kCloseOverCapacity, "Server busy, reconnect later");
    return;
  }
  if (engine::Channel* ch = env().channels().Find(app_, engine::datonow::TokenChannel(token_id_))) {
    for (const engine::Member& m : ch->members) {
      auto* other = dynamic_cast<DatonowTokenSession*>(m.conn->session());
      if (other != nullptr && other != this && other->token_deleted()) {
        OnTokenDeleted();  // deleted after this socket's check
        return;
      }
    }
  }
  std::string data;
  util::JsonObject(&data)
      .Str("socket_id", env().socket_ids().Format(env().shard_id(), conn().serial()))
      .Int("activity_timeout", env().limits().activity_timeout_s)
      .Close();
  SendEvent(wire::kConnectionEstablished, data);
  last_rx_ms_ = static_cast<uint32_t>(loop().now_ms());
  loop().ScheduleTimer(conn(), loop().now_ms() + env().limits().activity_timeout_s * 1000ull,
                       kActivityTimer);
}

void DatonowTokenSession::OnTokenDeleted() {
  token_deleted_ = true;
  if (closing()) return;
  SendError(wire::kCloseTokenDeleted, "Client token deleted");
  Close(wire::kCloseTokenDeleted, "Client token deleted");
}

void DatonowTokenSession::Refuse(uint16_t code, std::string_view message) {
  SendError(code, message);
  Close(code, message);
}

void DatonowTokenSession::OnTimer(net::Connection& c, uint8_t kind) {
  if (kind != kActivityTimer) {
    WsSession::OnTimer(c, kind);
    return;
  }
  if (closing()) return;
  const LivenessStep step = NextLiveness(loop().now_ms(), last_rx_ms_, ping_outstanding_,
                                         env().limits().activity_timeout_s * 1000ull,
                                         env().limits().pong_timeout_s * 1000ull);
  if (step.action == LivenessStep::Action::kClose) {
    Close(wire::kClosePongTimeout, "Pong reply not received");
    return;
  }
  if (step.action == LivenessStep::Action::kPing) {
    SendEvent("datonow:ping", "{}");
    ping_outstanding_ = true;
  }
  loop().ScheduleTimer(conn(), step.next_ms, kActivityTimer);
}

void DatonowTokenSession::BeginShutdown() {
  if (closing()) return;
  Close(wire::kCloseReconnect, "Server is restarting, reconnect");
}

void DatonowTokenSession::OnClosed(net::Connection& c) {
  (void)c;
  if (counted_) env().apps().ReleaseConnection(app_);
  counted_ = false;
  env().UnsubscribeAll(&sub_);
}

bool DatonowTokenSession::OnTextMessage(std::string_view text) {
  const MessageBudget budget = TakeMessageBudget(static_cast<uint32_t>(loop().now_ms()),
                                                 env().limits().client_messages_per_second,
                                                 &rate_window_ms_, &messages_in_window_);
  if (budget != MessageBudget::kAdmit) {
    if (budget == MessageBudget::kDropFirst) {
      SendError(wire::kErrorRejected, "Too many messages: rate limit reached");
    }
    return conn().open();
  }
  std::string& out = shared_->translated;
  if (const char* err = shared_->translator.Translate(text, &out)) {
    SendError(wire::kErrorGeneric, err);
  } else if (out.starts_with("{\"event\":\"pusher:ping\"")) {
    SendEvent("datonow:pong", "{}");
  } else if (!out.starts_with("{\"event\":\"pusher:pong\"")) {
    SendError(wire::kErrorGeneric, "Unsupported event on a token socket");
  }
  return conn().open();
}

void DatonowTokenSession::SendEvent(std::string_view event, std::string_view data_json) {
  std::string& s = shared_->scratch;
  s.clear();
  wire::AppendFrame(&s, event, {}, data_json, {}, &shared_->validator);
  SendText(s);
}

void DatonowTokenSession::SendError(int code, std::string_view message) {
  std::string data;
  util::JsonObject(&data).Int("code", code).Str("message", message).Close();
  SendEvent("datonow:error", data);
}

}  // namespace ringcast::protocols::datonow
