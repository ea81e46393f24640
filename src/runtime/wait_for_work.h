// WaitForWork: the consumer's half of the Waker protocol (runtime/waker.h), written once for
// every thread that sleeps in its io_uring (net::IoLoop's shards, server::ControlPlane).
//
// One call per loop turn, after the turn's work:
//   busy (the caller already knows more work waits)  -> submit and return at once;
//   else AnnounceSleep, then re-check the inbound queues (`inbound_empty`): if something
//   arrived meanwhile, CancelSleep and return at once; else block until a completion (a wake-up
//   read of the eventfd, I/O) or `idle_wait_ms` (-1: no limit).
// The sleep flag is always cleared before returning, so producers do not write the eventfd for
// a consumer that is awake. ArmWakeRead keeps the waker's eventfd read armed in the ring: call it
// once at start and again from each of its completions (tagged `user_data`).
// Thread rules: the consumer thread that owns `ring` and consumes through `waker`.
#pragma once

#include <cstdint>

#include "runtime/ring.h"
#include "runtime/waker.h"

namespace ringcast::runtime {

// Returns the io_uring_enter result.
template <typename InboundEmpty>
int WaitForWork(Ring& ring, Waker& waker, bool busy, int64_t idle_wait_ms,
                InboundEmpty&& inbound_empty) {
  int64_t wait_ms = 0;
  if (!busy) {
    waker.AnnounceSleep();
    if (inbound_empty()) {
      wait_ms = idle_wait_ms;
    } else {
      waker.CancelSleep();
    }
  }
  int rc = ring.SubmitAndWait(1, wait_ms);
  waker.CancelSleep();
  return rc;
}

// Queues the read of `waker`'s eventfd into `*buf` (which must outlive the read).
inline void ArmWakeRead(Ring& ring, Waker& waker, uint64_t* buf, uint64_t user_data) {
  io_uring_sqe* sqe = ring.Sqe();
  io_uring_prep_read(sqe, waker.fd(), buf, sizeof *buf, 0);
  io_uring_sqe_set_data64(sqe, user_data);
}

}  // namespace ringcast::runtime
