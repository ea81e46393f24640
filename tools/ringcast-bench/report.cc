// Report implementation: summing the workers' live counters, deriving lost, surplus, rates and
// the exit status, and rendering the human summary (stdout) and the JSON summary (--json).
// Main thread only, after the workers have been joined.
#include "ringcast-bench/report.h"

#include <cstdio>

#include "util/json_writer.h"

namespace ringcast::bench {
namespace {

void AppendFixed(std::string* out, double v, int decimals = 3) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  out->append(buf);
}

double Us(uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

// {"count":N,"min":..,"p50":..,"p90":..,"p99":..,"p99_9":..,"max":..,"mean":..} in us.
std::string HistogramJson(const Histogram& h) {
  std::string s = "{\"count\":";
  util::AppendUint(&s, h.count());
  const struct {
    const char* name;
    double p;
  } points[] = {{"min", 0}, {"p50", 50}, {"p90", 90}, {"p99", 99}, {"p99_9", 99.9}, {"max", 100}};
  for (const auto& pt : points) {
    s.append(",\"").append(pt.name).append("\":");
    AppendFixed(&s, Us(h.ValueAtPercentile(pt.p)));
  }
  s.append(",\"mean\":");
  AppendFixed(&s, h.mean() / 1000.0);
  s.push_back('}');
  return s;
}

std::string Ms(uint64_t ns) {
  std::string s;
  AppendFixed(&s, static_cast<double>(ns) / 1e6);
  return s;
}

std::string HistogramLine(const char* label, const Histogram& h) {
  char head[32];
  std::snprintf(head, sizeof head, "  %-12s", label);
  std::string s = head;
  if (h.count() == 0) return s + "no samples\n";
  s += "p50 " + Ms(h.ValueAtPercentile(50)) + "  p90 " + Ms(h.ValueAtPercentile(90)) + "  p99 " +
       Ms(h.ValueAtPercentile(99)) + "  p99.9 " + Ms(h.ValueAtPercentile(99.9)) + "  max " +
       Ms(h.max()) + " ms  (n=" + std::to_string(h.count()) + ")\n";
  return s;
}

double PerSecond(uint64_t n, double seconds) {
  return seconds > 0 ? static_cast<double>(n) / seconds : 0;
}

double ConnectRate(const Report& r) {
  const WorkerStats& s = r.stats;
  if (r.totals.subscribed == 0 || s.last_subscribed_ns <= s.first_connect_ns) return 0;
  return static_cast<double>(r.totals.subscribed) /
         (static_cast<double>(s.last_subscribed_ns - s.first_connect_ns) / 1e9);
}

double Pct(double v) { return 100.0 * v; }

// CPU-us per delivery and deliveries per CPU-second of `cpu` for `deliveries`.
double UsPer(double cpu_s, uint64_t n) { return n > 0 ? cpu_s * 1e6 / static_cast<double>(n) : 0; }
double PerCpuS(uint64_t n, double cpu_s) { return cpu_s > 0 ? static_cast<double>(n) / cpu_s : 0; }

std::string FormatUsageText(const BenchOptions& o, const Report& r) {
  const UsageReport& u = r.usage;
  const WorkerStats& s = r.stats;
  std::string out;
  char line[512];
  const char* window = o.connect_only ? "idle hold" : "window";
  if (u.server) {
    std::snprintf(line, sizeof line,
                  "server        pid %u, %s: %.3f CPU-s = %.0f%% of a core (busiest thread %.0f%%)",
                  u.pid, window, u.server_window.cpu_s, Pct(u.server_window.util()),
                  Pct(u.server_window.busiest_util()));
    out += line;
    if (!o.connect_only) {
      std::snprintf(line, sizeof line, "; %.3f CPU-us per delivery, %.0f deliveries per CPU-s",
                    UsPer(u.server_window.cpu_s, u.window_received),
                    PerCpuS(u.window_received, u.server_window.cpu_s));
      out += line;
    }
    std::snprintf(line, sizeof line,
                  "\n              connect phase: %.3f CPU-s in %.3f s (%.1f CPU-us per "
                  "connection); RSS %llu KiB before, %llu connected, %llu at the end\n",
                  u.server_connect.cpu_s, u.server_connect.wall_s,
                  UsPer(u.server_connect.cpu_s, r.totals.subscribed),
                  static_cast<unsigned long long>(u.rss_kb_before),
                  static_cast<unsigned long long>(u.rss_kb_connected),
                  static_cast<unsigned long long>(u.rss_kb_end));
    out += line;
  }
  std::snprintf(line, sizeof line,
                "loader        %s: %.3f CPU-s = %.0f%% of a core (busiest thread %.0f%%); "
                "connect phase %.0f%% (busiest %.0f%%)\n",
                window, u.loader_window.cpu_s, Pct(u.loader_window.util()),
                Pct(u.loader_window.busiest_util()), Pct(u.loader_connect.util()),
                Pct(u.loader_connect.busiest_util()));
  out += line;
  if (o.count_server_writes && s.segment_windows > 0) {
    std::snprintf(line, sizeof line,
                  "server writes %.2f deliveries per server TCP segment (%llu deliveries, %llu "
                  "segments in the window)\n",
                  s.server_segments > 0 ? static_cast<double>(s.segment_deliveries) /
                                              static_cast<double>(s.server_segments)
                                        : 0.0,
                  static_cast<unsigned long long>(s.segment_deliveries),
                  static_cast<unsigned long long>(s.server_segments));
    out += line;
  }
  return out;
}

std::string CpuJson(const CpuUse& c) {
  std::string s;
  util::JsonObject j(&s);
  AppendFixed(j.Key("wall_s"), c.wall_s, 6);
  AppendFixed(j.Key("cpu_s"), c.cpu_s, 6);
  AppendFixed(j.Key("util"), c.util(), 4);
  AppendFixed(j.Key("busiest_thread_s"), c.busiest_thread_s, 6);
  AppendFixed(j.Key("busiest_thread_util"), c.busiest_util(), 4);
  j.Close();
  return s;
}

}  // namespace

void RunTotals::Add(const LiveCounters& l) {
  connects_started += Read(l.connects_started);
  subscribed += Read(l.subscribed);
  failed += Read(l.failed);
  dropped += Read(l.dropped);
  publishers_ready += Read(l.publishers_ready);
  publishers_failed += Read(l.publishers_failed);
  publishers_done += Read(l.publishers_done);
  published += Read(l.published);
  expected += Read(l.expected);
  requests += Read(l.requests);
  publish_errors += Read(l.publish_errors);
  received += Read(l.received);
  unique += Read(l.unique);
  out_of_order += Read(l.out_of_order);
  duplicates += Read(l.duplicates);
  gaps += Read(l.gaps);
  measured += Read(l.measured);
  errors += Read(l.errors);
}

Report BuildReport(const BenchOptions& options, const RunTotals& totals, WorkerStats stats,
                   double measured_s, double drain_s, bool drained) {
  Report r;
  r.totals = totals;
  r.stats = std::move(stats);
  r.measured_s = measured_s;
  r.drain_s = drain_s;
  r.drained = drained;
  r.fixed_rate = options.rate > 0;
  r.lost = totals.expected > totals.unique ? totals.expected - totals.unique : 0;
  r.surplus = totals.unique > totals.expected ? totals.unique - totals.expected : 0;
  bool setup_failed =
      totals.failed > 0 || totals.publishers_failed > 0 ||
      (!options.connect_only && (totals.publishers_ready == 0 || totals.published == 0));
  bool integrity = r.lost > 0 || totals.out_of_order > 0 || totals.duplicates > 0;
  if (setup_failed) {
    r.result = "setup-failed";
    r.exit_code = 3;
  } else if (integrity) {
    r.result = "loss";
    r.exit_code = options.allow_loss ? 0 : 1;
  } else {
    r.result = "ok";
    r.exit_code = 0;
  }
  return r;
}

std::string FormatText(const BenchOptions& o, const Report& r) {
  const RunTotals& t = r.totals;
  const WorkerStats& s = r.stats;
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%g/s", o.rate);
  std::string rate = o.rate > 0 ? line : "max rate";
  if (o.connect_only) {
    std::snprintf(line, sizeof line,
                  "ringcast-bench: connect only (%s), %u connections on %u channel(s) (%s), held "
                  "%.1f s idle, %u thread(s)\n",
                  ProtocolName(o.protocol), o.connections, o.channels,
                  DistributionName(o.distribution), o.duration_s, o.threads);
  } else {
    std::snprintf(line, sizeof line,
                  "ringcast-bench: %s%s, %u connections on %u channel(s) (%s), %u publisher(s) at "
                  "%s, %u-byte payloads, batch %u%s%s, %.1f s measured after %.1f s warm-up, %u "
                  "thread(s)\n",
                  ModeName(o.mode),
                  o.protocol == WireProtocol::kSocketIo   ? " (socketio)"
                  : o.protocol == WireProtocol::kDialogue ? " (dialogue)"
                  : o.protocol == WireProtocol::kSse      ? " (sse subscribers)"
                                                          : "",
                  o.connections, o.channels, DistributionName(o.distribution), o.publishers,
                  rate.c_str(), o.payload_bytes, o.batch, o.batch_due ? " (due)" : "",
                  o.pipeline > 1 ? (", pipeline " + std::to_string(o.pipeline)).c_str() : "",
                  o.duration_s, o.warmup_s, o.threads);
  }
  out += line;
  std::snprintf(line, sizeof line,
                "connections   %llu subscribed, %llu failed, %llu dropped during the run; "
                "%.0f connections/s\n",
                static_cast<unsigned long long>(t.subscribed),
                static_cast<unsigned long long>(t.failed),
                static_cast<unsigned long long>(t.dropped), ConnectRate(r));
  out += line;
  out += HistogramLine("connect", s.connect_latency);
  out += HistogramLine("handshake", s.handshake_latency);
  out += HistogramLine("subscribe", s.subscribe_latency);
  std::snprintf(
      line, sizeof line,
      "publishing    %llu events accepted (%.1f/s in the window), %llu requests, "
      "%llu refused or unknown, %llu unsent (behind schedule)\n",
      static_cast<unsigned long long>(t.published), PerSecond(s.published_measured, r.measured_s),
      static_cast<unsigned long long>(t.requests),
      static_cast<unsigned long long>(t.publish_errors), static_cast<unsigned long long>(s.unsent));
  out += line;
  if (o.mode == PublishMode::kRest) out += HistogramLine("ack", s.ack_latency);
  std::snprintf(
      line, sizeof line,
      "deliveries    expected %llu, received %llu, lost %llu, out of order %llu, "
      "duplicates %llu (gaps %llu%s)\n",
      static_cast<unsigned long long>(t.expected), static_cast<unsigned long long>(t.unique),
      static_cast<unsigned long long>(r.lost), static_cast<unsigned long long>(t.out_of_order),
      static_cast<unsigned long long>(t.duplicates), static_cast<unsigned long long>(t.gaps),
      r.surplus > 0 ? (", surplus " + std::to_string(r.surplus)).c_str() : "");
  out += line;
  std::snprintf(line, sizeof line, "              %.1f deliveries/s in the measured window%s\n",
                PerSecond(t.measured, r.measured_s),
                r.drained ? "" : " (drain timed out: some deliveries never came)");
  out += line;
  out += std::string("latency       publish to receive, from the ") +
         (r.fixed_rate ? "intended send time (coordinated omission corrected)\n"
                       : "actual send time (max rate: no schedule to correct against)\n");
  out += HistogramLine("", s.latency);
  if (s.errors.empty()) {
    out += "errors        none\n";
  } else {
    out += "errors\n";
    for (const auto& [kind, n] : s.errors) {
      std::snprintf(line, sizeof line, "  %10llu  %s\n", static_cast<unsigned long long>(n),
                    kind.c_str());
      out += line;
    }
  }
  if (s.read_buffers_exhausted > 0) {
    out += "note          read buffers ran out " + std::to_string(s.read_buffers_exhausted) +
           " times (raise --read-buffers)\n";
  }
  out += FormatUsageText(o, r);
  out += "result        " + r.result + " (exit " + std::to_string(r.exit_code) + ")\n";
  return out;
}

std::string FormatJson(const BenchOptions& o, const Report& r) {
  const RunTotals& t = r.totals;
  const WorkerStats& s = r.stats;
  std::string out;
  util::JsonObject root(&out);
  root.Str("tool", "ringcast-bench").Str("version", "0.1");

  std::string config;
  util::JsonObject c(&config);
  c.Str("host", o.host)
      .Int("port", o.port)
      .Str("app_id", o.app_id)
      .Str("mode", ModeName(o.mode))
      .Int("connections", o.connections)
      .Int("channels", o.channels)
      .Str("distribution", DistributionName(o.distribution))
      .Int("publishers", o.publishers);
  AppendFixed(c.Key("rate"), o.rate, 3);
  c.Int("payload_bytes", o.payload_bytes).Int("batch", o.batch).Int("pipeline", o.pipeline);
  c.Bool("batch_due", o.batch_due);
  AppendFixed(c.Key("duration_s"), o.duration_s);
  AppendFixed(c.Key("warmup_s"), o.warmup_s);
  c.Int("threads", o.threads).Int("source_ips", o.source_ips);
  c.Str("descriptors", o.direct_descriptors ? "direct" : "regular");
  c.Str("protocol", ProtocolName(o.protocol)).Bool("connect_only", o.connect_only);
  c.Close();
  root.Raw("config", config);

  std::string conns;
  util::JsonObject k(&conns);
  k.Int("requested", o.connections)
      .Int("started", static_cast<int64_t>(t.connects_started))
      .Int("subscribed", static_cast<int64_t>(t.subscribed))
      .Int("failed", static_cast<int64_t>(t.failed))
      .Int("dropped", static_cast<int64_t>(t.dropped));
  AppendFixed(k.Key("connect_rate_per_s"), ConnectRate(r), 1);
  k.Raw("connect_latency_us", HistogramJson(s.connect_latency))
      .Raw("handshake_latency_us", HistogramJson(s.handshake_latency))
      .Raw("subscribe_latency_us", HistogramJson(s.subscribe_latency));
  k.Close();
  root.Raw("connections", conns);

  std::string pub;
  util::JsonObject p(&pub);
  p.Int("publishers_ready", static_cast<int64_t>(t.publishers_ready))
      .Int("publishers_failed", static_cast<int64_t>(t.publishers_failed))
      .Int("events_accepted", static_cast<int64_t>(t.published))
      .Int("events_measured", static_cast<int64_t>(s.published_measured));
  AppendFixed(p.Key("events_per_s"), PerSecond(s.published_measured, r.measured_s), 1);
  p.Int("requests", static_cast<int64_t>(t.requests))
      .Int("events_refused_or_unknown", static_cast<int64_t>(t.publish_errors))
      .Int("events_unknown_outcome", static_cast<int64_t>(s.publish_unknown))
      .Int("events_unsent_behind_schedule", static_cast<int64_t>(s.unsent))
      .Raw("ack_latency_us", HistogramJson(s.ack_latency));
  p.Close();
  root.Raw("publish", pub);

  std::string del;
  util::JsonObject d(&del);
  d.Int("expected", static_cast<int64_t>(t.expected))
      .Int("received", static_cast<int64_t>(t.received))
      .Int("unique", static_cast<int64_t>(t.unique))
      .Int("lost", static_cast<int64_t>(r.lost))
      .Int("out_of_order", static_cast<int64_t>(t.out_of_order))
      .Int("duplicates", static_cast<int64_t>(t.duplicates))
      .Int("gaps", static_cast<int64_t>(t.gaps))
      .Int("surplus", static_cast<int64_t>(r.surplus))
      .Int("foreign", static_cast<int64_t>(s.foreign))
      .Int("other_events", static_cast<int64_t>(s.other_events))
      .Int("measured", static_cast<int64_t>(t.measured));
  AppendFixed(d.Key("per_s"), PerSecond(t.measured, r.measured_s), 1);
  d.Bool("drained", r.drained);
  AppendFixed(d.Key("drain_s"), r.drain_s);
  d.Close();
  root.Raw("deliveries", del);

  std::string lat = HistogramJson(s.latency);
  lat.pop_back();
  lat += r.fixed_rate ? ",\"measured_from\":\"intended_send_time\"}"
                      : ",\"measured_from\":\"actual_send_time\"}";
  root.Raw("latency_us", lat);

  std::string errs;
  util::JsonObject e(&errs);
  for (const auto& [kind, n] : s.errors) e.Int(kind, static_cast<int64_t>(n));
  e.Close();
  root.Raw("errors", errs);
  root.Int("errors_total", static_cast<int64_t>(t.errors));
  root.Int("read_buffers_exhausted", static_cast<int64_t>(s.read_buffers_exhausted));

  const UsageReport& u = r.usage;
  if (u.server) {
    std::string srv;
    util::JsonObject v(&srv);
    v.Int("pid", u.pid)
        .Raw("connect", CpuJson(u.server_connect))
        .Raw("window", CpuJson(u.server_window))
        .Int("window_deliveries", static_cast<int64_t>(u.window_received));
    AppendFixed(v.Key("cpu_us_per_delivery"), UsPer(u.server_window.cpu_s, u.window_received), 4);
    AppendFixed(v.Key("deliveries_per_cpu_s"), PerCpuS(u.window_received, u.server_window.cpu_s),
                1);
    AppendFixed(v.Key("cpu_us_per_connection"), UsPer(u.server_connect.cpu_s, t.subscribed), 2);
    v.Int("rss_kb_before", static_cast<int64_t>(u.rss_kb_before))
        .Int("rss_kb_connected", static_cast<int64_t>(u.rss_kb_connected))
        .Int("rss_kb_end", static_cast<int64_t>(u.rss_kb_end));
    v.Close();
    root.Raw("server", srv);
  }
  std::string ld;
  util::JsonObject l(&ld);
  l.Raw("connect", CpuJson(u.loader_connect)).Raw("window", CpuJson(u.loader_window));
  l.Close();
  root.Raw("loader", ld);
  if (o.count_server_writes) {
    std::string w;
    util::JsonObject sw(&w);
    sw.Int("workers_sampled", s.segment_windows)
        .Int("deliveries", static_cast<int64_t>(s.segment_deliveries))
        .Int("segments", static_cast<int64_t>(s.server_segments));
    AppendFixed(sw.Key("deliveries_per_segment"),
                s.server_segments > 0 ? static_cast<double>(s.segment_deliveries) /
                                            static_cast<double>(s.server_segments)
                                      : 0.0,
                3);
    sw.Close();
    root.Raw("server_writes", w);
  }
  root.Str("result", r.result).Int("exit_code", r.exit_code);
  root.Close();
  out.push_back('\n');
  return out;
}

}  // namespace ringcast::bench
