// Cross-thread tests for src/runtime/spsc_queue.h with src/runtime/waker.h, run under TSan too.
//
// The consumer sleeps exactly as net/io_loop.cc's loop does: drain, AnnounceSleep, re-check the
// queue, and only then block in io_uring_enter on its armed eventfd read; the producer pushes and
// then calls WakeIfSleeping. Every message must arrive once and in order, and no wake-up may be
// lost: a consumer that times out of its wait with messages queued counts as a lost wake-up (the
// wait is 2 s, far longer than any gap the producers leave).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <thread>

#include "runtime/ring.h"
#include "runtime/spsc_queue.h"
#include "runtime/waker.h"

namespace ringcast::runtime {
namespace {

constexpr int64_t kLostWakeupMs = 2000;
constexpr uint64_t kWakeUserData = 1;

// One consumer thread's io_uring and its side of the Waker protocol (as in IoLoop::Run).
class Sleeper {
 public:
  explicit Sleeper(Waker* waker) : waker_(waker) {}

  // On the consumer thread.
  bool Init() {
    if (ring_.Init(64) != 0) return false;
    ArmWake();
    return true;
  }

  // Reaps completions; the eventfd read is re-armed each time it fires.
  void Reap() {
    ring_.ForEachCqe([this](const io_uring_cqe& cqe) {
      if (cqe.user_data == kWakeUserData) {
        ++wake_completions;
        ArmWake();
      }
    });
  }

  // The end of a loop turn. `inbound_empty()` re-checks every queue after AnnounceSleep.
  template <typename F>
  void EndTurn(bool more, F&& inbound_empty) {
    int64_t wait_ms;
    if (more || io_uring_cq_ready(ring_.raw()) > 0) {
      wait_ms = 0;
    } else {
      waker_->AnnounceSleep();
      ++announces;
      if (!inbound_empty()) {
        waker_->CancelSleep();
        wait_ms = 0;
      } else {
        wait_ms = kLostWakeupMs;
      }
    }
    if (wait_ms == 0) {
      ring_.SubmitAndWait(1, 0);
    } else {
      ++sleeps;
      ring_.SubmitAndWait(1, wait_ms);
      if (io_uring_cq_ready(ring_.raw()) == 0 && !inbound_empty()) ++lost_wakeups;
    }
    waker_->CancelSleep();
  }

  uint64_t announces = 0;
  uint64_t sleeps = 0;
  uint64_t wake_completions = 0;
  uint64_t lost_wakeups = 0;

 private:
  void ArmWake() {
    io_uring_sqe* sqe = ring_.Sqe();
    io_uring_prep_read(sqe, waker_->fd(), &wake_buf_, sizeof wake_buf_, 0);
    io_uring_sqe_set_data64(sqe, kWakeUserData);
  }

  Waker* waker_;
  Ring ring_;
  uint64_t wake_buf_ = 0;
};

TEST(SpscWakerStress, EveryMessageArrivesOnceInOrderAndNoWakeupIsLost) {
  constexpr uint64_t kMessages = 2'000'000;
  constexpr size_t kBatch = 64;
  using Queue = SpscQueue<uint64_t, 1024>;
  auto queue = std::make_unique<Queue>();
  Waker waker;
  std::atomic<bool> abort{false};

  uint64_t received = 0;
  uint64_t out_of_order = 0;
  Sleeper sleeper(&waker);
  std::atomic<bool> consumer_ready{false};
  auto start = std::chrono::steady_clock::now();

  std::thread consumer([&] {
    if (!sleeper.Init()) {
      abort = true;
      return;
    }
    consumer_ready = true;
    uint64_t batch[kBatch];
    while (received < kMessages && !abort.load()) {
      sleeper.Reap();
      size_t n = queue->PopBatch(batch, kBatch);
      for (size_t i = 0; i < n; ++i) {
        if (batch[i] != received) ++out_of_order;
        received = batch[i] + 1;
      }
      if (received >= kMessages) break;
      sleeper.EndTurn(n == kBatch, [&] { return queue->Empty(); });
      if (sleeper.lost_wakeups > 3) abort = true;  // broken protocol: stop early, fail below
    }
  });

  uint64_t producer_full = 0;
  std::thread producer([&] {
    while (!consumer_ready.load() && !abort.load()) std::this_thread::yield();
    std::mt19937 rng(7);
    uint64_t next = 0;
    uint64_t since_pause = 0;
    while (next < kMessages && !abort.load()) {
      // Bursts of 1..64 messages, one WakeIfSleeping per burst, as the control plane does.
      uint64_t burst = 1 + rng() % 64;
      for (uint64_t k = 0; k < burst && next < kMessages;) {
        if (queue->TryPush(next)) {
          ++next;
          ++k;
        } else {
          ++producer_full;
          waker.WakeIfSleeping();
          std::this_thread::yield();
          if (abort.load()) return;
        }
      }
      waker.WakeIfSleeping();
      since_pause += burst;
      if (since_pause >= 8192) {
        // Let the consumer run dry and fall asleep, so the sleep/wake path is taken often.
        since_pause = 0;
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
    }
  });
  producer.join();
  consumer.join();
  auto elapsed = std::chrono::steady_clock::now() - start;

  EXPECT_FALSE(abort.load());
  EXPECT_EQ(received, kMessages);
  EXPECT_EQ(out_of_order, 0u);
  EXPECT_EQ(sleeper.lost_wakeups, 0u);
  EXPECT_TRUE(queue->Empty());
  EXPECT_EQ(queue->full_count(), producer_full);
  // The sleep path was really exercised, and a producer wakes only a consumer that announced.
  EXPECT_GT(sleeper.sleeps, 0u);
  EXPECT_GT(waker.wake_count(), 0u);
  EXPECT_LE(waker.wake_count(), sleeper.announces);
  EXPECT_LE(sleeper.wake_completions, waker.wake_count());
  EXPECT_LT(elapsed, std::chrono::seconds(120));
  std::printf("messages %llu, sleeps %llu, announces %llu, wakes %llu, full %llu, %lld ms\n",
              static_cast<unsigned long long>(received),
              static_cast<unsigned long long>(sleeper.sleeps),
              static_cast<unsigned long long>(sleeper.announces),
              static_cast<unsigned long long>(waker.wake_count()),
              static_cast<unsigned long long>(producer_full),
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()));
}

// Two threads that each sleep between messages: every request and every reply needs a wake-up,
// so a single lost one stalls the exchange (and is counted).
TEST(SpscWakerStress, PingPongWakesTheSleeperForEveryMessage) {
  constexpr uint64_t kRounds = 20'000;
  using Queue = SpscQueue<uint64_t, 64>;
  auto requests = std::make_unique<Queue>();
  auto replies = std::make_unique<Queue>();
  Waker server_waker;
  Waker client_waker;
  Sleeper server_sleeper(&server_waker);
  Sleeper client_sleeper(&client_waker);
  std::atomic<bool> abort{false};
  uint64_t bad_replies = 0;
  uint64_t rounds_done = 0;

  std::thread server([&] {
    if (!server_sleeper.Init()) {
      abort = true;
      return;
    }
    uint64_t handled = 0;
    while (handled < kRounds && !abort.load()) {
      server_sleeper.Reap();
      uint64_t req;
      while (requests->TryPop(&req)) {
        while (!replies->TryPush(req * 2 + 1)) std::this_thread::yield();
        client_waker.WakeIfSleeping();
        ++handled;
      }
      if (handled >= kRounds) break;
      server_sleeper.EndTurn(false, [&] { return requests->Empty(); });
      if (server_sleeper.lost_wakeups > 3) abort = true;
    }
  });

  std::thread client([&] {
    if (!client_sleeper.Init()) {
      abort = true;
      return;
    }
    for (uint64_t i = 0; i < kRounds && !abort.load(); ++i) {
      while (!requests->TryPush(i)) std::this_thread::yield();
      server_waker.WakeIfSleeping();
      uint64_t reply = 0;
      while (!abort.load()) {
        client_sleeper.Reap();
        if (replies->TryPop(&reply)) break;
        client_sleeper.EndTurn(false, [&] { return replies->Empty(); });
        if (client_sleeper.lost_wakeups > 3) abort = true;
      }
      if (abort.load()) break;
      if (reply != i * 2 + 1) ++bad_replies;
      ++rounds_done;
    }
  });
  client.join();
  server.join();

  EXPECT_FALSE(abort.load());
  EXPECT_EQ(rounds_done, kRounds);
  EXPECT_EQ(bad_replies, 0u);
  EXPECT_EQ(server_sleeper.lost_wakeups, 0u);
  EXPECT_EQ(client_sleeper.lost_wakeups, 0u);
  EXPECT_GT(server_sleeper.sleeps + client_sleeper.sleeps, 0u);
  EXPECT_LE(server_waker.wake_count(), server_sleeper.announces);
  EXPECT_LE(client_waker.wake_count(), client_sleeper.announces);
}

}  // namespace
}  // namespace ringcast::runtime
