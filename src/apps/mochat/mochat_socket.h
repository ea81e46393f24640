// MochatSocketApp: MoChat's side of its Socket.IO sockets on a shard
// (protocols/socketio/sio_app.h; docs/protocols/mochat.md, "Socket.IO"). The socket keeps
// Engine.IO and Socket.IO; this turns the handshake and the four subscription events into calls
// of the control plane's MochatApi (engine::HookCall kind kApp, answered back here):
//   CONNECT {token}  -> "mochat:connect": the token's agent and app, or CONNECT_ERROR; accepted
//                       sockets join #mochat-agent:<agent> (its notifications) and
//                       #mochat-token:<token id> (its revocation);
//   session:subscribe, session:unsubscribe, panel:subscribe, panel:unsubscribe
//                    -> "mochat:event": MochatApi::SocketEvent decides and its JSON is the ack;
//   the end          -> "mochat:closed": MochatApi::SocketClosed (no answer).
// notify:session and notify:panel arrive as publications on the agent channel (plain events);
// the revocation publication closes the socket (a Socket.IO DISCONNECT, then the transport).
// The control plane's half (ControlPlane::HandleMochatCall) uses the names and keys below.
// Thread rules: one per shard, the shard's thread (the helpers: any thread).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocols/socketio/dialogue_socket.h"
#include "protocols/socketio/sio_app.h"

namespace ringcast::apps::mochat {

inline constexpr std::string_view kAgentChannelPrefix = "#mochat-agent:";
inline constexpr std::string_view kTokenChannelPrefix = "#mochat-token:";
inline constexpr std::string_view kRevokeEvent = "mochat_internal:revoke";
// The calls' names (HookCall::hook).
inline constexpr std::string_view kConnectCall = "mochat:connect";
inline constexpr std::string_view kEventCall = "mochat:event";
inline constexpr std::string_view kClosedCall = "mochat:closed";
// The close code of a socket whose token was rotated out.
inline constexpr uint16_t kCloseTokenRevoked = 4001;

inline std::string AgentChannel(std::string_view agent) {
  return std::string(kAgentChannelPrefix).append(agent);
}
inline std::string TokenChannel(uint64_t token_id) {
  return std::string(kTokenChannelPrefix) + std::to_string(token_id);
}
// MochatApi's socket key of socket `serial` on `shard` (unique while it lives).
inline uint64_t SocketKey(uint32_t shard, uint64_t serial) {
  return (static_cast<uint64_t>(shard) << 48) ^ serial;
}

class MochatSocketApp : public protocols::socketio::SioApp {
 public:
  void OnConnect(protocols::socketio::DialogueSocket& socket, std::string_view auth) override;
  void OnEvent(protocols::socketio::DialogueSocket& socket, std::string_view name,
               const simdjson::dom::element* arg,
               const protocols::socketio::SioPacket& p) override;
  void OnAnswer(protocols::socketio::DialogueSocket& socket, engine::HookCall& h) override;
  void OnEnd(protocols::socketio::DialogueSocket& socket) override;
  bool OnPublication(protocols::socketio::DialogueSocket& socket,
                     const engine::PublicationView& pub) override;

 private:
  simdjson::dom::parser parser_;
  std::string padded_;
};

}  // namespace ringcast::apps::mochat
