// SysStats: what the bench reads from the kernel about the server under test and about
// itself, to tell how much CPU a delivery cost and which side was the bottleneck.
//
// - Process CPU: the sum over every thread of /proc/PID/task/TID/schedstat's first field
//   (sum_exec_runtime, exact nanoseconds; CPU time a thread spends in softirq work, such as
//   loopback TCP input, is charged to it), plus the busiest thread, so that "one thread at
//   100 %" shows even in a multi-threaded process (a ringcast shard, node's main thread, the
//   bench's worker). Threads that exit between two samples are not counted.
// - RSS: VmRSS from /proc/PID/status, in KiB (user-space memory; socket buffers are kernel
//   memory and not in it).
// - Server writes: tcpi_data_segs_in of a client socket (TCP_INFO) counts the data segments
//   the server sent on that connection; on loopback a write of up to one MSS (~64 KiB) is one
//   segment, so deliveries / segments is the server's frames per write (larger writes count
//   as several segments).
// Plain functions, any thread; a sample that cannot be read comes back with ok = false.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace ringcast::bench {

struct ProcCpuSample {
  bool ok = false;
  uint64_t taken_ns = 0;  // CLOCK_MONOTONIC
  uint64_t total_ns = 0;
  std::vector<std::pair<int, uint64_t>> threads;  // (tid, ns), sorted by tid
};

// pid 0 means this process.
ProcCpuSample SampleProcessCpu(uint32_t pid);
// Several processes as one: their threads merged (thread ids are unique system-wide); ok only
// when every one could be read.
ProcCpuSample SampleProcessesCpu(const std::vector<uint32_t>& pids);

struct CpuUse {
  double wall_s = 0;
  double cpu_s = 0;             // all threads
  double busiest_thread_s = 0;  // the thread that used the most between the samples
  double util() const { return wall_s > 0 ? cpu_s / wall_s : 0; }
  double busiest_util() const { return wall_s > 0 ? busiest_thread_s / wall_s : 0; }
};

// The CPU used between two samples of the same process (zero if either is not ok).
CpuUse CpuBetween(const ProcCpuSample& before, const ProcCpuSample& after);

// VmRSS in KiB, or 0 when unreadable.
uint64_t ReadRssKb(uint32_t pid);
// The sum over several processes (those unreadable count 0).
uint64_t ReadRssKb(const std::vector<uint32_t>& pids);

// tcpi_data_segs_in of a TCP socket; false when TCP_INFO is unavailable.
bool DataSegmentsIn(int fd, uint64_t* out);

}  // namespace ringcast::bench
