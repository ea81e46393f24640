// The Datonow token sockets' durability rule on a real ControlPlane thread with a real store
// (the test thread plays both shards through the mesh, as control_plane_test.cc does): a new
// notification is published to the shards with token sockets only after the store's sync
// succeeded, before the REST answer is released; while the sync is still running nothing is
// published; a failed sync publishes nothing and answers 503. Runs in server_tsan (also under
// TSan in tools/dev).
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "auth/crypto.h"
#include "engine/datonow_channels.h"
#include "engine/publication.h"
#include "server/control_plane.h"
#include "store/wal.h"

namespace ringcast::server {
namespace {

using namespace std::chrono_literals;

// fdatasync that waits while `hold` is set and fails while `fail` is set: the control plane's
// (through its io_uring, seen as the store takes its result) and a synchronous one (shutdown).
class GateOps : public store::FileOps {
 public:
  int Fdatasync(int fd) override {
    const int r = Gate(store::FileOps::Fdatasync(fd) == 0 ? 0 : -errno);
    if (r == 0) return 0;
    errno = -r;
    return -1;
  }
  int RingSyncResult(int /*fd*/, int result) override { return Gate(result); }
  // Holds while `hold`; the result, or -EIO while `fail`.
  int Gate(int result) {
    in_sync.store(true);
    while (hold.load()) std::this_thread::sleep_for(1ms);
    in_sync.store(false);
    return fail.load() ? -EIO : result;
  }
  std::atomic<bool> hold{false};
  std::atomic<bool> fail{false};
  std::atomic<bool> in_sync{false};
};

class DatonowControlTest : public ::testing::Test {
 protected:
  DatonowControlTest() : apps_({{"1", "key", "secret", "app", true, 0, true}}), ids_(3), mesh_(2) {
    char tmpl[] = "/tmp/rc_datonow_cp_XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    store::WalOptions o;
    o.dir = dir_;
    o.ops = &ops_;
    std::string error;
    wal_ = store::Wal::Open(o, &error);
    config_.limits.shutdown_grace_ms = 0;
    control_ = std::make_unique<ControlPlane>(&config_, &apps_, &ids_, &mesh_, wal_.get());
    control_->Start();
  }
  ~DatonowControlTest() override {
    ops_.hold.store(false);
    control_->RequestShutdown();
    bool done[2] = {false, false};
    auto until = std::chrono::steady_clock::now() + 20s;
    while ((!done[0] || !done[1]) && std::chrono::steady_clock::now() < until) {
      for (uint32_t s = 0; s < 2; ++s) {
        ToShard m;
        while (mesh_.to_shard[s]->TryPop(&m)) Discard(s, m);
        if (!done[s]) {
          // Answered once its shutdown was seen (Discard notes it).
          done[s] = shutdown_seen_[s] && mesh_.to_control[s]->TryPush(ToControl::ShardDone(s));
          mesh_.control_waker.WakeIfSleeping();
        }
      }
      std::this_thread::sleep_for(1ms);
    }
    control_->Join();
    wal_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Discard(uint32_t shard, const ToShard& m) {
    if (m.kind == ToShard::Kind::kPublish) m.publication->Release();
    if (m.kind == ToShard::Kind::kReply) delete m.reply;
    if (m.kind == ToShard::Kind::kShutdown) shutdown_seen_[shard] = true;
  }
  void Push(uint32_t shard, const ToControl& m) {
    ASSERT_TRUE(mesh_.to_control[shard]->TryPush(m));
    mesh_.control_waker.WakeIfSleeping();
  }
  api::HttpCall* PostMessage() {
    auto* call = new api::HttpCall();
    call->shard = 1;
    call->method = "POST";
    call->path = "/api/message";
    call->datonow_app_id = "1";
    call->datonow_token = "secret";
    call->body = R"({"title":"hello"})";
    return call;
  }
  // Waits for the reply on shard 1; returns it (the caller deletes it).
  api::HttpCall* AwaitReply() {
    auto until = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < until) {
      ToShard m;
      while (mesh_.to_shard[1]->TryPop(&m)) {
        if (m.kind == ToShard::Kind::kReply) return m.reply;
        Discard(1, m);
      }
      std::this_thread::sleep_for(1ms);
    }
    return nullptr;
  }
  // POST /api/trigger on channel "c", signed with the app secret.
  api::HttpCall* Trigger(std::string_view request_id) {
    auto* call = new api::HttpCall();
    call->shard = 1;
    call->method = "POST";
    call->path = "/api/trigger";
    call->body = R"({"appKey":"key","channel":"c","event":"e","data":{},"requestId":")" +
                 std::string(request_id) + "\"}";
    call->datonow_signature = "sha256=" + auth::HmacSha256Hex("secret", call->body);
    return call;
  }
  // Publications now in shard 0's queue with `event` on `channel` (released).
  int TakePublished(std::string_view event,
                    std::string_view channel = engine::datonow::kBroadcastChannel) {
    int n = 0;
    ToShard m;
    while (mesh_.to_shard[0]->TryPop(&m)) {
      if (m.kind == ToShard::Kind::kPublish) {
        engine::PublicationView pub = engine::ReadPublication(m.publication);
        if (pub.event == event && pub.channel == channel) ++n;
      }
      Discard(0, m);
    }
    return n;
  }

  GateOps ops_;
  std::string dir_;
  std::unique_ptr<store::Wal> wal_;
  config::ServerConfig config_;
  engine::AppRegistry apps_;
  engine::SocketIdCodec ids_;
  Mesh mesh_;
  std::unique_ptr<ControlPlane> control_;
  bool shutdown_seen_[2] = {false, false};
};

TEST_F(DatonowControlTest, NotificationIsPublishedOnlyAfterTheSync) {
  // A token socket on shard 0: the broadcast channel is occupied there.
  Push(0, ToControl::Note(
              0, new ChannelNote{0, true, std::string(engine::datonow::kBroadcastChannel)}));
  ops_.hold.store(true);
  Push(1, ToControl::Request(1, PostMessage()));
  auto until = std::chrono::steady_clock::now() + 10s;
  while (!ops_.in_sync.load() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_TRUE(ops_.in_sync.load()) << "the write reached its sync";
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(TakePublished(engine::datonow::kNotificationEvent), 0) << "published before the sync";
  ops_.hold.store(false);
  api::HttpCall* reply = AwaitReply();
  ASSERT_NE(reply, nullptr);
  EXPECT_NE(reply->response.find(" 200 "), std::string::npos) << reply->response;
  delete reply;
  // Published before the answer was released: it is already in shard 0's queue.
  EXPECT_EQ(TakePublished(engine::datonow::kNotificationEvent), 1);
}

TEST_F(DatonowControlTest, FailedSyncPublishesNothing) {
  Push(0, ToControl::Note(
              0, new ChannelNote{0, true, std::string(engine::datonow::kBroadcastChannel)}));
  ops_.fail.store(true);
  Push(1, ToControl::Request(1, PostMessage()));
  api::HttpCall* reply = AwaitReply();
  ASSERT_NE(reply, nullptr);
  EXPECT_NE(reply->response.find(" 503 "), std::string::npos) << reply->response;
  delete reply;
  EXPECT_EQ(TakePublished(engine::datonow::kNotificationEvent), 0);
}

// POST /api/trigger with a requestId: the id's record is committed first, then the event is
// published, then answered; nothing is delivered before the sync (a crash then leaves neither).
TEST_F(DatonowControlTest, TriggerWithRequestIdIsPublishedOnlyAfterTheSync) {
  Push(0, ToControl::Note(0, new ChannelNote{0, true, "c"}));
  ops_.hold.store(true);
  Push(1, ToControl::Request(1, Trigger("r1")));
  auto until = std::chrono::steady_clock::now() + 10s;
  while (!ops_.in_sync.load() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_TRUE(ops_.in_sync.load()) << "the requestId record reached its sync";
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(TakePublished("e", "c"), 0) << "delivered before the requestId record was durable";
  ops_.hold.store(false);
  api::HttpCall* reply = AwaitReply();
  ASSERT_NE(reply, nullptr);
  EXPECT_NE(reply->response.find(" 200 "), std::string::npos) << reply->response;
  delete reply;
  EXPECT_EQ(TakePublished("e", "c"), 1);
  // A repeat answers the first answer and delivers nothing.
  Push(1, ToControl::Request(1, Trigger("r1")));
  reply = AwaitReply();
  ASSERT_NE(reply, nullptr);
  EXPECT_NE(reply->response.find("X-Datonow-Replayed: true"), std::string::npos) << reply->response;
  delete reply;
  EXPECT_EQ(TakePublished("e", "c"), 0);
}

TEST_F(DatonowControlTest, TriggerWithRequestIdAndFailedSyncDeliversNothing) {
  Push(0, ToControl::Note(0, new ChannelNote{0, true, "c"}));
  ops_.fail.store(true);
  Push(1, ToControl::Request(1, Trigger("r1")));
  api::HttpCall* reply = AwaitReply();
  ASSERT_NE(reply, nullptr);
  EXPECT_NE(reply->response.find(" 503 "), std::string::npos) << reply->response;
  delete reply;
  EXPECT_EQ(TakePublished("e", "c"), 0) << "a 503 trigger was delivered";
  // The store is read-only now: a retry is refused too and delivers nothing.
  Push(1, ToControl::Request(1, Trigger("r1")));
  reply = AwaitReply();
  ASSERT_NE(reply, nullptr);
  EXPECT_NE(reply->response.find(" 503 "), std::string::npos) << reply->response;
  delete reply;
  EXPECT_EQ(TakePublished("e", "c"), 0);
}

}  // namespace
}  // namespace ringcast::server
