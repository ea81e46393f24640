// Tests for webhooks::HookClient (webhooks/hook_client.h) with a real io_uring, driven as the
// control plane drives it (Poll, wait no longer than WaitHintMs, OnCompletion), against a small
// keep-alive HTTP server on a thread: calls share connections; a kept connection the server
// closed while idle is replaced without losing the call; a call past timeout_ms fails as timed
// out; the body is signed and starts with hook and time_ms; the calls of one order key run one
// at a time, in order, beside the others. And DecideHook's reading of answers.
#include "webhooks/hook_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "auth/crypto.h"
#include "runtime/ring.h"
#include "util/clock.h"

namespace ringcast::webhooks {
namespace {

// A listening socket on 127.0.0.1 and a free port.
int ListenOnLoopback(uint16_t* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  EXPECT_EQ(::listen(fd, 64), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

// Serves keep-alive: answers `per_connection` requests on a connection (each `200` with
// `answer`), then closes it; `silent`: reads requests and never answers.
class KeepAliveReceiver {
 public:
  KeepAliveReceiver(size_t per_connection, std::string answer, bool silent = false)
      : per_connection_(per_connection), answer_(std::move(answer)), silent_(silent) {
    fd_ = ListenOnLoopback(&port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~KeepAliveReceiver() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  size_t connections() const { return connections_.load(); }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> l(mu_);
    return bodies_;
  }
  std::vector<std::string> signatures() {
    std::lock_guard<std::mutex> l(mu_);
    return signatures_;
  }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      ++connections_;
      timeval tv{2, 0};
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::string in;
      char buf[4096];
      for (size_t served = 0; served < per_connection_ && !stop_;) {
        size_t end = in.find("\r\n\r\n");
        size_t cl = in.find("Content-Length: ");
        if (end != std::string::npos && cl != std::string::npos && cl < end) {
          size_t want = end + 4 + std::stoul(in.substr(cl + 16));
          if (in.size() >= want) {
            size_t sig = in.find("X-Pusher-Signature: ");
            std::lock_guard<std::mutex> l(mu_);
            bodies_.push_back(in.substr(end + 4, want - end - 4));
            signatures_.push_back(sig < end ? in.substr(sig + 20, 64) : "");
            in.erase(0, want);
            ++served;
            if (!silent_) {
              std::string res =
                  "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(answer_.size()) +
                  "\r\n\r\n" + answer_;
              (void)!::send(c, res.data(), res.size(), MSG_NOSIGNAL);
            }
            continue;
          }
        }
        ssize_t r = ::recv(c, buf, sizeof buf, 0);
        if (r <= 0) break;
        in.append(buf, static_cast<size_t>(r));
      }
      ::close(c);
    }
  }

  size_t per_connection_;
  std::string answer_;
  bool silent_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> connections_{0};
  std::mutex mu_;
  std::vector<std::string> bodies_;
  std::vector<std::string> signatures_;
  std::thread thread_;
};

// Serves every connection on its own thread (keep-alive, any number of requests); a request
// whose body holds "slow" is answered after 150 ms. Records when each request arrived and was
// answered, by the body's "n".
class ConcurrentReceiver {
 public:
  struct Seen {
    int n;
    uint64_t arrived_ms;
    uint64_t answered_ms;
  };
  ConcurrentReceiver() {
    fd_ = ListenOnLoopback(&port_);
    accept_ = std::thread([this] { Accept(); });
  }
  ~ConcurrentReceiver() {
    stop_ = true;
    accept_.join();
    {
      std::lock_guard<std::mutex> l(mu_);
      for (int c : conns_) ::shutdown(c, SHUT_RDWR);
    }
    for (std::thread& t : threads_) t.join();
    for (int c : conns_) ::close(c);
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> l(mu_);
    return seen_;
  }

 private:
  void Accept() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::lock_guard<std::mutex> l(mu_);
      conns_.push_back(c);
      threads_.emplace_back([this, c] { Serve(c); });
    }
  }
  void Serve(int c) {
    std::string in;
    char buf[4096];
    for (;;) {
      size_t end = in.find("\r\n\r\n");
      size_t cl = in.find("Content-Length: ");
      if (end != std::string::npos && cl != std::string::npos && cl < end) {
        size_t want = end + 4 + std::stoul(in.substr(cl + 16));
        if (in.size() >= want) {
          const std::string body = in.substr(end + 4, want - end - 4);
          in.erase(0, want);
          const uint64_t arrived = util::MonotonicMs();
          if (body.find("slow") != std::string::npos) {
            std::this_thread::sleep_for(std::chrono::milliseconds(150));
          }
          const size_t at = body.find("\"n\":");
          const int n = at == std::string::npos ? -1 : std::stoi(body.substr(at + 4));
          {
            std::lock_guard<std::mutex> l(mu_);
            seen_.push_back({n, arrived, util::MonotonicMs()});
          }
          static const std::string res = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
          (void)!::send(c, res.data(), res.size(), MSG_NOSIGNAL);
          continue;
        }
      }
      ssize_t r = ::recv(c, buf, sizeof buf, 0);
      if (r <= 0) return;
      in.append(buf, static_cast<size_t>(r));
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread accept_;
  std::mutex mu_;
  std::vector<int> conns_;
  std::vector<std::thread> threads_;
  std::vector<Seen> seen_;
};

class HookClientTest : public ::testing::Test {
 protected:
  void Configure(uint16_t port, uint32_t timeout_ms = 2000) {
    app_.id = "1";
    app_.key = "key";
    app_.secret = "secret";
    cfg_.url = "http://127.0.0.1:" + std::to_string(port) + "/hooks";
    cfg_.on = {"authenticate", "connected"};
    cfg_.timeout_ms = timeout_ms;
    ASSERT_EQ(ring_.Init(64), 0);
    client_ = std::make_unique<HookClient>(cfg_, &app_);
    client_->Attach(&ring_);
  }
  // Runs the loop until `done` or `ms` pass.
  template <typename Pred>
  void RunUntil(Pred done, uint64_t ms = 5000) {
    const uint64_t end = util::MonotonicMs() + ms;
    while (!done() && util::MonotonicMs() < end) {
      client_->Poll();
      io_uring_submit(ring_.raw());
      int64_t wait = client_->WaitHintMs();
      __kernel_timespec ts{0, (wait < 0 || wait > 10 ? 10 : wait) * 1000000};
      io_uring_cqe* cqe = nullptr;
      io_uring_wait_cqe_timeout(ring_.raw(), &cqe, &ts);
      ring_.ForEachCqe([&](const io_uring_cqe& c) {
        ASSERT_TRUE(HookClient::Owns(c.user_data));
        client_->OnCompletion(c);
      });
    }
  }

  config::AppConfig app_;
  config::DialogueHooksConfig cfg_;
  runtime::Ring ring_;
  std::unique_ptr<HookClient> client_;
};

TEST_F(HookClientTest, CallsShareKeepAliveConnectionsAndSurviveAnIdleClose) {
  // Three requests per connection, then the server closes it: the fourth call finds its kept
  // connection closed and goes again on a fresh one, answered like the others.
  KeepAliveReceiver rx(3, R"({"userId":"u1"})");
  Configure(rx.port());
  std::vector<HookResponse> got;
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(client_->Call("authenticate", "{\"n\":" + std::to_string(i) + "}",
                              [&](const HookResponse& r) { got.push_back(r); }));
    RunUntil([&] { return got.size() == static_cast<size_t>(i + 1); });
    ASSERT_EQ(got.size(), static_cast<size_t>(i + 1));
    EXPECT_EQ(got.back().status, 200) << got.back().error;
    EXPECT_EQ(got.back().body, R"({"userId":"u1"})");
  }
  EXPECT_EQ(rx.bodies().size(), 8u);
  EXPECT_EQ(rx.connections(), 3u);  // 3 + 3 + 2 calls, not 8 connections
  // Signed; hook and time_ms first, then the caller's fields.
  std::vector<std::string> bodies = rx.bodies();
  std::vector<std::string> sigs = rx.signatures();
  EXPECT_EQ(bodies[0].rfind(R"({"hook":"authenticate","time_ms":)", 0), 0u) << bodies[0];
  EXPECT_NE(bodies[5].find(R"("n":5})"), std::string::npos);
  EXPECT_EQ(sigs[0], auth::HmacSha256Hex("secret", bodies[0]));
  EXPECT_EQ(client_->stats().sent, 8u);
  EXPECT_EQ(client_->stats().in_flight, 0u);
}

TEST_F(HookClientTest, ACallPastItsTimeoutFailsAsTimedOut) {
  KeepAliveReceiver rx(10, "{}", /*silent=*/true);
  Configure(rx.port(), /*timeout_ms=*/100);
  std::vector<HookResponse> got;
  const uint64_t start = util::MonotonicMs();
  ASSERT_TRUE(
      client_->Call("authenticate", "{}", [&](const HookResponse& r) { got.push_back(r); }));
  RunUntil([&] { return !got.empty(); });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].status, 0);
  EXPECT_EQ(got[0].error, "timed out");
  EXPECT_LT(util::MonotonicMs() - start, 1000u);
  EXPECT_EQ(client_->stats().failed, 1u);
}

TEST_F(HookClientTest, NobodyListeningFailsTheCall) {
  uint16_t port;
  {
    KeepAliveReceiver rx(1, "{}");
    port = rx.port();
  }
  Configure(port);
  std::vector<HookResponse> got;
  ASSERT_TRUE(client_->Call("connected", "{}", [&](const HookResponse& r) { got.push_back(r); }));
  RunUntil([&] { return !got.empty(); });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].error.find("connect"), std::string::npos) << got[0].error;
}

TEST_F(HookClientTest, CallsOfOneOrderKeyRunOneAtATimeInOrder) {
  // Key 7: #1 (answered after 150 ms), #2, #4, each sent only once the one before is answered.
  // Key 9 (#3) and no key (#5) go at once, beside #1.
  ConcurrentReceiver rx;
  Configure(rx.port());
  size_t answered = 0;
  auto done = [&](const HookResponse& r) {
    EXPECT_EQ(r.status, 200) << r.error;
    ++answered;
  };
  ASSERT_TRUE(client_->Call("connected", R"({"n":1,"slow":true})", done, 7));
  ASSERT_TRUE(client_->Call("connected", R"({"n":2})", done, 7));
  ASSERT_TRUE(client_->Call("connected", R"({"n":3,"slow":true})", done, 9));
  ASSERT_TRUE(client_->Call("connected", R"({"n":4})", done, 7));
  ASSERT_TRUE(client_->Call("connected", R"({"n":5})", done));
  RunUntil([&] { return answered == 5; });
  ASSERT_EQ(answered, 5u);
  std::map<int, ConcurrentReceiver::Seen> by_n;
  for (const auto& s : rx.seen()) by_n[s.n] = s;
  ASSERT_EQ(by_n.size(), 5u);
  EXPECT_GE(by_n[2].arrived_ms, by_n[1].answered_ms);
  EXPECT_GE(by_n[4].arrived_ms, by_n[2].answered_ms);
  EXPECT_LT(by_n[3].arrived_ms, by_n[1].answered_ms);  // another key does not wait
  EXPECT_LT(by_n[5].arrived_ms, by_n[1].answered_ms);
  EXPECT_EQ(client_->stats().in_flight, 0u);
}

TEST_F(HookClientTest, AWaitingCallOfABusyKeyStillTimesOut) {
  // #1 holds key 7 past the 100 ms timeout (the receiver answers after 150 ms): #1 fails as
  // timed out when its deadline comes, and #2, waiting behind it, by its own deadline.
  ConcurrentReceiver rx;
  Configure(rx.port(), /*timeout_ms=*/100);
  std::vector<std::string> errors;
  auto done = [&](const HookResponse& r) { errors.push_back(r.error); };
  const uint64_t start = util::MonotonicMs();
  ASSERT_TRUE(client_->Call("connected", R"({"n":1,"slow":true})", done, 7));
  ASSERT_TRUE(client_->Call("connected", R"({"n":2})", done, 7));
  RunUntil([&] { return errors.size() == 2; });
  EXPECT_EQ(errors, (std::vector<std::string>{"timed out", "timed out"}));
  EXPECT_LT(util::MonotonicMs() - start, 1000u);
  EXPECT_EQ(client_->stats().in_flight, 0u);
}

TEST(DecideHook, ReadsAllowRefuseTransformAndFailures) {
  auto decide = [](int status, std::string body, std::string error = "") {
    HookResponse r;
    r.status = status;
    r.body = std::move(body);
    r.error = std::move(error);
    return DecideHook(r);
  };
  HookDecision d = decide(200, "");
  EXPECT_TRUE(d.allowed && !d.failed);
  d = decide(204, "  \r\n");
  EXPECT_TRUE(d.allowed);
  d = decide(200, R"({"error":"VIP access required"})");
  EXPECT_FALSE(d.allowed || d.failed);
  EXPECT_EQ(d.message, "VIP access required");
  d = decide(200, R"({"error":{"message":"nope"}})");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.message, "nope");
  d = decide(200, R"({"jwt":{"sub":"u9","role":"vip"}})");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.user_id, "u9");
  EXPECT_EQ(d.claims, R"({"sub":"u9","role":"vip"})");
  d = decide(200, R"({"userId":"u1","claims":{"a":1}})");
  EXPECT_EQ(d.user_id, "u1");
  EXPECT_EQ(d.claims, R"({"a":1})");
  d = decide(200, R"({"message":{"event":"m","data":{"text":"HI"}}})");
  EXPECT_TRUE(d.has_data);
  EXPECT_EQ(d.data, R"({"text":"HI"})");
  d = decide(200, R"({"data":[1, 2]})");
  EXPECT_EQ(d.data, "[1,2]");
  d = decide(200, R"({"error":null,"data":"x"})");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.data, R"("x")");
  // Failures: no answer, another status, not a JSON object, too large.
  EXPECT_TRUE(decide(0, "", "timed out").failed);
  EXPECT_EQ(decide(0, "", "timed out").message, "timed out");
  EXPECT_TRUE(decide(500, "{}").failed);
  EXPECT_EQ(decide(302, "{}").message, "HTTP status 302");
  EXPECT_TRUE(decide(200, "not json").failed);
  EXPECT_TRUE(decide(200, "[1]").failed);
  HookResponse big;
  big.status = 200;
  big.body = "{}";
  big.truncated = true;
  EXPECT_TRUE(DecideHook(big).failed);
}

}  // namespace
}  // namespace ringcast::webhooks
