// SpscQueue: a bounded lock-free ring for exactly one producer thread and one consumer thread.
//
// Owns: a fixed array of N slots (N a power of two) of trivially copyable messages; no heap
// allocation per message. The producer owns `tail_` and its cached copy of `head_`; the consumer
// owns `head_` and its cached copy of `tail_`; each lives on its own cache line.
//
// Wake-ups are not the queue's business: a consumer may read several queues and sleeps in its
// io_uring; runtime/waker.h holds the sleep flag and the protocol. The queue only guarantees that
// a pushed message is visible to the consumer after the producer's release store of `tail_`.
//
// A full queue is back-pressure: TryPush fails and the producer keeps the message (it never
// spills to an unbounded list). The full counter is exported as a metric.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace ringcast::runtime {

inline constexpr size_t kCacheLine = 64;

template <typename T, size_t N>
class SpscQueue {
  static_assert((N & (N - 1)) == 0 && N >= 2, "capacity must be a power of two");
  static_assert(std::is_trivially_copyable_v<T>, "messages are copied by value");

 public:
  SpscQueue() = default;
  SpscQueue(const SpscQueue&) = delete;
  SpscQueue& operator=(const SpscQueue&) = delete;

  static constexpr size_t capacity() { return N; }

  // ---- producer thread only ------------------------------------------------------------------
  [[nodiscard]] bool TryPush(const T& value) {
    uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - producer_cached_head_ >= N) {
      producer_cached_head_ = head_.load(std::memory_order_acquire);
      if (tail - producer_cached_head_ >= N) {
        full_count_.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
    }
    slots_[tail & (N - 1)] = value;
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Free slots as seen by the producer (may under-count; never over-counts).
  size_t FreeSlots() {
    uint64_t tail = tail_.load(std::memory_order_relaxed);
    producer_cached_head_ = head_.load(std::memory_order_acquire);
    return N - static_cast<size_t>(tail - producer_cached_head_);
  }

  // ---- consumer thread only ------------------------------------------------------------------
  // Pops up to `max` messages into `out`; returns how many.
  size_t PopBatch(T* out, size_t max) {
    uint64_t head = head_.load(std::memory_order_relaxed);
    if (consumer_cached_tail_ == head) {
      consumer_cached_tail_ = tail_.load(std::memory_order_acquire);
      if (consumer_cached_tail_ == head) return 0;
    }
    size_t n = static_cast<size_t>(consumer_cached_tail_ - head);
    if (n > max) n = max;
    for (size_t i = 0; i < n; ++i) out[i] = slots_[(head + i) & (N - 1)];
    head_.store(head + n, std::memory_order_release);
    return n;
  }

  [[nodiscard]] bool TryPop(T* out) { return PopBatch(out, 1) == 1; }

  // True when nothing is queued (acquire: a message seen here is fully visible).
  bool Empty() const {
    return tail_.load(std::memory_order_acquire) == head_.load(std::memory_order_relaxed);
  }

  // ---- any thread (approximate, for metrics) ------------------------------------------------
  size_t SizeApprox() const {
    return static_cast<size_t>(tail_.load(std::memory_order_relaxed) -
                               head_.load(std::memory_order_relaxed));
  }
  uint64_t full_count() const { return full_count_.load(std::memory_order_relaxed); }

 private:
  alignas(kCacheLine) std::atomic<uint64_t> head_{0};
  uint64_t consumer_cached_tail_ = 0;

  alignas(kCacheLine) std::atomic<uint64_t> tail_{0};
  uint64_t producer_cached_head_ = 0;
  std::atomic<uint64_t> full_count_{0};

  alignas(kCacheLine) T slots_[N];
};

}  // namespace ringcast::runtime
