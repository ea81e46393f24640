// PusherSession: one client speaking Pusher Channels protocol 7 over a WebSocket.
//
// It translates wire messages into engine commands and back; channels and fan-out are the
// engine's. Life of a session:
//   open      -> pusher:connection_established {socket_id, activity_timeout} first, or, when the
//                app key is unknown/disabled, the shard is full or the app has max_connections
//                established connections over all shards, pusher:error + close (4001, 4003,
//                4100, 4004; pusher-js does not reconnect after 40xx, backs off after 41xx);
//   messages  -> pusher:ping/pong, pusher:subscribe/unsubscribe (public, private,
//                private-encrypted and presence channels; the auth token is checked here, on the
//                shard, with the app secret; a presence join is held until the control plane
//                answers with the member list, see below), client-* events (on a private or
//                presence channel the sender subscribed
//                to, when the app allows them, at most client_events_per_second: relayed to the
//                channel's other members on every shard through the control plane, never back
//                to the sender; refusals are pusher:error 4301, or 4009 when not subscribed;
//                when the shard's backlog to the control plane is full the event is dropped
//                with pusher:error 4301 "server busy"),
//                anything else is answered with pusher:error; past client_messages_per_second
//                messages are dropped (one pusher:error 4301 per second says so);
//   liveness  -> after activity_timeout seconds without a message the server sends
//                pusher:ping; without any answer within pong_timeout it closes with 4201;
//   closing   -> slow consumer 4100, shutdown 4200 (spread over the grace window by the shard).
// Subscription failures are reported both as pusher:subscription_error on the channel (what
// pusher-js hands to channel listeners; soketi's shape) and as pusher:error with code 4009 (bad
// name or auth, max_subscriptions_per_connection, max_channels_per_app_per_shard) or 4301 (past
// subscribes_per_second, counted over a fixed one-second window like the other rate limits). A
// subscription that would create the channel on this shard while the control plane cannot be
// told at once (its queue is full) is refused with subscription_error status 503 "ServerBusy"
// (nothing is confirmed that a publish could miss; the client may retry).
// Presence: channel_data is signed into the auth ("<socket_id>:<channel>:<channel_data>"), its
// user id (<= max_presence_user_id_length bytes) and user info (<= max_presence_user_info_bytes)
// are checked here (pusher:error 4009 otherwise). The connection joins the channel on this shard
// held (it receives nothing) and sends a join note to the control plane, which keeps the members
// of every shard; its answer comes back through the same queue as the member events, so the
// subscription_succeeded {presence: {ids, hash, count}} it carries is consistent with every
// member event after it. A full channel is refused (subscription_error status 4100). Leaving
// (unsubscribe, close) sends a leave note. Client events on presence channels carry user_id.
// Cache channels (cache-, private-cache-, private-encrypted-cache-, presence-cache-) are joined
// the same way (held until the control plane answers): subscription_succeeded, then the
// channel's last REST event, or pusher:cache_miss when it has none.
// Sign-in: pusher:signin {auth, user_data} is verified ("<socket_id>::user::<user_data>", user_data
// holding a non-empty string id) and answered with pusher:signin_success {user_data}; the
// connection then joins "#server-to-user-<id>" itself (REST events there reach every connection
// signed in as that user, on any shard, and terminate_connections finds them there); pusher-js's
// own subscribe to that channel is confirmed, anybody else's refused (4009). A bad signin gets
// pusher:error 4009 and the connection stays open. The sign-in is also told to the control
// plane (a presence-like note on that channel) and signin_success waits for its answer, so a
// connection that got it counts as online everywhere. Watchlist: user_data's "watchlist" ids
// (the first wire::kMaxWatchlistIds; more: pusher:error 4302 after signin_success; ids longer
// than max_presence_user_id_length are left out, nobody can sign in with them) are watched:
// pusher_internal:watchlist_events with the current online/offline state follows
// signin_success, and each later change of a watched user arrives the same way (the control
// plane keeps the state, engine/watchlist_table.h). Closing tells the control plane (leave).
// When the app sets enable_user_authentication,
// a connection not signed in within user_authentication_timeout_ms gets pusher:error 4009
// "Connection not authorized within timeout." and close 4009.
// Wire details (JSON, codes, versions) are in wire.h.
// Thread rules: the owning shard's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/channel_table.h"
#include "engine/presence_note.h"
#include "engine/wire_format.h"
#include "protocols/pusher/client_message.h"
#include "protocols/pusher/event_encoder.h"
#include "protocols/pusher/wire.h"
#include "protocols/ws_session.h"

namespace ringcast::protocols::pusher {

// Per-shard state shared by the shard's Pusher sessions: the message parser, a scratch string,
// and the fan-out encoder with the format id the shard gave it (Register, once, at start).
struct PusherShared {
  void Register(engine::ShardEnv* env) { format = env->RegisterFormat(&encoder); }

  ClientMessageParser parser;
  std::string scratch;
  PusherEventEncoder encoder;
  engine::FormatId format = 0;
};

class PusherSession : public WsSession {
 public:
  // `app` is the index of the app named in the URL, or AppRegistry::kNone. `refuse_code` is a
  // Pusher close code decided at upgrade time (bad protocol version, ...), 0 for none.
  PusherSession(engine::ShardEnv* env, PusherShared* shared, net::Connection& conn, uint32_t app,
                uint16_t refuse_code, std::string refuse_reason);

  // Sends connection_established (or the refusal). Call once, right after the upgrade response.
  void Start();

  void OnTimer(net::Connection& c, uint8_t kind) override;
  void OnClosed(net::Connection& c) override;
  void BeginShutdown() override;

  // "digits.digits", formatted from (shard, connection serial) when asked: not stored.
  std::string socket_id() const;

  // The control plane's answer to this session's presence join (engine/presence_note.h): the
  // member list (sent as subscription_succeeded; the held membership is released), or the
  // refusal (channel full). A stale answer (left or re-joined since) is ignored.
  void OnPresenceAck(const engine::PresenceNote& note);
  // POST /apps/{id}/users/{user_id}/terminate_connections reached this signed-in connection:
  // pusher:error 4009 and close 4009.
  void TerminateByApp();
  // Watched users whose state changed since this connection was last told (the control plane's
  // kWatchlist, after the answer to the sign-in): pusher_internal:watchlist_events.
  void OnWatchlistChanges(const std::vector<std::string>& online,
                          const std::vector<std::string>& offline);

 protected:
  // Protected and virtual for the Datonow appKey session (protocols/datonow/channel_session.h),
  // which speaks this protocol under another wire format.
  bool OnTextMessage(std::string_view text) override;
  virtual void SendEvent(std::string_view event, std::string_view channel,
                         std::string_view data_json);
  uint32_t app() const { return app_; }

 private:
  static constexpr uint8_t kActivityTimer = kFirstDerivedTimer;
  static constexpr uint8_t kSigninTimer = kFirstDerivedTimer + 1;

  void OnPeerActivity() override {
    last_rx_ms_ = static_cast<uint32_t>(loop().now_ms());
    ping_outstanding_ = false;
  }
  uint16_t OverflowCloseCode() const override { return wire::kCloseOverCapacity; }

  void HandleSubscribe(const ClientMessage& msg);
  void HandleUnsubscribe(const ClientMessage& msg);
  void HandleClientEvent(const ClientMessage& msg);
  void HandleSignin(const ClientMessage& msg);
  // The control plane's answer to the sign-in note: signin_success, then the watchlist state.
  void OnSigninAck(const engine::PresenceNote& note);
  // The presence part of a subscribe whose auth passed: limits, held membership, join note.
  void SubscribePresence(const std::string& channel, const SubscribeData& d);
  // A held membership (no delivery until the control plane answers) and a join note: a presence
  // member, or a cache channel (`presence` false) asking for its last event. The entry waits for
  // OnPresenceAck; when the membership or the note is refused, ServerBusy and nothing kept.
  void JoinHeld(const std::string& channel, bool presence, std::string user_id,
                std::string user_info);
  // Tells the control plane that this connection left the presence channel at `index` and
  // forgets it (the channel membership itself is the caller's).
  void LeavePresence(size_t index);
  void SendError(int code, std::string_view message);
  void SendSubscriptionError(std::string_view channel, std::string_view type,
                             std::string_view error, int status);
  void Refuse(uint16_t code, std::string_view message);
  void ArmActivityTimer(uint64_t at_ms);
  // Milliseconds since last_rx_ms_ (timestamps are kept as 32 bits of the loop's clock; a
  // difference is exact up to 49 days, and no check looks further back than a window or an
  // activity timeout).
  uint32_t SinceLastRx() { return static_cast<uint32_t>(loop().now_ms()) - last_rx_ms_; }

  // A presence channel this connection joined: its user id, and whether the control plane's
  // answer (the member list) is still awaited (`token` tells a stale answer). Also a cache
  // channel whose last event is awaited.
  struct PresenceSub {
    std::string channel;
    std::string user_id;
    uint64_t token = 0;
    bool pending = true;
    bool presence = true;  // false: a cache channel waiting for its last event (then dropped)
  };
  PresenceSub* FindPresence(std::string_view channel);
  // What most connections never need, allocated on first use: a refusal decided at the
  // upgrade, the presence and cache channels joined, the signed-in user.
  struct Extra {
    std::string refuse_reason;  // only with refuse_code_ != 0
    std::vector<PresenceSub> presence;
    std::string user_id;  // set by a verified pusher:signin (its note is with the control plane)
    uint64_t presence_tokens = 0;
    uint32_t watchlist_ids = 0;   // ids in the sign-in's watchlist (4302 beyond the limit)
    bool signin_pending = false;  // the control plane's answer to the sign-in is awaited
  };
  Extra& extra() {
    if (!extra_) extra_ = std::make_unique<Extra>();
    return *extra_;
  }
  // The signed-in user id, empty when none.
  std::string_view user_id() const {
    return extra_ ? std::string_view(extra_->user_id) : std::string_view();
  }

  // Layout: one per connection, pinned in tests/unit/protocols/session_layout_test.cc. The
  // small fields come first so that they fill WsSession's tail; what is rare (a refusal, presence,
  // sign-in) lives on the heap in Extra, and the socket id is not stored.
  bool counted_ : 1 = false;  // holds one of the app's max_connections (AppRegistry)
  bool ping_outstanding_ : 1 = false;
  uint16_t refuse_code_;
  uint32_t app_;
  PusherShared* shared_;
  std::unique_ptr<Extra> extra_;
  engine::Subscriber sub_;
  uint32_t last_rx_ms_ = 0;  // low 32 bits of the loop clock, see SinceLastRx
  // Fixed one-second windows for the message and client-event rate limits (start: low 32 bits
  // of the loop clock).
  uint32_t rate_window_ms_ = 0;
  // Counts in the window, saturating at their widths (the configured limits are below them:
  // 10,000,000 messages, 1,000,000 client events and subscribes, see config.cc).
  static constexpr uint32_t kMaxMessageCount = (1u << 24) - 1;
  static constexpr uint32_t kMaxEventCount = (1u << 20) - 1;
  uint64_t messages_in_window_ : 24 = 0;
  uint64_t client_events_in_window_ : 20 = 0;
  uint64_t subscribes_in_window_ : 20 = 0;
};

}  // namespace ringcast::protocols::pusher
