#include "apps/dontcode/realtime_session.h"

#include "apps/dontcode/realtime_wire.h"
#include "engine/publication.h"
#include "util/clock.h"
#include "util/json_writer.h"

namespace ringcast::apps::dontcode {

RealtimeSession::RealtimeSession(engine::ShardEnv* env, RealtimeShared* shared,
                                 net::Connection& conn, RealtimeGrant grant, TokenCheck check)
    : WsSession(env, conn),
      shared_(shared),
      grant_(std::move(grant)),
      check_(check),
      sub_(&conn, shared->format, this) {}

std::string RealtimeSession::id() const {
  const engine::ShardEnv& env = *shared_->env;
  return env.socket_ids().Format(env.shard_id(), sub_.conn()->serial());
}

uint16_t RealtimeSession::OverflowCloseCode() const { return wire::kCloseOverCapacity; }

void RealtimeSession::CloseWith(uint16_t code, std::string_view error, std::string_view reason) {
  SendError(error, reason);
  Close(code, reason);
}

void RealtimeSession::Start() {
  if (check_ == TokenCheck::kExpired) {
    CloseWith(wire::kCloseTokenExpired, "token_expired", "Token expired");
    return;
  }
  if (check_ != TokenCheck::kOk) {
    CloseWith(wire::kCloseTokenInvalid, "token_invalid", "Invalid token");
    return;
  }
  if (conn().over_capacity() || env().shutting_down()) {
    CloseWith(wire::kCloseOverCapacity, wire::kErrServerBusy, "Over capacity");
    return;
  }
  if (!env().apps().TryAcquireConnection(grant_.app)) {
    CloseWith(wire::kCloseAppOverQuota, "over_quota", "Application is over connection quota");
    return;
  }
  counted_ = true;
  std::string& s = shared_->scratch;
  s.clear();
  util::JsonObject o(&s);
  o.Str("type", "connected").Str("id", id());
  if (!grant_.identity.empty()) o.Str("identity", grant_.identity);
  std::string* channels = o.Key("channels");
  channels->push_back('[');
  for (size_t i = 0; i < grant_.channels.size(); ++i) {
    if (i > 0) channels->push_back(',');
    util::AppendJsonString(channels, grant_.channels[i]);
  }
  channels->push_back(']');
  o.Str("expiresAt", util::IsoTimeMs(grant_.exp_s * 1000));
  o.Close();
  SendText(s);
  const uint64_t now = loop().now_ms();
  last_rx_ms_ = static_cast<uint32_t>(now);
  loop().ScheduleTimer(conn(), now + env().limits().activity_timeout_s * 1000ull, kActivityTimer);
  const int64_t left_ms = std::max<int64_t>(0, grant_.exp_s * 1000 - util::WallMs());
  loop().ScheduleTimer(conn(), now + static_cast<uint64_t>(left_ms), kExpiryTimer);
}

bool RealtimeSession::Deliver(net::LocalFrame* frame) {
  if (closing()) return false;
  frame->Ref();
  loop().Send(conn(), frame);
  return true;
}

void RealtimeSession::OnTimer(net::Connection& c, uint8_t kind) {
  if (kind == kExpiryTimer) {
    if (closing()) return;
    if (util::WallMs() < grant_.exp_s * 1000) {  // the wall clock went back: look again later
      loop().ScheduleTimer(conn(), loop().now_ms() + 1000, kExpiryTimer);
      return;
    }
    CloseWith(wire::kCloseTokenExpired, "token_expired", "Token expired");
    return;
  }
  if (kind != kActivityTimer) {
    WsSession::OnTimer(c, kind);
    return;
  }
  if (closing()) return;
  const protocols::LivenessStep step = protocols::NextLiveness(
      loop().now_ms(), last_rx_ms_, ping_outstanding_, env().limits().activity_timeout_s * 1000ull,
      env().limits().pong_timeout_s * 1000ull);
  if (step.action == protocols::LivenessStep::Action::kClose) {
    Close(wire::kClosePongTimeout, "Pong reply not received");
    return;
  }
  if (step.action == protocols::LivenessStep::Action::kPing) {
    SendPing();
    ping_outstanding_ = true;
  }
  loop().ScheduleTimer(conn(), step.next_ms, kActivityTimer);
}

void RealtimeSession::BeginShutdown() {
  if (closing()) return;
  Close(wire::kCloseRestarting, "Server is restarting, reconnect");
}

void RealtimeSession::OnClosed(net::Connection& c) {
  (void)c;
  if (counted_) env().apps().ReleaseConnection(grant_.app);
  counted_ = false;
  // The leaves of the channels still joined (each channel C is joined with its presence
  // channel; the leave goes to the others on it).
  std::vector<std::string> joined;
  sub_.ForEachChannel([&](const engine::Channel& ch) {
    if (ch.name.starts_with(wire::kPresencePrefix)) {
      joined.push_back(ch.name.substr(wire::kPresencePrefix.size()));
    }
  });
  env().UnsubscribeAll(&sub_);
  for (const std::string& channel : joined) NotePresence(channel, wire::kLeaveEvent);
}

bool RealtimeSession::NotePresence(std::string_view channel, std::string_view action) {
  std::string member;
  wire::AppendMember(&member, id(), grant_.identity);
  const std::string presence = wire::PresenceChannel(channel);
  engine::PublicationView pub;
  pub.app = grant_.app;
  pub.channel = presence;
  pub.event = action;
  pub.data = member;
  pub.exclude_shard = env().shard_id();
  pub.exclude_serial = conn().serial();
  return env().control().ForwardPublication(engine::BuildPublication(pub, 1));
}

void RealtimeSession::SendError(std::string_view code, std::string_view message,
                                std::string_view channel, std::string_view ref) {
  std::string& s = shared_->scratch;
  s.clear();
  wire::AppendError(&s, code, message, channel, ref);
  SendText(s);
}

bool RealtimeSession::OnTextMessage(std::string_view text) {
  const protocols::MessageBudget budget = protocols::TakeMessageBudget(
      static_cast<uint32_t>(loop().now_ms()), env().limits().client_messages_per_second,
      &rate_window_ms_, &messages_in_window_);
  if (budget != protocols::MessageBudget::kAdmit) {
    if (budget == protocols::MessageBudget::kDropFirst) {
      SendError(wire::kErrRateLimited, "Too many messages: rate limit reached");
    }
    return conn().open();
  }
  wire::ClientMessage& m = shared_->message;
  if (const char* why = wire::ParseClientMessage(text, &shared_->parser, &shared_->padded, &m)) {
    SendError(wire::kErrBadRequest, why, {}, m.ref);
    return conn().open();
  }
  using Type = wire::ClientMessage::Type;
  if (m.type == Type::kPing) {
    std::string& s = shared_->scratch;
    s.clear();
    util::JsonObject r(&s);
    r.Str("type", "pong");
    if (!m.ref.empty()) r.Raw("ref", m.ref);
    r.Close();
    SendText(s);
    return conn().open();
  }
  if (!Allows(grant_, m.channel)) {
    SendError(wire::kErrChannelForbidden, "The token does not name this channel", m.channel,
              m.ref);
    return conn().open();
  }
  if (m.type == Type::kSubscribe) {
    Subscribe(m.channel, m.ref);
  } else if (m.type == Type::kUnsubscribe) {
    Unsubscribe(m.channel, m.ref);
  } else {
    Publish(m.channel, m.data, m.ref);
  }
  return conn().open();
}

void RealtimeSession::Subscribe(std::string_view channel, std::string_view ref) {
  std::string& s = shared_->scratch;
  const std::string presence = wire::PresenceChannel(channel);
  engine::Channel* joined = env().channels().Find(grant_.app, channel);
  if (joined != nullptr && sub_.IsSubscribed(joined)) {
    s.clear();
    wire::AppendReply(&s, "subscribed", channel, ref);
    SendText(s);
    return;
  }
  if (sub_.count() + 2 > env().limits().max_subscriptions_per_connection) {
    SendError(wire::kErrBadRequest, "Too many subscriptions", channel, ref);
    return;
  }
  // Both joined before the reply: once the client sees "subscribed", every publish reaches it.
  engine::ShardEnv::SubscribeResult r = env().Subscribe(grant_.app, channel, &sub_);
  if (r.refused) {
    SendError(wire::kErrServerBusy, "Server busy, subscribe again later", channel, ref);
    return;
  }
  if (env().Subscribe(grant_.app, presence, &sub_).refused) {
    env().Unsubscribe(&sub_, r.channel);
    SendError(wire::kErrServerBusy, "Server busy, subscribe again later", channel, ref);
    return;
  }
  if (!NotePresence(channel, wire::kJoinEvent)) {
    // The join could not be told: undone, so no leave is told later either.
    if (engine::Channel* p = env().channels().Find(grant_.app, presence)) {
      env().Unsubscribe(&sub_, p);
    }
    if (engine::Channel* c = env().channels().Find(grant_.app, channel)) {
      env().Unsubscribe(&sub_, c);
    }
    SendError(wire::kErrServerBusy, "Server busy, subscribe again later", channel, ref);
    return;
  }
  s.clear();
  wire::AppendReply(&s, "subscribed", channel, ref);
  SendText(s);
}

void RealtimeSession::Unsubscribe(std::string_view channel, std::string_view ref) {
  engine::Channel* c = env().channels().Find(grant_.app, channel);
  if (c != nullptr && env().Unsubscribe(&sub_, c)) {
    if (engine::Channel* p = env().channels().Find(grant_.app, wire::PresenceChannel(channel))) {
      env().Unsubscribe(&sub_, p);
    }
    NotePresence(channel, wire::kLeaveEvent);
  }
  std::string& s = shared_->scratch;
  s.clear();
  wire::AppendReply(&s, "unsubscribed", channel, ref);
  SendText(s);
}

void RealtimeSession::Publish(std::string_view channel, std::string_view data,
                              std::string_view ref) {
  if (data.size() > env().limits().max_event_data_bytes) {
    SendError(wire::kErrTooLarge, "data is larger than max_event_data_bytes", channel, ref);
    return;
  }
  engine::PublicationView pub;
  pub.app = grant_.app;
  pub.channel = channel;
  pub.event = wire::kMessageEvent;
  pub.data = data;
  pub.user_id = grant_.identity;
  pub.exclude_shard = env().shard_id();
  pub.exclude_serial = conn().serial();
  if (!env().control().ForwardPublication(engine::BuildPublication(pub, 1))) {
    SendError(wire::kErrServerBusy, "Server busy, publish again later", channel, ref);
    return;
  }
  std::string& s = shared_->scratch;
  s.clear();
  wire::AppendReply(&s, "published", channel, ref);
  SendText(s);
}

}  // namespace ringcast::apps::dontcode
