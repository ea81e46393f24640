// QueueStats: a snapshot of the cross-thread queues' trouble counters (queue-full events, spills
// into the bounded backlogs, refusals), for the operator and, later, metrics export.
//
// The counters are written by the one thread that owns them (a shard's ControlOutbox, the
// control plane) as relaxed atomics and read by any thread through Server::queue_stats();
// a snapshot is consistent per counter, not across counters.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "util/relaxed_counter.h"

namespace ringcast::server {

// One shard's path to the control plane (server/control_outbox.h).
struct OutboxStats {
  uint64_t ring_full = 0;              // pushes that found the shard -> control ring full
  uint64_t spilled = 0;                // messages parked in a backlog behind the ring
  uint64_t backlog = 0;                // messages parked now
  uint64_t backlog_peak = 0;           // most messages parked at once
  uint64_t requests_refused = 0;       // REST requests answered 503 (backlog full)
  uint64_t client_events_dropped = 0;  // client events dropped (backlog full; 4301 to sender)
  uint64_t subscribes_refused = 0;     // new channels refused (note could not go at once)
};

// The control plane's path to the shards (server/control_plane.h).
struct ControlStats {
  uint64_t ring_full = 0;       // pushes that found a control -> shard ring full
  uint64_t stalled_spills = 0;  // messages parked for a shard whose ring was full
  uint64_t stalled = 0;         // messages parked now (all shards)
  uint64_t stalled_peak = 0;    // most parked at once
  uint64_t paused_turns = 0;    // turns that took no new requests because stalled was at its cap
  uint64_t cache_entries = 0;   // cache channels' last events kept now (engine/channel_cache.h)
  uint64_t cache_refused = 0;   // stores refused: the channel cache was full
  uint64_t watchlist_entries = 0;  // watched ids indexed now (engine/watchlist_table.h)
  uint64_t watchlist_refused = 0;  // watched ids not indexed: the index was full
  uint64_t count_channels = 0;  // channels whose subscription count is tracked now
  uint64_t count_refused = 0;   // count reports dropped: the subscription-count table was full
  uint64_t datonow_api_refused = 0;  // Datonow REST requests answered 429 (api/rate_limit.h)
  // Channel history (engine/history.h): kept now, and evictions by reason.
  uint64_t history_bytes = 0;
  uint64_t history_events = 0;
  uint64_t history_channels = 0;
  uint64_t history_evicted_size = 0;    // past a channel's size
  uint64_t history_evicted_ttl = 0;     // older than a channel's ttl_s
  uint64_t history_evicted_budget = 0;  // past history_max_mib (oldest of the process first)
  uint64_t history_evicted_logs = 0;    // whole logs dropped past the log cap (new epoch)
  uint64_t history_gaps = 0;            // resume answers that reported a gap
  // Dialogue room history (api/dialogue_history.h).
  uint64_t dialogue_history_kept = 0;
  uint64_t dialogue_history_trimmed = 0;  // store records deleted past history_store_limit
  uint64_t dialogue_history_refused = 0;  // a new event name past the per-room cap
  uint64_t dialogue_history_unsaved = 0;  // records the store refused (read-only)
  uint64_t dialogue_hooks_sent = 0;       // hook calls answered 2xx
  uint64_t dialogue_hooks_failed = 0;     // timed out, connection error, non-2xx
  uint64_t dialogue_hooks_refused = 0;    // not queued (the queue was full)
  uint64_t dialogue_user_limit_untracked = 0;  // triggers let through untracked (windows full)
  // Cluster mode (docs/cluster.md): off in single-node mode (no cluster families exported).
  bool cluster = false;
  bool cluster_ready = false;      // both connections to Redis up and set up
  uint64_t cluster_connects = 0;   // times the bridge became ready
  uint64_t cluster_published = 0;  // (event, channel) commands sent to Redis
  uint64_t cluster_received = 0;   // envelopes that arrived (this node's echo included)
  uint64_t cluster_refused = 0;    // publishes refused: Redis not ready or outbound full
  uint64_t cluster_dropped = 0;    // arrivals dropped: not an envelope, or an unknown app
  uint64_t cluster_channels = 0;   // Redis channels this node is subscribed to
};

struct QueueStats {
  std::vector<OutboxStats> shards;
  ControlStats control;
};

// A counter with one writer thread and any number of readers (Add/Set/Max/Get).
using StatCounter = util::RelaxedCounter;

}  // namespace ringcast::server
