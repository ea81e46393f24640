// DatonowShared: per-shard state of the Datonow sessions (token and appKey): the fan-out encoder
// and its format id, the PusherShared the appKey sessions run on (its parser and scratch, with
// the Datonow format instead of Pusher's, so their channel memberships get Datonow frames), the
// client-message translator and a scratch string. Register once at start, before any session.
// Thread rules: the owning shard's thread.
#pragma once

#include <string>

#include "engine/shard_env.h"
#include "protocols/datonow/datonow_encoder.h"
#include "protocols/datonow/wire.h"
#include "protocols/pusher/pusher_session.h"

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
};

}  // namespace ringcast::protocols::datonow
