// SPSC queue throughput (runtime/spsc_queue.h) with the real 24-byte engine-style message:
//   BM_SpscOneThread   push a batch then pop it on one thread: the queue's own cost per message
//                      with no cache-line transfer (batch 1, 16, 256).
//   BM_SpscTwoThreads  a producer thread pushing one message at a time and a consumer popping
//                      with PopBatch(max = batch), as a shard drains its inbound queue; the
//                      indices' cache lines move between cores. Real time, 1 Mi messages per
//                      iteration, queue of 16384 (the control -> shard depth).
// Both sides spin (no Waker): this measures the queue, not the sleep path.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include "runtime/spsc_queue.h"

namespace {

struct Msg {  // the shape of engine::Message: 24 bytes, copied by value
  uint8_t type;
  uint32_t shard;
  uint64_t u64;
  void* ptr;
};
static_assert(sizeof(Msg) == 24);

inline void CpuRelax() {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#endif
}

void BM_SpscOneThread(benchmark::State& state) {
  const size_t batch = static_cast<size_t>(state.range(0));
  auto q = std::make_unique<ringcast::runtime::SpscQueue<Msg, 16384>>();
  std::unique_ptr<Msg[]> out(new Msg[batch]);
  uint64_t seq = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < batch; ++i) {
      bool ok = q->TryPush(Msg{1, 0, seq++, nullptr});
      benchmark::DoNotOptimize(ok);
    }
    size_t n = q->PopBatch(out.get(), batch);
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(out[0].u64);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch));
}
BENCHMARK(BM_SpscOneThread)->Arg(1)->Arg(16)->Arg(256);

void BM_SpscTwoThreads(benchmark::State& state) {
  constexpr uint64_t kMessages = 1 << 20;
  const size_t batch = static_cast<size_t>(state.range(0));
  auto q = std::make_unique<ringcast::runtime::SpscQueue<Msg, 16384>>();
  std::unique_ptr<Msg[]> out(new Msg[batch]);
  uint64_t bad = 0;
  for (auto _ : state) {
    std::thread producer([&q] {
      for (uint64_t i = 0; i < kMessages;) {
        if (q->TryPush(Msg{1, 0, i, nullptr})) {
          ++i;
        } else {
          CpuRelax();
        }
      }
    });
    uint64_t next = 0;
    while (next < kMessages) {
      size_t n = q->PopBatch(out.get(), batch);
      if (n == 0) {
        CpuRelax();
        continue;
      }
      for (size_t i = 0; i < n; ++i) bad += out[i].u64 != next++;
    }
    producer.join();
  }
  if (bad != 0) state.SkipWithError("messages arrived out of order");
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kMessages));
  state.counters["full"] = static_cast<double>(q->full_count());
}
BENCHMARK(BM_SpscTwoThreads)
    ->Arg(1)
    ->Arg(16)
    ->Arg(256)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
