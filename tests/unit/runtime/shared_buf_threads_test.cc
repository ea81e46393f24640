// Cross-thread tests for src/runtime/shared_buf.h, run under TSan too: buffers written by one
// thread, handed through SPSC queues to four reader threads, each of which reads every byte and
// releases its reference. Each buffer must be freed exactly once (the counting operator delete of
// alloc_counter.cc) and TSan must see the last Release order every reader before the free.
#include "runtime/shared_buf.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "alloc_counter.h"
#include "runtime/spsc_queue.h"

namespace ringcast::runtime {
namespace {

using ::ringcast::runtime::testing::DeleteCount;

TEST(SharedBufThreads, ReleasedFromFourThreadsFreedOnceEach) {
  constexpr int kReaders = 4;
  constexpr uint32_t kBuffers = 20000;
  using Queue = SpscQueue<SharedBuf*, 256>;
  std::vector<std::unique_ptr<Queue>> queues;
  for (int i = 0; i < kReaders; ++i) queues.push_back(std::make_unique<Queue>());
  std::atomic<int> started{0};
  std::atomic<bool> go{false};
  std::atomic<bool> counted{false};
  std::atomic<uint64_t> bad_bytes{0};
  std::atomic<uint64_t> released{0};

  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      started.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      uint32_t seen = 0;
      while (seen < kBuffers) {
        SharedBuf* buf;
        if (!queues[r]->TryPop(&buf)) {
          std::this_thread::yield();
          continue;
        }
        // Every byte is the buffer's sequence number's low byte.
        uint8_t want = static_cast<uint8_t>(seen);
        for (uint32_t i = 0; i < buf->size(); ++i) {
          if (static_cast<uint8_t>(buf->data()[i]) != want) bad_bytes.fetch_add(1);
        }
        buf->Release();
        released.fetch_add(1);
        ++seen;
      }
      // A finished std::thread frees its state: wait until the count has been taken.
      while (!counted.load()) std::this_thread::yield();
    });
  }
  while (started.load() < kReaders) std::this_thread::yield();
  // Thread start-up allocations are done; from here only the buffers come and go.
  uint64_t deletes_before = DeleteCount();
  go = true;
  for (uint32_t b = 0; b < kBuffers; ++b) {
    uint32_t size = 1 + b % 300;
    SharedBuf* buf = SharedBuf::Create(size, kReaders);
    std::memset(buf->mutable_data(), static_cast<uint8_t>(b), size);
    for (int r = 0; r < kReaders; ++r) {
      while (!queues[r]->TryPush(buf)) std::this_thread::yield();
    }
  }
  while (released.load() < uint64_t{kBuffers} * kReaders) std::this_thread::yield();
  uint64_t deletes = DeleteCount() - deletes_before;
  counted = true;
  for (std::thread& t : readers) t.join();

  EXPECT_EQ(bad_bytes.load(), 0u);
  EXPECT_EQ(deletes, kBuffers);
}

TEST(SharedBufThreads, AddRefsOnOneThreadReleasesOnAnother) {
  // The control plane's client-event path: one reference arrives, AddRefs(n - 1) makes one per
  // receiving shard, and each shard releases its own.
  constexpr int kShards = 3;
  constexpr int kRounds = 5000;
  for (int round = 0; round < kRounds; ++round) {
    SharedBuf* buf = SharedBuf::Create(16, 1);
    std::memset(buf->mutable_data(), 'a' + round % 26, 16);
    buf->AddRefs(kShards - 1);
    std::atomic<int> ok{0};
    std::thread a([&] {
      ok += buf->data()[15] == 'a' + round % 26;
      buf->Release();
    });
    std::thread b([&] {
      ok += buf->data()[0] == 'a' + round % 26;
      buf->Release();
    });
    bool main_ok = buf->data()[7] == 'a' + round % 26;
    buf->Release();
    a.join();
    b.join();
    ASSERT_TRUE(main_ok);
    ASSERT_EQ(ok.load(), 2);
  }
}

}  // namespace
}  // namespace ringcast::runtime
