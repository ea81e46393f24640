// Tests for WebhookQueue (webhooks/webhook_queue.h) with a made-up clock: batching per target
// within the window and at the size cap, the 3 s delay of channel_vacated and member_removed
// and its cancellation by a comeback (neither event sent), the backoff schedule and giving up
// after 5 minutes, the bounded queue (drops counted), filters per target and app isolation.
#include "webhooks/webhook_queue.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringcast::webhooks {
namespace {

WebhookEvent Ev(EventKind kind, std::string channel, std::string user = "") {
  WebhookEvent e;
  e.kind = kind;
  e.channel = std::move(channel);
  e.user_id = std::move(user);
  return e;
}

std::string BodyOf(const Delivery& d) { return d.request.substr(d.request.find("\r\n\r\n") + 4); }

size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

class WebhookQueueTest : public ::testing::Test {
 protected:
  WebhookQueueTest() {
    apps_.resize(2);
    apps_[0].id = "a0";
    apps_[0].key = "k0";
    apps_[0].secret = "s0";
    config::WebhookConfig all;
    all.url = "http://127.0.0.1:1/all";
    config::WebhookConfig presence;
    presence.url = "http://127.0.0.1:1/presence";
    presence.event_types = {"member_added", "member_removed"};
    presence.channel_name_starts_with = "presence-";
    apps_[0].webhooks = {all, presence};
    apps_[1].id = "a1";  // no webhooks
    apps_[1].key = "k1";
    apps_[1].secret = "s1";
  }

  WebhookQueue Make(QueueLimits limits = {}) {
    return WebhookQueue(&apps_, WebhookQueue::HeadsFor(apps_), limits);
  }

  // Every delivery due at `now` (after Advance).
  static std::vector<std::unique_ptr<Delivery>> Drain(WebhookQueue& q, uint64_t now) {
    q.Advance(now, 1000);
    std::vector<std::unique_ptr<Delivery>> out;
    while (auto d = q.TakeDue(now)) out.push_back(std::move(d));
    return out;
  }

  std::vector<config::AppConfig> apps_;
};

TEST_F(WebhookQueueTest, BatchesEventsOfOneWindowIntoOneRequest) {
  WebhookQueue q = Make();
  q.Emit(0, Ev(EventKind::kChannelOccupied, "a"), 0);
  q.Emit(0, Ev(EventKind::kChannelOccupied, "b"), 10);
  q.Emit(0, Ev(EventKind::kClientEvent, "c"), 40);
  EXPECT_EQ(q.NextDeadlineMs(), 50u);
  EXPECT_TRUE(Drain(q, 49).empty());
  auto ds = Drain(q, 50);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0]->target, 0u);
  EXPECT_EQ(ds[0]->events, 3u);
  std::string body = BodyOf(*ds[0]);
  EXPECT_EQ(body.find(R"({"time_ms":1000,"events":[{"name":"channel_occupied","channel":"a"})"),
            0u);
  EXPECT_LT(body.find("\"b\""), body.find("\"c\""));
  EXPECT_EQ(ds[0]->request.rfind("POST /all HTTP/1.1\r\n", 0), 0u);
  // The next event opens a new window.
  q.Emit(0, Ev(EventKind::kChannelOccupied, "d"), 60);
  EXPECT_TRUE(Drain(q, 100).empty());
  EXPECT_EQ(Drain(q, 110).size(), 1u);
}

TEST_F(WebhookQueueTest, AFullBatchLeavesAtOnce) {
  QueueLimits l;
  l.max_batch_events = 2;
  WebhookQueue q = Make(l);
  q.Emit(0, Ev(EventKind::kChannelOccupied, "a"), 0);
  q.Emit(0, Ev(EventKind::kChannelOccupied, "b"), 0);
  q.Emit(0, Ev(EventKind::kChannelOccupied, "c"), 0);
  auto d = q.TakeDue(0);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->events, 2u);
  EXPECT_EQ(q.TakeDue(0), nullptr);  // "c" waits for its window
}

TEST_F(WebhookQueueTest, VacatedWaitsThreeSeconds) {
  WebhookQueue q = Make();
  q.Emit(0, Ev(EventKind::kChannelVacated, "a"), 1000);
  EXPECT_EQ(q.NextDeadlineMs(), 4000u);
  EXPECT_TRUE(Drain(q, 3999).empty());
  EXPECT_TRUE(Drain(q, 4000).empty());  // now in a batch: one window more
  auto ds = Drain(q, 4050);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_NE(BodyOf(*ds[0]).find(R"({"name":"channel_vacated","channel":"a"})"), std::string::npos);
}

TEST_F(WebhookQueueTest, ReoccupiedWithinTheDelaySendsNeither) {
  WebhookQueue q = Make();
  q.Emit(0, Ev(EventKind::kChannelVacated, "a"), 0);
  EXPECT_EQ(q.pending_events(), 1u);
  q.Emit(0, Ev(EventKind::kChannelOccupied, "a"), 2999);
  EXPECT_EQ(q.pending_events(), 0u);
  EXPECT_TRUE(Drain(q, 10000).empty());
  EXPECT_EQ(q.NextDeadlineMs(), UINT64_MAX);
  EXPECT_EQ(q.stats().events_cancelled, 2u);
  // Vacated again later: delayed afresh, and sent this time.
  q.Emit(0, Ev(EventKind::kChannelVacated, "a"), 20000);
  EXPECT_EQ(Drain(q, 23050).size(), 1u);
}

TEST_F(WebhookQueueTest, ReoccupiedAfterTheDelaySendsBoth) {
  WebhookQueue q = Make();
  q.Emit(0, Ev(EventKind::kChannelVacated, "a"), 0);
  q.Advance(3000, 1);
  q.Emit(0, Ev(EventKind::kChannelOccupied, "a"), 3010);
  auto ds = Drain(q, 3050);
  ASSERT_EQ(ds.size(), 1u);
  std::string body = BodyOf(*ds[0]);
  EXPECT_LT(body.find("channel_vacated"), body.find("channel_occupied"));
}

TEST_F(WebhookQueueTest, MemberRemovedIsCancelledOnlyByTheSameUser) {
  WebhookQueue q = Make();
  q.Emit(0, Ev(EventKind::kMemberRemoved, "presence-r", "u1"), 0);
  q.Emit(0, Ev(EventKind::kMemberRemoved, "presence-r", "u2"), 0);
  q.Emit(0, Ev(EventKind::kMemberAdded, "presence-r", "u1"), 100);  // u1 is back
  q.Emit(0, Ev(EventKind::kChannelOccupied, "presence-r"), 200);    // not a member comeback
  std::string per_target[2];
  for (uint64_t now : {2999, 3000, 3050, 3100}) {
    for (const auto& d : Drain(q, now)) per_target[d->target] += BodyOf(*d);
  }
  for (const std::string& bodies : per_target) {
    EXPECT_EQ(Count(bodies, "member_removed"), 1u) << bodies;
    EXPECT_NE(bodies.find(R"("user_id":"u2")"), std::string::npos);
    EXPECT_EQ(bodies.find("u1"), std::string::npos);
  }
  EXPECT_EQ(Count(per_target[0], "channel_occupied"), 1u);
  EXPECT_EQ(q.stats().events_cancelled, 2u);
}

TEST_F(WebhookQueueTest, TargetsGetWhatTheirFiltersLetThrough) {
  WebhookQueue q = Make();
  q.Emit(0, Ev(EventKind::kMemberAdded, "presence-r", "u1"), 0);
  q.Emit(0, Ev(EventKind::kMemberAdded, "private-r", "u1"), 0);
  q.Emit(0, Ev(EventKind::kChannelOccupied, "presence-r"), 0);
  auto ds = Drain(q, 50);
  ASSERT_EQ(ds.size(), 2u);
  const Delivery& all = ds[0]->target == 0 ? *ds[0] : *ds[1];
  const Delivery& presence = ds[0]->target == 1 ? *ds[0] : *ds[1];
  EXPECT_EQ(all.events, 3u);
  EXPECT_EQ(presence.events, 1u);
  EXPECT_NE(BodyOf(presence).find(R"("channel":"presence-r","user_id":"u1")"), std::string::npos);
  EXPECT_EQ(presence.request.rfind("POST /presence ", 0), 0u);
}

TEST_F(WebhookQueueTest, AnAppWithoutWebhooksSendsNothing) {
  WebhookQueue q = Make();
  EXPECT_FALSE(q.HasTargets(1));
  q.Emit(1, Ev(EventKind::kChannelOccupied, "a"), 0);
  q.Emit(1, Ev(EventKind::kChannelVacated, "a"), 0);
  EXPECT_TRUE(Drain(q, 10000).empty());
  EXPECT_EQ(q.stats().events_emitted, 0u);
}

TEST(WebhookBackoff, OneSecondDoublingCappedAtOneMinute) {
  QueueLimits l;
  std::vector<uint64_t> got;
  for (uint32_t f = 1; f <= 9; ++f) got.push_back(WebhookQueue::RetryDelayMs(f, l));
  EXPECT_EQ(got,
            (std::vector<uint64_t>{1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000}));
}

TEST_F(WebhookQueueTest, RetriesOnScheduleThenGivesUpAfterFiveMinutes) {
  WebhookQueue q = Make();
  q.Emit(0, Ev(EventKind::kChannelOccupied, "a"), 0);
  q.Advance(50, 1);
  uint64_t now = 50;
  std::vector<uint64_t> tries;
  while (auto d = q.TakeDue(now)) {
    tries.push_back(now - 50);
    std::string request = d->request;
    q.Finished(std::move(d), false, now);
    uint64_t next = q.NextDeadlineMs();
    if (next == UINT64_MAX) break;
    EXPECT_TRUE(Drain(q, next - 1).empty());
    now = next;
    q.Advance(now, 1);
  }
  EXPECT_EQ(tries, (std::vector<uint64_t>{0, 1000, 3000, 7000, 15000, 31000, 63000, 123000, 183000,
                                          243000}));
  WebhookStats s = q.stats();
  EXPECT_EQ(s.attempts, 10u);
  EXPECT_EQ(s.failures, 10u);
  EXPECT_EQ(s.gave_up, 1u);
  EXPECT_EQ(s.gave_up_events, 1u);
  EXPECT_EQ(s.queued, 0u);
}

TEST_F(WebhookQueueTest, ARetryCarriesTheSameSignedRequest) {
  WebhookQueue q = Make();
  q.Emit(0, Ev(EventKind::kChannelOccupied, "a"), 0);
  auto d = Drain(q, 50);
  ASSERT_EQ(d.size(), 1u);
  std::string first = d[0]->request;
  q.Finished(std::move(d[0]), false, 60);
  auto again = Drain(q, 1060);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0]->request, first);
  q.Finished(std::move(again[0]), true, 1070);
  EXPECT_EQ(q.stats().delivered, 1u);
  EXPECT_EQ(q.stats().queued, 0u);
  EXPECT_EQ(q.NextDeadlineMs(), UINT64_MAX);
}

TEST_F(WebhookQueueTest, AFullQueueDropsAndCountsWholeBatches) {
  QueueLimits l;
  l.max_deliveries = 2;
  l.max_batch_events = 1;
  WebhookQueue q = Make(l);
  for (const char* ch : {"a", "b", "c"}) q.Emit(0, Ev(EventKind::kChannelOccupied, ch), 0);
  EXPECT_EQ(q.stats().dropped_events, 1u);
  EXPECT_EQ(q.stats().queued, 2u);
  auto d = q.TakeDue(0);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(q.stats().queued, 2u);  // held by the caller still counts
  q.Emit(0, Ev(EventKind::kChannelOccupied, "d"), 0);
  EXPECT_EQ(q.stats().dropped_events, 2u);
  q.Finished(std::move(d), true, 1);
  q.Emit(0, Ev(EventKind::kChannelOccupied, "e"), 1);
  EXPECT_EQ(q.stats().dropped_events, 2u);
  EXPECT_EQ(q.stats().queued, 2u);
}

TEST_F(WebhookQueueTest, AFullDelayTableSendsAtOnce) {
  QueueLimits l;
  l.max_delayed = 1;
  WebhookQueue q = Make(l);
  q.Emit(0, Ev(EventKind::kChannelVacated, "a"), 0);
  q.Emit(0, Ev(EventKind::kChannelVacated, "b"), 0);
  EXPECT_EQ(q.stats().undelayed, 1u);
  auto ds = Drain(q, 50);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_NE(BodyOf(*ds[0]).find(R"("channel":"b")"), std::string::npos);
}

TEST_F(WebhookQueueTest, ChurnOnOneChannelIsBoundedByTheDelayCap) {
  // Each vacate/reoccupy pair cancels, but its delay ticket waits out the 3 s: the cap counts
  // those tickets, so a channel flapping in a loop cannot grow the delay queue without bound.
  QueueLimits l;
  l.max_delayed = 4;
  WebhookQueue q = Make(l);
  for (int i = 0; i < 100; ++i) {
    q.Emit(0, Ev(EventKind::kChannelVacated, "a"), 0);
    q.Emit(0, Ev(EventKind::kChannelOccupied, "a"), 0);
  }
  WebhookStats s = q.stats();
  EXPECT_EQ(s.events_cancelled, 8u);  // the first four pairs
  EXPECT_EQ(s.undelayed, 96u);        // the rest go out at once, counted
  // Once the tickets are due they are gone and delays work again.
  Drain(q, 3000);
  q.Emit(0, Ev(EventKind::kChannelVacated, "a"), 3000);
  EXPECT_EQ(q.pending_events(), 1u);
  EXPECT_EQ(q.stats().undelayed, 96u);
}

}  // namespace
}  // namespace ringcast::webhooks
