// SequenceTracker: per-subscriber bookkeeping that notices lost, reordered and duplicated
// messages, one stream per publisher (a subscriber listens on one channel, so a publisher id
// names the (publisher, channel) stream).
//
// Owns: 16 bytes per stream, allocated once (Init) when the subscription succeeds. Each stream
// keeps the next expected sequence number and a 64-bit map of which of the 64 sequence numbers
// below it have arrived. Single-threaded (the subscriber's worker). Observe never allocates.
// Verdicts: kInOrder (seq == next), kAhead (seq > next: the `skipped` numbers in between have
// not arrived yet, a gap), kLate (an earlier number that had been skipped arrives: out of
// order), kDuplicate (an earlier number arrives again), kTooOld (more than 64 behind: cannot
// tell late from duplicate; counted as out of order). Every verdict but kDuplicate is a new
// message; lost messages are counted by the caller as expected - unique, which also catches
// messages missing at the tail, where no later number reveals the gap.
#pragma once

#include <cstdint>
#include <memory>

namespace ringcast::bench {

enum class SeqVerdict : uint8_t { kInOrder, kAhead, kLate, kDuplicate, kTooOld };

struct SeqObservation {
  SeqVerdict verdict;
  uint64_t skipped;  // kAhead: how many numbers were jumped over
};

class SequenceTracker {
 public:
  static constexpr uint64_t kWindow = 64;

  SequenceTracker() = default;

  // Sizes the tracker for `streams` publishers, all expecting sequence 0 first.
  void Init(uint32_t streams);
  uint32_t streams() const { return streams_; }
  bool initialized() const { return state_ != nullptr; }

  // `stream` must be < streams().
  SeqObservation Observe(uint32_t stream, uint64_t seq);

  // The next number expected on `stream` (one past the highest seen).
  uint64_t next(uint32_t stream) const { return state_[stream].next; }

 private:
  struct Stream {
    uint64_t next = 0;  // one past the highest sequence number seen
    uint64_t seen = 0;  // bit i: sequence number next-1-i has arrived
  };
  std::unique_ptr<Stream[]> state_;
  uint32_t streams_ = 0;
};

}  // namespace ringcast::bench
