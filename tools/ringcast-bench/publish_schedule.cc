// PublishSchedule implementation: the interleaved fixed-rate slots (slot k*P+p at t0 + slot/R),
// counting events due by a time (a floating-point estimate corrected with exact comparisons),
// and the end of the schedule. Pure arithmetic; see publish_schedule.h.
#include "ringcast-bench/publish_schedule.h"

#include <cmath>

namespace ringcast::bench {

void PublishSchedule::Init(uint32_t publisher, uint32_t publishers, double rate, uint64_t t0_ns,
                           uint64_t end_ns) {
  publisher_ = publisher;
  publishers_ = publishers == 0 ? 1 : publishers;
  rate_ = rate;
  period_ns_ = rate > 0 ? 1e9 / rate : 0;
  t0_ = t0_ns;
  end_ = end_ns;
  next_ = 0;
  total_ = rate > 0 && end_ns > t0_ns ? CountUpTo(end_ns - 1) : 0;
}

uint64_t PublishSchedule::Intended(uint64_t k) const {
  double slot = static_cast<double>(k) * publishers_ + publisher_;
  return t0_ + static_cast<uint64_t>(slot * period_ns_);
}

uint64_t PublishSchedule::CountUpTo(uint64_t t) const {
  if (t < t0_) return 0;
  double slots = static_cast<double>(t - t0_) / period_ns_;  // slot index reached
  double k = std::floor((slots - publisher_) / publishers_);
  if (k < 0) return Intended(0) <= t ? 1 : 0;
  uint64_t n = static_cast<uint64_t>(k) + 1;
  // Correct the floating-point estimate with exact comparisons.
  while (n > 0 && Intended(n - 1) > t) --n;
  while (Intended(n) <= t) ++n;
  return n;
}

uint64_t PublishSchedule::Due(uint64_t now) const {
  if (!fixed()) return now < end_ ? UINT64_MAX : 0;
  uint64_t upto = CountUpTo(now < end_ ? now : end_ - 1);
  if (upto > total_) upto = total_;
  return upto > next_ ? upto - next_ : 0;
}

uint64_t PublishSchedule::Remaining(uint64_t now) const {
  if (!fixed()) return now < end_ ? UINT64_MAX : 0;
  return total_ > next_ ? total_ - next_ : 0;
}

bool PublishSchedule::Over(uint64_t now) const {
  if (now >= end_) return true;
  return fixed() && next_ >= total_;
}

}  // namespace ringcast::bench
