// RunControl: the phases of a run and the few values the main thread hands to the workers.
//
// Phases, set only by the main thread, in this order:
//   kConnect  workers open and subscribe their connections (publishers first);
//   kSettle   workers stop connecting, fail what is unfinished, then set their `settled` flag;
//   kPublish  publishers run their schedules from t0_ns to end_ns; subscribers count;
//   kStop     workers leave their loops and close everything.
// The plain fields (t0_ns, measure_start_ns, end_ns, subscribers) are written by the main
// thread before it stores kPublish with release order and are read-only afterwards; workers
// read them only after loading kPublish with acquire order. Nothing else is shared.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

namespace ringcast::bench {

enum class Phase : int { kConnect = 0, kSettle = 1, kPublish = 2, kStop = 3 };

struct RunControl {
  std::atomic<int> phase{static_cast<int>(Phase::kConnect)};
  uint64_t t0_ns = 0;                 // publishing starts (warm-up begins)
  uint64_t measure_start_ns = 0;      // t0 + warm-up: latency and rates count from here
  uint64_t end_ns = 0;                // measure_start + duration: no event is sent at or after it
  std::vector<uint64_t> subscribers;  // channel -> subscribed connections, all workers

  Phase load() const { return static_cast<Phase>(phase.load(std::memory_order_acquire)); }
  void store(Phase p) { phase.store(static_cast<int>(p), std::memory_order_release); }
};

}  // namespace ringcast::bench
