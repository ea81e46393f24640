// Tests for src/runtime/wait_for_work: the consumer's side of the Waker protocol. A busy caller
// never sleeps (and never announces it); an idle one whose inbound re-check finds work returns
// at once with the sleep cancelled; an idle one with nothing waiting sleeps until the timeout,
// or until a producer's WakeIfSleeping writes the eventfd (from another thread); the flag is
// always clear on return, so a later wake costs no eventfd write.
#include "runtime/wait_for_work.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace ringcast::runtime {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

class WaitForWorkTest : public ::testing::Test {
 protected:
  WaitForWorkTest() {
    EXPECT_EQ(ring_.Init(8), 0);
    ArmWake();
  }
  void ArmWake() {
    io_uring_sqe* sqe = ring_.Sqe();
    io_uring_prep_read(sqe, waker_.fd(), &wake_buf_, sizeof wake_buf_, 0);
    io_uring_sqe_set_data64(sqe, 1);
  }
  int Reap() {
    int n = 0;
    ring_.ForEachCqe([&](const io_uring_cqe& cqe) {
      if (cqe.user_data == 1) {
        ++n;
        ArmWake();
      }
    });
    return n;
  }

  Ring ring_;
  Waker waker_;
  uint64_t wake_buf_ = 0;
};

TEST_F(WaitForWorkTest, BusyCallerDoesNotSleepOrAnnounce) {
  int checks = 0;
  auto start = Clock::now();
  WaitForWork(ring_, waker_, /*busy=*/true, /*idle_wait_ms=*/-1, [&] {
    ++checks;
    return true;
  });
  EXPECT_LT(Clock::now() - start, 500ms);
  EXPECT_EQ(checks, 0) << "no re-check needed when the caller knows it is busy";
  waker_.WakeIfSleeping();
  EXPECT_EQ(waker_.wake_count(), 0u) << "not announced: producers need not write the eventfd";
}

TEST_F(WaitForWorkTest, WorkFoundByTheRecheckCancelsTheSleep) {
  auto start = Clock::now();
  WaitForWork(ring_, waker_, false, -1, [] { return false; });  // "a queue is not empty"
  EXPECT_LT(Clock::now() - start, 500ms);
  waker_.WakeIfSleeping();
  EXPECT_EQ(waker_.wake_count(), 0u) << "the sleep flag was cleared";
}

TEST_F(WaitForWorkTest, IdleSleepsUntilTheTimeout) {
  auto start = Clock::now();
  WaitForWork(ring_, waker_, false, 50, [] { return true; });
  auto slept = Clock::now() - start;
  EXPECT_GE(slept, 45ms);
  EXPECT_LT(slept, 5s);
  EXPECT_EQ(Reap(), 0);
}

TEST_F(WaitForWorkTest, AProducerWakesAnIdleSleeperAtOnce) {
  std::atomic<bool> announced{false};
  std::thread producer([&] {
    while (!announced.load()) std::this_thread::yield();
    std::this_thread::sleep_for(20ms);
    waker_.WakeIfSleeping();
  });
  auto start = Clock::now();
  WaitForWork(ring_, waker_, false, /*idle_wait_ms=*/-1, [&] {
    announced.store(true);
    return true;
  });
  producer.join();
  EXPECT_LT(Clock::now() - start, 10s) << "woken, not timed out (there is no timeout)";
  EXPECT_EQ(waker_.wake_count(), 1u);
  EXPECT_EQ(Reap(), 1);
  waker_.WakeIfSleeping();
  EXPECT_EQ(waker_.wake_count(), 1u) << "awake again: no second eventfd write";
}

}  // namespace
}  // namespace ringcast::runtime
