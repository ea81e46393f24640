#include "runtime/waker.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include "util/log.h"

namespace ringcast::runtime {

Waker::Waker() {
  fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  RC_CHECK(fd_ >= 0);
}

Waker::~Waker() {
  if (fd_ >= 0) close(fd_);
}

void Waker::Signal() {
  wakes_.fetch_add(1, std::memory_order_relaxed);
  uint64_t one = 1;
  ssize_t n = write(fd_, &one, sizeof one);
  (void)n;  // EAGAIN only when the counter is saturated: the consumer is awake anyway.
}

}  // namespace ringcast::runtime
