// ringcast-bench: entry point and the main thread's part of a run: options, address
// resolution, file-descriptor limit, the channel plan, starting one Worker per --threads,
// stepping the phases (connect, settle, publish, drain, stop; or connect, settle, idle hold
// with --connect-only), the live progress line on stderr, the CPU and memory samples of the
// server (--server-pid) and of the bench itself at the phase boundaries (sys_stats.h), and the
// final report (stdout, --json FILE, exit status).
//
// The main thread never touches a worker's connections: it reads the workers' atomic live
// counters, writes RunControl before publishing a phase, reads each worker's WorkerStats only
// after that worker settled (subscriptions per channel) or was joined (everything else).
// SIGINT ends the run early with a partial report.
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ringcast-bench/channel_plan.h"
#include "ringcast-bench/options.h"
#include "ringcast-bench/report.h"
#include "ringcast-bench/run_control.h"
#include "ringcast-bench/sys_stats.h"
#include "ringcast-bench/worker.h"
#include "tls/tls_context.h"
#include "util/clock.h"

namespace ringcast::bench {
namespace {

std::atomic<bool> g_interrupted{false};

void OnSigint(int) { g_interrupted.store(true); }

// "127.0.0.1:6001", or "publish 127.0.0.1:6001, subscribe 127.0.0.1:6001,127.0.0.1:6002".
std::string TargetsText(const Endpoint& ep) {
  if (ep.targets.size() == 2 && ep.targets[0].host_header == ep.targets[1].host_header) {
    return ep.targets[0].host_header;
  }
  std::string out = "publish " + ep.targets[0].host_header + ", subscribe ";
  for (size_t i = 1; i < ep.targets.size(); ++i) {
    if (i > 1) out += ",";
    out += ep.targets[i].host_header;
  }
  return out;
}

bool Resolve(const BenchOptions& o, Endpoint* ep, std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(o.host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr) {
    *error = "cannot resolve --host " + o.host + ": " + gai_strerror(rc);
    return false;
  }
  sockaddr_in addr{};
  std::memcpy(&addr, res->ai_addr, sizeof addr);
  freeaddrinfo(res);
  auto add_target = [&](uint16_t port) {
    Target t;
    t.server = addr;
    t.server.sin_port = htons(port);
    t.host_header = o.host + ":" + std::to_string(port);
    ep->targets.push_back(std::move(t));
  };
  add_target(o.publish_port != 0 ? o.publish_port : o.port);
  if (o.subscribe_ports.empty()) add_target(o.port);
  for (uint16_t port : o.subscribe_ports) add_target(port);
  if (o.source_ips > 1) {
    in_addr base{};
    if (inet_pton(AF_INET, o.source_ip_base.c_str(), &base) != 1) {
      *error = "--source-ip-base is not an IPv4 address: " + o.source_ip_base;
      return false;
    }
    for (uint32_t i = 0; i < o.source_ips; ++i) {
      sockaddr_in src{};
      src.sin_family = AF_INET;
      src.sin_addr.s_addr = htonl(ntohl(base.s_addr) + i);
      ep->sources.push_back(src);
    }
  }
  return true;
}

void RaiseFdLimit(uint64_t needed, bool quiet) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  if (!quiet && lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < needed) {
    std::fprintf(stderr,
                 "ringcast-bench: warning: the open-file limit is %llu but %llu sockets are "
                 "needed (raise it with ulimit -n)\n",
                 static_cast<unsigned long long>(lim.rlim_cur),
                 static_cast<unsigned long long>(needed));
  }
}

// The live progress line: once a second on stderr ('\r'-rewritten on a terminal).
class Progress {
 public:
  Progress(const BenchOptions& o, std::vector<std::unique_ptr<Worker>>* workers, uint64_t start)
      : o_(o),
        workers_(workers),
        start_(start),
        next_(start + 1'000'000'000),
        tty_(isatty(STDERR_FILENO) != 0) {}

  RunTotals Totals() const {
    RunTotals t;
    for (auto& w : *workers_) t.Add(w->live());
    return t;
  }

  void Tick(uint64_t now, const char* phase) {
    if (now < next_) return;
    double dt = static_cast<double>(now - last_ns_) / 1e9;
    last_ns_ = now;
    next_ += 1'000'000'000;
    if (next_ < now) next_ = now + 1'000'000'000;
    RunTotals t = Totals();
    uint64_t max_ns = 0;
    for (auto& w : *workers_) {
      max_ns = std::max(max_ns, w->live().interval_max_ns.exchange(0, std::memory_order_relaxed));
    }
    if (o_.quiet) {
      prev_ = t;
      return;
    }
    char line[400];
    double elapsed = static_cast<double>(now - start_) / 1e9;
    if (std::strcmp(phase, "connect") == 0) {
      std::snprintf(line, sizeof line,
                    "[%6.1fs] connect  subscribed %llu/%u  failed %llu  %.0f/s  publishers %llu/%u"
                    "  errors %llu",
                    elapsed, static_cast<unsigned long long>(t.subscribed), o_.connections,
                    static_cast<unsigned long long>(t.failed),
                    (t.subscribed - prev_.subscribed) / dt,
                    static_cast<unsigned long long>(t.publishers_ready), ActivePublishers(o_),
                    static_cast<unsigned long long>(t.errors));
    } else {
      uint64_t in_flight = t.expected > t.unique ? t.expected - t.unique : 0;
      std::snprintf(
          line, sizeof line,
          "[%6.1fs] %-7s  published %.0f/s  deliveries %.0f/s  pending %llu  gaps %llu"
          "  ooo %llu  dup %llu  dropped %llu  errors %llu  max %.2f ms",
          elapsed, phase, (t.published - prev_.published) / dt, (t.received - prev_.received) / dt,
          static_cast<unsigned long long>(in_flight), static_cast<unsigned long long>(t.gaps),
          static_cast<unsigned long long>(t.out_of_order),
          static_cast<unsigned long long>(t.duplicates), static_cast<unsigned long long>(t.dropped),
          static_cast<unsigned long long>(t.errors), static_cast<double>(max_ns) / 1e6);
    }
    prev_ = t;
    if (tty_) {
      std::fprintf(stderr, "\r%s\033[K", line);
    } else {
      std::fprintf(stderr, "%s\n", line);
    }
    printed_ = true;
  }

  void Finish() {
    if (printed_ && tty_ && !o_.quiet) std::fputc('\n', stderr);
  }

 private:
  const BenchOptions& o_;
  std::vector<std::unique_ptr<Worker>>* workers_;
  RunTotals prev_;
  uint64_t start_;
  uint64_t next_;
  uint64_t last_ns_ = start_;
  bool tty_;
  bool printed_ = false;
};

void Sleep(uint64_t ns) { std::this_thread::sleep_for(std::chrono::nanoseconds(ns)); }

int Run(const BenchOptions& o) {
  Endpoint endpoint;
  std::string error;
  if (!Resolve(o, &endpoint, &error)) {
    std::fprintf(stderr, "ringcast-bench: %s\n", error.c_str());
    return 2;
  }
  std::unique_ptr<tls::TlsContext> tls_ctx;
  if (o.tls) {
    tls_ctx = tls::TlsContext::LoadClient(o.tls_ca, &error);
    if (!tls_ctx) {
      std::fprintf(stderr, "ringcast-bench: %s\n", error.c_str());
      return 2;
    }
    endpoint.tls = tls_ctx->raw();
  }
  endpoint.host = o.host;
  RaiseFdLimit(uint64_t{o.connections} + ActivePublishers(o) + 64, o.quiet);
  ChannelPlan plan = ChannelPlan::Build(o);
  RunControl control;

  std::signal(SIGINT, OnSigint);
  std::signal(SIGPIPE, SIG_IGN);

  std::vector<std::unique_ptr<Worker>> workers;
  for (uint32_t i = 0; i < o.threads; ++i) {
    workers.push_back(std::make_unique<Worker>(i, o, plan, &control, endpoint));
  }
  if (!o.quiet) {
    std::fprintf(stderr,
                 "ringcast-bench: %u connections, %u channel(s), %u %s publisher(s) -> %s "
                 "(%u thread(s))\n",
                 o.connections, plan.channel_count(), ActivePublishers(o), ModeName(o.mode),
                 TargetsText(endpoint).c_str(), o.threads);
  }
  // Usage samples: the server's (--server-pid) and ours, at the phase boundaries.
  UsageReport usage;
  usage.pid = o.server_pid;
  auto sample_server = [&] {
    return o.server_pid ? SampleProcessesCpu(o.server_pids) : ProcCpuSample();
  };
  if (o.server_pid) usage.rss_kb_before = ReadRssKb(o.server_pids);
  ProcCpuSample server_c0 = sample_server();
  ProcCpuSample loader_c0 = SampleProcessCpu(0);
  usage.server = server_c0.ok;
  if (o.server_pid && !server_c0.ok && !o.quiet) {
    std::fprintf(stderr,
                 "ringcast-bench: warning: cannot read /proc of --server-pid: no server usage\n");
  }

  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w->Run(); });

  uint64_t start = util::MonotonicNs();
  Progress progress(o, &workers, start);
  auto stop_all = [&] {
    control.store(Phase::kStop);
    for (auto& t : threads) t.join();
    progress.Finish();
  };

  // Connect and subscribe.
  uint64_t deadline = start + static_cast<uint64_t>(o.connect_timeout_s * 1e9);
  for (;;) {
    RunTotals t = progress.Totals();
    if (t.subscribed + t.failed >= o.connections &&
        t.publishers_ready + t.publishers_failed >= ActivePublishers(o)) {
      break;
    }
    uint64_t now = util::MonotonicNs();
    if (now >= deadline || g_interrupted.load()) break;
    progress.Tick(now, "connect");
    Sleep(5'000'000);
  }
  usage.server_connect = CpuBetween(server_c0, sample_server());
  usage.loader_connect = CpuBetween(loader_c0, SampleProcessCpu(0));
  if (o.server_pid) usage.rss_kb_connected = ReadRssKb(o.server_pids);
  control.store(Phase::kSettle);
  for (auto& w : workers) {
    while (!w->live().settled.load(std::memory_order_acquire)) Sleep(1'000'000);
  }
  control.subscribers.assign(plan.channel_count(), 0);
  for (auto& w : workers) {
    const std::vector<uint64_t>& per = w->stats().subscribed_per_channel;
    for (size_t c = 0; c < per.size(); ++c) control.subscribers[c] += per[c];
  }

  // Publish, then drain.
  RunTotals ready = progress.Totals();
  double drain_s = 0;
  bool drained = false;
  ProcCpuSample server_w0;
  ProcCpuSample loader_w0;
  uint64_t received_w0 = 0;
  auto open_window = [&] {
    server_w0 = sample_server();
    loader_w0 = SampleProcessCpu(0);
    received_w0 = progress.Totals().received;
  };
  auto close_window = [&] {
    if (!loader_w0.ok) return;  // never opened (interrupted during the warm-up)
    usage.server_window = CpuBetween(server_w0, sample_server());
    usage.loader_window = CpuBetween(loader_w0, SampleProcessCpu(0));
    usage.window_received = progress.Totals().received - received_w0;
    if (o.server_pid) usage.rss_kb_end = ReadRssKb(o.server_pids);
  };
  if (o.connect_only) {
    // Hold the connections idle for --duration; the window is the hold.
    open_window();
    uint64_t hold_end = util::MonotonicNs() + static_cast<uint64_t>(o.duration_s * 1e9);
    for (;;) {
      uint64_t now = util::MonotonicNs();
      if (now >= hold_end || g_interrupted.load()) break;
      progress.Tick(now, "hold");
      Sleep(std::min<uint64_t>(5'000'000, hold_end - now));
    }
    close_window();
    drained = true;
  } else if (ready.publishers_ready > 0 && !g_interrupted.load()) {
    uint64_t t0 = util::MonotonicNs() + 20'000'000;
    control.t0_ns = t0;
    control.measure_start_ns = t0 + static_cast<uint64_t>(o.warmup_s * 1e9);
    control.end_ns = control.measure_start_ns + static_cast<uint64_t>(o.duration_s * 1e9);
    control.store(Phase::kPublish);
    bool window_open = false;
    for (;;) {
      uint64_t now = util::MonotonicNs();
      if (!window_open && now >= control.measure_start_ns) {
        open_window();
        window_open = true;
      }
      if (now >= control.end_ns || g_interrupted.load()) break;
      progress.Tick(now, now < control.measure_start_ns ? "warmup" : "measure");
      uint64_t next = window_open ? control.end_ns : control.measure_start_ns;
      Sleep(std::min<uint64_t>(2'000'000, next > now ? next - now : 0));
    }
    close_window();
    uint64_t drain_start = util::MonotonicNs();
    uint64_t drain_end = drain_start + static_cast<uint64_t>(o.drain_s * 1e9);
    for (;;) {
      RunTotals t = progress.Totals();
      uint64_t now = util::MonotonicNs();
      if (t.publishers_done >= t.publishers_ready && t.unique >= t.expected) {
        drained = true;
        drain_s = static_cast<double>(now - drain_start) / 1e9;
        break;
      }
      if (now >= drain_end || g_interrupted.load()) {
        drain_s = static_cast<double>(now - drain_start) / 1e9;
        break;
      }
      progress.Tick(now, "drain");
      Sleep(1'000'000);
    }
  }
  stop_all();

  RunTotals totals;
  WorkerStats merged;
  merged.subscribed_per_channel.assign(plan.channel_count(), 0);
  for (auto& w : workers) {
    totals.Add(w->live());
    merged.Merge(w->stats());
  }
  Report report = BuildReport(o, totals, std::move(merged), o.duration_s, drain_s, drained);
  report.usage = usage;
  if (g_interrupted.load()) report.result += " (interrupted)";
  std::string text = FormatText(o, report);
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
  if (!o.json_path.empty()) {
    std::string json = FormatJson(o, report);
    FILE* f = std::fopen(o.json_path.c_str(), "w");
    if (f == nullptr || std::fwrite(json.data(), 1, json.size(), f) != json.size()) {
      std::fprintf(stderr, "ringcast-bench: cannot write %s: %s\n", o.json_path.c_str(),
                   std::strerror(errno));
      if (f != nullptr) std::fclose(f);
      return 2;
    }
    std::fclose(f);
  }
  return report.exit_code;
}

}  // namespace
}  // namespace ringcast::bench

int main(int argc, char** argv) {
  ringcast::bench::BenchOptions options;
  std::string error;
  switch (ringcast::bench::ParseOptions(argc, argv, &options, &error)) {
    case ringcast::bench::ParseOutcome::kExitOk:
      return 0;
    case ringcast::bench::ParseOutcome::kExitError:
      std::fprintf(stderr, "ringcast-bench: %s\n", error.c_str());
      return 2;
    case ringcast::bench::ParseOutcome::kRun:
      break;
  }
  return ringcast::bench::Run(options);
}
