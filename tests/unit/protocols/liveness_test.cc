// The activity-timer rule shared by the Datonow token and DontCode realtime sockets
// (protocols/ws_session.h NextLiveness): wait while the peer was heard from within
// activity_ms, ping once it was not, close when the ping went unanswered for pong_ms, and
// re-arm from the last time the peer was heard (also across the 32-bit wrap of last_rx_ms);
// and their message budget (TakeMessageBudget): the limit per second, one report, then drops.
#include <gtest/gtest.h>

#include "protocols/ws_session.h"

namespace ringcast::protocols {
namespace {

using Action = LivenessStep::Action;

TEST(Liveness, WaitsPingsThenCloses) {
  const uint64_t a = 120000, p = 30000;
  LivenessStep s = NextLiveness(1000 + 50000, 1000, false, a, p);
  EXPECT_EQ(s.action, Action::kNone);
  EXPECT_EQ(s.next_ms, 1000 + a);
  s = NextLiveness(1000 + a, 1000, false, a, p);
  EXPECT_EQ(s.action, Action::kPing);
  EXPECT_EQ(s.next_ms, 1000 + a + p);
  s = NextLiveness(1000 + a + 10, 1000, true, a, p);
  EXPECT_EQ(s.action, Action::kNone);
  EXPECT_EQ(s.next_ms, 1000 + a + p);
  EXPECT_EQ(NextLiveness(1000 + a + p, 1000, true, a, p).action, Action::kClose);
}

TEST(Liveness, LowBitsWrap) {
  const uint64_t now = (uint64_t{5} << 32) + 100;  // last heard 200 ms ago, before the wrap
  const auto last = static_cast<uint32_t>(now - 200);
  LivenessStep s = NextLiveness(now, last, false, 1000, 500);
  EXPECT_EQ(s.action, Action::kNone);
  EXPECT_EQ(s.next_ms, now - 200 + 1000);
}

TEST(MessageBudget, LimitPerSecondThenOneReportThenDrops) {
  uint32_t window = 0, count = 0;
  const uint32_t t0 = 5000;
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(TakeMessageBudget(t0, 3, &window, &count), MessageBudget::kAdmit);
  EXPECT_EQ(TakeMessageBudget(t0 + 10, 3, &window, &count), MessageBudget::kDropFirst);
  EXPECT_EQ(TakeMessageBudget(t0 + 20, 3, &window, &count), MessageBudget::kDrop);
  EXPECT_EQ(TakeMessageBudget(t0 + 999, 3, &window, &count), MessageBudget::kDrop);
  EXPECT_EQ(TakeMessageBudget(t0 + 1000, 3, &window, &count),
            MessageBudget::kAdmit);  // a new window
}

}  // namespace
}  // namespace ringcast::protocols
