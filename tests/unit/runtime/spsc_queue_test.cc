// Tests for src/runtime/spsc_queue.h on one thread: FIFO order, the capacity, a full queue
// refusing pushes and counting each refusal, PopBatch limits, index wrap-around, and the
// producer's and metrics' views (FreeSlots, SizeApprox, Empty).
#include "runtime/spsc_queue.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace ringcast::runtime {
namespace {

struct Msg {
  uint32_t kind;
  uint64_t value;
  void* ptr;
};

TEST(SpscQueue, PopsInPushOrder) {
  SpscQueue<uint64_t, 16> q;
  for (uint64_t i = 1; i <= 10; ++i) ASSERT_TRUE(q.TryPush(i * 7));
  for (uint64_t i = 1; i <= 10; ++i) {
    uint64_t v = 0;
    ASSERT_TRUE(q.TryPop(&v));
    EXPECT_EQ(v, i * 7);
  }
  uint64_t v = 99;
  EXPECT_FALSE(q.TryPop(&v));
  EXPECT_EQ(v, 99u);
}

TEST(SpscQueue, CopiesWholeMessages) {
  SpscQueue<Msg, 4> q;
  int x = 0;
  ASSERT_TRUE(q.TryPush({3, 0x1122334455667788ull, &x}));
  Msg out{};
  ASSERT_TRUE(q.TryPop(&out));
  EXPECT_EQ(out.kind, 3u);
  EXPECT_EQ(out.value, 0x1122334455667788ull);
  EXPECT_EQ(out.ptr, &x);
}

TEST(SpscQueue, HoldsExactlyCapacityMessages) {
  SpscQueue<int, 8> q;
  EXPECT_EQ(q.capacity(), 8u);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(q.TryPush(i)) << i;
  EXPECT_EQ(q.SizeApprox(), 8u);
  EXPECT_EQ(q.FreeSlots(), 0u);
  EXPECT_FALSE(q.TryPush(8));
}

TEST(SpscQueue, FullQueueRefusesPushAndCountsIt) {
  SpscQueue<int, 4> q;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(q.TryPush(i));
  EXPECT_EQ(q.full_count(), 0u);
  EXPECT_FALSE(q.TryPush(100));
  EXPECT_EQ(q.full_count(), 1u);
  EXPECT_FALSE(q.TryPush(101));
  EXPECT_FALSE(q.TryPush(102));
  EXPECT_EQ(q.full_count(), 3u);
  // The refused messages were not stored: the queue still holds 0..3, and one pop makes room
  // for exactly one more.
  int v = -1;
  ASSERT_TRUE(q.TryPop(&v));
  EXPECT_EQ(v, 0);
  EXPECT_TRUE(q.TryPush(4));
  EXPECT_FALSE(q.TryPush(5));
  EXPECT_EQ(q.full_count(), 4u);
  std::vector<int> rest;
  while (q.TryPop(&v)) rest.push_back(v);
  EXPECT_EQ(rest, (std::vector<int>{1, 2, 3, 4}));
}

TEST(SpscQueue, PopBatchAfterAPartialPopReturnsTheSeenRestThenTheNewer) {
  // The consumer caches the producer's index: messages it has already seen come first, and a
  // later call refreshes the cache. Nothing is lost or reordered; DrainInbound's re-check after
  // AnnounceSleep (Empty() reads the real index) picks up the newer ones.
  SpscQueue<int, 8> q;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(q.TryPush(i));
  int out[8];
  ASSERT_EQ(q.PopBatch(out, 1), 1u);
  EXPECT_EQ(out[0], 0);
  ASSERT_TRUE(q.TryPush(4));
  ASSERT_TRUE(q.TryPush(5));
  ASSERT_EQ(q.PopBatch(out, 8), 3u);
  EXPECT_EQ(out[0], 1);
  EXPECT_EQ(out[2], 3);
  EXPECT_FALSE(q.Empty());
  ASSERT_EQ(q.PopBatch(out, 8), 2u);
  EXPECT_EQ(out[0], 4);
  EXPECT_EQ(out[1], 5);
  EXPECT_TRUE(q.Empty());
}

TEST(SpscQueue, PopBatchStopsAtMax) {
  SpscQueue<int, 16> q;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(q.TryPush(i));
  int out[16] = {};
  ASSERT_EQ(q.PopBatch(out, 4), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(out[i], i);
  ASSERT_EQ(q.PopBatch(out, 1), 1u);
  EXPECT_EQ(out[0], 4);
  EXPECT_EQ(q.SizeApprox(), 5u);
}

TEST(SpscQueue, PopBatchReturnsOnlyWhatIsQueued) {
  SpscQueue<int, 16> q{};  // value-initialized: GCC cannot see that empty slots are never read
  int out[16];
  for (int& o : out) o = -1;
  EXPECT_EQ(q.PopBatch(out, 16), 0u);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(q.TryPush(10 + i));
  ASSERT_EQ(q.PopBatch(out, 16), 3u);
  EXPECT_EQ(out[0], 10);
  EXPECT_EQ(out[1], 11);
  EXPECT_EQ(out[2], 12);
  EXPECT_EQ(out[3], -1);  // nothing written past what was popped
  EXPECT_EQ(q.PopBatch(out, 16), 0u);
  EXPECT_EQ(q.PopBatch(out, 0), 0u);
}

TEST(SpscQueue, PopBatchWithZeroMaxTakesNothing) {
  SpscQueue<int, 4> q;
  ASSERT_TRUE(q.TryPush(1));
  int out[1] = {-1};
  EXPECT_EQ(q.PopBatch(out, 0), 0u);
  EXPECT_EQ(out[0], -1);
  EXPECT_EQ(q.SizeApprox(), 1u);
  EXPECT_TRUE(q.TryPop(&out[0]));
  EXPECT_EQ(out[0], 1);
}

TEST(SpscQueue, PopBatchSeesPushesMadeAfterItsCachedTail) {
  SpscQueue<int, 8> q;
  int out[8];
  ASSERT_TRUE(q.TryPush(1));
  ASSERT_EQ(q.PopBatch(out, 8), 1u);
  ASSERT_TRUE(q.TryPush(2));
  ASSERT_TRUE(q.TryPush(3));
  ASSERT_EQ(q.PopBatch(out, 8), 2u);
  EXPECT_EQ(out[0], 2);
  EXPECT_EQ(out[1], 3);
}

TEST(SpscQueue, WrapsAroundManyTimesKeepingOrder) {
  SpscQueue<uint64_t, 8> q;
  uint64_t next_push = 0;
  uint64_t next_pop = 0;
  uint64_t out[8];
  // Uneven push/pop sizes so the head and tail cross the array end at every offset.
  for (int round = 0; round < 5000; ++round) {
    size_t pushes = 1 + (round * 5) % 8;
    for (size_t i = 0; i < pushes; ++i) {
      if (!q.TryPush(next_push)) break;
      ++next_push;
    }
    size_t n = q.PopBatch(out, 1 + (round * 3) % 8);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], next_pop++) << "round " << round;
  }
  size_t n;
  while ((n = q.PopBatch(out, 8)) > 0) {
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], next_pop++);
  }
  EXPECT_EQ(next_pop, next_push);
  EXPECT_GT(next_push, 8u * 1000);
  EXPECT_TRUE(q.Empty());
}

TEST(SpscQueue, FullAfterWrapStillHoldsExactlyCapacity) {
  SpscQueue<int, 4> q;
  int v;
  for (int i = 0; i < 6; ++i) {  // move head and tail to offset 2 (mod 4)
    ASSERT_TRUE(q.TryPush(i));
    ASSERT_TRUE(q.TryPop(&v));
  }
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(q.TryPush(100 + i));
  EXPECT_FALSE(q.TryPush(104));
  EXPECT_EQ(q.full_count(), 1u);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(q.TryPop(&v));
    EXPECT_EQ(v, 100 + i);
  }
  EXPECT_FALSE(q.TryPop(&v));
}

TEST(SpscQueue, EmptyAndSizeTrackPushesAndPops) {
  SpscQueue<int, 8> q;
  EXPECT_TRUE(q.Empty());
  EXPECT_EQ(q.SizeApprox(), 0u);
  EXPECT_EQ(q.FreeSlots(), 8u);
  ASSERT_TRUE(q.TryPush(1));
  ASSERT_TRUE(q.TryPush(2));
  ASSERT_TRUE(q.TryPush(3));
  EXPECT_FALSE(q.Empty());
  EXPECT_EQ(q.SizeApprox(), 3u);
  EXPECT_EQ(q.FreeSlots(), 5u);
  int out[2];
  ASSERT_EQ(q.PopBatch(out, 2), 2u);
  EXPECT_EQ(q.SizeApprox(), 1u);
  EXPECT_EQ(q.FreeSlots(), 7u);
  ASSERT_EQ(q.PopBatch(out, 2), 1u);
  EXPECT_TRUE(q.Empty());
  EXPECT_EQ(q.full_count(), 0u);
}

}  // namespace
}  // namespace ringcast::runtime
