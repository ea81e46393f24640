// SequenceTracker implementation: the per-stream next number and the 64-bit map of the numbers
// below it that have arrived; each observation shifts or tests the map. No allocation after
// Init; the subscriber's worker thread only.
#include "ringcast-bench/sequence_tracker.h"

namespace ringcast::bench {

void SequenceTracker::Init(uint32_t streams) {
  state_ = std::make_unique<Stream[]>(streams);
  streams_ = streams;
}

SeqObservation SequenceTracker::Observe(uint32_t stream, uint64_t seq) {
  Stream& s = state_[stream];
  if (seq == s.next) {
    s.seen = (s.seen << 1) | 1;
    s.next = seq + 1;
    return {SeqVerdict::kInOrder, 0};
  }
  if (seq > s.next) {
    uint64_t skipped = seq - s.next;
    uint64_t shift = skipped + 1;
    s.seen = shift >= kWindow ? 1 : ((s.seen << shift) | 1);
    s.next = seq + 1;
    return {SeqVerdict::kAhead, skipped};
  }
  uint64_t behind = s.next - 1 - seq;  // 0: the highest number seen
  if (behind >= kWindow) return {SeqVerdict::kTooOld, 0};
  uint64_t bit = uint64_t{1} << behind;
  if ((s.seen & bit) != 0) return {SeqVerdict::kDuplicate, 0};
  s.seen |= bit;
  return {SeqVerdict::kLate, 0};
}

}  // namespace ringcast::bench
