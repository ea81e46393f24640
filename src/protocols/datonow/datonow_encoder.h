// DatonowEncoder: the Datonow socket format of the fan-out (wire.h's frame in one unmasked
// WebSocket text frame), shared by token and appKey sessions, encoded once per publication per
// shard. Its member step queues the shared frame, except for the internal publications of the
// Datonow API on '#datonow-' channels (engine/datonow_channels.h), which are not sent: a token
// deletion closes the member's token session, and a command (POST /api/subscribe) is handed to
// the member's appKey session, which runs it after the fan-out (a subscribe changes channels,
// which the walk must not).
// Thread rules: one encoder per shard, on that shard's thread.
#pragma once

#include <string>

#include "engine/wire_format.h"
#include "net/io_loop.h"
#include "simdjson.h"

namespace ringcast::protocols::datonow {

class DatonowEncoder : public engine::PublicationEncoder {
 public:
  void Attach(net::IoLoop* loop) { loop_ = loop; }
  [[nodiscard]] net::LocalFrame* Encode(const engine::PublicationView& pub) override;
  bool HasMemberStep() const override { return true; }
  bool DeliverToMember(const engine::Member& member, net::LocalFrame* frame,
                       const engine::PublicationView& pub) override;

 private:
  net::IoLoop* loop_ = nullptr;
  std::string json_;  // reused: grows to the largest event seen
  simdjson::dom::parser validator_;
};

}  // namespace ringcast::protocols::datonow
