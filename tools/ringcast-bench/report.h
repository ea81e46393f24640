// Report: the run's totals (all workers' counters and histograms merged), the derived numbers
// (lost, rates, exit status), and their two renderings: the human summary on stdout and the
// JSON summary for --json.
//
// Built once on the main thread after every worker has been joined; pure functions of the
// data handed in. Definitions: expected = sum over accepted events of the subscribers of the
// event's channel at the start of publishing; unique = distinct (publisher, sequence) pairs
// received per subscriber; lost = expected - unique when positive (surplus when negative);
// out_of_order = late arrivals of skipped numbers; rates use the measured window only.
// Latencies are reported in microseconds. Usage (CPU of the server and of the bench, RSS, server
// segments) is measured by the main thread and the workers (sys_stats.h) and only rendered here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ringcast-bench/options.h"
#include "ringcast-bench/stats.h"
#include "ringcast-bench/sys_stats.h"

namespace ringcast::bench {

struct RunTotals {
  uint64_t connects_started = 0;
  uint64_t subscribed = 0;
  uint64_t failed = 0;
  uint64_t dropped = 0;
  uint64_t publishers_ready = 0;
  uint64_t publishers_failed = 0;
  uint64_t publishers_done = 0;
  uint64_t published = 0;
  uint64_t expected = 0;
  uint64_t requests = 0;
  uint64_t publish_errors = 0;
  uint64_t received = 0;
  uint64_t unique = 0;
  uint64_t out_of_order = 0;
  uint64_t duplicates = 0;
  uint64_t gaps = 0;
  uint64_t measured = 0;
  uint64_t errors = 0;

  void Add(const LiveCounters& live);
};

// CPU and memory around the run: the server's with --server-pid, the bench's always.
struct UsageReport {
  bool server = false;  // --server-pid was given and its /proc entries were readable
  uint32_t pid = 0;
  CpuUse server_connect;  // from before the first connect to the end of the connect phase
  CpuUse loader_connect;
  CpuUse server_window;  // the measured window (the idle hold with --connect-only)
  CpuUse loader_window;
  uint64_t window_received = 0;  // deliveries received during the window (by receive time)
  uint64_t rss_kb_before = 0;    // before the first connect
  uint64_t rss_kb_connected = 0;
  uint64_t rss_kb_end = 0;  // at the end of the window
};

struct Report {
  RunTotals totals;
  WorkerStats stats;
  double measured_s = 0;  // the measured window (--duration)
  double drain_s = 0;     // time spent waiting for the last deliveries
  bool drained = false;   // every expected delivery arrived before --drain ran out
  bool fixed_rate = true;
  uint64_t lost = 0;
  uint64_t surplus = 0;
  int exit_code = 0;
  std::string result;  // "ok", "loss", "setup-failed"
  UsageReport usage;
};

Report BuildReport(const BenchOptions& options, const RunTotals& totals, WorkerStats stats,
                   double measured_s, double drain_s, bool drained);

std::string FormatText(const BenchOptions& options, const Report& report);
std::string FormatJson(const BenchOptions& options, const Report& report);

}  // namespace ringcast::bench
