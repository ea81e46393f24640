// Tests for the bench's kernel readers (tools/ringcast-bench/sys_stats.h): this process's CPU
// sample sees its threads and grows with work, CpuBetween counts threads born between two
// samples and names the busiest, RSS is read, and TCP_INFO data segment counts follow the
// writes of a loopback connection.
#include "ringcast-bench/sys_stats.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <ctime>


namespace ringcast::bench {
namespace {

uint64_t ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

// Burns `ns` of this thread's CPU time (not wall time: on a loaded machine the two differ).
void Spin(uint64_t ns) {
  uint64_t end = ThreadCpuNs() + ns;
  std::atomic<uint64_t> sink{0};
  while (ThreadCpuNs() < end) sink.fetch_add(1, std::memory_order_relaxed);
}

TEST(SysStats, ProcessCpuGrowsWithWorkAndCountsNewThreads) {
  ProcCpuSample a = SampleProcessCpu(0);
  ASSERT_TRUE(a.ok);
  EXPECT_GE(a.threads.size(), 1u);
  std::thread t([] { Spin(60'000'000); });
  t.join();
  Spin(20'000'000);
  ProcCpuSample b = SampleProcessCpu(0);
  CpuUse u = CpuBetween(a, b);
  // The spinning thread exited before the second sample: only the main thread's 20 ms count.
  EXPECT_GE(u.cpu_s, 0.015);
  EXPECT_GT(u.wall_s, 0.0);
  std::atomic<bool> stop{false};
  std::thread busy([&] {
    while (!stop.load()) Spin(1'000'000);
  });
  ProcCpuSample c = SampleProcessCpu(0);
  Spin(30'000'000);
  ProcCpuSample d = SampleProcessCpu(0);
  stop = true;
  busy.join();
  CpuUse v = CpuBetween(c, d);
  EXPECT_GE(v.cpu_s, v.busiest_thread_s);
  EXPECT_GT(v.busiest_thread_s, 0.01);
  EXPECT_EQ(CpuBetween(ProcCpuSample(), d).cpu_s, 0.0);  // a failed sample gives nothing
}

// --server-pid A,B: a cluster's nodes measured as one. A forked child that spins counts with us.
TEST(SysStats, SeveralProcessesAreSummed) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    for (;;) Spin(1'000'000);
  }
  std::vector<uint32_t> both = {static_cast<uint32_t>(getpid()), static_cast<uint32_t>(child)};
  ProcCpuSample a = SampleProcessesCpu(both);
  // The child spins while we sleep; on a loaded machine it may get little of a core at first,
  // so wait (up to 5 s) until the sum has moved past what it must show.
  ProcCpuSample b;
  for (int i = 0; i < 100; ++i) {
    usleep(50'000);
    b = SampleProcessesCpu(both);
    if (b.ok && CpuBetween(a, b).cpu_s > 0.02) break;
  }
  EXPECT_FALSE(SampleProcessesCpu({static_cast<uint32_t>(getpid()), 999999999}).ok);
  EXPECT_GT(ReadRssKb(both), ReadRssKb(0));
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  ASSERT_TRUE(a.ok);
  ASSERT_TRUE(b.ok);
  EXPECT_GE(b.threads.size(), 2u);
  // The child spun (on the other core, or sharing ours); we slept: its time is in the sum.
  EXPECT_GT(CpuBetween(a, b).cpu_s, 0.02);
}

TEST(SysStats, ReadsRss) {
  EXPECT_GT(ReadRssKb(0), 0u);
  EXPECT_EQ(ReadRssKb(999999999), 0u);
}

TEST(SysStats, DataSegmentsFollowTheWrites) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(l, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(l, 1), 0);
  ASSERT_EQ(getsockname(l, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  int s = accept(l, nullptr, nullptr);
  ASSERT_GE(s, 0);
  uint64_t before = 0;
  ASSERT_TRUE(DataSegmentsIn(c, &before));
  char buf[64] = {};
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(send(s, buf, sizeof buf, 0), static_cast<ssize_t>(sizeof buf));
    ASSERT_EQ(recv(c, buf, sizeof buf, MSG_WAITALL), static_cast<ssize_t>(sizeof buf));
  }
  uint64_t after = 0;
  ASSERT_TRUE(DataSegmentsIn(c, &after));
  EXPECT_EQ(after - before, 5u);
  uint64_t ignored;
  EXPECT_FALSE(DataSegmentsIn(-1, &ignored));
  close(s);
  close(c);
  close(l);
}

}  // namespace
}  // namespace ringcast::bench
