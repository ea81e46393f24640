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
// A format may also take a step per member (HasMemberStep): the shard then hands it the shared
// frame and the member instead of queueing the frame itself, so it can add bytes of its own
// (SSE: a per-subscriber resume id after the shared record) or skip a member (a duplicate it
// already delivered from history). The shared frame is still encoded once.
// Thread rules: an encoder belongs to one shard and runs on its thread only; it must not touch
// channels or connections (it runs inside the fan-out walk).
#pragma once

#include <cstdint>

#include "engine/publication.h"
#include "net/local_frame.h"

namespace ringcast::engine {

struct Member;

using FormatId = uint8_t;
// Formats one shard can serve at once (a fan-out keeps one frame slot per format).
inline constexpr FormatId kMaxFormats = 8;

class PublicationEncoder {
 public:
  virtual ~PublicationEncoder() = default;
  // The bytes every subscriber of this format receives for `pub`, as a frame holding one
  // reference that passes to the caller.
  [[nodiscard]] virtual net::LocalFrame* Encode(const PublicationView& pub) = 0;
  // Whether DeliverToMember replaces the plain queueing of the shared frame (asked once, at
  // registration).
  virtual bool HasMemberStep() const { return false; }
  // Whether members of this format may receive a publication with an audience
  // (PublicationView::audience; asked once, at registration). Such a format needs a member
  // step, which must check the audience; other formats never see those publications.
  virtual bool TakesAudience() const { return false; }
  // Queues what `member` receives of `pub`; `frame` is Encode's shared frame (take a Ref to
  // keep it). Returns false when nothing was queued to this member.
  virtual bool DeliverToMember(const Member& member, net::LocalFrame* frame,
                               const PublicationView& pub) {
    (void)member;
    (void)frame;
    (void)pub;
    return false;
  }
};

}  // namespace ringcast::engine
