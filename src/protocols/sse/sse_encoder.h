// SseEncoder: the SSE wire format of the fan-out. A publication becomes one shared record
//   event: <event name>\n
//   data: {"channel":C,"event":E,"data":"<data as Pusher clients get it>"}\n
// encoded once per publication per shard and shared by every SSE subscriber there. The record
// is not terminated: each subscriber's session adds its own resume id line and the blank line
// that ends the event (DeliverToMember), since the id holds that subscriber's position in every
// channel of its stream (sse_request.h).
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

}  // namespace ringcast::protocols::sse
