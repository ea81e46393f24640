// Tests for src/net/out_queue and src/net/local_frame: iovecs describe exactly the unsent bytes,
// Consume walks across frame boundaries and partial writes and releases each frame once it is
// fully written, the ring grows (also while wrapped) without reordering, DropAfter keeps the
// frames an in-flight write may reference, Clear and the destructor release every reference; an
// empty queue holds no heap ring and a single frame stays inline.
// Each frame carries an extra test reference, so its refs() shows whether the queue let go.
#include "net/out_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "net/local_frame.h"
#include "runtime/shared_buf.h"

namespace ringcast::net {
namespace {

// Unref out of GCC's sight: inlined, a possible Destroy() makes -Wuse-after-free flag the test's
// later reads of frames it still holds a reference to (ASan checks the real thing).
[[gnu::noinline]] void Unref(LocalFrame* f) { f->Unref(); }

// Frames the test keeps one reference to (released in the destructor).
class Frames {
 public:
  ~Frames() {
    for (LocalFrame* f : frames_) Unref(f);
  }
  // A new frame with one reference for the test and one for the queue it is pushed to.
  LocalFrame* Make(std::string_view bytes) {
    LocalFrame* f = LocalFrame::Copy(bytes);
    frames_.push_back(f);
    f->Ref();
    return f;
  }
  LocalFrame* operator[](size_t i) const { return frames_[i]; }

 private:
  std::vector<LocalFrame*> frames_;
};

std::string IovText(const iovec* iov, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    s.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
    s.push_back('|');
  }
  return s;
}

std::string Unsent(const OutQueue& q) {
  iovec iov[256];
  return IovText(iov, q.FillIov(iov, 256));
}

TEST(LocalFrame, CopyOwnsItsBytesAndStartsWithOneReference) {
  std::string text = "frame bytes";
  LocalFrame* f = LocalFrame::Copy(text);
  text[0] = 'X';
  EXPECT_EQ(std::string_view(f->data(), f->size()), "frame bytes");
  EXPECT_EQ(f->refs(), 1u);
  f->Ref();
  EXPECT_EQ(f->refs(), 2u);
  Unref(f);
  EXPECT_EQ(f->refs(), 1u);
  Unref(f);  // freed (ASan checks)
}

TEST(LocalFrame, WrapGivesBackItsSharedReferenceAtTheLastUnref) {
  runtime::SharedBuf* shared = runtime::SharedBuf::Create(8, 2);  // one for us, one for the frame
  std::memcpy(shared->mutable_data(), "hdrframe", 8);
  LocalFrame* f = LocalFrame::Wrap(shared, shared->data() + 3, 5);
  EXPECT_EQ(std::string_view(f->data(), f->size()), "frame");
  f->Ref();
  f->Ref();
  Unref(f);
  Unref(f);
  EXPECT_EQ(shared->refs_for_test(), 2u);  // the frame still holds its one reference
  Unref(f);
  EXPECT_EQ(shared->refs_for_test(), 1u);  // one shared reference per shard, not per member
  shared->Release();
}

TEST(OutQueue, EmptyQueueHasNothingToWrite) {
  OutQueue q;
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
  EXPECT_EQ(q.frames(), 0u);
  iovec iov[4];
  EXPECT_EQ(q.FillIov(iov, 4), 0);
  EXPECT_EQ(q.Consume(0), 0u);
}

TEST(OutQueue, FillIovDescribesEveryFrameInOrder) {
  Frames fr;
  OutQueue q;
  q.Push(fr.Make("hello"));
  q.Push(fr.Make("abc"));
  q.Push(fr.Make("0123456789"));
  EXPECT_EQ(q.bytes(), 18u);
  EXPECT_EQ(q.frames(), 3u);
  iovec iov[8];
  ASSERT_EQ(q.FillIov(iov, 8), 3);
  EXPECT_EQ(iov[0].iov_base, fr[0]->data());
  EXPECT_EQ(iov[0].iov_len, 5u);
  EXPECT_EQ(iov[2].iov_base, fr[2]->data());  // zero copy: the frame's own bytes
  EXPECT_EQ(IovText(iov, 3), "hello|abc|0123456789|");
  ASSERT_EQ(q.FillIov(iov, 2), 2);
  EXPECT_EQ(IovText(iov, 2), "hello|abc|");
}

TEST(OutQueue, ConsumeAcrossFrameBoundariesReleasesWrittenFrames) {
  Frames fr;
  OutQueue q;
  q.Push(fr.Make("hello"));
  q.Push(fr.Make("abc"));
  q.Push(fr.Make("0123456789"));
  // The kernel took "hello" and "ab".
  EXPECT_EQ(q.Consume(7), 1u);
  EXPECT_EQ(fr[0]->refs(), 1u);  // released by the queue
  EXPECT_EQ(fr[1]->refs(), 2u);
  EXPECT_TRUE(q.front_partial());
  EXPECT_EQ(q.bytes(), 11u);
  EXPECT_EQ(q.frames(), 2u);
  EXPECT_EQ(Unsent(q), "c|0123456789|");
  // Partial writes inside one frame.
  EXPECT_EQ(q.Consume(0), 0u);
  EXPECT_EQ(q.Consume(1), 1u);
  EXPECT_FALSE(q.front_partial());
  EXPECT_EQ(fr[1]->refs(), 1u);
  EXPECT_EQ(q.Consume(4), 0u);
  EXPECT_EQ(Unsent(q), "456789|");
  EXPECT_EQ(q.Consume(5), 0u);
  EXPECT_EQ(Unsent(q), "9|");
  EXPECT_EQ(fr[2]->refs(), 2u);
  EXPECT_EQ(q.Consume(1), 1u);
  EXPECT_EQ(fr[2]->refs(), 1u);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(OutQueue, ConsumeOfEverythingCompletesEveryFrame) {
  Frames fr;
  OutQueue q;
  for (int i = 0; i < 10; ++i) q.Push(fr.Make(std::string(i + 1, 'a' + i)));
  EXPECT_EQ(q.bytes(), 55u);
  EXPECT_EQ(q.Consume(55), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(fr[i]->refs(), 1u) << i;
  EXPECT_TRUE(q.empty());
}

TEST(OutQueue, GrowsWhileWrappedKeepingOrder) {
  Frames fr;
  OutQueue q;
  std::string expected;
  int next = 0;
  auto push = [&] {
    std::string s = "f" + std::to_string(next++);
    q.Push(fr.Make(s));
    expected += s + "|";
  };
  for (int i = 0; i < 4; ++i) push();  // fills the first ring of four
  ASSERT_EQ(q.Consume(4), 2u);         // "f0", "f1": head moves to slot 2
  expected = expected.substr(std::string("f0|f1|").size());
  push();
  push();  // wraps into slots 0 and 1
  EXPECT_EQ(Unsent(q), expected);
  push();  // grows while head != 0
  for (int i = 0; i < 40; ++i) push();
  EXPECT_EQ(Unsent(q), expected);
  EXPECT_EQ(q.frames(), 45u);
}

TEST(OutQueue, ManyFramesInterleavedWithPartialWrites) {
  Frames fr;
  OutQueue q;
  std::string all;
  size_t written = 0;
  for (int i = 0; i < 300; ++i) {
    std::string s(1 + i % 17, static_cast<char>('A' + i % 26));
    q.Push(fr.Make(s));
    all += s;
    if (i % 3 == 2) {
      // A write that takes 13 bytes, whatever the frame boundaries.
      iovec iov[64];
      int n = q.FillIov(iov, 64);
      std::string unsent;
      for (int k = 0; k < n; ++k) {
        unsent.append(static_cast<const char*>(iov[k].iov_base), iov[k].iov_len);
      }
      ASSERT_EQ(unsent, all.substr(written, unsent.size())) << i;
      size_t take = std::min<size_t>(13, q.bytes());
      q.Consume(take);
      written += take;
    }
  }
  EXPECT_EQ(q.bytes(), all.size() - written);
  q.Consume(q.bytes());
  for (int i = 0; i < 300; ++i) ASSERT_EQ(fr[i]->refs(), 1u) << i;
}

TEST(OutQueue, DropAfterKeepsInFlightFramesAndReleasesTheRest) {
  Frames fr;
  OutQueue q;
  q.Push(fr.Make("aaaa"));
  q.Push(fr.Make("bbbb"));
  q.Push(fr.Make("cccc"));
  q.Push(fr.Make("dddd"));
  ASSERT_EQ(q.Consume(2), 0u);  // the front frame is half written
  q.DropAfter(2);               // a write of the first two frames is in flight
  EXPECT_EQ(q.frames(), 2u);
  EXPECT_EQ(q.bytes(), 6u);
  EXPECT_EQ(Unsent(q), "aa|bbbb|");
  EXPECT_EQ(fr[0]->refs(), 2u);
  EXPECT_EQ(fr[1]->refs(), 2u);
  EXPECT_EQ(fr[2]->refs(), 1u);
  EXPECT_EQ(fr[3]->refs(), 1u);
  // The in-flight write completes: the kept frames are released normally.
  EXPECT_EQ(q.Consume(6), 2u);
  EXPECT_EQ(fr[0]->refs(), 1u);
  EXPECT_EQ(fr[1]->refs(), 1u);
  EXPECT_TRUE(q.empty());
}

TEST(OutQueue, AnEmptyQueueHoldsNoHeapRingAndOneFrameStaysInline) {
  Frames fr;
  OutQueue q;
  EXPECT_EQ(q.ring_capacity(), 0u);
  q.Push(fr.Make("one"));
  EXPECT_EQ(q.ring_capacity(), 0u);  // one frame: inline
  EXPECT_EQ(Unsent(q), "one|");
  EXPECT_EQ(q.Consume(3), 1u);
  EXPECT_EQ(q.ring_capacity(), 0u);
  q.Push(fr.Make("a"));
  q.Push(fr.Make("bb"));
  EXPECT_EQ(q.ring_capacity(), 8u);  // a second frame: one heap ring for the batch
  EXPECT_EQ(Unsent(q), "a|bb|");
  EXPECT_EQ(q.Consume(1), 1u);
  EXPECT_EQ(q.ring_capacity(), 8u);  // not drained yet
  EXPECT_EQ(q.Consume(2), 1u);
  EXPECT_EQ(q.ring_capacity(), 0u);  // drained: the ring is gone
  q.Push(fr.Make("x"));
  q.Push(fr.Make("y"));
  q.DropAfter(0);
  EXPECT_EQ(q.ring_capacity(), 0u);
  EXPECT_TRUE(q.empty());
}

TEST(OutQueue, DropAfterZeroReleasesEverythingUnsent) {
  Frames fr;
  OutQueue q;
  q.Push(fr.Make("x"));
  q.Push(fr.Make("yy"));
  q.DropAfter(0);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
  EXPECT_EQ(fr[0]->refs(), 1u);
  EXPECT_EQ(fr[1]->refs(), 1u);
  // Still usable afterwards.
  q.Push(fr.Make("zzz"));
  EXPECT_EQ(Unsent(q), "zzz|");
}

TEST(OutQueue, DropAfterMoreThanQueuedKeepsAll) {
  Frames fr;
  OutQueue q;
  q.Push(fr.Make("x"));
  q.DropAfter(5);
  EXPECT_EQ(q.frames(), 1u);
  EXPECT_EQ(fr[0]->refs(), 2u);
}

TEST(OutQueue, ClearReleasesEveryReference) {
  Frames fr;
  OutQueue q;
  for (int i = 0; i < 9; ++i) q.Push(fr.Make("frame" + std::to_string(i)));
  q.Consume(3);
  q.Clear();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
  EXPECT_FALSE(q.front_partial());
  for (int i = 0; i < 9; ++i) EXPECT_EQ(fr[i]->refs(), 1u) << i;
  q.Push(fr.Make("again"));
  EXPECT_EQ(Unsent(q), "again|");
}

TEST(OutQueue, DestructorReleasesEveryReference) {
  Frames fr;
  {
    OutQueue q;
    for (int i = 0; i < 5; ++i) q.Push(fr.Make("f"));
  }
  for (int i = 0; i < 5; ++i) EXPECT_EQ(fr[i]->refs(), 1u) << i;
}

TEST(OutQueue, OneFrameQueuedManyTimesCountsEachEntry) {
  // Fan-out queues one LocalFrame to many members; one member's queue may hold it repeatedly.
  LocalFrame* f = LocalFrame::Copy("shared");
  OutQueue q;
  for (int i = 0; i < 100; ++i) {
    f->Ref();
    q.Push(f);
  }
  EXPECT_EQ(f->refs(), 101u);
  EXPECT_EQ(q.bytes(), 600u);
  EXPECT_EQ(q.Consume(6 * 30 + 3), 30u);
  EXPECT_EQ(f->refs(), 71u);
  q.DropAfter(1);
  EXPECT_EQ(f->refs(), 2u);
  EXPECT_EQ(q.bytes(), 3u);
  q.Clear();
  EXPECT_EQ(f->refs(), 1u);
  Unref(f);
}

TEST(OutQueue, AccountCountsEachDistinctQueuedFrameOnceUntilTheLastQueueLetsGo) {
  // The shard's outbound budget: a frame counts while at least one queue holds it, however many
  // queues (or entries of one queue) do; partial writes do not uncount it.
  size_t total = 0;
  Frames fr;
  OutQueue a;
  OutQueue b;
  a.set_account(&total);
  b.set_account(&total);
  LocalFrame* shared = fr.Make("shared");  // 6 bytes
  a.Push(shared);
  shared->Ref();
  b.Push(shared);
  shared->Ref();
  b.Push(shared);
  EXPECT_EQ(total, 6u);
  a.Push(fr.Make("private-a"));  // 9
  b.Push(fr.Make("private-b"));  // 9
  EXPECT_EQ(total, 24u);
  EXPECT_EQ(a.Consume(3), 0u);  // partly written: still held
  EXPECT_EQ(total, 24u);
  EXPECT_EQ(a.Consume(3), 1u);  // a lets go of the shared frame; b still holds it twice
  EXPECT_EQ(total, 24u);
  b.DropAfter(1);  // drops the second shared entry and private-b
  EXPECT_EQ(total, 15u);
  b.Clear();
  EXPECT_EQ(total, 9u);
  a.Clear();
  EXPECT_EQ(total, 0u);
  {
    OutQueue c;
    c.set_account(&total);
    c.Push(fr.Make("gone with the queue"));
    EXPECT_EQ(total, 19u);
  }
  EXPECT_EQ(total, 0u);
}

TEST(OutQueueDeathTest, ConsumingMoreThanQueuedIsABrokenInvariant) {
  EXPECT_DEATH(
      {
        OutQueue q;
        q.Push(LocalFrame::Copy("abc"));
        q.Consume(4);
      },
      "CHECK failed");
}

TEST(OutQueueDeathTest, DropAfterZeroWithAPartlyWrittenFrontIsABrokenInvariant) {
  EXPECT_DEATH(
      {
        OutQueue q;
        q.Push(LocalFrame::Copy("abc"));
        q.Consume(1);
        q.DropAfter(0);
      },
      "CHECK failed");
}

}  // namespace
}  // namespace ringcast::net
