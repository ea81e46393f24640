// ReadinessCheck: something the node needs in order to take new work (a Redis link in cluster
// mode, a writable store), asked by /ready and the ringcast_ready gauge.
//
// Extension point: a subsystem owns a ReadinessCheck, adds it with
// Server::AddReadinessCheck() before the server starts, and keeps its state in atomics that
// Ready() reads: Ready() is called from any thread (a shard answering /ready, the metrics
// thread, a scrape), must not block, take a lock on the message path, or allocate.
// /ready is 200 only while the server is not shutting down and every check is ready.
// Thread rules: Ready() and name() from any thread; the check outlives the server.
#pragma once

#include <string_view>

namespace ringcast::metrics {

class ReadinessCheck {
 public:
  virtual ~ReadinessCheck() = default;
  virtual std::string_view name() const = 0;  // for logs and the /ready body, e.g. "redis"
  virtual bool Ready() const = 0;
};

}  // namespace ringcast::metrics
