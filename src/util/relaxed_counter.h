// RelaxedCounter: a number that one thread changes and any thread may read, used where a plain
// uint64_t counter would otherwise be copied for other threads (the loop's and engine's
// figures that /metrics shows).
//
// The owner changes it with a relaxed load and store (no read-modify-write: there is one
// writer), which costs what a plain increment costs; a reader on another thread loads it
// relaxed. It reads like a plain number (implicit conversion, copy = a load). A reading is
// consistent per number, not across numbers.
// Thread rules: ++, --, +=, -= and assignment from the one owning thread; reads from any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace ringcast::util {

class RelaxedCounter {
 public:
  RelaxedCounter(uint64_t v = 0) : v_(v) {}  // NOLINT(google-explicit-constructor)
  RelaxedCounter(const RelaxedCounter& o) : v_(o.get()) {}
  RelaxedCounter& operator=(const RelaxedCounter& o) {
    set(o.get());
    return *this;
  }

  uint64_t get() const { return v_.load(std::memory_order_relaxed); }
  operator uint64_t() const { return get(); }  // NOLINT(google-explicit-constructor)

  RelaxedCounter& operator+=(uint64_t n) {
    set(get() + n);
    return *this;
  }
  RelaxedCounter& operator-=(uint64_t n) {
    set(get() - n);
    return *this;
  }
  RelaxedCounter& operator++() { return *this += 1; }
  RelaxedCounter& operator--() { return *this -= 1; }

 private:
  void set(uint64_t n) { v_.store(n, std::memory_order_relaxed); }
  std::atomic<uint64_t> v_;
};

}  // namespace ringcast::util
