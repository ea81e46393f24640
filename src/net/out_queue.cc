#include "net/out_queue.h"

#include <cstdlib>
#include <cstring>

#include "util/log.h"

namespace ringcast::net {

void OutQueue::Grow() {
  uint32_t new_cap = cap_ == 0 ? 8 : cap_ * 2;  // one allocation for a typical batch
  auto* ring = static_cast<LocalFrame**>(std::malloc(sizeof(LocalFrame*) * new_cap));
  RC_CHECK(ring != nullptr);
  for (uint32_t i = 0; i < count_; ++i) ring[i] = At(i);
  if (cap_ != 0) std::free(ring_);
  ring_ = ring;
  cap_ = new_cap;
  head_ = 0;
}

void OutQueue::FreeRing() {
  if (cap_ != 0) std::free(ring_);
  one_ = nullptr;
  cap_ = 0;
  head_ = 0;
}

void OutQueue::Push(LocalFrame* frame) {
  if (count_ == (cap_ == 0 ? 1u : cap_)) Grow();
  At(count_) = frame;
  ++count_;
  bytes_ += frame->size();
  if (frame->Enqueued() && account_ != nullptr) *account_ += frame->size();
}

int OutQueue::FillIov(iovec* iov, int max) const {
  int n = 0;
  for (uint32_t i = 0; i < count_ && n < max; ++i) {
    const LocalFrame* f = At(i);
    uint32_t skip = i == 0 ? offset_ : 0;
    iov[n].iov_base = const_cast<char*>(f->data()) + skip;
    iov[n].iov_len = f->size() - skip;
    ++n;
  }
  return n;
}

uint32_t OutQueue::Consume(size_t n) {
  RC_CHECK(n <= bytes_);
  bytes_ -= n;
  uint32_t done = 0;
  while (n > 0) {
    LocalFrame* f = At(0);
    size_t left = f->size() - offset_;
    if (n < left) {
      offset_ += static_cast<uint32_t>(n);
      return done;
    }
    ++done;
    n -= left;
    offset_ = 0;
    Release(f);
    if (cap_ != 0) head_ = (head_ + 1) & (cap_ - 1);
    --count_;
  }
  if (count_ == 0) FreeRing();  // drained: an empty queue holds no heap block
  return done;
}

void OutQueue::DropAfter(uint32_t keep) {
  RC_CHECK(keep > 0 || offset_ == 0);
  while (count_ > keep) {
    LocalFrame* f = At(count_ - 1);
    bytes_ -= f->size();
    Release(f);
    --count_;
  }
  if (count_ == 0) FreeRing();
}

void OutQueue::Clear() {
  for (uint32_t i = 0; i < count_; ++i) Release(At(i));
  FreeRing();
  count_ = 0;
  offset_ = 0;
  bytes_ = 0;
}

}  // namespace ringcast::net
