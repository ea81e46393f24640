// cluster::Bridge against a real redis-server (Debian's, started by the test on a free port, as
// a child; tools/dev installs it, and a missing one fails these tests): the connect sequence and
// sharded pub/sub on Redis 7; a subscription confirmed, a publish arriving back as the same
// envelope (this node's echo), an unsubscribe stopping arrivals; Redis killed: not ready,
// publishes refused and counted; Redis back on the same port: reconnected with the backoff,
// resubscribed, publishing again; AUTH with a wrong and a right password; the reconnect backoff
// doubling to its cap while nothing listens.
#include "cluster/bridge.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "redis_child.h"
#include "util/clock.h"

namespace ringcast::cluster {
namespace {

class BridgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(ring_.Init(64), 0);
    port_ = FreePort();
  }
  BridgeOptions Options(std::string password = "") {
    BridgeOptions o;
    o.url.host = "127.0.0.1";
    o.url.port = port_;
    o.url.password = std::move(password);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::memcpy(&o.addr, &a, sizeof a);
    o.addr_len = sizeof a;
    o.node_key = "node-test.00000001";
    o.prefix = "rctest:";
    o.backoff_min_ms = 20;
    o.backoff_max_ms = 100;
    return o;
  }
  // Runs the loop until `done` or about 3 s.
  template <typename F>
  bool RunUntil(Bridge* b, F done) {
    for (int i = 0; i < 300; ++i) {
      b->Poll(util::MonotonicMs());
      if (done()) return true;
      ring_.SubmitAndWait(1, 10);
      ring_.ForEachCqe([&](const io_uring_cqe& cqe) {
        ASSERT_TRUE(Bridge::Owns(cqe.user_data));
        b->OnCompletion(cqe);
      });
      for (std::string& m : b->TakeMessages()) got_.push_back(std::move(m));
    }
    return done();
  }
  // Closes both links and runs until their completions are in (the ring outlives them).
  void Drain(Bridge* b) {
    for (int i = 0; i < 20; ++i) {
      ring_.SubmitAndWait(0, 0);
      ring_.ForEachCqe([&](const io_uring_cqe& cqe) { b->OnCompletion(cqe); });
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  EnvelopeView Envelope(std::string_view data) {
    EnvelopeView e;
    e.origin = "node-test.00000001";
    e.app = "app-1";
    e.channel = "room:1";
    e.event = "message";
    e.data = data;
    return e;
  }
  bool GotData(std::string_view data) {
    for (const std::string& m : got_) {
      EnvelopeView v;
      if (DecodeEnvelope(m, 1 << 20, &v) && v.data == data) return true;
    }
    return false;
  }

  runtime::Ring ring_;
  uint16_t port_ = 0;
  std::vector<std::string> got_;
};

TEST_F(BridgeTest, SubscribePublishEchoUnsubscribeAndSurviveARestart) {
  auto redis = std::make_unique<RedisServer>(port_);
  ASSERT_TRUE(redis->WaitUp()) << "redis-server did not start (tools/dev installs it)";
  Bridge b(&ring_, Options());
  b.Subscribe("app-1", "room:1");
  ASSERT_TRUE(RunUntil(&b, [&] { return b.ready() && b.Confirmed("app-1", "room:1"); }));
  EXPECT_TRUE(b.sharded()) << b.server_version();  // Debian bookworm: Redis 7.0
  ASSERT_TRUE(b.Publish(Envelope("one")));
  ASSERT_TRUE(RunUntil(&b, [&] { return GotData("one"); }));
  EXPECT_EQ(b.stats().received, 1u);

  b.Unsubscribe("app-1", "room:1");
  ASSERT_TRUE(b.Publish(Envelope("two")));
  RunUntil(&b, [&] { return b.stats().late == 1; });  // may still arrive: not handed over
  EXPECT_FALSE(GotData("two"));

  // Redis goes away: not ready, publishes refused (nothing queued).
  b.Subscribe("app-1", "room:1");
  ASSERT_TRUE(RunUntil(&b, [&] { return b.Confirmed("app-1", "room:1"); }));
  redis->Kill();
  ASSERT_TRUE(RunUntil(&b, [&] { return !b.ready(); }));
  EXPECT_FALSE(b.Publish(Envelope("lost")));
  EXPECT_GE(b.stats().refused, 1u);
  EXPECT_EQ(b.stats().disconnects, 1u);
  EXPECT_FALSE(b.Confirmed("app-1", "room:1"));
  RunUntil(&b, [&] { return false; });  // reconnects keep failing, with the backoff
  EXPECT_FALSE(b.ready());

  // Back on the same port: reconnected, resubscribed, publishing again.
  redis = std::make_unique<RedisServer>(port_);
  ASSERT_TRUE(redis->WaitUp());
  ASSERT_TRUE(RunUntil(&b, [&] { return b.ready() && b.Confirmed("app-1", "room:1"); }));
  ASSERT_TRUE(b.Publish(Envelope("three")));
  ASSERT_TRUE(RunUntil(&b, [&] { return GotData("three"); }));
  EXPECT_FALSE(GotData("lost"));
  EXPECT_EQ(b.stats().connects, 2u);
  redis->Kill();
  RunUntil(&b, [&] { return !b.ready(); });
  Drain(&b);
}

TEST_F(BridgeTest, AuthWithAWrongPasswordNeverGetsReadyARightOneDoes) {
  RedisServer redis(port_, "s3cret");
  ASSERT_TRUE(redis.WaitUp());
  {
    Bridge wrong(&ring_, Options("nope"));
    RunUntil(&wrong, [&] { return false; });
    EXPECT_FALSE(wrong.ready());
    EXPECT_FALSE(wrong.Publish(Envelope("x")));
    redis.Kill();  // ends the links' connections before the bridge goes
    RunUntil(&wrong, [&] { return false; });
    Drain(&wrong);
  }
  RedisServer again(port_, "s3cret");
  ASSERT_TRUE(again.WaitUp());
  Bridge right(&ring_, Options("s3cret"));
  ASSERT_TRUE(RunUntil(&right, [&] { return right.ready(); }));
  again.Kill();
  RunUntil(&right, [&] { return !right.ready(); });
  Drain(&right);
}

TEST_F(BridgeTest, ReconnectBackoffDoublesUpToItsCap) {
  // Nobody listens on the port: every connect is refused, and each failure waits longer.
  BridgeOptions o = Options();
  o.backoff_min_ms = 20;
  o.backoff_max_ms = 80;
  Bridge b(&ring_, o);
  std::vector<int64_t> waits;
  bool attempting = false;  // a connect is in flight (WaitHintMs -1)
  for (int i = 0; i < 400 && waits.size() < 5; ++i) {
    b.Poll(util::MonotonicMs());
    if (b.WaitHintMs(util::MonotonicMs()) < 0) attempting = true;
    ring_.SubmitAndWait(1, 5);
    ring_.ForEachCqe([&](const io_uring_cqe& cqe) { b.OnCompletion(cqe); });
    const int64_t hint = b.WaitHintMs(util::MonotonicMs());
    if (attempting && hint >= 0) {  // the attempt failed and scheduled the next one
      EXPECT_LE(hint, static_cast<int64_t>(b.backoff_ms()));
      waits.push_back(b.backoff_ms());
      attempting = false;
    }
    if (hint > 0) std::this_thread::sleep_for(std::chrono::milliseconds(hint));
  }
  ASSERT_EQ(waits.size(), 5u);
  const int64_t want[] = {20, 40, 80, 80, 80};
  for (size_t i = 0; i < waits.size(); ++i) EXPECT_EQ(waits[i], want[i]) << i;
  EXPECT_FALSE(b.ready());
  EXPECT_FALSE(b.Publish(Envelope("x")));
  EXPECT_EQ(b.stats().connects, 0u);
}

TEST_F(BridgeTest, PublishAcksInTicketOrderConfirmationsOnceAndFailedAcksOnALoss) {
  auto redis = std::make_unique<RedisServer>(port_);
  ASSERT_TRUE(redis->WaitUp());
  Bridge b(&ring_, Options());
  b.Subscribe("app-1", "room:1");
  ASSERT_TRUE(RunUntil(&b, [&] { return b.ready() && b.Confirmed("app-1", "room:1"); }));
  std::vector<std::string> confirmed = b.TakeConfirmed();
  ASSERT_EQ(confirmed.size(), 1u);
  EXPECT_EQ(confirmed[0], b.RedisChannel("app-1", "room:1"));
  EXPECT_TRUE(b.CanPublish());
  const uint64_t t1 = b.Publish(Envelope("a"));
  const uint64_t t2 = b.Publish(Envelope("b"));
  ASSERT_GT(t1, 0u);
  EXPECT_EQ(t2, t1 + 1);
  std::vector<PublishAck> acks;
  ASSERT_TRUE(RunUntil(&b, [&] {
    for (const PublishAck& a : b.TakeAcks()) acks.push_back(a);
    return acks.size() == 2;
  }));
  EXPECT_EQ(acks[0].ticket, t1);
  EXPECT_EQ(acks[1].ticket, t2);
  EXPECT_TRUE(acks[0].ok && acks[1].ok);
  EXPECT_TRUE(b.TakeConfirmed().empty());  // told once

  // Queued but Redis dies before its reply: acknowledged as failed, never as done.
  redis->Kill();
  const uint64_t t3 = b.Publish(Envelope("c"));
  ASSERT_GT(t3, 0u);
  acks.clear();
  ASSERT_TRUE(RunUntil(&b, [&] {
    for (const PublishAck& a : b.TakeAcks()) acks.push_back(a);
    return !acks.empty();
  }));
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].ticket, t3);
  EXPECT_FALSE(acks[0].ok);
  EXPECT_FALSE(b.CanPublish());
  Drain(&b);
}

TEST_F(BridgeTest, ScriptsAreLoadedOnConnectAndReloadedAfterNoscript) {
  auto redis = std::make_unique<RedisServer>(port_);
  ASSERT_TRUE(redis->WaitUp());
  Bridge b(&ring_, Options());
  const size_t echo = b.AddScript("return ARGV[1] .. KEYS[1]");
  ASSERT_TRUE(RunUntil(&b, [&] { return b.ready(); }));
  auto call = [&](const std::string& arg) {
    const uint64_t t = b.CallScript(echo, {"1", "k", arg});
    std::vector<CallReply> got;
    EXPECT_GT(t, 0u);
    RunUntil(&b, [&] {
      for (CallReply& r : b.TakeReplies()) got.push_back(std::move(r));
      return !got.empty();
    });
    return got;
  };
  std::vector<CallReply> got = call("a");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].ok);
  EXPECT_EQ(got[0].reply.str, "ak");
  // Redis forgets its scripts: the call fails (not run), the bridge reconnects and reloads.
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port_);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  const char flush[] = "*2\r\n$6\r\nSCRIPT\r\n$5\r\nFLUSH\r\n";
  ASSERT_EQ(::write(s, flush, sizeof flush - 1), static_cast<ssize_t>(sizeof flush - 1));
  char buf[16];
  ASSERT_GT(::read(s, buf, sizeof buf), 0);  // +OK
  ::close(s);
  got = call("b");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(got[0].ok);
  EXPECT_EQ(b.stats().disconnects, 1u);
  ASSERT_TRUE(RunUntil(&b, [&] { return b.ready(); }));
  got = call("c");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].ok);
  EXPECT_EQ(got[0].reply.str, "ck");
  redis->Kill();
  RunUntil(&b, [&] { return !b.ready(); });
  Drain(&b);
}

TEST_F(BridgeTest, ASilentRedisIsDroppedAfterTheCommandTimeout) {
  auto redis = std::make_unique<RedisServer>(port_);
  ASSERT_TRUE(redis->WaitUp());
  BridgeOptions o = Options();
  o.command_timeout_ms = 300;
  Bridge b(&ring_, o);
  ASSERT_TRUE(RunUntil(&b, [&] { return b.ready(); }));
  redis->Pause();  // connected, but no reply comes
  const uint64_t t = b.Call({"PING"});
  ASSERT_GT(t, 0u);
  std::vector<CallReply> got;
  ASSERT_TRUE(RunUntil(&b, [&] {
    for (CallReply& r : b.TakeReplies()) got.push_back(std::move(r));
    return !got.empty();
  }));
  EXPECT_FALSE(got[0].ok);
  EXPECT_FALSE(b.ready());
  EXPECT_EQ(b.stats().disconnects, 1u);
  redis->Resume();
  ASSERT_TRUE(RunUntil(&b, [&] { return b.ready(); }));
  redis->Kill();
  RunUntil(&b, [&] { return !b.ready(); });
  Drain(&b);
}

}  // namespace
}  // namespace ringcast::cluster
