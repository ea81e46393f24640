#include "server/server_metrics.h"

#include <string>

#include "server/queue_stats.h"
#include "server/server.h"
#include "server/shard_metrics.h"

namespace ringcast::server {

namespace {
using metrics::Labels;
using metrics::MetricType;
using metrics::TextWriter;

// One family with one sample per shard, from a ShardMetrics getter.
template <typename Get>
void PerShard(TextWriter& w, const Server& s, const std::vector<std::string>& ids,
              std::string_view name, MetricType type, std::string_view help, Get get) {
  w.Family(name, type, help);
  for (size_t i = 0; i < ids.size(); ++i) {
    w.Sample(name, Labels{{"shard", ids[i]}}, static_cast<uint64_t>(get(s.shard_metrics(i))));
  }
}
}  // namespace

void ServerCollector::Collect(TextWriter& w) const {
  const Server& s = *server_;
  size_t n = s.shard_count();
  std::vector<std::string> ids;
  for (size_t i = 0; i < n; ++i) ids.push_back(std::to_string(i));

  w.Family("ringcast_build_info", MetricType::kGauge, "Version of this ringcast (always 1).");
  w.Sample("ringcast_build_info", Labels{{"version", RINGCAST_VERSION}}, uint64_t{1});
  w.Family("ringcast_shards", MetricType::kGauge, "Event-loop threads (shards).");
  w.Sample("ringcast_shards", Labels{}, static_cast<uint64_t>(n));
  w.Family("ringcast_ready", MetricType::kGauge,
           "1 while the server takes new work (/ready answers 200), 0 while shutting down.");
  w.Sample("ringcast_ready", Labels{}, uint64_t{s.ready() ? 1u : 0u});

  // Fixed name: open client connections, by the protocol they speak now and by shard.
  w.Family("ringcast_connections", MetricType::kGauge,
           "Open client connections, by protocol (http before a WebSocket upgrade) and shard.");
  for (size_t i = 0; i < n; ++i) {
    const ShardMetrics& m = s.shard_metrics(i);
    for (size_t p = 0; p < static_cast<size_t>(ConnProtocol::kCount); ++p) {
      auto proto = static_cast<ConnProtocol>(p);
      int64_t v = m.connections(proto);
      w.Sample("ringcast_connections",
               Labels{{"protocol", ConnProtocolName(proto)}, {"shard", ids[i]}},
               v < 0 ? int64_t{0} : v);
    }
  }
  PerShard(w, s, ids, "ringcast_connections_accepted_total", MetricType::kCounter,
           "Client connections accepted.", [](const ShardMetrics& m) { return m.accepted(); });
  PerShard(w, s, ids, "ringcast_connections_refused_total", MetricType::kCounter,
           "Client connections closed at accept because the shard's table was full.",
           [](const ShardMetrics& m) { return m.refused(); });
  PerShard(w, s, ids, "ringcast_subscriptions", MetricType::kGauge,
           "Channel subscriptions (connection, channel) held now.",
           [](const ShardMetrics& m) { return m.subscriptions(); });
  PerShard(w, s, ids, "ringcast_channels", MetricType::kGauge,
           "Channels with at least one subscriber on the shard.",
           [](const ShardMetrics& m) { return m.channels(); });

  w.Family("ringcast_messages_published_total", MetricType::kCounter,
           "Messages published (one per event and channel) through the REST API and client "
           "events, counted once on the control plane.");
  w.Sample("ringcast_messages_published_total", Labels{}, s.messages_published());
  PerShard(w, s, ids, "ringcast_shard_publications_total", MetricType::kCounter,
           "Publications a shard received for its subscribers.",
           [](const ShardMetrics& m) { return m.publications(); });

  // Fixed name: messages written to subscribers, all protocols (the sum over shards).
  uint64_t deliveries = 0;
  for (size_t i = 0; i < n; ++i) deliveries += s.shard_metrics(i).deliveries();
  w.Family("ringcast_deliveries_total", MetricType::kCounter,
           "Messages written to subscribers, all protocols and shards.");
  w.Sample("ringcast_deliveries_total", Labels{}, deliveries);
  PerShard(w, s, ids, "ringcast_shard_deliveries_total", MetricType::kCounter,
           "Messages written to subscribers, by shard.",
           [](const ShardMetrics& m) { return m.deliveries(); });
  PerShard(w, s, ids, "ringcast_sent_bytes_total", MetricType::kCounter,
           "Bytes written to client sockets.", [](const ShardMetrics& m) { return m.bytes_out(); });
  PerShard(w, s, ids, "ringcast_received_bytes_total", MetricType::kCounter,
           "Bytes read from client sockets.", [](const ShardMetrics& m) { return m.bytes_in(); });
  PerShard(w, s, ids, "ringcast_socket_writes_total", MetricType::kCounter,
           "sendmsg operations completed (one carries every frame queued since the last).",
           [](const ShardMetrics& m) { return m.writes(); });

  PerShard(w, s, ids, "ringcast_slow_consumer_closes_total", MetricType::kCounter,
           "Connections cut because their unsent output passed max_outbound_bytes or the "
           "shard's outbound budget.",
           [](const ShardMetrics& m) { return m.slow_consumers(); });
  PerShard(w, s, ids, "ringcast_outbound_budget_cuts_total", MetricType::kCounter,
           "Slow-consumer cuts caused by the shard's outbound budget (max_outbound_total_mib).",
           [](const ShardMetrics& m) { return m.budget_cuts(); });
  PerShard(w, s, ids, "ringcast_read_buffer_exhausted_total", MetricType::kCounter,
           "Reads that found no provided buffer free.",
           [](const ShardMetrics& m) { return m.read_buffer_exhausted(); });
  PerShard(w, s, ids, "ringcast_accept_no_descriptor_total", MetricType::kCounter,
           "Accepts that failed for lack of a file descriptor.",
           [](const ShardMetrics& m) { return m.accept_no_descriptor(); });
  // TLS (zero when the port serves plain TCP).
  PerShard(w, s, ids, "ringcast_tls_handshakes_total", MetricType::kCounter,
           "TLS handshakes completed.",
           [](const ShardMetrics& m) { return m.loop().tls_handshakes; });
  PerShard(w, s, ids, "ringcast_tls_resumed_handshakes_total", MetricType::kCounter,
           "TLS handshakes that resumed a session (ticket or cache).",
           [](const ShardMetrics& m) { return m.loop().tls_resumed; });
  PerShard(w, s, ids, "ringcast_tls_handshake_failures_total", MetricType::kCounter,
           "TLS handshakes that failed (bad client bytes, no shared version or cipher, alert).",
           [](const ShardMetrics& m) { return m.loop().tls_handshake_failures; });
  PerShard(w, s, ids, "ringcast_tls_record_errors_total", MetricType::kCounter,
           "Connections closed for a bad TLS record after the handshake.",
           [](const ShardMetrics& m) { return m.loop().tls_record_errors; });

  // Datonow /ws sockets closed with 4429 (docs/protocols/datonow.md, "Rate limits").
  api::IpConnectionLimiter::Stats ws = s.ws_limiter().stats();
  w.Family("ringcast_datonow_ws_refused_total", MetricType::kCounter,
           "New Datonow sockets (/ws) closed with 4429: over the per-IP budget (rate) or no room "
           "in the limiter's table (table_full).");
  w.Sample("ringcast_datonow_ws_refused_total", Labels{{"reason", "rate"}}, ws.refused_rate);
  w.Sample("ringcast_datonow_ws_refused_total", Labels{{"reason", "table_full"}},
           ws.refused_table_full);
  w.Family("ringcast_datonow_ws_limiter_entries", MetricType::kGauge,
           "(app, IP) entries in the Datonow socket limiter's table.");
  w.Sample("ringcast_datonow_ws_limiter_entries", Labels{}, ws.entries);
  w.Family("ringcast_datonow_ws_limiter_evicted_total", MetricType::kCounter,
           "Stale (app, IP) entries the Datonow socket limiter dropped to make room.");
  w.Sample("ringcast_datonow_ws_limiter_evicted_total", Labels{}, ws.evicted);

  w.Family("ringcast_http_rejected_requests_total", MetricType::kCounter,
           "HTTP requests answered with an error status (4xx, 5xx), by status.");
  for (int st = ShardMetrics::kFirstStatus;
       st < ShardMetrics::kFirstStatus + ShardMetrics::kStatusCount; ++st) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v += s.shard_metrics(i).rejected(st);
    if (v == 0) continue;
    std::string status = std::to_string(st);
    w.Sample("ringcast_http_rejected_requests_total", Labels{{"status", status}}, v);
  }

  // Cross-thread queues (server/queue_stats.h).
  QueueStats q = s.queue_stats();
  w.Family("ringcast_queue_full_total", MetricType::kCounter,
           "Pushes that found a cross-thread ring full, by direction and shard.");
  for (size_t i = 0; i < q.shards.size(); ++i) {
    w.Sample("ringcast_queue_full_total", Labels{{"queue", "shard_to_control"}, {"shard", ids[i]}},
             q.shards[i].ring_full);
  }
  w.Sample("ringcast_queue_full_total", Labels{{"queue", "control_to_shard"}},
           q.control.ring_full);
  w.Family("ringcast_queue_spills_total", MetricType::kCounter,
           "Messages parked in a bounded backlog behind a full ring, by direction and shard.");
  for (size_t i = 0; i < q.shards.size(); ++i) {
    w.Sample("ringcast_queue_spills_total",
             Labels{{"queue", "shard_to_control"}, {"shard", ids[i]}}, q.shards[i].spilled);
  }
  w.Sample("ringcast_queue_spills_total", Labels{{"queue", "control_to_shard"}},
           q.control.stalled_spills);
  w.Family("ringcast_queue_backlog", MetricType::kGauge,
           "Messages parked behind a full ring now, by direction and shard.");
  for (size_t i = 0; i < q.shards.size(); ++i) {
    w.Sample("ringcast_queue_backlog", Labels{{"queue", "shard_to_control"}, {"shard", ids[i]}},
             q.shards[i].backlog);
  }
  w.Sample("ringcast_queue_backlog", Labels{{"queue", "control_to_shard"}}, q.control.stalled);
  w.Family("ringcast_queue_refusals_total", MetricType::kCounter,
           "Work refused because a shard's backlog to the control plane was full, by kind: "
           "REST requests answered 503, client events dropped (4301), subscriptions refused.");
  for (size_t i = 0; i < q.shards.size(); ++i) {
    w.Sample("ringcast_queue_refusals_total", Labels{{"kind", "request"}, {"shard", ids[i]}},
             q.shards[i].requests_refused);
    w.Sample("ringcast_queue_refusals_total", Labels{{"kind", "client_event"}, {"shard", ids[i]}},
             q.shards[i].client_events_dropped);
    w.Sample("ringcast_queue_refusals_total", Labels{{"kind", "subscribe"}, {"shard", ids[i]}},
             q.shards[i].subscribes_refused);
  }
  w.Family("ringcast_control_paused_turns_total", MetricType::kCounter,
           "Control-plane turns that took no new requests because its backlog was at its cap.");
  w.Sample("ringcast_control_paused_turns_total", Labels{}, q.control.paused_turns);
  w.Family("ringcast_cache_channels", MetricType::kGauge,
           "Cache channels whose last event is kept now (for later subscribers).");
  w.Sample("ringcast_cache_channels", Labels{}, q.control.cache_entries);
  w.Family("ringcast_cache_refused_total", MetricType::kCounter,
           "Cache-channel events not kept because the channel cache was full (delivered all the "
           "same; later subscribers get cache_miss).");
  w.Sample("ringcast_cache_refused_total", Labels{}, q.control.cache_refused);
  w.Family("ringcast_watchlist_entries", MetricType::kGauge,
           "Watched user ids over all signed-in connections' watchlists (max_watchlist_entries).");
  w.Sample("ringcast_watchlist_entries", Labels{}, q.control.watchlist_entries);
  w.Family("ringcast_watchlist_refused_total", MetricType::kCounter,
           "Watched user ids not indexed because max_watchlist_entries was reached (the "
           "signing-in connection got pusher:error 4302).");
  w.Sample("ringcast_watchlist_refused_total", Labels{}, q.control.watchlist_refused);
  w.Family("ringcast_subscription_count_channels", MetricType::kGauge,
           "Channels whose subscription count is tracked now (apps with "
           "enable_subscription_count).");
  w.Sample("ringcast_subscription_count_channels", Labels{}, q.control.count_channels);
  w.Family("ringcast_subscription_count_refused_total", MetricType::kCounter,
           "Subscription-count reports dropped because the table was full (those channels get "
           "no count events until there is room).");
  w.Sample("ringcast_subscription_count_refused_total", Labels{}, q.control.count_refused);
  w.Family("ringcast_datonow_api_rate_limited_total", MetricType::kCounter,
           "Datonow REST requests (/api/..., POST /api/trigger) answered 429: over the app's "
           "datonow_api_requests_per_minute.");
  w.Sample("ringcast_datonow_api_rate_limited_total", Labels{}, q.control.datonow_api_refused);

  if (q.control.cluster) {
    // Cluster mode (docs/cluster.md): the bridge to Redis.
    w.Family("ringcast_cluster_redis_up", MetricType::kGauge,
             "1 while both connections to Redis are up and set up (publishes are accepted).");
    w.Sample("ringcast_cluster_redis_up", Labels{}, uint64_t{q.control.cluster_ready ? 1u : 0u});
    w.Family("ringcast_cluster_connects_total", MetricType::kCounter,
             "Times the connection to Redis became ready (the first one included).");
    w.Sample("ringcast_cluster_connects_total", Labels{}, q.control.cluster_connects);
    w.Family("ringcast_cluster_published_total", MetricType::kCounter,
             "Publications (one per event and channel) this node sent to Redis.");
    w.Sample("ringcast_cluster_published_total", Labels{}, q.control.cluster_published);
    w.Family("ringcast_cluster_received_total", MetricType::kCounter,
             "Publications that arrived from Redis, this node's own included.");
    w.Sample("ringcast_cluster_received_total", Labels{}, q.control.cluster_received);
    w.Family("ringcast_cluster_refused_total", MetricType::kCounter,
             "Publications not sent to Redis: it was not ready or the outbound buffer was full "
             "(REST publishes answered 503; others delivered on this node only).");
    w.Sample("ringcast_cluster_refused_total", Labels{}, q.control.cluster_refused);
    w.Family("ringcast_cluster_dropped_total", MetricType::kCounter,
             "Messages from Redis dropped: not a ringcast envelope, or for an app this node does "
             "not serve.");
    w.Sample("ringcast_cluster_dropped_total", Labels{}, q.control.cluster_dropped);
    w.Family("ringcast_cluster_channels", MetricType::kGauge,
             "Redis pub/sub channels this node is subscribed to (channels with members here).");
    w.Sample("ringcast_cluster_channels", Labels{}, q.control.cluster_channels);
  }

  // Channel history (engine/history.h), kept on the control plane.
  w.Family("ringcast_history_bytes", MetricType::kGauge,
           "Bytes of channel-history events kept now (limits.history_max_mib).");
  w.Sample("ringcast_history_bytes", Labels{}, q.control.history_bytes);
  w.Family("ringcast_history_events", MetricType::kGauge, "Channel-history events kept now.");
  w.Sample("ringcast_history_events", Labels{}, q.control.history_events);
  w.Family("ringcast_history_channels", MetricType::kGauge,
           "Channels whose history log is kept now.");
  w.Sample("ringcast_history_channels", Labels{}, q.control.history_channels);
  w.Family("ringcast_history_evictions_total", MetricType::kCounter,
           "Channel-history events evicted, by reason: past the channel's size, older than its "
           "ttl, past the process budget (budget); whole logs dropped past the log cap (logs).");
  w.Sample("ringcast_history_evictions_total", Labels{{"reason", "size"}},
           q.control.history_evicted_size);
  w.Sample("ringcast_history_evictions_total", Labels{{"reason", "ttl"}},
           q.control.history_evicted_ttl);
  w.Sample("ringcast_history_evictions_total", Labels{{"reason", "budget"}},
           q.control.history_evicted_budget);
  w.Sample("ringcast_history_evictions_total", Labels{{"reason", "logs"}},
           q.control.history_evicted_logs);
  w.Family("ringcast_history_gaps_total", MetricType::kCounter,
           "Resumes (SSE Last-Event-ID) answered with a gap: the events after the client's "
           "position were no longer kept.");
  w.Sample("ringcast_history_gaps_total", Labels{}, q.control.history_gaps);
  w.Family("ringcast_dialogue_history_events_total", MetricType::kCounter,
           "Dialogue room history (docs/protocols/dialogue.md): events kept; store records "
           "trimmed past history_store_limit; events not kept, a new name past the room's cap "
           "(refused); records the read-only store did not take (unsaved).");
  w.Sample("ringcast_dialogue_history_events_total", Labels{{"outcome", "kept"}},
           q.control.dialogue_history_kept);
  w.Sample("ringcast_dialogue_history_events_total", Labels{{"outcome", "trimmed"}},
           q.control.dialogue_history_trimmed);
  w.Sample("ringcast_dialogue_history_events_total", Labels{{"outcome", "refused"}},
           q.control.dialogue_history_refused);
  w.Sample("ringcast_dialogue_history_events_total", Labels{{"outcome", "unsaved"}},
           q.control.dialogue_history_unsaved);
  w.Family("ringcast_dialogue_hook_calls_total", MetricType::kCounter,
           "Dialogue hook calls (docs/protocols/dialogue.md \"Hooks\"): answered 2xx (sent); timed "
           "out, failed to connect or answered otherwise (failed); not queued, the queue full "
           "(refused).");
  w.Sample("ringcast_dialogue_hook_calls_total", Labels{{"outcome", "sent"}},
           q.control.dialogue_hooks_sent);
  w.Sample("ringcast_dialogue_hook_calls_total", Labels{{"outcome", "failed"}},
           q.control.dialogue_hooks_failed);
  w.Sample("ringcast_dialogue_hook_calls_total", Labels{{"outcome", "refused"}},
           q.control.dialogue_hooks_refused);
  w.Family("ringcast_dialogue_user_limit_untracked_total", MetricType::kCounter,
           "Dialogue client triggers let through without their user's rate window "
           "(dialogue.user_events_per_second): 100,000 users' windows were live.");
  w.Sample("ringcast_dialogue_user_limit_untracked_total", Labels{},
           q.control.dialogue_user_limit_untracked);

  w.Family("ringcast_loop_turn_duration_seconds", MetricType::kHistogram,
           "Busy time of one event-loop turn (from wake-up to the next sleep), by shard.");
  for (size_t i = 0; i < n; ++i) {
    w.Histogram(Labels{{"shard", ids[i]}}, s.shard_metrics(i).loop_turn().Snapshot());
  }

  // Webhooks (webhooks/webhook_queue.h): the dispatcher's counters, read with relaxed loads.
  webhooks::WebhookStats wh = s.webhook_stats();
  const struct {
    std::string_view name;
    MetricType type;
    std::string_view help;
    uint64_t value;
  } webhook_rows[] = {
      {"ringcast_webhook_events_total", MetricType::kCounter,
       "Webhook events emitted for apps with targets.", wh.events_emitted},
      {"ringcast_webhook_events_cancelled_total", MetricType::kCounter,
       "Delayed webhook events (vacated, member_removed) cancelled by a comeback, with their pairs.",
       wh.events_cancelled},
      {"ringcast_webhook_events_undelayed_total", MetricType::kCounter,
       "channel_vacated/member_removed sent without their 3 s delay: delay queue at its cap.",
       wh.undelayed},
      {"ringcast_webhook_events_dropped_total", MetricType::kCounter,
       "Webhook event copies refused because the delivery queue was full.", wh.dropped_events},
      {"ringcast_webhook_attempts_total", MetricType::kCounter,
       "Webhook requests started (first tries and retries).", wh.attempts},
      {"ringcast_webhook_deliveries_total", MetricType::kCounter,
       "Webhook deliveries answered 2xx.", wh.delivered},
      {"ringcast_webhook_failures_total", MetricType::kCounter,
       "Webhook attempts that failed (each retried or given up).", wh.failures},
      {"ringcast_webhook_gave_up_total", MetricType::kCounter,
       "Webhook deliveries dropped after retrying for 5 minutes.", wh.gave_up},
      {"ringcast_webhook_queued", MetricType::kGauge, "Webhook deliveries held now.", wh.queued},
      {"ringcast_webhook_queued_bytes", MetricType::kGauge,
       "Bytes of webhook deliveries held now.", wh.queued_bytes},
  };
  for (const auto& r : webhook_rows) {
    w.Family(r.name, r.type, r.help);
    w.Sample(r.name, Labels{}, r.value);
  }
}

}  // namespace ringcast::server
