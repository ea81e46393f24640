// PusherEventEncoder: the Pusher wire format of the fan-out: a publication becomes one unmasked
// WebSocket text frame carrying {"event":E,"channel":C,"data":"<data>"[,"user_id":U]}
// (wire::AppendEvent). The shard calls it at most once per publication, when the first Pusher
// subscriber of the channel is met; every Pusher subscriber on the shard shares the frame.
// Thread rules: one encoder per shard, used on that shard's thread (it keeps a scratch string).
#pragma once

#include <string>

#include "engine/wire_format.h"

namespace ringcast::protocols::pusher {

class PusherEventEncoder : public engine::PublicationEncoder {
 public:
  [[nodiscard]] net::LocalFrame* Encode(const engine::PublicationView& pub) override;

 private:
  std::string json_;  // reused: grows to the largest event seen
};

}  // namespace ringcast::protocols::pusher
