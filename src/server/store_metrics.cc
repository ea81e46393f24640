#include "server/store_metrics.h"

#include "metrics/counter.h"
#include "metrics/histogram.h"
#include "store/wal.h"

namespace ringcast::server {

using metrics::Labels;
using metrics::MetricType;

// The observer and what it writes: every member is written on the Wal's thread only.
class StoreMetrics::Figures : public store::WalObserver {
 public:
  void OnWrite(uint64_t ns, uint64_t bytes, uint64_t records) override {
    append.Observe(ns);
    commits.Add();
    bytes_written.Add(bytes);
    records_written.Add(records);
  }
  void OnSync(uint64_t ns) override { fsync.Observe(ns); }
  void OnReadOnly() override { read_only.Set(1); }

  metrics::Histogram append{metrics::Histogram::LatencyBoundsNs(), 1e-9};
  metrics::Histogram fsync{metrics::Histogram::LatencyBoundsNs(), 1e-9};
  metrics::Counter commits;
  metrics::Counter bytes_written;
  metrics::Counter records_written;
  metrics::Gauge read_only;
};

StoreMetrics::StoreMetrics() : figures_(std::make_unique<Figures>()) {}
StoreMetrics::~StoreMetrics() = default;

store::WalObserver* StoreMetrics::observer() { return figures_.get(); }

void StoreMetrics::Collect(metrics::TextWriter& w) const {
  const Figures& f = *figures_;
  w.Family("ringcast_wal_append_seconds", MetricType::kHistogram,
           "Time to write one group commit's records to the store's log (one write per "
           "control-plane turn that changed the store).");
  w.Histogram(Labels{}, f.append.Snapshot());
  w.Family("ringcast_wal_fsync_seconds", MetricType::kHistogram,
           "Time of each fdatasync of the store's log (none under --store-sync none).");
  w.Histogram(Labels{}, f.fsync.Snapshot());
  w.Family("ringcast_wal_commits_total", MetricType::kCounter,
           "Group commits written to the store's log.");
  w.Sample("ringcast_wal_commits_total", Labels{}, f.commits.Get());
  w.Family("ringcast_wal_bytes_total", MetricType::kCounter,
           "Bytes written to the store's log by group commits (record framing included).");
  w.Sample("ringcast_wal_bytes_total", Labels{}, f.bytes_written.Get());
  w.Family("ringcast_wal_records_total", MetricType::kCounter,
           "Mutation records written to the store's log by group commits.");
  w.Sample("ringcast_wal_records_total", Labels{}, f.records_written.Get());
  w.Family("ringcast_store_readonly", MetricType::kGauge,
           "1 once the store is read-only after a failed write, fdatasync or segment roll "
           "(writes answer 503 until restart), else 0.");
  w.Sample("ringcast_store_readonly", Labels{}, f.read_only.Get());
}

}  // namespace ringcast::server
