#include "server/shard_metrics.h"

namespace ringcast::server {

std::string_view ConnProtocolName(ConnProtocol p) {
  switch (p) {
    case ConnProtocol::kHttp:
      return "http";
    case ConnProtocol::kPusher:
      return "pusher";
    case ConnProtocol::kEcho:
      return "echo";
    case ConnProtocol::kSse:
      return "sse";
    case ConnProtocol::kDatonow:
      return "datonow";
    case ConnProtocol::kRealtime:
      return "realtime";
    case ConnProtocol::kSocketIo:
      return "socketio";
    case ConnProtocol::kCount:
      break;
  }
  return "unknown";
}

}  // namespace ringcast::server
