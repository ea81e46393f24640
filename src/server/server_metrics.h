// ServerCollector: the server's own families in /metrics (connections, subscriptions,
// publications, deliveries, bytes, slow consumers, rejected requests, queue trouble, loop turns).
//
// It reads each shard's ShardMetrics, the control plane's counters and Server::queue_stats(),
// all single-writer atomics: a scrape takes no lock and sends no message to any shard. Totals
// are sums over the shards made at scrape time. Names and labels are listed in
// docs/operations.md ("Metrics"); two are fixed because dashboards and alerts are written
// against them: ringcast_deliveries_total and ringcast_connections.
// Thread rules: constructed after the shards exist (Server::Start); Collect from any thread.
#pragma once

#include <vector>

#include "metrics/registry.h"

namespace ringcast::server {

class Server;

class ServerCollector : public metrics::Collector {
 public:
  explicit ServerCollector(const Server* server) : server_(server) {}
  void Collect(metrics::TextWriter& w) const override;

 private:
  const Server* server_;
};

}  // namespace ringcast::server
