// StoreMetrics: the write-ahead log's figures in /metrics (group-commit write and fdatasync
// latency histograms, commits, bytes and records written, the read-only state).
//
// The store (store/wal.h) keeps no metrics: it tells a store::WalObserver what each group commit
// did, on the control-plane thread that owns it. StoreMetrics supplies that observer
// (observer(), for WalOptions::observer) and keeps what it hears in single-writer atomics
// (metrics::Histogram/Counter/Gauge), which Collect reads from the scraping thread (a shard, or
// the --metrics-port thread): no lock, no message to the control plane, and a reading is
// current (nothing is copied per turn). Names are listed in docs/operations.md ("Metrics").
// Thread rules: observer() before the Wal opens (start-up); the observer's calls on the Wal's
// thread only; Collect from any thread. It must outlive the Wal and the registry's use.
#pragma once

#include <memory>

#include "metrics/registry.h"

namespace ringcast::store {
class WalObserver;
}  // namespace ringcast::store

namespace ringcast::server {

class StoreMetrics : public metrics::Collector {
 public:
  StoreMetrics();
  ~StoreMetrics() override;
  StoreMetrics(const StoreMetrics&) = delete;
  StoreMetrics& operator=(const StoreMetrics&) = delete;

  // For WalOptions::observer.
  store::WalObserver* observer();
  void Collect(metrics::TextWriter& w) const override;

 private:
  class Figures;
  std::unique_ptr<Figures> figures_;
};

}  // namespace ringcast::server
