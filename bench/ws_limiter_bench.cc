// The Datonow /ws per-IP limiter (api::IpConnectionLimiter) under concurrent callers, as shards
// call it at each new /ws socket: the striped table next to a one-mutex table (the design it
// replaced, kept here only as the baseline). Each thread admits its own addresses (distinct keys,
// as distinct clients), 10 a second allowed, the clock advancing so buckets refill. Run e.g.:
//   build/bench/ws_limiter_bench --benchmark_min_time=0.3
#include <benchmark/benchmark.h>

#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/rate_limit.h"

namespace {

using ringcast::api::IpConnectionLimiter;
using ringcast::api::TokenBucket;

// The former design: one mutex and one map for the process.
class OneMutexLimiter {
 public:
  bool Admit(uint32_t app, std::string_view ip, uint32_t per_second, int64_t now_ms) {
    std::string key = std::to_string(app);
    key.push_back('|');
    key.append(ip);
    std::lock_guard<std::mutex> lock(mu_);
    auto it = table_.find(key);
    if (it == table_.end()) {
      if (table_.size() >= IpConnectionLimiter::kMaxEntries) return false;
      it = table_.emplace(std::move(key), TokenBucket{}).first;
    }
    return it->second.Take(per_second, 1000, now_ms) == 0;
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, TokenBucket> table_;
};

IpConnectionLimiter* striped = new IpConnectionLimiter;
OneMutexLimiter* one_mutex = new OneMutexLimiter;

std::vector<std::string> Addresses(int thread) {
  std::vector<std::string> ips;
  for (int i = 0; i < 256; ++i) {
    ips.push_back("10." + std::to_string(thread) + "." + std::to_string(i) + ".1");
  }
  return ips;
}

void BM_Striped(benchmark::State& state) {
  const std::vector<std::string> ips = Addresses(state.thread_index());
  int64_t now = 1'000'000;
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(striped->Admit(0, ips[i++ & 255], 10, now++ / 64).allowed);
  }
}
BENCHMARK(BM_Striped)->Threads(1)->Threads(2)->Threads(4)->UseRealTime();

void BM_OneMutex(benchmark::State& state) {
  const std::vector<std::string> ips = Addresses(state.thread_index());
  int64_t now = 1'000'000;
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(one_mutex->Admit(0, ips[i++ & 255], 10, now++ / 64));
  }
}
BENCHMARK(BM_OneMutex)->Threads(1)->Threads(2)->Threads(4)->UseRealTime();

}  // namespace
