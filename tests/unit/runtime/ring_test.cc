// Tests for src/runtime/ring against the real kernel: completions carry their user data, Sqe()
// submits for room instead of failing, waits time out, and a BufferRing hands provided buffers to
// recv (selected from its group, truncated to its size), runs dry, and gets buffers back through
// Recycle + Commit; lazy provision (only the initial buffers, then Grow) and incremental
// consumption (several reads share one buffer, recycled when the kernel is done with it).
#include "runtime/ring.h"

#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::runtime {
namespace {

class SocketPair {
 public:
  SocketPair() { EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_), 0); }
  ~SocketPair() {
    close(fds_[0]);
    close(fds_[1]);
  }
  int reader() const { return fds_[0]; }
  void Write(std::string_view bytes) {
    ASSERT_EQ(write(fds_[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }

 private:
  int fds_[2] = {-1, -1};
};

struct Completion {
  uint64_t user_data;
  int res;
  uint32_t flags;
};

std::vector<Completion> WaitFor(Ring* ring, unsigned n) {
  std::vector<Completion> out;
  while (out.size() < n) {
    int rc = ring->SubmitAndWait(1, 2000);
    EXPECT_GE(rc, 0);
    unsigned got = ring->ForEachCqe([&](const io_uring_cqe& cqe) {
      out.push_back({cqe.user_data, cqe.res, cqe.flags});
    });
    if (got == 0) {
      ADD_FAILURE() << "no completion within 2 s";
      break;
    }
  }
  return out;
}

void PrepRecv(Ring* ring, int fd, uint16_t group, uint64_t user_data) {
  io_uring_sqe* sqe = ring->Sqe();
  io_uring_prep_recv(sqe, fd, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = group;
  io_uring_sqe_set_data64(sqe, user_data);
}

uint16_t BufferId(const Completion& c) {
  return static_cast<uint16_t>(c.flags >> IORING_CQE_BUFFER_SHIFT);
}

TEST(Ring, NopsCompleteWithTheirUserData) {
  Ring ring;
  ASSERT_EQ(ring.Init(8), 0);
  for (uint64_t ud : {11, 22, 33}) {
    io_uring_sqe* sqe = ring.Sqe();
    ASSERT_NE(sqe, nullptr);
    io_uring_prep_nop(sqe);
    io_uring_sqe_set_data64(sqe, ud);
  }
  std::vector<Completion> done = WaitFor(&ring, 3);
  ASSERT_EQ(done.size(), 3u);
  EXPECT_EQ(done[0].user_data, 11u);
  EXPECT_EQ(done[1].user_data, 22u);
  EXPECT_EQ(done[2].user_data, 33u);
  for (const Completion& c : done) EXPECT_EQ(c.res, 0);
  EXPECT_EQ(ring.ForEachCqe([](const io_uring_cqe&) {}), 0u);
}

TEST(Ring, SqeSubmitsWhenTheSubmissionQueueIsFull) {
  Ring ring;
  ASSERT_EQ(ring.Init(4), 0);
  uint64_t enters = ring.enter_calls();
  for (uint64_t i = 0; i < 10; ++i) {
    io_uring_sqe* sqe = ring.Sqe();
    ASSERT_NE(sqe, nullptr) << i;
    io_uring_prep_nop(sqe);
    io_uring_sqe_set_data64(sqe, 100 + i);
  }
  // Ten SQEs through a four-entry queue: Sqe() had to submit twice on its own.
  EXPECT_EQ(ring.enter_calls(), enters + 2);
  std::vector<Completion> done = WaitFor(&ring, 10);
  std::set<uint64_t> seen;
  for (const Completion& c : done) seen.insert(c.user_data);
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(*seen.begin(), 100u);
  EXPECT_EQ(*seen.rbegin(), 109u);
}

TEST(Ring, SubmitAndWaitReturnsZeroAfterTheTimeout) {
  Ring ring;
  ASSERT_EQ(ring.Init(4), 0);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(ring.SubmitAndWait(1, 30), 0);
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(30));
  EXPECT_LT(waited, std::chrono::seconds(2));
  EXPECT_EQ(ring.ForEachCqe([](const io_uring_cqe&) {}), 0u);
}

TEST(BufferRing, RecvLandsInAProvidedBuffer) {
  Ring ring;
  ASSERT_EQ(ring.Init(8), 0);
  BufferRing buffers;
  ASSERT_EQ(buffers.Init(&ring, 3, 4, 64), 0);
  EXPECT_EQ(buffers.group_id(), 3);
  EXPECT_EQ(buffers.buffer_size(), 64u);
  SocketPair sp;
  sp.Write("hello");
  PrepRecv(&ring, sp.reader(), 3, 7);
  std::vector<Completion> done = WaitFor(&ring, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].user_data, 7u);
  ASSERT_EQ(done[0].res, 5);
  ASSERT_TRUE(done[0].flags & IORING_CQE_F_BUFFER);
  uint16_t bid = BufferId(done[0]);
  ASSERT_LT(bid, 4);
  EXPECT_EQ(std::string_view(buffers.Buffer(bid), 5), "hello");
}

TEST(BufferRing, BuffersAreSizePlusSlackApartAndCacheAligned) {
  Ring ring;
  ASSERT_EQ(ring.Init(8), 0);
  BufferRing buffers;
  ASSERT_EQ(buffers.Init(&ring, 0, 4, 100), 0);
  // 100 + 64 slack rounded up to 64: 192 bytes per buffer.
  EXPECT_EQ(buffers.Buffer(1) - buffers.Buffer(0), 192);
  EXPECT_EQ(buffers.Buffer(3) - buffers.Buffer(0), 3 * 192);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(buffers.Buffer(0)) % 64, 0u);
  // The slack is readable and writable (ASan would object otherwise).
  buffers.Buffer(3)[100 + BufferRing::kSlack - 1] = 'x';
  EXPECT_EQ(buffers.Buffer(3)[163], 'x');
}

TEST(BufferRing, RecvIsCutToTheBufferSize) {
  Ring ring;
  ASSERT_EQ(ring.Init(8), 0);
  BufferRing buffers;
  ASSERT_EQ(buffers.Init(&ring, 1, 2, 16), 0);
  SocketPair sp;
  std::string data = "0123456789abcdefXYZ";
  sp.Write(data);
  PrepRecv(&ring, sp.reader(), 1, 1);
  PrepRecv(&ring, sp.reader(), 1, 2);
  std::vector<Completion> done = WaitFor(&ring, 2);
  ASSERT_EQ(done.size(), 2u);
  ASSERT_EQ(done[0].res, 16);
  ASSERT_EQ(done[1].res, 3);
  EXPECT_EQ(std::string_view(buffers.Buffer(BufferId(done[0])), 16), "0123456789abcdef");
  EXPECT_EQ(std::string_view(buffers.Buffer(BufferId(done[1])), 3), "XYZ");
  EXPECT_NE(BufferId(done[0]), BufferId(done[1]));
}

TEST(BufferRing, RunsDryThenRecycleAndCommitGiveTheBufferBack) {
  Ring ring;
  ASSERT_EQ(ring.Init(8), 0);
  BufferRing buffers;
  ASSERT_EQ(buffers.Init(&ring, 2, 2, 32), 0);
  SocketPair sp;
  std::set<uint16_t> used;
  for (int i = 0; i < 2; ++i) {
    sp.Write("m" + std::to_string(i));
    PrepRecv(&ring, sp.reader(), 2, i);
    std::vector<Completion> done = WaitFor(&ring, 1);
    ASSERT_EQ(done.size(), 1u);
    ASSERT_EQ(done[0].res, 2);
    EXPECT_EQ(std::string_view(buffers.Buffer(BufferId(done[0])), 2), "m" + std::to_string(i));
    used.insert(BufferId(done[0]));
  }
  EXPECT_EQ(used, (std::set<uint16_t>{0, 1}));

  // Both buffers are out: the next recv finds none.
  sp.Write("m2");
  PrepRecv(&ring, sp.reader(), 2, 2);
  std::vector<Completion> dry = WaitFor(&ring, 1);
  ASSERT_EQ(dry.size(), 1u);
  EXPECT_EQ(dry[0].res, -ENOBUFS);
  EXPECT_FALSE(dry[0].flags & IORING_CQE_F_BUFFER);

  // Recycle without Commit publishes nothing yet.
  buffers.Recycle(1);
  PrepRecv(&ring, sp.reader(), 2, 3);
  dry = WaitFor(&ring, 1);
  ASSERT_EQ(dry.size(), 1u);
  EXPECT_EQ(dry[0].res, -ENOBUFS);

  buffers.Commit();
  PrepRecv(&ring, sp.reader(), 2, 4);
  std::vector<Completion> done = WaitFor(&ring, 1);
  ASSERT_EQ(done.size(), 1u);
  ASSERT_EQ(done[0].res, 2);
  EXPECT_EQ(BufferId(done[0]), 1);
  EXPECT_EQ(std::string_view(buffers.Buffer(1), 2), "m2");
  buffers.Commit();  // nothing pending: a no-op
}

TEST(BufferRing, MultishotRecvUsesOneBufferPerCompletion) {
  Ring ring;
  ASSERT_EQ(ring.Init(8), 0);
  BufferRing buffers;
  ASSERT_EQ(buffers.Init(&ring, 5, 8, 64), 0);
  SocketPair sp;
  io_uring_sqe* sqe = ring.Sqe();
  io_uring_prep_recv_multishot(sqe, sp.reader(), nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = 5;
  io_uring_sqe_set_data64(sqe, 99);
  std::string got;
  for (int i = 0; i < 3; ++i) {
    sp.Write("part" + std::to_string(i) + ";");
    std::vector<Completion> done = WaitFor(&ring, 1);
    for (const Completion& c : done) {
      EXPECT_EQ(c.user_data, 99u);
      ASSERT_GT(c.res, 0);
      EXPECT_TRUE(c.flags & IORING_CQE_F_MORE);
      ASSERT_TRUE(c.flags & IORING_CQE_F_BUFFER);
      got.append(buffers.Buffer(BufferId(c)), static_cast<size_t>(c.res));
      buffers.Recycle(BufferId(c));
    }
    buffers.Commit();
  }
  EXPECT_EQ(got, "part0;part1;part2;");
}

TEST(BufferRing, ProvidesOnlyTheInitialBuffersUntilItGrows) {
  Ring ring;
  ASSERT_EQ(ring.Init(8), 0);
  BufferRing buffers;
  ASSERT_EQ(buffers.Init(&ring, 4, 8, 32, /*initial=*/2), 0);
  EXPECT_EQ(buffers.provided(), 2u);
  SocketPair sp;
  std::set<uint16_t> used;
  for (int i = 0; i < 2; ++i) {
    sp.Write("m" + std::to_string(i));
    PrepRecv(&ring, sp.reader(), 4, i);
    std::vector<Completion> done = WaitFor(&ring, 1);
    ASSERT_EQ(done.size(), 1u);
    ASSERT_EQ(done[0].res, 2);
    used.insert(BufferId(done[0]));
  }
  EXPECT_EQ(used, (std::set<uint16_t>{0, 1}));  // buffers 2..7 were never handed out
  sp.Write("m2");
  PrepRecv(&ring, sp.reader(), 4, 2);
  std::vector<Completion> dry = WaitFor(&ring, 1);
  ASSERT_EQ(dry.size(), 1u);
  EXPECT_EQ(dry[0].res, -ENOBUFS);

  // Grow doubles what is provided (published by Commit); the new buffers are the next ids.
  EXPECT_TRUE(buffers.Grow());
  EXPECT_EQ(buffers.provided(), 4u);
  buffers.Commit();
  PrepRecv(&ring, sp.reader(), 4, 3);
  std::vector<Completion> done = WaitFor(&ring, 1);
  ASSERT_EQ(done.size(), 1u);
  ASSERT_EQ(done[0].res, 2);
  EXPECT_GE(BufferId(done[0]), 2);
  EXPECT_EQ(std::string_view(buffers.Buffer(BufferId(done[0])), 2), "m2");
  EXPECT_TRUE(buffers.Grow());
  EXPECT_EQ(buffers.provided(), 8u);
  EXPECT_FALSE(buffers.Grow());  // all 8 provided
}

TEST(BufferRing, CommitGrowsWhenABatchUsedEveryProvidedBuffer) {
  Ring ring;
  ASSERT_EQ(ring.Init(8), 0);
  BufferRing buffers;
  ASSERT_EQ(buffers.Init(&ring, 4, 8, 32, /*initial=*/2), 0);
  buffers.Recycle(0);
  buffers.Commit();
  EXPECT_EQ(buffers.provided(), 2u);  // half of them: no growth
  buffers.Recycle(0);
  buffers.Recycle(1);
  buffers.Commit();
  EXPECT_EQ(buffers.provided(), 4u);
}

TEST(BufferRing, IncrementalModePacksSmallReadsIntoOneBuffer) {
  Ring ring;
  ASSERT_EQ(ring.Init(8), 0);
  BufferRing buffers;
  ASSERT_EQ(buffers.Init(&ring, 6, 4, 64, 0, /*incremental=*/true), 0);
  if (!buffers.incremental()) GTEST_SKIP() << "kernel without IOU_PBUF_RING_INC";
  SocketPair sp;
  io_uring_sqe* sqe = ring.Sqe();
  io_uring_prep_recv_multishot(sqe, sp.reader(), nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = 6;
  io_uring_sqe_set_data64(sqe, 1);
  std::string got;
  std::set<uint16_t> bids;
  constexpr uint32_t kBufMore = 1u << 4;  // IORING_CQE_F_BUF_MORE
  // 12 reads of 10 bytes: 120 bytes through 64-byte buffers, so at most 3 buffers, not 12.
  for (int i = 0; i < 12; ++i) {
    std::string piece = "piece" + std::to_string(100 + i) + ";";
    ASSERT_EQ(piece.size(), 9u);
    sp.Write(piece + "|");
    std::vector<Completion> done = WaitFor(&ring, 1);
    for (const Completion& c : done) {
      ASSERT_GT(c.res, 0);
      ASSERT_TRUE(c.flags & IORING_CQE_F_BUFFER);
      uint16_t bid = BufferId(c);
      // The first piece of a 64-byte buffer leaves it unfinished: the kernel says so, and the
      // buffer must not be recycled yet.
      if (i == 0) {
        EXPECT_TRUE(c.flags & kBufMore);
      }
      bids.insert(bid);
      got.append(buffers.Data(bid), static_cast<size_t>(c.res));
      buffers.Consumed(bid, static_cast<uint32_t>(c.res), (c.flags & kBufMore) != 0);
    }
    buffers.Commit();
  }
  std::string want;
  for (int i = 0; i < 12; ++i) want += "piece" + std::to_string(100 + i) + ";|";
  EXPECT_EQ(got, want);
  EXPECT_LE(bids.size(), 3u);
}

TEST(BufferRingDeathTest, CountMustBeAPowerOfTwo) {
  EXPECT_DEATH(
      {
        Ring ring;
        if (ring.Init(8) == 0) {
          BufferRing buffers;
          (void)buffers.Init(&ring, 0, 3, 64);
        }
      },
      "CHECK failed");
}

}  // namespace
}  // namespace ringcast::runtime
