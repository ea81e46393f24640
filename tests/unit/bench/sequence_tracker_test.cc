// Tests for SequenceTracker (tools/ringcast-bench/sequence_tracker.h): the verdicts for
// in-order, dropped, swapped, duplicated and very late sequence numbers, the 64-number window,
// and independent streams per publisher.
#include "ringcast-bench/sequence_tracker.h"

#include <gtest/gtest.h>

#include <vector>

namespace ringcast::bench {
namespace {

struct Tally {
  uint64_t unique = 0;
  uint64_t ahead = 0;
  uint64_t skipped = 0;
  uint64_t late = 0;
  uint64_t duplicates = 0;
  uint64_t too_old = 0;
};

Tally Feed(SequenceTracker* t, uint32_t stream, const std::vector<uint64_t>& seqs) {
  Tally r;
  for (uint64_t s : seqs) {
    SeqObservation o = t->Observe(stream, s);
    switch (o.verdict) {
      case SeqVerdict::kInOrder:
        ++r.unique;
        break;
      case SeqVerdict::kAhead:
        ++r.unique;
        ++r.ahead;
        r.skipped += o.skipped;
        break;
      case SeqVerdict::kLate:
        ++r.unique;
        ++r.late;
        break;
      case SeqVerdict::kDuplicate:
        ++r.duplicates;
        break;
      case SeqVerdict::kTooOld:
        ++r.unique;
        ++r.too_old;
        break;
    }
  }
  return r;
}

TEST(SequenceTracker, InOrderStreamHasNoFindings) {
  SequenceTracker t;
  t.Init(1);
  Tally r = Feed(&t, 0, {0, 1, 2, 3, 4});
  EXPECT_EQ(r.unique, 5u);
  EXPECT_EQ(r.ahead + r.late + r.duplicates + r.too_old, 0u);
  EXPECT_EQ(t.next(0), 5u);
}

TEST(SequenceTracker, DropAndSwapAreBothReported) {
  // 10 published; 4 dropped; 6 and 7 swapped: lost = 10 - unique = 1, one late arrival.
  SequenceTracker t;
  t.Init(1);
  Tally r = Feed(&t, 0, {0, 1, 2, 3, 5, 7, 6, 8, 9});
  EXPECT_EQ(r.unique, 9u);
  EXPECT_EQ(10 - r.unique, 1u);
  EXPECT_EQ(r.late, 1u);
  EXPECT_EQ(r.ahead, 2u);  // at 5 (4 missing) and at 7 (6 not yet there)
  EXPECT_EQ(r.skipped, 2u);
  EXPECT_EQ(r.duplicates, 0u);
}

TEST(SequenceTracker, FirstMessageMissingIsAGap) {
  SequenceTracker t;
  t.Init(1);
  Tally r = Feed(&t, 0, {1, 2});
  EXPECT_EQ(r.ahead, 1u);
  EXPECT_EQ(r.skipped, 1u);
}

TEST(SequenceTracker, DuplicatesAreNotCountedAsDeliveries) {
  SequenceTracker t;
  t.Init(1);
  Tally r = Feed(&t, 0, {0, 1, 1, 2, 0, 2});
  EXPECT_EQ(r.unique, 3u);
  EXPECT_EQ(r.duplicates, 3u);
}

TEST(SequenceTracker, LateArrivalThenItsDuplicate) {
  SequenceTracker t;
  t.Init(1);
  Tally r = Feed(&t, 0, {0, 2, 1, 1});
  EXPECT_EQ(r.late, 1u);
  EXPECT_EQ(r.duplicates, 1u);
  EXPECT_EQ(r.unique, 3u);
}

TEST(SequenceTracker, WindowReachesBack63Numbers) {
  SequenceTracker t;
  t.Init(1);
  std::vector<uint64_t> seqs;
  for (uint64_t s = 1; s <= 63; ++s) seqs.push_back(s);  // 0 missing, 63 behind the highest
  Tally r = Feed(&t, 0, seqs);
  EXPECT_EQ(r.ahead, 1u);
  EXPECT_EQ(t.Observe(0, 0).verdict, SeqVerdict::kLate);
  EXPECT_EQ(t.Observe(0, 0).verdict, SeqVerdict::kDuplicate);
  EXPECT_EQ(t.Observe(0, 64).verdict, SeqVerdict::kInOrder);
  // Now 0 is 64 behind the highest: outside the window.
  EXPECT_EQ(t.Observe(0, 0).verdict, SeqVerdict::kTooOld);
}

TEST(SequenceTracker, LongJumpClearsTheWindow) {
  SequenceTracker t;
  t.Init(1);
  EXPECT_EQ(t.Observe(0, 0).verdict, SeqVerdict::kInOrder);
  SeqObservation o = t.Observe(0, 1000);
  EXPECT_EQ(o.verdict, SeqVerdict::kAhead);
  EXPECT_EQ(o.skipped, 999u);
  EXPECT_EQ(t.Observe(0, 990).verdict, SeqVerdict::kLate);
  EXPECT_EQ(t.Observe(0, 1000).verdict, SeqVerdict::kDuplicate);
  EXPECT_EQ(t.Observe(0, 500).verdict, SeqVerdict::kTooOld);
}

TEST(SequenceTracker, StreamsAreIndependent) {
  SequenceTracker t;
  t.Init(3);
  EXPECT_EQ(t.Observe(0, 0).verdict, SeqVerdict::kInOrder);
  EXPECT_EQ(t.Observe(2, 0).verdict, SeqVerdict::kInOrder);
  EXPECT_EQ(t.Observe(2, 1).verdict, SeqVerdict::kInOrder);
  EXPECT_EQ(t.Observe(1, 0).verdict, SeqVerdict::kInOrder);
  EXPECT_EQ(t.Observe(0, 1).verdict, SeqVerdict::kInOrder);
  EXPECT_EQ(t.next(0), 2u);
  EXPECT_EQ(t.next(1), 1u);
  EXPECT_EQ(t.next(2), 2u);
}

}  // namespace
}  // namespace ringcast::bench
