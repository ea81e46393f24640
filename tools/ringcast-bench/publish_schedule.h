// PublishSchedule: when each event of one publisher is meant to be sent.
//
// Fixed rate R over P publishers: event k of publisher p is due at
//   t0 + (k * P + p) / R seconds,
// so publishers interleave evenly and the total is R events per second. Nothing is due at or
// after `end`. The due time is the intended send time that goes into the payload: a publisher
// that falls behind (the server is slow to answer, or the bench is) still stamps the time the
// event should have left, so latency includes the wait (no coordinated omission).
// Max rate (R = 0): every event is due at once until `end`; its time is the moment it is sent.
// Pure arithmetic; single-threaded (the publisher's worker).
#pragma once

#include <cstdint>

namespace ringcast::bench {

class PublishSchedule {
 public:
  void Init(uint32_t publisher, uint32_t publishers, double rate, uint64_t t0_ns, uint64_t end_ns);

  bool fixed() const { return rate_ > 0; }
  uint64_t next() const { return next_; }
  void Advance(uint64_t n) { next_ += n; }

  // Fixed rate: the intended send time of event k.
  uint64_t Intended(uint64_t k) const;
  // Fixed rate: events in the whole schedule (due before end).
  uint64_t total() const { return total_; }
  // Events not yet taken that are due at `now` (fixed), or a large number before `end` (max).
  uint64_t Due(uint64_t now) const;
  // Events not yet taken before the end (fixed); UINT64_MAX at max rate before the end.
  uint64_t Remaining(uint64_t now) const;
  // No event can be taken any more.
  bool Over(uint64_t now) const;

 private:
  // Events k >= 0 with Intended(k) <= t.
  uint64_t CountUpTo(uint64_t t) const;

  double rate_ = 0;
  double period_ns_ = 0;  // 1e9 / rate
  uint64_t t0_ = 0;
  uint64_t end_ = 0;
  uint64_t next_ = 0;
  uint64_t total_ = 0;
  uint32_t publisher_ = 0;
  uint32_t publishers_ = 1;
};

}  // namespace ringcast::bench
