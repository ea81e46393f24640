#include "runtime/ring.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "util/log.h"

#ifndef IOU_PBUF_RING_INC
#define IOU_PBUF_RING_INC 2  // Linux 6.12 (liburing 2.8)
#endif

namespace ringcast::runtime {

Ring::~Ring() {
  if (initialized_) io_uring_queue_exit(&ring_);
}

int Ring::Init(unsigned entries) {
  io_uring_params params;
  std::memset(&params, 0, sizeof params);
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
  // Room for one completion per connection written in a turn before the kernel must spill.
  params.cq_entries = entries * 16;
  int rc = io_uring_queue_init_params(entries, &ring_, &params);
  if (rc == -EINVAL) {
    // Older kernels: fall back to a plain ring with cooperative task running.
    std::memset(&params, 0, sizeof params);
    params.flags = IORING_SETUP_CQSIZE;
    params.cq_entries = entries * 16;
    rc = io_uring_queue_init_params(entries, &ring_, &params);
  }
  if (rc < 0) return rc;
  initialized_ = true;
  io_uring_register_ring_fd(&ring_);  // fewer fd lookups per enter; optional
  return 0;
}

io_uring_sqe* Ring::Sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  while (sqe == nullptr) {
    Submit();
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

int Ring::Submit() {
  ++enter_calls_;
  return io_uring_submit(&ring_);
}

int Ring::SubmitAndWait(unsigned wait_nr, int64_t timeout_ms) {
  ++enter_calls_;
  if (wait_nr == 0 || timeout_ms == 0) return io_uring_submit(&ring_);
  if (timeout_ms < 0) return io_uring_submit_and_wait(&ring_, wait_nr);
  __kernel_timespec ts;
  ts.tv_sec = timeout_ms / 1000;
  ts.tv_nsec = (timeout_ms % 1000) * 1000000;
  io_uring_cqe* cqe = nullptr;
  int rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, wait_nr, &ts, nullptr);
  return rc == -ETIME ? 0 : rc;
}

BufferRing::~BufferRing() {
  if (br_ != nullptr) {
    if (ring_ != nullptr) io_uring_unregister_buf_ring(ring_->raw(), group_id_);
    munmap(br_, br_bytes_);
  }
  if (base_ != nullptr) munmap(base_, base_bytes_);
}

int BufferRing::Init(Ring* ring, uint16_t group_id, uint32_t count, uint32_t size,
                     uint32_t initial, bool incremental) {
  RC_CHECK(count > 0 && (count & (count - 1)) == 0 && count <= 32768);
  ring_ = ring;
  group_id_ = group_id;
  count_ = count;
  size_ = size;
  stride_ = (size + kSlack + 63) & ~size_t{63};
  br_bytes_ = sizeof(io_uring_buf) * count;
  void* mem = mmap(nullptr, br_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) return -errno;
  br_ = static_cast<io_uring_buf_ring*>(mem);
  base_bytes_ = stride_ * count;
  mem = mmap(nullptr, base_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) return -errno;
  base_ = static_cast<char*>(mem);

  io_uring_buf_reg reg;
  std::memset(&reg, 0, sizeof reg);
  reg.ring_addr = reinterpret_cast<uint64_t>(br_);
  reg.ring_entries = count;
  reg.bgid = group_id;
  int rc = -EINVAL;
  if (incremental) {
    reg.pad = IOU_PBUF_RING_INC;  // the kernel's `flags` (liburing 2.3 names it pad)
    rc = io_uring_register_buf_ring(ring->raw(), &reg, 0);
    incremental_ = rc == 0;
    reg.pad = 0;
  }
  if (!incremental_) rc = io_uring_register_buf_ring(ring->raw(), &reg, 0);
  if (rc < 0) {
    munmap(br_, br_bytes_);
    br_ = nullptr;
    return rc;
  }
  if (incremental_) offsets_.assign(count, 0);
  io_uring_buf_ring_init(br_);
  provided_ = initial == 0 || initial >= count ? count : initial;
  for (uint32_t i = 0; i < provided_; ++i) {
    io_uring_buf_ring_add(br_, Buffer(static_cast<uint16_t>(i)), size, static_cast<uint16_t>(i),
                          io_uring_buf_ring_mask(count), static_cast<int>(i));
  }
  io_uring_buf_ring_advance(br_, static_cast<int>(provided_));
  return 0;
}

void BufferRing::Recycle(uint16_t bid) {
  io_uring_buf_ring_add(br_, Buffer(bid), size_, bid, io_uring_buf_ring_mask(count_), pending_);
  ++pending_;
  ++recycled_;
}

bool BufferRing::Grow() {
  if (provided_ >= count_) return false;
  uint32_t target = provided_ * 2 < count_ ? provided_ * 2 : count_;
  for (uint32_t bid = provided_; bid < target; ++bid) {
    io_uring_buf_ring_add(br_, Buffer(static_cast<uint16_t>(bid)), size_,
                          static_cast<uint16_t>(bid), io_uring_buf_ring_mask(count_), pending_);
    ++pending_;
  }
  provided_ = target;
  return true;
}

void BufferRing::Commit() {
  if (recycled_ >= provided_) Grow();  // the batch used every buffer: the next may run dry
  recycled_ = 0;
  if (pending_ == 0) return;
  io_uring_buf_ring_advance(br_, pending_);
  pending_ = 0;
}

}  // namespace ringcast::runtime
