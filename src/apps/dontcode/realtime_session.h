// RealtimeSession: one DontCode realtime socket, GET /realtime?token=<JWT> upgraded to a
// WebSocket (docs/protocols/dontcode.md). The token was checked on the shard before the upgrade
// (realtime_token.h); the session may use only the channels it names.
// Life of a session:
//   open      -> a bad token closes at once (4003, or 4001 when it expired); a full shard, a
//                stopping server (4100) or the app's max_connections (4004) likewise; else
//                {"type":"connected","id","identity"?,"channels","expiresAt"}, and a timer for
//                the token's expiry (then {"type":"error","code":"token_expired"} and close 4001);
//   messages  -> subscribe / unsubscribe / publish / ping, each answered (realtime_wire.h); a
//                channel the token does not name is refused with channel_forbidden and never
//                served; past client_messages_per_second: dropped, one rate_limited per second;
//   presence  -> a subscribe joins the channel and its presence channel (both before the
//                reply) and publishes a join to the channel's other realtime sockets; an
//                unsubscribe or the close publishes the leave;
//   liveness  -> after activity_timeout s of silence a WebSocket ping; nothing back within
//                pong_timeout s: close 4008;
//   closing   -> slow consumer 4100; shutdown 4200.
// Thread rules: the owning shard's thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "apps/dontcode/realtime_shared.h"
#include "apps/dontcode/realtime_token.h"
#include "protocols/ws_session.h"

namespace ringcast::apps::dontcode {

class RealtimeSession : public protocols::WsSession {
 public:
  RealtimeSession(engine::ShardEnv* env, RealtimeShared* shared, net::Connection& conn,
                  RealtimeGrant grant, TokenCheck check);

  // Sends connected (or the refusal and close). Call once, right after the upgrade response.
  void Start();

  void OnTimer(net::Connection& c, uint8_t kind) override;
  void OnClosed(net::Connection& c) override;
  void BeginShutdown() override;

  // The fan-out's member step: queues the shared frame. False when nothing was queued.
  bool Deliver(net::LocalFrame* frame);

  // The connection id (the socket id format "shard.serial") and the token's identity.
  std::string id() const;
  const std::string& identity() const { return grant_.identity; }

 private:
  static constexpr uint8_t kActivityTimer = kFirstDerivedTimer;
  static constexpr uint8_t kExpiryTimer = kFirstDerivedTimer + 1;

  bool OnTextMessage(std::string_view text) override;
  void OnPeerActivity() override {
    last_rx_ms_ = static_cast<uint32_t>(loop().now_ms());
    ping_outstanding_ = false;
  }
  uint16_t OverflowCloseCode() const override;
  void Subscribe(std::string_view channel, std::string_view ref);
  void Unsubscribe(std::string_view channel, std::string_view ref);
  void Publish(std::string_view channel, std::string_view data, std::string_view ref);
  // Publishes this socket's join or leave on `channel`'s presence channel (false: dropped,
  // the control plane's backlog is full; counted there).
  bool NotePresence(std::string_view channel, std::string_view action);
  void SendError(std::string_view code, std::string_view message, std::string_view channel = {},
                 std::string_view ref = {});
  void CloseWith(uint16_t code, std::string_view error, std::string_view reason);

  RealtimeShared* shared_;
  RealtimeGrant grant_;
  TokenCheck check_;
  RealtimeSubscriber sub_;
  bool ping_outstanding_ : 1 = false;
  bool counted_ : 1 = false;  // holds one of the app's max_connections
  uint32_t last_rx_ms_ = 0;
  uint32_t rate_window_ms_ = 0;
  uint32_t messages_in_window_ = 0;
};

}  // namespace ringcast::apps::dontcode
