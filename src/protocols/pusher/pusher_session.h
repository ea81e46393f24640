// PusherSession: one client speaking Pusher Channels protocol 7 over a WebSocket.
//
// It translates wire messages into engine commands and back; channels and fan-out are the
// engine's. Life of a session:
//   open      -> pusher:connection_established {socket_id, activity_timeout} first, or, when the
//                app key is unknown/disabled, the shard is full or the app has max_connections
//                established connections over all shards, pusher:error + close (4001, 4003,
//                4100, 4004; pusher-js does not reconnect after 40xx, backs off after 41xx);
//   messages  -> pusher:ping/pong, pusher:subscribe/unsubscribe (public, private and
//                private-encrypted channels; the auth token is checked here, on the shard, with
//                the app secret), client-* events (on a private channel the sender subscribed
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
// Wire details (JSON, codes, versions) are in wire.h.
// Thread rules: the owning shard's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine/channel_table.h"
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

 private:
  static constexpr uint8_t kActivityTimer = kFirstDerivedTimer;

  bool OnTextMessage(std::string_view text) override;
  void OnPeerActivity() override {
    last_rx_ms_ = static_cast<uint32_t>(loop().now_ms());
    ping_outstanding_ = false;
  }
  uint16_t OverflowCloseCode() const override { return wire::kCloseOverCapacity; }

  void HandleSubscribe(const ClientMessage& msg);
  void HandleUnsubscribe(const ClientMessage& msg);
  void HandleClientEvent(const ClientMessage& msg);
  void SendEvent(std::string_view event, std::string_view channel, std::string_view data_json);
  void SendError(int code, std::string_view message);
  void SendSubscriptionError(std::string_view channel, std::string_view type,
                             std::string_view error, int status);
  void Refuse(uint16_t code, std::string_view message);
  void ArmActivityTimer(uint64_t at_ms);
  // Milliseconds since last_rx_ms_ (timestamps are kept as 32 bits of the loop's clock; a
  // difference is exact up to 49 days, and no check looks further back than a window or an
  // activity timeout).
  uint32_t SinceLastRx() { return static_cast<uint32_t>(loop().now_ms()) - last_rx_ms_; }

  // Layout: one per connection, pinned in tests/unit/protocols/session_layout_test.cc. The
  // small fields come first so that they fill WsSession's tail; what is rare (a refusal decided
  // at the upgrade) lives on the heap, and the socket id is not stored.
  bool counted_ : 1 = false;  // holds one of the app's max_connections (AppRegistry)
  bool ping_outstanding_ : 1 = false;
  uint16_t refuse_code_;
  uint32_t app_;
  PusherShared* shared_;
  std::unique_ptr<std::string> refuse_reason_;  // only with refuse_code_ != 0
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
