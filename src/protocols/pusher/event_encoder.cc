#include "protocols/pusher/event_encoder.h"

#include <cstring>

#include "protocols/pusher/wire.h"
#include "ws/frame_encoder.h"

namespace ringcast::protocols::pusher {

net::LocalFrame* PusherEventEncoder::Encode(const engine::PublicationView& pub) {
  json_.clear();
  wire::AppendEvent(&json_, pub.event, pub.channel, pub.data, pub.user_id);
  uint8_t header[ws::kMaxServerHeaderBytes];
  size_t header_len = ws::EncodeHeader(header, ws::Opcode::kText, json_.size());
  char* bytes;
  net::LocalFrame* frame =
      net::LocalFrame::Allocate(static_cast<uint32_t>(header_len + json_.size()), &bytes);
  std::memcpy(bytes, header, header_len);
  std::memcpy(bytes + header_len, json_.data(), json_.size());
  return frame;
}

}  // namespace ringcast::protocols::pusher
