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
#include <vector>

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

// A provided-buffer ring: up to `count` buffers of `size` bytes (count a power of two) registered
// as buffer group `group_id`. A multishot recv picks a buffer per completion; the consumer hands
// it back with Recycle() and publishes the returns with Commit() (one store per batch).
// Each buffer has kSlack readable bytes past `size` so parsers that read ahead (simdjson) may.
// Lazy provision: the kernel takes buffers in ring order (first in, first out), so every buffer
// handed to it is eventually written and becomes resident memory. Init hands it only `initial`
// of the `count` (the rest of the mapping stays untouched); Grow() hands it more, doubling, when
// the consumer ran dry (ENOBUFS) or Commit() sees a batch that used every provided buffer.
// An idle server therefore holds the few buffers its reads need, not count * size bytes.
// Incremental mode (Init's `incremental`, IOU_PBUF_RING_INC, Linux 6.12+; quietly off where the
// kernel lacks it): the kernel fills a buffer piece by piece, one completion per piece, so a
// burst of small reads (a connection storm's upgrades and subscribes) shares a few buffers
// instead of taking one each. The consumer then reads a completion's bytes at Data(bid) and
// hands them back with Consumed(bid, n, more): the buffer is recycled when the kernel is done
// with it (a completion without IORING_CQE_F_BUF_MORE). The bytes past a piece (up to the
// buffer's end and its kSlack) are readable but may be a later piece's: read ahead, never keep.
class BufferRing {
 public:
  static constexpr size_t kSlack = 64;

  BufferRing() = default;
  ~BufferRing();
  BufferRing(const BufferRing&) = delete;
  BufferRing& operator=(const BufferRing&) = delete;

  // `initial` buffers are provided at once (0 or >= count: all of them; see above).
  [[nodiscard]] int Init(Ring* ring, uint16_t group_id, uint32_t count, uint32_t size,
                         uint32_t initial = 0, bool incremental = false);

  uint16_t group_id() const { return group_id_; }
  uint32_t buffer_size() const { return size_; }
  char* Buffer(uint16_t bid) { return base_ + static_cast<size_t>(bid) * stride_; }

  bool incremental() const { return incremental_; }
  // Where the bytes of the completion that named `bid` start (Buffer(bid) unless incremental).
  char* Data(uint16_t bid) { return incremental_ ? Buffer(bid) + offsets_[bid] : Buffer(bid); }
  // A completion that named `bid` with `n` bytes was handled; `more` is its
  // IORING_CQE_F_BUF_MORE flag. Recycles the buffer once the kernel is done with it.
  void Consumed(uint16_t bid, uint32_t n, bool more) {
    if (incremental_) {
      if (more) {
        offsets_[bid] += n;
        return;
      }
      offsets_[bid] = 0;
    }
    Recycle(bid);
  }

  void Recycle(uint16_t bid);
  // Publishes the recycled buffers; grows the provided set first when this batch used all of it.
  void Commit();
  // Provides up to as many buffers again as are provided now (at most `count`); published by
  // the next Commit(). Returns false when all `count` are provided already.
  bool Grow();
  // Buffers handed to the kernel so far (their memory may be resident).
  uint32_t provided() const { return provided_; }

 private:
  Ring* ring_ = nullptr;
  io_uring_buf_ring* br_ = nullptr;
  size_t br_bytes_ = 0;
  char* base_ = nullptr;
  size_t base_bytes_ = 0;
  size_t stride_ = 0;
  uint32_t count_ = 0;
  uint32_t provided_ = 0;  // bids [0, provided_) belong to the ring; the others are untouched
  uint32_t recycled_ = 0;  // Recycle() calls since the last Commit()
  uint32_t size_ = 0;
  uint16_t group_id_ = 0;
  int pending_ = 0;
  bool incremental_ = false;
  std::vector<uint32_t> offsets_;  // incremental: bytes of each buffer already handed out
};

}  // namespace ringcast::runtime
