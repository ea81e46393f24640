// Wire formats: how the engine fans a publication out to subscribers that speak different
// protocols without knowing any of them.
//
// Each protocol session declares the format its subscribers receive (a FormatId in its
// Subscriber). The protocol layer registers one PublicationEncoder per format with each shard
// (ShardEnv::RegisterFormat) before any session subscribes. During a fan-out the shard asks a
// format's encoder only when the first member of that format is met, and every member of that
// format on the shard shares the one frame it returned (one Ref per member). So a publication
// costs at most one encode per format per shard, and none for a format nobody there uses.
// Implementations live under protocols/ (e.g. the Pusher WebSocket event frame); the engine
// never includes them.
// Thread rules: an encoder belongs to one shard and runs on its thread only; it must not touch
// channels or connections (it runs inside the fan-out walk).
#pragma once

#include <cstdint>

#include "engine/publication.h"
#include "net/local_frame.h"

namespace ringcast::engine {

using FormatId = uint8_t;
// Formats one shard can serve at once (a fan-out keeps one frame slot per format).
inline constexpr FormatId kMaxFormats = 4;

class PublicationEncoder {
 public:
  virtual ~PublicationEncoder() = default;
  // The bytes every subscriber of this format receives for `pub`, as a frame holding one
  // reference that passes to the caller.
  [[nodiscard]] virtual net::LocalFrame* Encode(const PublicationView& pub) = 0;
};

}  // namespace ringcast::engine
