// Counters and histograms of one worker thread, and their merge into the run's totals.
//
// LiveCounters: single writer (the worker), read at any time by the main thread for the
// progress line and the phase decisions; relaxed atomics, bumped with a plain load and store
// (no locked instruction on the delivery path). WorkerStats: the worker's histograms, error
// counts by kind and per-channel subscriptions, touched only by the worker while it runs and
// read by the main thread only after the worker's settled flag (subscriptions) or after
// joining it (everything). Merge adds one worker's totals into another object on the main
// thread. Error kinds are short stable strings ("connect: ECONNREFUSED", "publish: HTTP 503",
// "ws close 4100"); at most kMaxErrorKinds distinct kinds are kept, the rest count as "other".
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ringcast-bench/histogram.h"

namespace ringcast::bench {

inline void Bump(std::atomic<uint64_t>& counter, uint64_t n = 1) {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}
inline uint64_t Read(const std::atomic<uint64_t>& counter) {
  return counter.load(std::memory_order_relaxed);
}

struct alignas(64) LiveCounters {
  // connections
  std::atomic<uint64_t> connects_started{0};
  std::atomic<uint64_t> subscribed{0};  // subscribers whose subscription succeeded
  std::atomic<uint64_t> failed{0};      // subscribers that never got there
  std::atomic<uint64_t> dropped{0};     // subscribed, then closed before the end
  std::atomic<uint64_t> publishers_ready{0};
  std::atomic<uint64_t> publishers_failed{0};
  // publishing
  std::atomic<uint64_t> published{0};        // events the server accepted (or we wrote)
  std::atomic<uint64_t> expected{0};         // deliveries those events owe the subscribers
  std::atomic<uint64_t> requests{0};         // HTTP requests or WebSocket writes
  std::atomic<uint64_t> publish_errors{0};   // events refused or of unknown outcome
  std::atomic<uint64_t> publishers_done{0};  // schedule over and nothing in flight
  // deliveries
  std::atomic<uint64_t> received{0};  // bench events received (duplicates included)
  std::atomic<uint64_t> unique{0};
  std::atomic<uint64_t> out_of_order{0};
  std::atomic<uint64_t> duplicates{0};
  std::atomic<uint64_t> gaps{0};      // times a sequence number jumped ahead
  std::atomic<uint64_t> measured{0};  // deliveries sent inside the measured window
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> interval_max_ns{0};  // max latency since the main thread last read it
  std::atomic<bool> settled{false};
};

struct WorkerStats {
  static constexpr size_t kMaxErrorKinds = 64;

  Histogram latency;            // publish to receive, measured window only
  Histogram connect_latency;    // connect() submitted to TCP established
  Histogram handshake_latency;  // connect() submitted to pusher:connection_established
  Histogram subscribe_latency;  // connect() submitted to subscription_succeeded
  Histogram ack_latency;        // REST request written to response read
  std::map<std::string, uint64_t, std::less<>> errors;
  std::vector<uint64_t> subscribed_per_channel;
  uint64_t first_connect_ns = UINT64_MAX;
  uint64_t last_subscribed_ns = 0;
  uint64_t published_measured = 0;      // accepted events with a send time in the window
  uint64_t unsent = 0;                  // events due before the end that were never sent
  uint64_t other_events = 0;            // events that are not the bench's (ignored)
  uint64_t foreign = 0;                 // bench-looking events for another channel or publisher
  uint64_t publish_unknown = 0;         // in flight when a publisher's connection was lost
  uint64_t read_buffers_exhausted = 0;  // multishot reads ended for want of a buffer
  // --count-server-writes: over the measured window, the data segments the server sent to
  // this worker's subscribers (TCP_INFO) and the deliveries those subscribers received.
  uint64_t server_segments = 0;
  uint64_t segment_deliveries = 0;
  uint32_t segment_windows = 0;  // workers that took both samples

  void CountError(std::string_view kind, uint64_t n = 1);
  void Merge(const WorkerStats& other);
};

}  // namespace ringcast::bench
