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
    case ConnProtocol::kCount:
      break;
  }
  return "unknown";
}

void ShardMetrics::PublishTurn(uint64_t turn_ns, const net::IoLoopStats& loop,
                               size_t live_connections, const engine::ShardCounters& engine) {
  loop_turn_.Observe(turn_ns);
  turns_.Add(1);
  live_.Set(live_connections);
  subscriptions_.Set(engine.subscriptions);
  channels_.Set(engine.channels);
  publications_.Set(engine.publications);
  deliveries_.Set(engine.deliveries);
  bytes_out_.Set(loop.bytes_written);
  bytes_in_.Set(loop.bytes_read);
  accepted_.Set(loop.accepted);
  refused_.Set(loop.refused);
  slow_consumers_.Set(loop.slow_consumers);
  budget_cuts_.Set(loop.outbound_budget_cuts);
  read_buffer_exhausted_.Set(loop.read_buffer_exhausted);
  accept_no_descriptor_.Set(loop.accept_no_descriptor);
  writes_.Set(loop.writes);
}

}  // namespace ringcast::server
