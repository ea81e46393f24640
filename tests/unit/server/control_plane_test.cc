// ControlPlane on its own thread, with the test thread playing both shards through the mesh
// (server/mesh.h): it pushes occupancy notes and client events as shard 1 would and reads what
// the control plane sends to shard 0, or does not read it, to make that shard's queue full.
// Checked: the messages parked for a full shard queue stay below ControlPlane::kMaxStalled plus
// one request's publishes (the control plane stops taking input instead of growing), every
// spill and pause is counted, nothing is lost once the shard reads again, and each publication
// carries its channel's sequence number, 1, 2, 3... in order. Watchlists: a user with more
// watchers than one turn tells reaches each once, in bounded batches per shard.
#include "server/control_plane.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "engine/publication.h"

namespace ringcast::server {
namespace {

using namespace std::chrono_literals;

class ControlPlaneTest : public ::testing::Test {
 protected:
  static std::vector<config::AppConfig> Apps(bool counts) {
    config::AppConfig app{"1", "key", "secret", "app", true, 0, true};
    app.enable_subscription_count = counts;
    return {app};
  }
  explicit ControlPlaneTest(bool subscription_counts = false)
      : apps_(Apps(subscription_counts)), ids_(3), mesh_(2) {
    config_.limits.shutdown_grace_ms = 0;
    control_ = std::make_unique<ControlPlane>(&config_, &apps_, &ids_, &mesh_);
    control_->Start();
  }
  ~ControlPlaneTest() override {
    control_->RequestShutdown();
    // Both "shards" answer the shutdown.
    bool done[2] = {false, false};
    auto until = std::chrono::steady_clock::now() + 20s;
    while ((!done[0] || !done[1]) && std::chrono::steady_clock::now() < until) {
      for (uint32_t s = 0; s < 2; ++s) {
        ToShard m;
        while (mesh_.to_shard[s]->TryPop(&m)) {
          if (m.kind == ToShard::Kind::kPublish) m.publication->Release();
          if (m.kind == ToShard::Kind::kShutdown && !done[s]) {
            done[s] = mesh_.to_control[s]->TryPush(ToControl::ShardDone(s));
            mesh_.control_waker.WakeIfSleeping();
          }
        }
      }
      std::this_thread::sleep_for(1ms);
    }
    control_->Join();
  }

  bool PushFromShard(uint32_t shard, const ToControl& m) {
    bool ok = mesh_.to_control[shard]->TryPush(m);
    mesh_.control_waker.WakeIfSleeping();
    return ok;
  }
  runtime::SharedBuf* ClientEvent(uint64_t n) {
    data_ = std::to_string(n);
    engine::PublicationView pub;
    pub.channel = "private-c";
    pub.event = "client-e";
    pub.data = data_;
    pub.exclude_shard = 1;
    pub.exclude_serial = 1;
    return engine::BuildPublication(pub, 1);
  }

  config::ServerConfig config_;
  engine::AppRegistry apps_;
  engine::SocketIdCodec ids_;
  Mesh mesh_;
  std::unique_ptr<ControlPlane> control_;
  std::string data_;
};

TEST_F(ControlPlaneTest, StalledMessagesStayBoundedAndNothingIsLostOrMisnumbered) {
  auto* note = new ChannelNote{0, true, "private-c"};
  ASSERT_TRUE(PushFromShard(0, ToControl::Note(0, note)));

  // Shard 0 does not read: push client events until the control plane stops taking them.
  uint64_t pushed = 0;
  auto full_since = std::chrono::steady_clock::now();
  bool full = false;
  const uint64_t target = ControlPlane::kMaxStalled + ToShardQueue::capacity() + 50000;
  while (pushed < target) {
    runtime::SharedBuf* buf = ClientEvent(pushed + 1);
    if (PushFromShard(1, ToControl::ClientEvent(1, buf))) {
      ++pushed;
      full = false;
      continue;
    }
    buf->Release();
    auto now = std::chrono::steady_clock::now();
    if (!full) {
      full = true;
      full_since = now;
    } else if (now - full_since > 300ms) {
      break;  // paused: it no longer drains our queue
    }
    std::this_thread::yield();
  }
  ControlStats s = control_->stats();
  EXPECT_LT(pushed, target) << "the control plane kept taking input behind a full shard";
  EXPECT_GE(s.stalled, ControlPlane::kMaxStalled);
  EXPECT_LE(s.stalled_peak, ControlPlane::kMaxStalled + 1) << "one client event: one message";
  EXPECT_GT(s.paused_turns, 0u);
  EXPECT_GT(s.ring_full, 0u);
  EXPECT_GE(s.stalled_spills, s.stalled);
  EXPECT_GT(mesh_.to_control[1]->full_count(), 0u) << "back-pressure reached the shard";

  // Shard 0 reads again: every event arrives once, numbered 1, 2, 3... in order; the rest of
  // the events follow.
  uint64_t received = 0;
  uint64_t bad = 0;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (received < target && std::chrono::steady_clock::now() < deadline) {
    if (pushed < target) {
      runtime::SharedBuf* buf = ClientEvent(pushed + 1);
      if (PushFromShard(1, ToControl::ClientEvent(1, buf))) {
        ++pushed;
      } else {
        buf->Release();
      }
    }
    ToShard m;
    while (mesh_.to_shard[0]->TryPop(&m)) {
      ASSERT_EQ(m.kind, ToShard::Kind::kPublish);
      engine::PublicationView pub = engine::ReadPublication(m.publication);
      ++received;
      if (pub.sequence != received || pub.data != std::to_string(received)) ++bad;
      m.publication->Release();
    }
    mesh_.control_waker.WakeIfSleeping();
  }
  EXPECT_EQ(received, target);
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(control_->stats().stalled, 0u);
}

// A user watched by more connections than the control plane tells per turn: every watcher on
// both shards gets exactly one change (online, the user), in batches of at most
// kWatchlistPerTurn, one per shard and turn; the sign-ins were answered with the state first.
TEST_F(ControlPlaneTest, APopularUsersWatchersAreToldOnceInBoundedBatchesPerShard) {
  constexpr uint32_t kWatchers = 5000;
  uint64_t acks = 0;
  uint64_t batches = 0;
  uint64_t deliveries[2] = {0, 0};
  uint64_t largest = 0;
  uint64_t bad = 0;
  auto drain = [&] {
    for (uint32_t s = 0; s < 2; ++s) {
      ToShard m;
      while (mesh_.to_shard[s]->TryPop(&m)) {
        if (m.kind == ToShard::Kind::kPresenceAck) {
          ++acks;
          const engine::PresenceNote& n = *m.presence;
          bool star = n.user_id == "star";
          const std::vector<std::string> want{star ? "fan0" : "star"};
          if (!n.signin || n.shard != s || (star ? n.watch_online : n.watch_offline) != want) {
            ++bad;
          }
          delete m.presence;
        } else if (m.kind == ToShard::Kind::kWatchlist) {
          ++batches;
          largest = std::max<uint64_t>(largest, m.watchlist->deliveries.size());
          for (const engine::WatchlistDelivery& d : m.watchlist->deliveries) {
            ++deliveries[s];
            if (d.online != std::vector<std::string>{"star"} || !d.offline.empty() ||
                d.serial % 2 != s || d.conn_index != d.serial) {
              ++bad;
            }
          }
          delete m.watchlist;
        } else if (m.kind == ToShard::Kind::kPublish) {
          m.publication->Release();
        }
      }
    }
  };
  auto signin = [&](uint32_t shard, uint64_t serial, std::string user,
                    std::vector<std::string> watchlist) {
    auto* n = new engine::PresenceNote();
    n->join = true;
    n->presence = false;
    n->signin = true;
    n->channel = "#server-to-user-" + user;
    n->user_id = std::move(user);
    n->watchlist = std::move(watchlist);
    n->shard = shard;
    n->conn_index = static_cast<uint32_t>(serial);
    n->conn_gen = 1;
    n->serial = serial;
    while (!PushFromShard(shard, ToControl::Presence(shard, n))) drain();
  };
  for (uint32_t i = 0; i < kWatchers; ++i) {
    signin(i % 2, i, "fan" + std::to_string(i), {"star"});
    drain();
  }
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (acks < kWatchers && std::chrono::steady_clock::now() < deadline) drain();
  ASSERT_EQ(acks, kWatchers);
  EXPECT_EQ(batches, 0u);
  EXPECT_EQ(control_->stats().watchlist_entries, kWatchers);
  signin(0, kWatchers * 2, "star", {"fan0"});
  while (deliveries[0] + deliveries[1] < kWatchers && std::chrono::steady_clock::now() < deadline) {
    drain();
  }
  EXPECT_EQ(deliveries[0], kWatchers / 2);
  EXPECT_EQ(deliveries[1], kWatchers / 2);
  EXPECT_LE(largest, ControlPlane::kWatchlistPerTurn);
  EXPECT_GE(batches, 3u) << "5000 changes: at least two turns, one batch per shard in the first";
  EXPECT_EQ(acks, kWatchers + 1);
  EXPECT_EQ(bad, 0u);
}

class ControlPlaneCountTest : public ControlPlaneTest {
 protected:
  ControlPlaneCountTest() : ControlPlaneTest(true) {}

  static engine::SubscriptionCountReport* Report(const std::string& channel, uint32_t count) {
    auto* r = new engine::SubscriptionCountReport();
    r->rows.push_back({0, count, true, channel});
    return r;
  }
  // Waits until shard `shard` got a subscription_count publication for `channel` with `data`;
  // records every count publication's data per shard in seen_.
  bool WaitForCount(uint32_t shard, const std::string& data) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      for (uint32_t s = 0; s < 2; ++s) {
        ToShard m;
        while (mesh_.to_shard[s]->TryPop(&m)) {
          if (m.kind != ToShard::Kind::kPublish) continue;
          engine::PublicationView pub = engine::ReadPublication(m.publication);
          if (pub.event == "pusher_internal:subscription_count") {
            seen_[s].push_back(std::string(pub.channel) + " " + std::string(pub.data));
          }
          m.publication->Release();
        }
      }
      for (const std::string& d : seen_[shard]) {
        if (d == data) return true;
      }
      std::this_thread::sleep_for(1ms);
    }
    return false;
  }
  std::vector<std::string> seen_[2];
};

// Subscription counts: the shards' absolute counts are summed, the total is published to every
// shard with subscribers, and a shard's vacated note counts as 0 there.
TEST_F(ControlPlaneCountTest, ShardCountsAreSummedAndPublishedToTheChannel) {
  ASSERT_TRUE(PushFromShard(0, ToControl::Note(0, new ChannelNote{0, true, "room"})));
  ASSERT_TRUE(PushFromShard(1, ToControl::Note(1, new ChannelNote{0, true, "room"})));
  ASSERT_TRUE(PushFromShard(0, ToControl::Counts(0, Report("room", 1))));
  ASSERT_TRUE(PushFromShard(1, ToControl::Counts(1, Report("room", 2))));
  EXPECT_TRUE(WaitForCount(0, R"(room {"subscription_count":3})"));
  EXPECT_TRUE(WaitForCount(1, R"(room {"subscription_count":3})"));
  ASSERT_TRUE(PushFromShard(1, ToControl::Note(1, new ChannelNote{0, false, "room"})));
  EXPECT_TRUE(WaitForCount(0, R"(room {"subscription_count":1})"));
  EXPECT_EQ(control_->stats().count_channels, 1u);
}

}  // namespace
}  // namespace ringcast::server
