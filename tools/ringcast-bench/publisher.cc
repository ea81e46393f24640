// Publisher implementation: starting the schedule, handing out due events (whole batches at a
// fixed rate, or whatever is due with --batch-due) with their per-(publisher, channel) sequence numbers and send times, the next
// wake-up time, and the end-of-run accounting (unsent events, publishers done).
// Worker thread only.
#include "ringcast-bench/publisher.h"

#include "ringcast-bench/worker.h"

namespace ringcast::bench {

Publisher::Publisher(Worker* worker, uint32_t index)
    : worker_(worker), sequence_(worker->plan().channel_count(), 0), index_(index) {}

void Publisher::Begin(uint64_t t0_ns, uint64_t end_ns) {
  const BenchOptions& o = worker_->options();
  schedule_.Init(index_, o.publishers, o.rate, t0_ns, end_ns);
  publishing_ = true;
}

size_t Publisher::TakeDue(uint64_t now_ns, uint32_t max, std::vector<PlannedEvent>* out) {
  if (!publishing_ || done_ || schedule_.Over(now_ns)) return 0;
  uint64_t due = schedule_.Due(now_ns);
  if (due == 0) return 0;
  uint64_t n = due < max ? due : max;
  if (schedule_.fixed() && !worker_->options().batch_due && n < max &&
      n < schedule_.Remaining(now_ns)) {
    return 0;  // whole batches
  }
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t k = schedule_.next() + i;
    uint32_t channel = worker_->plan().channel_of_event(index_, k);
    uint64_t sent = schedule_.fixed() ? schedule_.Intended(k) : now_ns;
    out->push_back({channel, sequence_[channel]++, sent});
  }
  schedule_.Advance(n);
  return static_cast<size_t>(n);
}

uint64_t Publisher::NextDue(uint32_t batch) const {
  if (!publishing_ || done_ || !schedule_.fixed()) return UINT64_MAX;
  if (worker_->options().batch_due) batch = 1;  // the first due event is reason enough
  uint64_t remaining =
      schedule_.total() > schedule_.next() ? schedule_.total() - schedule_.next() : 0;
  if (remaining == 0) return worker_->end_ns();
  uint64_t last = schedule_.next() + (batch < remaining ? batch : remaining) - 1;
  return schedule_.Intended(last);
}

void Publisher::MarkDone(uint64_t now_ns) {
  if (done_) return;
  done_ = true;
  publishing_ = false;
  if (schedule_.fixed()) worker_->stats().unsent += schedule_.Remaining(now_ns);
  Bump(worker_->live().publishers_done);
}

}  // namespace ringcast::bench
