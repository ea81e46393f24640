// DatonowTokenSession: a Datonow notification client, GET /ws?token=<64 hex> (token mode).
//
// The token was checked and its lastSeenAt stored durably by the control plane before the
// upgrade (server/datonow_front.cc, api/datonow_api.h ConnectToken), so a session always
// belongs to a live token of a known app. Life of a session:
//   open      -> joins the app's broadcast channel and its token's channel (both internal,
//                engine/datonow_channels.h; the occupancy notes go out before anything is sent),
//                then datonow:connection_established {socket_id, activity_timeout}; when a
//                channel cannot be joined (control plane backed up), the shard is full or the
//                server is stopping: datonow:error and close 4100; past the app's
//                max_connections (counted with its Pusher and appKey sockets): 4004;
//   delivery  -> every publication on those channels: datonow:notification {stored message},
//                as the control plane publishes it after the message is durable;
//   messages  -> datonow:ping is answered with datonow:pong; datonow:pong is liveness; anything
//                else gets datonow:error 4200 (past client_messages_per_second: dropped, one
//                datonow:error 4301 per second);
//   liveness  -> as Pusher: after activity_timeout s of silence datonow:ping; no answer within
//                pong_timeout s: close 4201;
//   closing   -> token deleted: datonow:error 4010 then close 4010; slow consumer 4100;
//                shutdown 4200. A socket that joins its token's channel on a shard where a
//                socket of the same token is already closing for the deletion closes too (its
//                check passed before the delete; the channel existed, so no occupancy note
//                lets the control plane see it, see DatonowApi::OrphanedTokenChannel).
// Thread rules: the owning shard's thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/channel_table.h"
#include "protocols/datonow/datonow_shared.h"
#include "protocols/ws_session.h"

namespace ringcast::protocols::datonow {

class DatonowTokenSession : public WsSession {
 public:
  DatonowTokenSession(engine::ShardEnv* env, DatonowShared* shared, net::Connection& conn,
                      uint32_t app, uint64_t token_id);

  // Joins the channels and sends connection_established (or the refusal). Call once, right
  // after the upgrade response.
  void Start();

  void OnTimer(net::Connection& c, uint8_t kind) override;
  void OnClosed(net::Connection& c) override;
  void BeginShutdown() override;

  // The token was deleted (from the fan-out's member step): error frame and close 4010. Touches
  // no channel (the memberships go in OnClosed).
  void OnTokenDeleted();

  uint64_t token_id() const { return token_id_; }
  bool token_deleted() const { return token_deleted_; }

 private:
  static constexpr uint8_t kActivityTimer = kFirstDerivedTimer;

  bool OnTextMessage(std::string_view text) override;
  void OnPeerActivity() override {
    last_rx_ms_ = static_cast<uint32_t>(loop().now_ms());
    ping_outstanding_ = false;
  }
  uint16_t OverflowCloseCode() const override { return wire::kCloseOverCapacity; }
  void SendEvent(std::string_view event, std::string_view data_json);
  void SendError(int code, std::string_view message);
  void Refuse(uint16_t code, std::string_view message);

  bool ping_outstanding_ : 1 = false;
  bool token_deleted_ : 1 = false;
  bool counted_ : 1 = false;  // holds one of the app's max_connections (AppRegistry)  //
                              // OnTokenDeleted ran (the close may still be in progress)
  uint32_t app_;
  uint64_t token_id_;
  DatonowShared* shared_;
  engine::Subscriber sub_;
  uint32_t last_rx_ms_ = 0;      // low 32 bits of the loop clock
  uint32_t rate_window_ms_ = 0;  // fixed one-second window of the message rate limit
  uint32_t messages_in_window_ = 0;
};

}  // namespace ringcast::protocols::datonow
