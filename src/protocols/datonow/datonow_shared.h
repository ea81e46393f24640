// DatonowShared: per-shard state of the Datonow sessions (token and appKey): the fan-out encoder
// and its format id, the PusherShared the appKey sessions run on (its parser and scratch, with
// the Datonow format instead of Pusher's, so their channel memberships get Datonow frames), the
// client-message translator, a scratch string and the shared /ws limiter. Register once at start,
// before any session.
// Thread rules: the owning shard's thread.
#pragma once

#include <string>

#include "engine/shard_env.h"
#include "protocols/datonow/datonow_encoder.h"
#include "protocols/datonow/wire.h"
#include "protocols/pusher/pusher_session.h"

namespace ringcast::api {
class IpConnectionLimiter;
}

namespace ringcast::protocols::datonow {

struct DatonowShared {
  void Register(engine::ShardEnv* env) {
    encoder.Attach(&env->loop());
    format = env->RegisterFormat(&encoder);
    pusher.format = format;  // pusher.encoder stays unregistered: never used
  }

  DatonowEncoder encoder;
  engine::FormatId format = 0;
  pusher::PusherShared pusher;
  wire::ClientTranslator translator;
  simdjson::dom::parser validator;
  std::string scratch;
  std::string translated;
  // The process's per-(app, IP) budget of new /ws sockets, owned by the Server and shared by
  // every shard (thread-safe); set before the shard starts, null in tests without a server.
  api::IpConnectionLimiter* ws_limiter = nullptr;
};

}  // namespace ringcast::protocols::datonow
