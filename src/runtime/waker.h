// Waker: how a producer wakes a consumer thread that sleeps in its io_uring.
//
// Owns: one eventfd per consumer loop and the consumer's `sleeping_` flag. The consumer keeps an
// IORING_OP_READ of the eventfd armed in its ring, so a write to the eventfd ends its wait.
// Protocol (Dekker; pairs with SpscQueue's release/acquire on its indices):
//   consumer: drain all its queues; AnnounceSleep() (store + full fence); re-check every queue;
//             if one is non-empty, CancelSleep() and go on; else block in io_uring_enter.
//   producer: push one or more messages; WakeIfSleeping() (full fence, load the flag); only a
//             producer that finds the flag set and wins the exchange writes the eventfd.
// So a consumer is woken at most once per sleep, and only when it announced one: the common
// case under load (consumer busy) costs producers one fence and one load per batch, no syscall.
// Thread rules: AnnounceSleep/CancelSleep/Consume* on the consumer thread; WakeIfSleeping from any.
#pragma once

#include <atomic>
#include <cstdint>

namespace ringcast::runtime {

// A sequentially consistent fence. Under TSan, GCC rejects std::atomic_thread_fence (-Wtsan,
// an error with -Werror) because TSan does not model fences; the builtin below still executes a
// real fence there (__tsan_atomic_thread_fence), and the Waker publishes no plain data through
// it (only the decision to write the eventfd), so TSan has nothing to miss.
inline void FullFence() {
#if defined(__SANITIZE_THREAD__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtsan"
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
#pragma GCC diagnostic pop
#else
  std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
}

class Waker {
 public:
  Waker();
  ~Waker();
  Waker(const Waker&) = delete;
  Waker& operator=(const Waker&) = delete;

  int fd() const { return fd_; }

  // ---- consumer thread ----
  void AnnounceSleep() {
    sleeping_.store(true, std::memory_order_relaxed);
    FullFence();
  }
  void CancelSleep() { sleeping_.store(false, std::memory_order_relaxed); }

  // ---- any thread ----
  void WakeIfSleeping() {
    FullFence();
    if (sleeping_.load(std::memory_order_relaxed) &&
        sleeping_.exchange(false, std::memory_order_acq_rel)) {
      Signal();
    }
  }
  // Unconditional wake (shutdown, tests).
  void Signal();

  uint64_t wake_count() const { return wakes_.load(std::memory_order_relaxed); }

 private:
  int fd_ = -1;
  alignas(64) std::atomic<bool> sleeping_{false};
  std::atomic<uint64_t> wakes_{0};
};

}  // namespace ringcast::runtime
