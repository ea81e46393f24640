#include "protocols/pusher/pusher_session.h"

#include "auth/channel_auth.h"
#include "engine/channel_name.h"
#include "util/json_writer.h"
#include "util/utf8_truncate.h"

namespace ringcast::protocols::pusher {

using wire::kCloseAppDisabled;
using wire::kCloseAppOverQuota;
using wire::kCloseAppUnknown;
using wire::kCloseOverCapacity;
using wire::kClosePongTimeout;
using wire::kCloseReconnect;
using wire::kErrorGeneric;
using wire::kErrorRejected;
using wire::kErrorUnauthorized;

PusherSession::PusherSession(engine::ShardEnv* env, PusherShared* shared, net::Connection& conn,
                             uint32_t app, uint16_t refuse_code, std::string refuse_reason)
    : WsSession(env, conn),
      refuse_code_(refuse_code),
      app_(app),
      shared_(shared),
      sub_(&conn, shared->format) {
  if (refuse_code != 0) extra().refuse_reason = std::move(refuse_reason);
}

std::string PusherSession::socket_id() const {
  auto* self = const_cast<PusherSession*>(this);
  return self->env().socket_ids().Format(self->env().shard_id(), self->conn().serial());
}

void PusherSession::Start() {
  if (refuse_code_ != 0) {
    std::string reason = std::move(extra_->refuse_reason);
    Refuse(refuse_code_, reason);
    return;
  }
  if (app_ == engine::AppRegistry::kNone) {
    Refuse(kCloseAppUnknown, "Application does not exist");
    return;
  }
  if (!env().apps().app(app_).enabled) {
    Refuse(kCloseAppDisabled, "Application disabled");
    return;
  }
  if (conn().over_capacity() || env().shutting_down()) {
    Refuse(kCloseOverCapacity, "Over capacity");
    return;
  }
  if (!env().apps().TryAcquireConnection(app_)) {
    Refuse(kCloseAppOverQuota, "Application is over connection quota");
    return;
  }
  counted_ = true;
  std::string data;
  util::JsonObject(&data)
      .Str("socket_id", socket_id())
      .Int("activity_timeout", env().limits().activity_timeout_s)
      .Close();
  SendEvent("pusher:connection_established", {}, data);
  last_rx_ms_ = static_cast<uint32_t>(loop().now_ms());
  ArmActivityTimer(loop().now_ms() + env().limits().activity_timeout_s * 1000ull);
  if (env().apps().app(app_).enable_user_authentication) {
    loop().ScheduleTimer(conn(), loop().now_ms() + env().limits().user_authentication_timeout_ms,
                         kSigninTimer);
  }
}

void PusherSession::Refuse(uint16_t code, std::string_view message) {
  SendError(code, message);
  Close(code, message);
}

void PusherSession::ArmActivityTimer(uint64_t at_ms) {
  loop().ScheduleTimer(conn(), at_ms, kActivityTimer);
}

void PusherSession::OnTimer(net::Connection& c, uint8_t kind) {
  if (kind == kSigninTimer) {
    if (!closing() && user_id().empty() && counted_) {
      SendError(kErrorUnauthorized, "Connection not authorized within timeout.");
      Close(kErrorUnauthorized, "Connection not authorized within timeout.");
    }
    return;
  }
  if (kind != kActivityTimer) {
    WsSession::OnTimer(c, kind);
    return;
  }
  if (closing()) return;
  uint64_t now = loop().now_ms();
  uint64_t activity_ms = env().limits().activity_timeout_s * 1000ull;
  uint64_t pong_ms = env().limits().pong_timeout_s * 1000ull;
  uint64_t since = SinceLastRx();  // the last receive was at now - since
  if (ping_outstanding_) {
    // The last receive is the time the ping was due (nothing arrived since, or the flag would
    // have been cleared).
    if (since >= activity_ms + pong_ms) {
      Close(kClosePongTimeout, "Pong reply not received");
    } else {
      ArmActivityTimer(now - since + activity_ms + pong_ms);
    }
    return;
  }
  if (since >= activity_ms) {
    SendEvent("pusher:ping", {}, "{}");
    ping_outstanding_ = true;
    ArmActivityTimer(now - since + activity_ms + pong_ms);
  } else {
    ArmActivityTimer(now - since + activity_ms);
  }
}

void PusherSession::BeginShutdown() {
  if (closing()) return;
  Close(kCloseReconnect, "Server is restarting, reconnect");
}

void PusherSession::OnClosed(net::Connection& c) {
  (void)c;
  if (counted_) env().apps().ReleaseConnection(app_);
  counted_ = false;
  while (extra_ && !extra_->presence.empty()) LeavePresence(extra_->presence.size() - 1);
  if (extra_ && !extra_->user_id.empty()) {
    env().control().NotePresenceLeave(
        app_, std::string(wire::kServerToUserPrefix).append(extra_->user_id), extra_->user_id,
        conn().serial());
    extra_->user_id.clear();
  }
  env().UnsubscribeAll(&sub_);
}

bool PusherSession::OnTextMessage(std::string_view text) {
  auto now = static_cast<uint32_t>(loop().now_ms());
  if (now - rate_window_ms_ >= 1000) {
    rate_window_ms_ = now;
    messages_in_window_ = 0;
    client_events_in_window_ = 0;
    subscribes_in_window_ = 0;
  }
  uint32_t limit = env().limits().client_messages_per_second;
  if (messages_in_window_ < kMaxMessageCount) ++messages_in_window_;
  if (messages_in_window_ > limit) {
    // One error per window, not one per dropped message (no amplification).
    if (messages_in_window_ == limit + 1) {
      SendError(kErrorRejected, "Too many messages: rate limit reached");
    }
    return conn().open();
  }
  ClientMessage msg;
  if (const char* err = shared_->parser.Parse(text, &msg)) {
    SendError(kErrorGeneric, err);
    return conn().open();
  }
  if (msg.event == "pusher:ping") {
    SendEvent("pusher:pong", {}, "{}");
  } else if (msg.event == "pusher:pong") {
    // liveness only (OnPeerActivity already ran)
  } else if (msg.event == "pusher:subscribe") {
    HandleSubscribe(msg);
  } else if (msg.event == "pusher:unsubscribe") {
    HandleUnsubscribe(msg);
  } else if (msg.event == "pusher:signin") {
    HandleSignin(msg);
  } else if (msg.event.substr(0, 7) == "client-") {
    HandleClientEvent(msg);
  } else {
    std::string message = "Unsupported event: ";
    (void)util::AppendUtf8Truncated(&message, msg.event, 100);
    SendError(kErrorGeneric, message);
  }
  return conn().open();
}

void PusherSession::HandleSubscribe(const ClientMessage& msg) {
  SubscribeData d;
  if (const char* err = shared_->parser.ParseSubscribeData(msg, &d)) {
    SendError(kErrorGeneric, err);
    return;
  }
  std::string channel(d.channel);
  const config::Limits& limits = env().limits();
  if (subscribes_in_window_ < kMaxEventCount) ++subscribes_in_window_;
  if (subscribes_in_window_ > limits.subscribes_per_second) {
    std::string text = "Too many subscribe requests: limit " +
                       std::to_string(limits.subscribes_per_second) + " per second";
    SendSubscriptionError(channel, "LimitReached", text, kErrorRejected);
    SendError(kErrorRejected, text);
    return;
  }
  if (engine::KindOf(channel) == engine::ChannelKind::kServerToUser) {
    // Joined at signin; pusher-js subscribes afterwards with an empty auth.
    if (!user_id().empty() && channel == std::string(wire::kServerToUserPrefix).append(user_id())) {
      SendEvent("pusher_internal:subscription_succeeded", channel, "{}");
    } else {
      std::string text = "Only the signed-in user's own #server-to-user- channel may be subscribed";
      SendSubscriptionError(channel, "AuthError", text, kErrorUnauthorized);
      SendError(kErrorUnauthorized, text);
    }
    return;
  }
  if (const char* err = engine::ChannelNameError(channel, limits.max_channel_name_length,
                                                 /*allow_internal=*/false)) {
    bool too_long = channel.size() > limits.max_channel_name_length;
    std::string text = std::string(err) + ": '" + util::Utf8Truncate(channel, 200) + "'";
    SendSubscriptionError(channel, too_long ? "LimitReached" : "InvalidChannel", text,
                          kErrorUnauthorized);
    SendError(kErrorUnauthorized, text);
    return;
  }
  engine::ChannelKind kind = engine::KindOf(channel);
  bool presence = kind == engine::ChannelKind::kPresence;
  if (presence && !d.has_channel_data) {
    std::string text = "Presence channel subscription without channel_data: '" + channel + "'";
    SendSubscriptionError(channel, "AuthError", text, 401);
    SendError(kErrorUnauthorized, text);
    return;
  }
  if (engine::NeedsAuth(kind)) {
    const config::AppConfig& app = env().apps().app(app_);
    std::string to_sign = auth::ChannelStringToSign(socket_id(), channel,
                                                    presence ? d.channel_data : std::string_view());
    if (!auth::VerifyAuthToken(d.auth, app.key, app.secret, to_sign)) {
      std::string text = "Invalid signature for channel '" + channel + "'";
      SendSubscriptionError(channel, "AuthError", text, 401);
      SendError(kErrorUnauthorized, text);
      return;
    }
  }
  engine::Channel* existing = env().channels().Find(app_, channel);
  bool already = existing != nullptr && sub_.IsSubscribed(existing);
  if (!already && sub_.count() >= limits.max_subscriptions_per_connection) {
    std::string text = "Too many subscriptions on this connection (limit " +
                       std::to_string(limits.max_subscriptions_per_connection) + ")";
    SendSubscriptionError(channel, "LimitReached", text, kErrorUnauthorized);
    SendError(kErrorUnauthorized, text);
    return;
  }
  if (existing == nullptr &&
      env().channels().app_channel_count(app_) >= limits.max_channels_per_app_per_shard) {
    std::string text = "Too many channels for this app (limit " +
                       std::to_string(limits.max_channels_per_app_per_shard) + " per shard)";
    SendSubscriptionError(channel, "LimitReached", text, kErrorUnauthorized);
    SendError(kErrorUnauthorized, text);
    return;
  }
  if (presence) {
    if (!already) SubscribePresence(channel, d);
    return;  // an already joined connection has had (or will get) its member list
  }
  // In cluster mode a join is answered once this node's Redis subscription to the channel is
  // confirmed, so every publish after subscription_succeeded reaches it (docs/cluster.md).
  if ((engine::IsCacheChannel(channel) || env().config().cluster.enabled()) && !already) {
    JoinHeld(channel, /*presence=*/false, {}, {});
    return;
  }
  if (!already && env().Subscribe(app_, channel, &sub_).refused) {
    SendSubscriptionError(channel, "ServerBusy", "Server busy, retry the subscription", 503);
    return;
  }
  SendEvent("pusher_internal:subscription_succeeded", channel, "{}");
}

void PusherSession::HandleSignin(const ClientMessage& msg) {
  SigninData d;
  if (const char* err = shared_->parser.ParseSigninData(msg, &d)) {
    SendError(kErrorUnauthorized, std::string("Invalid signin: ") + err);
    return;
  }
  const config::AppConfig& app = env().apps().app(app_);
  if (!auth::VerifyAuthToken(d.auth, app.key, app.secret,
                             auth::UserStringToSign(socket_id(), d.user_data))) {
    SendError(kErrorUnauthorized, "Invalid signature for signin");
    return;
  }
  if (d.user_id.size() > app.max_presence_user_id_length) {
    SendError(kErrorUnauthorized, "Signin user id too long");
    return;
  }
  if (!user_id().empty() && user_id() != d.user_id) {
    SendError(kErrorUnauthorized, "Already signed in as another user");
    return;
  }
  if (!user_id().empty()) {
    if (extra_->signin_pending) {
      SendError(kErrorUnauthorized, "Signin already in progress");
      return;
    }
    // Signed in already as this user: the first sign-in's watchlist stays.
    std::string data;
    util::JsonObject(&data).Str("user_data", d.user_data).Close();
    SendEvent("pusher:signin_success", {}, data);
    return;
  }
  std::string channel = std::string(wire::kServerToUserPrefix) + d.user_id;
  engine::ShardEnv::SubscribeResult r = env().Subscribe(app_, channel, &sub_);
  if (r.refused) {
    SendError(kErrorGeneric, "Server busy, retry the signin");
    return;
  }
  auto* note = new engine::PresenceNote();
  note->app = app_;
  note->join = true;
  note->presence = false;
  note->signin = true;
  note->channel = std::move(channel);
  note->user_id = d.user_id;
  note->user_info = std::move(d.user_data);
  note->watchlist.reserve(d.watchlist.size());
  for (std::string& id : d.watchlist) {
    if (id.size() <= app.max_presence_user_id_length) note->watchlist.push_back(std::move(id));
  }
  note->conn_index = conn().index();
  note->conn_gen = conn().generation();
  note->serial = conn().serial();
  if (!env().control().NotePresenceJoin(note)) {
    env().Unsubscribe(&sub_, r.channel);
    SendError(kErrorGeneric, "Server busy, retry the signin");
    return;
  }
  Extra& x = extra();
  x.user_id = d.user_id;
  x.signin_pending = true;
  x.watchlist_ids = static_cast<uint32_t>(d.watchlist_ids);
}

void PusherSession::OnSigninAck(const engine::PresenceNote& note) {
  if (closing() || !extra_ || !extra_->signin_pending) return;
  extra_->signin_pending = false;
  std::string data;
  util::JsonObject(&data).Str("user_data", note.user_info).Close();
  SendEvent("pusher:signin_success", {}, data);
  if (!note.watch_online.empty() || !note.watch_offline.empty()) {
    data.clear();
    wire::AppendWatchlistEvents(&data, note.watch_online, note.watch_offline);
    SendEvent(wire::kWatchlistEvents, {}, data);
  }
  if (extra_->watchlist_ids > wire::kMaxWatchlistIds) {
    SendError(wire::kErrorWatchlistLimit,
              "Watchlist limit exceeded: " + std::to_string(extra_->watchlist_ids) +
                  " ids given, the first " + std::to_string(wire::kMaxWatchlistIds) +
                  " are watched");
  } else if (note.watch_not_indexed > 0) {
    SendError(wire::kErrorWatchlistLimit,
              "Watchlist not fully accepted: the server's watchlist capacity is reached (" +
                  std::to_string(note.watch_not_indexed) + " ids not watched)");
  }
}

void PusherSession::OnWatchlistChanges(const std::vector<std::string>& online,
                                       const std::vector<std::string>& offline) {
  if (closing()) return;
  std::string data;
  wire::AppendWatchlistEvents(&data, online, offline);
  SendEvent(wire::kWatchlistEvents, {}, data);
}

void PusherSession::TerminateByApp() {
  if (closing()) return;
  SendError(kErrorUnauthorized, "You got disconnected by the app.");
  Close(kErrorUnauthorized, "You got disconnected by the app.");
}

PusherSession::PresenceSub* PusherSession::FindPresence(std::string_view channel) {
  if (!extra_) return nullptr;
  for (PresenceSub& p : extra_->presence) {
    if (p.channel == channel) return &p;
  }
  return nullptr;
}

void PusherSession::SubscribePresence(const std::string& channel, const SubscribeData& d) {
  const config::AppConfig& app = env().apps().app(app_);
  PresenceMember member;
  const char* err = shared_->parser.ParseChannelData(d.channel_data, &member);
  std::string text;
  if (err != nullptr) {
    text = err;
  } else if (member.user_id.size() > app.max_presence_user_id_length) {
    text = "Presence user_id too long (limit " + std::to_string(app.max_presence_user_id_length) +
           " bytes)";
  } else if (member.user_info.size() > app.max_presence_user_info_bytes) {
    text = "Presence user_info too large (limit " +
           std::to_string(app.max_presence_user_info_bytes) + " bytes)";
  }
  if (!text.empty()) {
    SendSubscriptionError(channel, "InvalidChannelData", text, kErrorUnauthorized);
    SendError(kErrorUnauthorized, text);
    return;
  }
  JoinHeld(channel, /*presence=*/true, std::move(member.user_id), std::move(member.user_info));
}

void PusherSession::JoinHeld(const std::string& channel, bool presence, std::string user_id,
                             std::string user_info) {
  engine::ShardEnv::SubscribeResult r = env().Subscribe(app_, channel, &sub_, /*held=*/true);
  if (r.refused) {
    SendSubscriptionError(channel, "ServerBusy", "Server busy, retry the subscription", 503);
    return;
  }
  auto* note = new engine::PresenceNote();
  note->app = app_;
  note->join = true;
  note->presence = presence;
  note->cache = engine::IsCacheChannel(channel);
  note->channel = channel;
  note->user_id = user_id;
  note->user_info = std::move(user_info);
  note->conn_index = conn().index();
  note->conn_gen = conn().generation();
  note->serial = conn().serial();
  Extra& x = extra();
  note->token = ++x.presence_tokens;
  if (!env().control().NotePresenceJoin(note)) {
    env().Unsubscribe(&sub_, r.channel);
    SendSubscriptionError(channel, "ServerBusy", "Server busy, retry the subscription", 503);
    return;
  }
  x.presence.push_back({channel, std::move(user_id), x.presence_tokens, true, presence});
}

void PusherSession::LeavePresence(size_t index) {
  PresenceSub& p = extra_->presence[index];
  if (p.presence) env().control().NotePresenceLeave(app_, p.channel, p.user_id, conn().serial());
  if (index + 1 < extra_->presence.size()) p = std::move(extra_->presence.back());
  extra_->presence.pop_back();
}

void PusherSession::OnPresenceAck(const engine::PresenceNote& note) {
  if (note.signin) {
    OnSigninAck(note);
    return;
  }
  PresenceSub* p = FindPresence(note.channel);
  if (p == nullptr || !p->pending || p->token != note.token || closing()) return;
  engine::Channel* channel = env().channels().Find(app_, note.channel);
  if (note.refused) {
    // Not recorded: no leave.
    extra_->presence.erase(extra_->presence.begin() + (p - extra_->presence.data()));
    if (channel != nullptr) env().Unsubscribe(&sub_, channel);
    std::string text = "Presence channel is full (limit " +
                       std::to_string(env().apps().app(app_).max_presence_members_per_channel) +
                       " members)";
    SendSubscriptionError(note.channel, "LimitReached", text, wire::kErrorPresenceFull);
    return;
  }
  p->pending = false;
  if (channel != nullptr) env().channels().SetHeld(&sub_, channel, false);
  std::string data = "{}";
  if (p->presence) {
    data.clear();
    wire::AppendPresenceData(&data, note.members);
  } else {
    // Nothing left to wait for.
    extra_->presence.erase(extra_->presence.begin() + (p - extra_->presence.data()));
  }
  SendEvent("pusher_internal:subscription_succeeded", note.channel, data);
  if (!note.cache) return;
  if (note.cache_hit) {
    SendEvent(note.cache_event, note.channel, note.cache_data);
  } else {
    SendEvent("pusher:cache_miss", note.channel, "");
  }
}

void PusherSession::HandleUnsubscribe(const ClientMessage& msg) {
  SubscribeData d;
  if (const char* err = shared_->parser.ParseSubscribeData(msg, &d)) {
    SendError(kErrorGeneric, err);
    return;
  }
  if (!user_id().empty() &&
      d.channel == std::string(wire::kServerToUserPrefix).append(user_id())) {
    return;  // delivery to a user follows the signin, not the subscription: stays
  }
  for (size_t i = 0; extra_ && i < extra_->presence.size(); ++i) {
    if (extra_->presence[i].channel == d.channel) {
      LeavePresence(i);
      break;
    }
  }
  engine::Channel* channel = env().channels().Find(app_, d.channel);
  if (channel != nullptr) env().Unsubscribe(&sub_, channel);
}

void PusherSession::HandleClientEvent(const ClientMessage& msg) {
  const config::Limits& limits = env().limits();
  if (!env().apps().app(app_).enable_client_events) {
    SendError(kErrorRejected, "Client events are disabled for this app");
    return;
  }
  if (engine::EventNameError(msg.event, limits.max_event_name_length) != nullptr) {
    SendError(kErrorRejected, "Invalid client event name");
    return;
  }
  engine::ChannelKind kind = engine::KindOf(msg.channel);
  if (kind != engine::ChannelKind::kPrivate && kind != engine::ChannelKind::kPrivateEncrypted &&
      kind != engine::ChannelKind::kPresence) {
    SendError(kErrorRejected, "Client events are only allowed on private and presence channels");
    return;
  }
  engine::Channel* channel = env().channels().Find(app_, msg.channel);
  if (channel == nullptr || !sub_.IsSubscribed(channel)) {
    SendError(kErrorUnauthorized, "Client event on a channel this connection is not subscribed to");
    return;
  }
  const PresenceSub* member = nullptr;
  if (kind == engine::ChannelKind::kPresence) {
    member = FindPresence(msg.channel);
    if (member == nullptr || member->pending || !member->presence) {
      SendError(kErrorUnauthorized, "Client event before the presence subscription succeeded");
      return;
    }
  }
  if (msg.data.size() > limits.max_event_data_bytes) {
    SendError(kErrorRejected, "Client event data too large");
    return;
  }
  if (client_events_in_window_ < kMaxEventCount) ++client_events_in_window_;
  if (client_events_in_window_ > limits.client_events_per_second) {
    SendError(kErrorRejected, "Client event rejected due to rate limit");
    return;
  }
  engine::PublicationView pub;
  pub.app = app_;
  pub.channel = msg.channel;
  pub.event = msg.event;
  pub.data = msg.data;
  if (member != nullptr) pub.user_id = member->user_id;
  pub.exclude_shard = env().shard_id();
  pub.exclude_serial = conn().serial();
  if (!env().control().ForwardPublication(engine::BuildPublication(pub, /*refs=*/1))) {
    SendError(kErrorRejected, "Server busy: client event dropped");
  }
}

void PusherSession::SendEvent(std::string_view event, std::string_view channel,
                              std::string_view data_json) {
  std::string& s = shared_->scratch;
  s.clear();
  wire::AppendEvent(&s, event, channel, data_json);  // data double encoded, as the protocol asks
  SendText(s);
}

void PusherSession::SendError(int code, std::string_view message) {
  std::string data;
  util::JsonObject(&data).Int("code", code).Str("message", message).Close();
  SendEvent("pusher:error", {}, data);
}

void PusherSession::SendSubscriptionError(std::string_view channel, std::string_view type,
                                          std::string_view error, int status) {
  std::string data;
  util::JsonObject(&data).Str("type", type).Str("error", error).Int("status", status).Close();
  SendEvent("pusher:subscription_error", channel, data);
}

}  // namespace ringcast::protocols::pusher
