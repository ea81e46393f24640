// SioApp: an application other than Dialogue served on a Socket.IO endpoint (MoChat,
// apps/mochat/). Its sockets are DialogueSockets that keep everything below the application:
// Engine.IO (open, ping, transports, upgrade), Socket.IO packets, acks, namespaces, the message
// rate limit and the slow-consumer cut. The socket hands the application its CONNECT, its
// EVENTs, the answers of its control-plane calls and its end; the application answers through
// the socket's app-facing calls (AcceptConnect, RefuseConnect, EmitEvent, Ack, JoinChannel,
// CallControl, CloseSoon).
// Publications on the channels an application's socket joined reach it as plain Socket.IO
// events (DialogueEncoder: a routing channel's publication is `42[event, data]`), after
// OnPublication agreed, from inside the fan-out (so OnPublication must not close or unsubscribe;
// CloseSoon defers a close to the socket's timer).
// Thread rules: one instance per shard, the shard's thread.
#pragma once

#include <simdjson.h>

#include <string_view>

#include "engine/hook_call.h"
#include "engine/publication.h"
#include "protocols/socketio/packet.h"

namespace ringcast::protocols::socketio {

class DialogueSocket;

class SioApp {
 public:
  virtual ~SioApp() = default;
  // A CONNECT to "/" with `auth` (the JSON text, "" when none). The application answers with
  // socket.AcceptConnect or socket.RefuseConnect, now or from OnAnswer.
  virtual void OnConnect(DialogueSocket& socket, std::string_view auth) = 0;
  // An EVENT of a connected socket (`arg`: its first argument, null when none; `p`: the packet,
  // for its ack id).
  virtual void OnEvent(DialogueSocket& socket, std::string_view name,
                       const simdjson::dom::element* arg, const SioPacket& p) = 0;
  // The answer to a call the socket sent with CallControl (HookCall::Kind::kApp).
  virtual void OnAnswer(DialogueSocket& socket, engine::HookCall& h) = 0;
  // The socket disconnected or closed (once, when it had asked to connect).
  virtual void OnEnd(DialogueSocket& socket) = 0;
  // A publication on a channel the socket joined: whether the socket receives it.
  virtual bool OnPublication(DialogueSocket& socket, const engine::PublicationView& pub) = 0;
};

}  // namespace ringcast::protocols::socketio
