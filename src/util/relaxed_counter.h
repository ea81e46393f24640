// RelaxedCounter: a number that one thread changes and any thread may read: the loop's and
// engine's figures (net::IoLoopStats, engine::ShardCounters), metrics::Counter and the queue
// counters (server::StatCounter) are all this one type.
//
// The owner changes it with a relaxed load and store (no read-modify-write: there is one
// writer), which costs what a plain increment costs; a reader on another thread loads it
// relaxed. Two faces: methods (Add/Set/Max/Get) and a plain-number one (++, +=, implicit
// conversion; a copy is a load), so a hot-path counter reads like the uint64_t it replaced.
// A reading is consistent per number, not across numbers.
// Thread rules: every change (Add, Set, Max, ++, --, +=, -=, assignment) from the one owning
// thread; Get and reads from any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace ringcast::util {

class RelaxedCounter {
 public:
  RelaxedCounter(uint64_t v = 0) : v_(v) {}  // NOLINT(google-explicit-constructor)
  RelaxedCounter(const RelaxedCounter& o) : v_(o.Get()) {}
  RelaxedCounter& operator=(const RelaxedCounter& o) {
    Set(o.Get());
    return *this;
  }

  void Add(uint64_t n = 1) { Set(Get() + n); }
  void Set(uint64_t n) { v_.store(n, std::memory_order_relaxed); }
  void Max(uint64_t n) {
    if (n > Get()) Set(n);
  }
  uint64_t Get() const { return v_.load(std::memory_order_relaxed); }

  operator uint64_t() const { return Get(); }  // NOLINT(google-explicit-constructor)
  RelaxedCounter& operator+=(uint64_t n) {
    Add(n);
    return *this;
  }
  RelaxedCounter& operator-=(uint64_t n) {
    Set(Get() - n);
    return *this;
  }
  RelaxedCounter& operator++() { return *this += 1; }
  RelaxedCounter& operator--() { return *this -= 1; }

 private:
  std::atomic<uint64_t> v_;
};

}  // namespace ringcast::util
