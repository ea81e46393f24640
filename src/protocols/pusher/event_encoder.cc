#include "protocols/pusher/event_encoder.h"

#include "protocols/pusher/wire.h"
#include "protocols/ws_session.h"

namespace ringcast::protocols::pusher {

net::LocalFrame* PusherEventEncoder::Encode(const engine::PublicationView& pub) {
  json_.clear();
  wire::AppendEvent(&json_, pub.event, pub.channel, pub.data, pub.user_id);
  return TextFrame(json_);
}

}  // namespace ringcast::protocols::pusher
