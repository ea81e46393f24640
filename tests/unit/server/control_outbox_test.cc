// ControlOutbox: a shard's bounded path to the control plane, driven against a real SPSC ring
// that nobody drains until the test says so. With the ring full: an occupied note is refused
// (never parked), a vacated note and a count reply wait in order, REST requests, client events
// and SSE history queries wait up to one shared cap and are then refused/dropped; every spill and
// refusal is counted; Flush sends the notes before the older data; a presence join is refused
// like an occupied note, a presence leave waits in order like a vacated note; and nothing is lost
// or freed twice (ASan).
#include "server/control_outbox.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace ringcast::server {
namespace {

class ControlOutboxTest : public ::testing::Test {
 protected:
  static constexpr size_t kCap = 3;

  void FillRing() {
    // Occupied notes from a "busy" shard: each goes into the ring until it is full.
    while (outbox_.PushOccupied(0, "filler")) ++fillers_;
    ASSERT_EQ(fillers_, ToControlQueue::capacity());
  }
  // Pops everything, frees it the way the control plane would, and returns the kinds.
  std::vector<ToControl> Drain() {
    std::vector<ToControl> out;
    ToControl m;
    while (queue_->TryPop(&m)) {
      out.push_back(m);
      if (m.kind != ToControl::Kind::kCountReply) DiscardUndelivered(m);
    }
    return out;
  }

  std::unique_ptr<ToControlQueue> queue_ = std::make_unique<ToControlQueue>();
  ControlOutbox outbox_{5, queue_.get(), kCap};
  size_t fillers_ = 0;
};

TEST_F(ControlOutboxTest, WithARoomyRingEverythingGoesStraightIn) {
  auto* call = new api::HttpCall();
  ASSERT_TRUE(outbox_.PushRequest(call));
  ASSERT_TRUE(outbox_.PushOccupied(1, "c"));
  outbox_.PushVacated(1, "c");
  EXPECT_TRUE(outbox_.empty());
  EXPECT_TRUE(outbox_.TakeDirty());
  EXPECT_FALSE(outbox_.TakeDirty());
  std::vector<ToControl> got = Drain();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].kind, ToControl::Kind::kRequest);
  EXPECT_EQ(got[0].shard, 5u);
  EXPECT_EQ(got[1].kind, ToControl::Kind::kNote);
  OutboxStats s = outbox_.stats();
  EXPECT_EQ(s.spilled, 0u);
  EXPECT_EQ(s.ring_full, 0u);
}

TEST_F(ControlOutboxTest, FullRingGivesEachKindItsDefinedAnswer) {
  FillRing();
  EXPECT_FALSE(outbox_.PushOccupied(0, "new")) << "an occupied note never waits";
  outbox_.PushVacated(0, "gone");
  CountQuery query;
  outbox_.PushCountReply(&query);
  EXPECT_FALSE(outbox_.PushOccupied(0, "later")) << "refused while older notes wait";

  std::vector<api::HttpCall*> calls;
  for (size_t i = 0; i < kCap; ++i) {
    calls.push_back(new api::HttpCall());
    ASSERT_TRUE(outbox_.PushRequest(calls.back())) << i;
  }
  auto* refused = new api::HttpCall();
  EXPECT_FALSE(outbox_.PushRequest(refused)) << "past the cap: the caller answers 503";
  delete refused;
  runtime::SharedBuf* event = runtime::SharedBuf::Create(8, 1);
  EXPECT_FALSE(outbox_.PushClientEvent(event)) << "past the cap: dropped (and released)";

  OutboxStats s = outbox_.stats();
  EXPECT_EQ(s.subscribes_refused, 1u + 2u) << "the filler that found the ring full, and two";
  EXPECT_EQ(s.requests_refused, 1u);
  EXPECT_EQ(s.client_events_dropped, 1u);
  EXPECT_EQ(s.spilled, 2u + kCap);
  EXPECT_EQ(s.backlog, 2u + kCap);
  EXPECT_EQ(s.backlog_peak, 2u + kCap);
  EXPECT_GE(s.ring_full, 1u);
  EXPECT_FALSE(outbox_.PushShardDone()) << "not before everything else is out";

  // The control plane makes room for a few: the notes go first, then the older requests.
  ToControl m;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(queue_->TryPop(&m));
    DiscardUndelivered(m);
  }
  outbox_.Flush();
  std::vector<ToControl> got = Drain();
  ASSERT_EQ(got.size(), ToControlQueue::capacity() - 4 + 4);
  size_t n = got.size();
  EXPECT_EQ(got[n - 4].kind, ToControl::Kind::kNote);
  EXPECT_EQ(got[n - 3].kind, ToControl::Kind::kCountReply);
  EXPECT_EQ(got[n - 3].query, &query);
  EXPECT_EQ(got[n - 2].kind, ToControl::Kind::kRequest);
  EXPECT_EQ(got[n - 1].kind, ToControl::Kind::kRequest);
  EXPECT_FALSE(outbox_.empty()) << "one request still waits";
  outbox_.Flush();
  got = Drain();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].request, calls.back());
  EXPECT_TRUE(outbox_.empty());
  EXPECT_EQ(outbox_.stats().backlog, 0u);
  EXPECT_TRUE(outbox_.PushOccupied(0, "new")) << "accepted again once nothing waits";
  EXPECT_TRUE(outbox_.PushShardDone());
  Drain();
}

TEST_F(ControlOutboxTest, PresenceJoinIsRefusedAndLeaveWaitsInOrderWhenTheRingIsFull) {
  FillRing();
  uint64_t refused = outbox_.stats().subscribes_refused;  // FillRing's last push
  auto* join = new engine::PresenceNote();
  join->join = true;
  join->channel = "presence-a";
  EXPECT_FALSE(outbox_.PushPresenceJoin(join));  // freed by the outbox (ASan checks)
  outbox_.PushVacated(0, "presence-b");
  outbox_.PushPresenceLeave(0, "presence-a", "u1", 77);
  EXPECT_FALSE(outbox_.empty());
  // A join is refused while control messages wait, even with room in the ring.
  Drain();
  auto* late = new engine::PresenceNote();
  late->join = true;
  EXPECT_FALSE(outbox_.PushPresenceJoin(late));
  EXPECT_EQ(outbox_.stats().subscribes_refused, refused + 2);
  outbox_.Flush();
  EXPECT_TRUE(outbox_.empty());
  ToControl m;
  ASSERT_TRUE(queue_->TryPop(&m));
  EXPECT_EQ(m.kind, ToControl::Kind::kNote);
  DiscardUndelivered(m);
  ASSERT_TRUE(queue_->TryPop(&m));
  ASSERT_EQ(m.kind, ToControl::Kind::kPresence);
  EXPECT_FALSE(m.presence->join);
  EXPECT_EQ(m.presence->user_id, "u1");
  EXPECT_EQ(m.presence->serial, 77u);
  EXPECT_EQ(m.presence->shard, 5u);
  DiscardUndelivered(m);
  // With the backlog empty a join enters the ring.
  auto* ok = new engine::PresenceNote();
  ok->join = true;
  EXPECT_TRUE(outbox_.PushPresenceJoin(ok));
  Drain();
}

TEST_F(ControlOutboxTest, HistoryQueriesShareTheDataBacklogAndItsCap) {
  FillRing();
  ASSERT_TRUE(outbox_.PushRequest(new api::HttpCall()));
  std::vector<engine::HistoryQuery*> queries;
  for (size_t i = 1; i < kCap; ++i) {
    queries.push_back(new engine::HistoryQuery());
    ASSERT_TRUE(outbox_.PushHistoryQuery(queries.back())) << i;
  }
  auto refused = std::make_unique<engine::HistoryQuery>();
  EXPECT_FALSE(outbox_.PushHistoryQuery(refused.get())) << "past the cap: the SSE session answers 503";
  EXPECT_EQ(outbox_.stats().requests_refused, 1u);
  EXPECT_EQ(outbox_.stats().backlog, kCap);
  Drain();
  outbox_.Flush();
  std::vector<ToControl> got = Drain();
  ASSERT_EQ(got.size(), kCap);
  EXPECT_EQ(got[0].kind, ToControl::Kind::kRequest);
  EXPECT_EQ(got[1].kind, ToControl::Kind::kHistoryQuery);
  EXPECT_EQ(got[kCap - 1].history, queries.back());
  EXPECT_TRUE(outbox_.empty());
}

TEST_F(ControlOutboxTest, WhatNeverLeftIsFreedWithTheOutbox) {
  FillRing();
  outbox_.PushVacated(0, "gone");
  ASSERT_TRUE(outbox_.PushRequest(new api::HttpCall()));
  ASSERT_TRUE(outbox_.PushClientEvent(runtime::SharedBuf::Create(16, 1)));
  Drain();  // the ring's own messages; the backlog is freed by ~ControlOutbox (ASan checks)
}

}  // namespace
}  // namespace ringcast::server
