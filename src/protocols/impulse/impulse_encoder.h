// ImpulseEncoder: the Impulse stream's wire format in the fan-out. A publication becomes one
// shared record `data: {"channel":C,"payload":P}\n\n` (impulse_wire.h), encoded once per
// publication per shard. P is the published data when it is JSON (an Impulse push's payload, or
// a Pusher API publish of JSON text; minified onto one line), else the data as a JSON string.
// Its member step checks the push's audience (tokens, topic) against each stream: the
// audience is decoded once per publication (in Encode), then each member is a binary search.
// Thread rules: one encoder per shard, on that shard's thread (it keeps scratch state that
// views the publication being delivered).
#pragma once

#include <simdjson.h>

#include <string>

#include "engine/wire_format.h"
#include "protocols/impulse/impulse_wire.h"

namespace ringcast::protocols::impulse {

class ImpulseEncoder : public engine::PublicationEncoder {
 public:
  [[nodiscard]] net::LocalFrame* Encode(const engine::PublicationView& pub) override;
  bool HasMemberStep() const override { return true; }
  bool TakesAudience() const override { return true; }
  bool DeliverToMember(const engine::Member& member, net::LocalFrame* frame,
                       const engine::PublicationView& pub) override;

 private:
  std::string text_;    // reused: grows to the largest record seen
  std::string padded_;  // the data with simdjson's padding
  simdjson::dom::parser parser_;
  // The audience of the publication last encoded (views into its buffer, valid during its
  // fan-out); `audience_ok_` false: it did not decode, nobody receives it.
  const char* audience_of_ = nullptr;
  wire::AudienceView audience_;
  bool audience_ok_ = false;
};

}  // namespace ringcast::protocols::impulse
