// Ring: one io_uring instance, owned and driven by exactly one thread (the one that created it;
// the ring is set up SINGLE_ISSUER|DEFER_TASKRUN where the kernel allows, so completions are only
// processed when that thread enters the kernel).
//
// Owns: the io_uring, and optionally one provided-buffer ring (BufferRing) shared by every
// multishot recv of the thread. Sqe() never returns null: when the submission queue is full it
// submits what is there first. Completions are handed out in batches by ForEachCqe.
// Must not: be touched from another thread (other threads reach this one through its queues and
// its Waker).
#pragma once

#include <liburing.h>

#include <cstddef>
#include <cstdint>

namespace ringcast::runtime {

class Ring {
 public:
  Ring() = default;
  ~Ring();
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  // Returns 0 or a negative errno.
  [[nodiscard]] int Init(unsigned entries);

  io_uring* raw() { return &ring_; }
  io_uring_sqe* Sqe();

  // Submits pending SQEs and waits for at least `wait_nr` completions or `timeout_ms`
  // (negative: no timeout; 0: do not wait). Returns the io_uring_enter result.
  int SubmitAndWait(unsigned wait_nr, int64_t timeout_ms);
  int Submit();

  // Calls f(const io_uring_cqe&) for every ready completion; returns how many.
  template <typename F>
  unsigned ForEachCqe(F&& f) {
    unsigned head;
    unsigned n = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      f(*cqe);
      ++n;
    }
    io_uring_cq_advance(&ring_, n);
    return n;
  }

  uint64_t enter_calls() const { return enter_calls_; }

 private:
  io_uring ring_{};
  bool initialized_ = false;
  uint64_t enter_calls_ = 0;
};

// A provided-buffer ring: `count` buffers of `size` bytes (count a power of two) registered as
// buffer group `group_id`. A multishot recv picks a buffer per completion; the consumer hands it
// back with Recycle() and publishes the returns with Commit() (one store per batch).
// Each buffer has kSlack readable bytes past `size` so parsers that read ahead (simdjson) may.
class BufferRing {
 public:
  static constexpr size_t kSlack = 64;

  BufferRing() = default;
  ~BufferRing();
  BufferRing(const BufferRing&) = delete;
  BufferRing& operator=(const BufferRing&) = delete;

  [[nodiscard]] int Init(Ring* ring, uint16_t group_id, uint32_t count, uint32_t size);

  uint16_t group_id() const { return group_id_; }
  uint32_t buffer_size() const { return size_; }
  char* Buffer(uint16_t bid) { return base_ + static_cast<size_t>(bid) * stride_; }

  void Recycle(uint16_t bid);
  void Commit();

 private:
  Ring* ring_ = nullptr;
  io_uring_buf_ring* br_ = nullptr;
  size_t br_bytes_ = 0;
  char* base_ = nullptr;
  size_t base_bytes_ = 0;
  size_t stride_ = 0;
  uint32_t count_ = 0;
  uint32_t size_ = 0;
  uint16_t group_id_ = 0;
  int pending_ = 0;
};

}  // namespace ringcast::runtime
