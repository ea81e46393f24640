// RealtimeShared: per-shard state of the DontCode realtime sockets: the fan-out encoder (the
// realtime wire format) and its format id, a JSON parser and scratch strings the sessions share,
// and the member list behind GET /realtime/presence/{channel}.
// The encoder turns a publication on channel C into {"type":"message","channel":C,"event":E,
// "data":D} (D: the data as JSON when it is JSON, else a string), and one on the presence channel
// of C (realtime_wire.h) into {"type":"presence","channel":C,"action":"join"|"leave",
// "member":{...}}. Its member step skips another protocol's own events (pusher:*,
// pusher_internal:*) and hands the frame to the session.
// Register once at start, before any session. Thread rules: the owning shard's thread.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "apps/dontcode/realtime_wire.h"
#include "engine/shard_env.h"
#include "engine/wire_format.h"

namespace ringcast::apps::dontcode {

class RealtimeSession;

struct RealtimeSubscriber : engine::Subscriber {
  RealtimeSubscriber(net::Connection* conn, engine::FormatId format, RealtimeSession* s)
      : engine::Subscriber(conn, format), session(s) {}
  RealtimeSession* session;
};

class RealtimeEncoder : public engine::PublicationEncoder {
 public:
  [[nodiscard]] net::LocalFrame* Encode(const engine::PublicationView& pub) override;
  bool HasMemberStep() const override { return true; }
  bool DeliverToMember(const engine::Member& member, net::LocalFrame* frame,
                       const engine::PublicationView& pub) override;

 private:
  std::string text_;
  std::string padded_;
  simdjson::dom::parser parser_;
  bool skip_ = false;  // the publication last encoded is not for realtime sockets
};

struct RealtimeShared {
  void Register(engine::ShardEnv* shard_env) {
    env = shard_env;
    format = env->RegisterFormat(&encoder);
  }
  // The realtime sockets of this shard on `channel` of `app`, as (connection id, identity).
  void ListMembers(uint32_t app, std::string_view channel,
                   std::vector<std::pair<std::string, std::string>>* out) const;

  engine::ShardEnv* env = nullptr;
  RealtimeEncoder encoder;
  engine::FormatId format = 0;
  simdjson::dom::parser parser;
  std::string padded;
  std::string scratch;
  wire::ClientMessage message;  // the frame being handled
};

}  // namespace ringcast::apps::dontcode
