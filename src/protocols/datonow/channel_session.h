// DatonowChannelSession: a Datonow channel client, GET /ws?appKey=<key> (appKey mode).
//
// The guide's channel semantics are Pusher's (public, private- and presence- channels, HMAC
// auth "<key>:<hex>" over "<socket_id>:<channel>[:<channel_data>]", member events), so this
// session is a PusherSession speaking Datonow's wire (wire.h): its client messages are
// translated into Pusher's ("datonow:subscribe" -> "pusher:subscribe", ...), and everything it
// sends, fan-out included, is a Datonow frame ("pusher:error" -> "datonow:error",
// "pusher_internal:member_added" -> "datonow:member_added", data as a JSON value). It joins the
// same engine channels as Pusher clients, so a Pusher REST trigger, a client event or a presence
// change reaches both kinds of client; limits, codes and presence/auth rules are the
// PusherSession's (docs/protocols/pusher.md).
// REST subscriptions: the session also joins its own internal channel
// "#datonow-socket-<socket_id>" before connection_established; POST /api/subscribe and
// /api/unsubscribe publish the client message there (engine/datonow_channels.h), the encoder
// hands it to QueueCommand, and the session runs it after the fan-out (on a timer due at once),
// as if the client had sent it: the outcome is the usual datonow:subscription_succeeded or
// datonow:subscription_error on the socket. At most kMaxCommands wait; more are dropped with
// datonow:error 4301.
// Thread rules: the owning shard's thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/datonow/datonow_shared.h"
#include "protocols/pusher/pusher_session.h"

namespace ringcast::protocols::datonow {

class DatonowChannelSession : public pusher::PusherSession {
 public:
  static constexpr size_t kMaxCommands = 16;

  // `app`: the index of the app whose key the URL named, or AppRegistry::kNone (refused 4001).
  DatonowChannelSession(engine::ShardEnv* env, DatonowShared* shared, net::Connection& conn,
                        uint32_t app);

  // Joins the socket's command channel, then PusherSession::Start (connection_established or
  // the refusal).
  void Start();

  void OnTimer(net::Connection& c, uint8_t kind) override;
  void OnClosed(net::Connection& c) override;

  // A client message from POST /api/subscribe or /api/unsubscribe (from the fan-out's member
  // step: only stored here, run by OnTimer).
  void QueueCommand(std::string_view text);

 private:
  static constexpr uint8_t kCommandTimer = kFirstDerivedTimer + 10;

  bool OnTextMessage(std::string_view text) override;
  void SendEvent(std::string_view event, std::string_view channel,
                 std::string_view data_json) override;

  DatonowShared* dshared_;
  engine::Subscriber command_sub_;
  std::unique_ptr<std::vector<std::string>> commands_;  // only while commands wait
};

}  // namespace ringcast::protocols::datonow
