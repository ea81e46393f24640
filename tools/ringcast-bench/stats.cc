// WorkerStats implementation: counting errors by kind (at most kMaxErrorKinds distinct kinds,
// the rest as "other") and merging one worker's histograms and counters into another's.
// Worker thread while running; main thread after the join.
#include "ringcast-bench/stats.h"

#include <algorithm>

namespace ringcast::bench {

void WorkerStats::CountError(std::string_view kind, uint64_t n) {
  auto it = errors.find(kind);
  if (it != errors.end()) {
    it->second += n;
  } else if (errors.size() < kMaxErrorKinds) {
    errors.emplace(std::string(kind), n);
  } else {
    errors["other"] += n;
  }
}

void WorkerStats::Merge(const WorkerStats& o) {
  latency.Merge(o.latency);
  connect_latency.Merge(o.connect_latency);
  handshake_latency.Merge(o.handshake_latency);
  subscribe_latency.Merge(o.subscribe_latency);
  ack_latency.Merge(o.ack_latency);
  for (const auto& [kind, n] : o.errors) CountError(kind, n);
  if (subscribed_per_channel.size() < o.subscribed_per_channel.size()) {
    subscribed_per_channel.resize(o.subscribed_per_channel.size(), 0);
  }
  for (size_t i = 0; i < o.subscribed_per_channel.size(); ++i) {
    subscribed_per_channel[i] += o.subscribed_per_channel[i];
  }
  first_connect_ns = std::min(first_connect_ns, o.first_connect_ns);
  last_subscribed_ns = std::max(last_subscribed_ns, o.last_subscribed_ns);
  published_measured += o.published_measured;
  unsent += o.unsent;
  other_events += o.other_events;
  foreign += o.foreign;
  publish_unknown += o.publish_unknown;
  read_buffers_exhausted += o.read_buffers_exhausted;
  server_segments += o.server_segments;
  segment_deliveries += o.segment_deliveries;
  segment_windows += o.segment_windows;
}

}  // namespace ringcast::bench
