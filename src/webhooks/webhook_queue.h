// WebhookQueue: everything about webhooks except the sockets, as a pure state machine driven by
// the caller's clock (webhooks::Dispatcher drives it on the control plane; unit tests drive it
// with made-up times).
//
// Flow: Emit(app, event, now)
//   -> delay: channel_vacated and member_removed wait `delay_ms` (3 s) keyed by (app, channel)
//      or (app, channel, user). A channel_occupied (member_added) for the same key within the
//      delay cancels the waiting event and is itself not sent: a channel vacated and reoccupied
//      in time sends neither. With max_delayed delays pending (a cancelled one still counts
//      until its due time), a new one is not delayed (counted `undelayed`).
//   -> fan to targets: every target of the app whose event_types and filter match gets a copy
//      in its open batch; a batch closes `window_ms` (50 ms) after its first event or at
//      `max_batch_events` events, becoming one Delivery (signed request bytes, built once).
//   -> deliveries: ready in order; the caller takes one with TakeDue, sends it, and hands it
//      back with Finished(ok). A failure (non-2xx, connection error, timeout) is retried after
//      RetryDelayMs(failures): 1 s, doubling, at most 60 s apart, while the retry starts within
//      `give_up_ms` (5 minutes) of the first attempt; then it is dropped (counted `gave_up`).
// Bounds: at most `max_deliveries` deliveries and `max_queued_bytes` request bytes held (ready,
// waiting to retry or with the caller); a batch that closes when either is reached is dropped,
// its events counted in `dropped_events` and logged (at most one line per second). Open batches
// hold at most max_batch_events per target; pending delays (live or cancelled) at most
// max_delayed.
// Order: batches of one target leave in order; a retried one may be overtaken by later ones.
// Thread rules: one thread (the control plane); stats() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "webhooks/webhook_event.h"

namespace ringcast::webhooks {

struct QueueLimits {
  uint64_t window_ms = 50;
  uint64_t delay_ms = 3000;
  size_t max_batch_events = 100;
  size_t max_delayed = 65536;
  size_t max_deliveries = 4096;
  size_t max_queued_bytes = 64u << 20;
  uint64_t first_retry_ms = 1000;
  uint64_t max_retry_ms = 60000;
  uint64_t give_up_ms = 300000;
  uint64_t attempt_timeout_ms = 10000;  // connect to complete response, per attempt
};

// Counters, readable from any thread.
struct WebhookStats {
  uint64_t events_emitted = 0;    // Emit calls for apps with targets
  uint64_t events_cancelled = 0;  // delayed events cancelled by a comeback (and their pairs)
  uint64_t undelayed = 0;         // vacated/removed sent without delay: delay table full
  uint64_t events_batched = 0;    // event copies that went into batches (one per target)
  uint64_t dropped_events = 0;    // event copies in batches refused by a full queue
  uint64_t attempts = 0;          // requests started
  uint64_t delivered = 0;         // deliveries answered 2xx
  uint64_t failures = 0;          // attempts that failed (each retried or given up)
  uint64_t gave_up = 0;           // deliveries dropped after retrying for give_up_ms
  uint64_t gave_up_events = 0;
  uint64_t queued = 0;  // deliveries held now
  uint64_t queued_bytes = 0;
};

struct Delivery {
  uint32_t app = 0;
  uint32_t target = 0;  // index in the app's webhooks
  std::string request;  // complete HTTP request (head and signed body)
  size_t events = 0;
  uint32_t failures = 0;
  uint64_t first_try_ms = 0;  // set at the first TakeDue
  std::string last_error;
};

class WebhookQueue {
 public:
  // `apps` must outlive the queue (the loaded config). `heads[app][target]` is each target's
  // request head prefix (payload.h BuildHeadPrefix).
  WebhookQueue(const std::vector<config::AppConfig>* apps,
               std::vector<std::vector<std::string>> heads, QueueLimits limits = {});

  // Builds every target's head prefix from the config (URLs checked at load).
  static std::vector<std::vector<std::string>> HeadsFor(const std::vector<config::AppConfig>& apps);

  // The delay before retry number `failures` (1: the first retry).
  static uint64_t RetryDelayMs(uint32_t failures, const QueueLimits& limits);

  bool HasTargets(uint32_t app) const { return !(*apps_)[app].webhooks.empty(); }

  void Emit(uint32_t app, WebhookEvent ev, uint64_t now_ms);

  // Fires due delays and closes due batches (wall_ms: the body's time_ms).
  void Advance(uint64_t now_ms, int64_t wall_ms);

  // A delivery due now, or null. The caller owns it until Finished.
  std::unique_ptr<Delivery> TakeDue(uint64_t now_ms);
  // `ok`: answered 2xx. Else it is retried or given up.
  void Finished(std::unique_ptr<Delivery> d, bool ok, uint64_t now_ms);

  // Earliest time Advance or TakeDue has work, or UINT64_MAX. With `ready_counts` false,
  // deliveries ready now are left out (the caller has no room to start them).
  uint64_t NextDeadlineMs(bool ready_counts = true) const;

  WebhookStats stats() const;

  // Events not yet in a delivery: waiting out their delay or in an open batch.
  size_t pending_events() const;

 private:
  struct Batch {
    std::vector<WebhookEvent> events;
    uint64_t opened_ms = 0;
  };
  struct Delayed {
    uint64_t id;
    WebhookEvent ev;
  };
  struct DelayTicket {
    uint64_t due_ms;
    uint64_t id;
    uint32_t app;
    std::string key;
  };

  static std::string DelayKey(uint32_t app, const WebhookEvent& ev);
  void Fan(uint32_t app, const WebhookEvent& ev, uint64_t now_ms);
  void Close(uint32_t app, uint32_t target, int64_t wall_ms);
  void Release(const Delivery& d);

  const std::vector<config::AppConfig>* apps_;
  std::vector<std::vector<std::string>> heads_;
  QueueLimits limits_;
  std::vector<std::vector<Batch>> batches_;  // [app][target]
  size_t open_batches_ = 0;                  // batches holding events
  std::unordered_map<std::string, Delayed> delayed_;
  std::deque<DelayTicket> delay_order_;  // every delay is delay_ms: due times are in order
  uint64_t next_delay_id_ = 1;
  std::deque<std::unique_ptr<Delivery>> ready_;
  std::multimap<uint64_t, std::unique_ptr<Delivery>> retry_;
  size_t held_ = 0;
  size_t held_bytes_ = 0;
  int64_t last_drop_log_ms_ = 0;
  // Counters (relaxed atomics: written here, read by stats() from any thread).
  struct Counters {
    std::atomic<uint64_t> emitted{0}, cancelled{0}, undelayed{0}, batched{0}, dropped{0},
        attempts{0}, delivered{0}, failures{0}, gave_up{0}, gave_up_events{0}, queued{0},
        queued_bytes{0};
  } c_;
};

}  // namespace ringcast::webhooks
