// Tests for webhooks::Dispatcher (webhooks/dispatcher.h) with a real io_uring, driven the way
// the control plane drives it (Poll, wait no longer than WaitHintMs, OnCompletion), against a
// small blocking HTTP server on a thread: a delivery answered 500 is retried with the same
// signed request and then delivered; a receiver that never answers is timed out and retried;
// a refused connection is retried until the give-up time and then counted as given up.
// member_added/member_removed go through the same Emit API the presence code will use.
#include "webhooks/dispatcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "auth/crypto.h"
#include "runtime/ring.h"

namespace ringcast::webhooks {
namespace {

// Answers each request with the next status of `script` (then 200); 0: never answers, waits
// for the client to close.
class Receiver {
 public:
  explicit Receiver(std::vector<int> script) : script_(std::move(script)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~Receiver() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }

 private:
  void Serve() {
    size_t n = 0;
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      timeval tv{2, 0};  // a broken test must not hang the receiver (and its join) forever
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::string req;
      char buf[4096];
      size_t want = std::string::npos;
      while (want == std::string::npos || req.size() < want) {
        ssize_t r = ::recv(c, buf, sizeof buf, 0);
        if (r <= 0) break;
        req.append(buf, static_cast<size_t>(r));
        size_t end = req.find("\r\n\r\n");
        size_t cl = req.find("Content-Length: ");
        if (end != std::string::npos && cl != std::string::npos) {
          want = end + 4 + std::stoul(req.substr(cl + 16));
        }
      }
      {
        std::lock_guard<std::mutex> l(mu_);
        requests_.push_back(req);
      }
      int status = n < script_.size() ? script_[n] : 200;
      ++n;
      if (status == 0) {
        while (::recv(c, buf, sizeof buf, 0) > 0) {
        }
      } else {
        std::string res = "HTTP/1.1 " + std::to_string(status) +
                          " X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
        (void)!::send(c, res.data(), res.size(), MSG_NOSIGNAL);
      }
      ::close(c);
    }
  }

  std::vector<int> script_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

class DispatcherTest : public ::testing::Test {
 protected:
  void Configure(uint16_t port) {
    apps_.resize(1);
    apps_[0].id = "1";
    apps_[0].key = "key";
    apps_[0].secret = "secret";
    config::WebhookConfig w;
    w.url = "http://localhost:" + std::to_string(port) + "/hook";
    apps_[0].webhooks = {w};
  }

  // A dispatcher for one app whose one target is the receiver on `port`, attached to the ring.
  std::unique_ptr<Dispatcher> Start(uint16_t port, QueueLimits limits = Fast()) {
    Configure(port);
    auto d = std::make_unique<Dispatcher>(&apps_, limits);
    d->Attach(&ring_);
    return d;
  }

  // Drives `d` like the control plane's loop until `done` or `ms` pass.
  bool RunUntil(Dispatcher& d, const std::function<bool()>& done, int ms) {
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!done()) {
      if (std::chrono::steady_clock::now() > end) return false;
      d.Poll();
      int64_t hint = d.WaitHintMs();
      ring_.SubmitAndWait(1, hint < 0 || hint > 20 ? 20 : hint);
      ring_.ForEachCqe([&](const io_uring_cqe& cqe) {
        if (Dispatcher::Owns(cqe.user_data)) d.OnCompletion(cqe);
      });
    }
    return true;
  }

  static QueueLimits Fast() {
    QueueLimits l;
    l.window_ms = 10;
    l.delay_ms = 100;
    l.first_retry_ms = 100;
    l.attempt_timeout_ms = 300;
    return l;
  }

  void SetUp() override { ASSERT_EQ(ring_.Init(64), 0); }

  runtime::Ring ring_;
  std::vector<config::AppConfig> apps_;
};

WebhookEvent Ev(EventKind kind, std::string channel, std::string user = "") {
  WebhookEvent e;
  e.kind = kind;
  e.channel = std::move(channel);
  e.user_id = std::move(user);
  return e;
}

std::string BodyOf(const std::string& req) { return req.substr(req.find("\r\n\r\n") + 4); }

TEST_F(DispatcherTest, RetriesAfter500ThenDelivers) {
  Receiver rx({500});
  auto d = Start(rx.port());
  d->Emit(0, Ev(EventKind::kMemberAdded, "presence-room", "u1"));
  ASSERT_TRUE(RunUntil(
      *d, [&] { return d->stats().delivered == 1; }, 5000));
  std::vector<std::string> reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0], reqs[1]);
  EXPECT_EQ(reqs[0].rfind("POST /hook HTTP/1.1\r\nHost: localhost:", 0), 0u);
  std::string body = BodyOf(reqs[0]);
  EXPECT_NE(body.find(R"({"name":"member_added","channel":"presence-room","user_id":"u1"})"),
            std::string::npos);
  EXPECT_NE(reqs[0].find("X-Pusher-Signature: " + auth::HmacSha256Hex("secret", body)),
            std::string::npos);
  WebhookStats s = d->stats();
  EXPECT_EQ(s.attempts, 2u);
  EXPECT_EQ(s.failures, 1u);
  EXPECT_EQ(s.queued, 0u);
}

TEST_F(DispatcherTest, MemberRemovedIsDelayedAndCancelledByAComeback) {
  Receiver rx({});
  auto d = Start(rx.port());
  d->Emit(0, Ev(EventKind::kMemberRemoved, "presence-room", "u1"));
  d->Emit(0, Ev(EventKind::kMemberAdded, "presence-room", "u1"));  // within the delay: neither
  d->Emit(0, Ev(EventKind::kMemberRemoved, "presence-room", "u1"));  // this one stays gone
  ASSERT_TRUE(RunUntil(
      *d, [&] { return d->stats().delivered == 1; }, 5000));
  std::vector<std::string> reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(BodyOf(reqs[0]).find("member_added"), std::string::npos);
  EXPECT_NE(BodyOf(reqs[0]).find("member_removed"), std::string::npos);
}

TEST_F(DispatcherTest, TimesOutASilentReceiverAndRetries) {
  Receiver rx({0});
  auto d = Start(rx.port());
  d->Emit(0, Ev(EventKind::kCacheMiss, "cache-a"));
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(RunUntil(
      *d, [&] { return d->stats().delivered == 1; }, 5000));
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, std::chrono::milliseconds(350));  // timeout (300) + first retry (100)
  EXPECT_EQ(rx.requests().size(), 2u);
  EXPECT_EQ(d->stats().failures, 1u);
}

TEST_F(DispatcherTest, RefusedConnectionsAreRetriedThenGivenUp) {
  int probe = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(probe, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(probe);  // nobody listens there now
  QueueLimits l = Fast();
  l.give_up_ms = 500;  // 100, 200 ms retries fit; the next (400 ms) does not
  auto d = Start(ntohs(a.sin_port), l);
  d->Emit(0, Ev(EventKind::kChannelOccupied, "a"));
  ASSERT_TRUE(RunUntil(
      *d, [&] { return d->stats().gave_up == 1; }, 5000));
  WebhookStats s = d->stats();
  EXPECT_EQ(s.attempts, 3u);
  EXPECT_EQ(s.failures, 3u);
  EXPECT_EQ(s.delivered, 0u);
  EXPECT_EQ(s.queued, 0u);
  EXPECT_EQ(d->WaitHintMs(), -1);
}

}  // namespace
}  // namespace ringcast::webhooks
