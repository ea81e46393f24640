// SseEncoder: the SSE wire format of the fan-out. A publication becomes one shared frame
//   event: <event name>\n
//   data: {"channel":C,"event":E,"data":"<data as Pusher clients get it>"}\n
//   id: <epoch>.<sequence>\n\n          (only when the publication has a sequence)
// encoded once per publication per shard and shared by every SSE subscriber there. The id is
// a subscriber's position in every channel of its stream (sse_request.h): for a stream of one
// channel that is the publication's own position, the same for every such stream, so those
// queue the shared frame as it is (one reference, nothing of their own: as cheap as a WebSocket
// delivery). A stream of several channels queues a frame of its own: the record without the
// shared id line (SharedRecord), then its own id and the blank line (DeliverToMember). A
// publication without a sequence (client events) gets no id line: every stream adds its own.
// Thread rules: one encoder per shard, on that shard's thread (it keeps a scratch string).
#pragma once

#include <string>

#include "engine/wire_format.h"

namespace ringcast::protocols::sse {

class SseEncoder : public engine::PublicationEncoder {
 public:
  [[nodiscard]] net::LocalFrame* Encode(const engine::PublicationView& pub) override;
  bool HasMemberStep() const override { return true; }
  bool DeliverToMember(const engine::Member& member, net::LocalFrame* frame,
                       const engine::PublicationView& pub) override;

 private:
  std::string text_;  // reused: grows to the largest event seen
};

// Appends the record lines of one event (no id, no terminating blank line). CR and LF in the
// event name are replaced by spaces (the JSON data line never holds one).
void AppendRecord(std::string* out, std::string_view channel, std::string_view event,
                  std::string_view data);

// The record part of Encode's shared frame for `pub`: the frame without its id line.
std::string_view SharedRecord(const net::LocalFrame& frame, const engine::PublicationView& pub);

}  // namespace ringcast::protocols::sse
