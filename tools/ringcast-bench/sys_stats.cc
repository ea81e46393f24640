// SysStats implementation: /proc/PID/task/*/schedstat and /proc/PID/status readers, and
// TCP_INFO through <linux/tcp.h> (glibc's struct tcp_info lacks the data segment counts).
// See sys_stats.h.
#include "ringcast-bench/sys_stats.h"

#include <dirent.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "util/clock.h"

namespace ringcast::bench {

ProcCpuSample SampleProcessCpu(uint32_t pid) {
  ProcCpuSample s;
  s.taken_ns = util::MonotonicNs();
  std::string base = pid == 0 ? "/proc/self/task" : "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = opendir(base.c_str());
  if (dir == nullptr) return s;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::string path = base + "/" + e->d_name + "/schedstat";
    FILE* f = std::fopen(path.c_str(), "r");
    if (f == nullptr) continue;  // the thread just exited
    unsigned long long ns = 0;
    if (std::fscanf(f, "%llu", &ns) == 1) {
      s.threads.emplace_back(std::atoi(e->d_name), ns);
      s.total_ns += ns;
    }
    std::fclose(f);
  }
  closedir(dir);
  std::sort(s.threads.begin(), s.threads.end());
  s.ok = !s.threads.empty();
  return s;
}

ProcCpuSample SampleProcessesCpu(const std::vector<uint32_t>& pids) {
  ProcCpuSample all;
  all.taken_ns = util::MonotonicNs();
  for (uint32_t pid : pids) {
    ProcCpuSample one = SampleProcessCpu(pid);
    if (!one.ok) return ProcCpuSample();
    all.total_ns += one.total_ns;
    all.threads.insert(all.threads.end(), one.threads.begin(), one.threads.end());
  }
  std::sort(all.threads.begin(), all.threads.end());
  all.ok = !all.threads.empty();
  return all;
}

CpuUse CpuBetween(const ProcCpuSample& a, const ProcCpuSample& b) {
  CpuUse u;
  if (!a.ok || !b.ok || b.taken_ns < a.taken_ns) return u;
  u.wall_s = static_cast<double>(b.taken_ns - a.taken_ns) / 1e9;
  uint64_t total = 0;
  uint64_t busiest = 0;
  // Threads present in both samples, plus threads born in between (counted from zero).
  size_t i = 0;
  for (const auto& [tid, ns] : b.threads) {
    while (i < a.threads.size() && a.threads[i].first < tid) ++i;
    uint64_t before = i < a.threads.size() && a.threads[i].first == tid ? a.threads[i].second : 0;
    uint64_t d = ns > before ? ns - before : 0;
    total += d;
    busiest = std::max(busiest, d);
  }
  u.cpu_s = static_cast<double>(total) / 1e9;
  u.busiest_thread_s = static_cast<double>(busiest) / 1e9;
  return u;
}

uint64_t ReadRssKb(uint32_t pid) {
  std::string path = pid == 0 ? "/proc/self/status" : "/proc/" + std::to_string(pid) + "/status";
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return 0;
  char line[256];
  unsigned long long kb = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "VmRSS: %llu kB", &kb) == 1) break;
  }
  std::fclose(f);
  return kb;
}

bool DataSegmentsIn(int fd, uint64_t* out) {
  tcp_info ti{};
  socklen_t len = sizeof ti;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0) return false;
  if (len < offsetof(tcp_info, tcpi_data_segs_in) + sizeof ti.tcpi_data_segs_in) return false;
  *out = ti.tcpi_data_segs_in;
  return true;
}

uint64_t ReadRssKb(const std::vector<uint32_t>& pids) {
  uint64_t kb = 0;
  for (uint32_t pid : pids) kb += ReadRssKb(pid);
  return kb;
}

}  // namespace ringcast::bench
