// OutQueue: the frames waiting to be written to one connection, in order.
//
// Owns: the LocalFrame pointers (each holding one reference) and the offset of the first unsent
// byte in the front frame. One frame is held inline; a second makes a heap ring (a power of two,
// doubling), which is freed as soon as the queue drains: an empty queue holds no heap block (an
// idle connection pays nothing for its queue), and a connection that gets one frame per write
// never allocates.
// FillIov() describes the unsent bytes as iovecs for one writev/sendmsg; Consume(n) drops what
// the kernel took and releases fully written frames. bytes() is what the slow-consumer cap is
// checked against. set_account() makes the queue add a frame's size to a shared (shard-wide)
// counter while at least one queue holds it: the bytes of distinct queued frames.
// Thread rules: the owning shard's thread only.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>

#include "net/local_frame.h"

namespace ringcast::net {

class OutQueue {
 public:
  OutQueue() = default;
  ~OutQueue() { Clear(); }
  OutQueue(const OutQueue&) = delete;
  OutQueue& operator=(const OutQueue&) = delete;

  // Counts queued frames into `*total` (see above); set while the queue is empty.
  void set_account(size_t* total) { account_ = total; }

  // Appends `frame`, taking one reference (the caller's Ref()).
  void Push(LocalFrame* frame);

  bool empty() const { return count_ == 0; }
  size_t bytes() const { return bytes_; }
  uint32_t frames() const { return count_; }

  // Fills up to `max` iovecs with unsent bytes from the front; returns how many.
  int FillIov(iovec* iov, int max) const;

  // The kernel took `n` bytes from the front. Returns how many frames were completed.
  uint32_t Consume(size_t n);

  // Drops everything (connection closing). Only when no write is in flight.
  void Clear();

  // Releases every frame after the first `keep` (those may be referenced by an in-flight write,
  // or be partly written). Used when a slow consumer is cut off.
  void DropAfter(uint32_t keep);

  // Entries of the heap ring (0: none, the queue is inline: empty or one frame).
  uint32_t ring_capacity() const { return cap_; }

  // True when the front frame is partly written.
  bool front_partial() const { return offset_ != 0; }

 private:
  void Grow();
  void FreeRing();
  LocalFrame*& At(uint32_t i) { return cap_ == 0 ? one_ : ring_[(head_ + i) & (cap_ - 1)]; }
  LocalFrame* At(uint32_t i) const { return cap_ == 0 ? one_ : ring_[(head_ + i) & (cap_ - 1)]; }
  void Release(LocalFrame* f) {
    if (f->Dequeued() && account_ != nullptr) *account_ -= f->size();
    f->Unref();
  }

  union {
    LocalFrame* one_ = nullptr;  // cap_ == 0: the one inline entry (count_ <= 1)
    LocalFrame** ring_;          // cap_ > 0: heap ring of cap_ entries
  };
  uint32_t cap_ = 0;     // 0: inline; else a power of two >= 8
  uint32_t head_ = 0;    // ring index of the front entry (0 while inline)
  uint32_t count_ = 0;
  uint32_t offset_ = 0;  // bytes of the front frame already written
  size_t bytes_ = 0;     // unsent bytes in total
  size_t* account_ = nullptr;
};

}  // namespace ringcast::net
