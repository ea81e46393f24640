// Test support: runs a real IoLoop on its own thread with a listening socket on 127.0.0.1, test
// Sessions whose behaviour the test gives, and plain blocking client sockets. The test reaches
// the loop only as a shard's peers do: it posts tasks that the Delegate's DrainInbound runs on
// the loop thread, and wakes the loop through its Waker. Used by the net and engine tests.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "net/io_loop.h"
#include "net/listener.h"
#include "runtime/waker.h"

namespace ringcast::net::test_support {

using namespace std::chrono_literals;

// A Session whose behaviour is given by the test. Every callback runs on the loop thread.
struct FnSession : public Session {
  std::function<void(Connection&, std::string_view)> on_data;
  std::function<void(Connection&, uint8_t)> on_timer;
  std::function<void(Connection&)> on_overflow;
  std::function<void(Connection&)> on_closed;
  std::function<void(Connection&, std::string_view)> on_peer_address;
  std::function<void()> on_destroy;

  ~FnSession() override {
    if (on_destroy) on_destroy();
  }
  void OnData(Connection& c, char* data, size_t len) override {
    if (on_data) on_data(c, std::string_view(data, len));
  }
  void OnTimer(Connection& c, uint8_t kind) override {
    if (on_timer) on_timer(c, kind);
  }
  void OnOverflow(Connection& c) override {
    if (on_overflow) on_overflow(c);
  }
  void OnClosed(Connection& c) override {
    if (on_closed) on_closed(c);
  }
  void OnPeerAddress(Connection& c, std::string_view ip) override {
    if (on_peer_address) on_peer_address(c, ip);
  }
};

// Runs an IoLoop on its own thread (it is constructed, run and destroyed there).
class LoopThread : public IoLoop::Delegate {
 public:
  using Factory = std::function<Session*(IoLoop&, Connection&)>;

  LoopThread(IoLoopOptions options, Factory factory) : factory_(std::move(factory)) {
    int fd = CreateListener("127.0.0.1", 0, 64);
    EXPECT_GE(fd, 0);
    port_ = static_cast<uint16_t>(BoundPort(fd));
    options.listen_fd = fd;
    std::promise<int> ready;
    std::future<int> ready_f = ready.get_future();
    thread_ = std::thread([this, options, &ready] {
      IoLoop loop;
      loop_ = &loop;
      int rc = loop.Init(options, this, &waker_);
      ready.set_value(rc);
      if (rc == 0) loop.Run();
      final_stats_ = loop.stats();
      loop_ = nullptr;
    });
    init_rc_ = ready_f.get();
    EXPECT_EQ(init_rc_, 0);
  }
  ~LoopThread() override { Stop(); }

  uint16_t port() const { return port_; }

  // Runs `task` on the loop thread at its next turn.
  void Post(std::function<void(IoLoop&)> task) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks_.push_back(std::move(task));
      has_tasks_.store(true);
    }
    waker_.WakeIfSleeping();
  }
  // Runs `task` on the loop thread and waits for it.
  template <typename F>
  auto Call(F&& f) -> decltype(f(std::declval<IoLoop&>())) {
    using R = decltype(f(std::declval<IoLoop&>()));
    auto p = std::make_shared<std::promise<R>>();
    std::future<R> fut = p->get_future();
    Post([p, f = std::forward<F>(f)](IoLoop& loop) mutable {
      if constexpr (std::is_void_v<R>) {
        f(loop);
        p->set_value();
      } else {
        p->set_value(f(loop));
      }
    });
    return fut.get();
  }
  // Polls `pred` on the loop thread until it holds or `timeout` passes.
  bool WaitFor(std::function<bool(IoLoop&)> pred, std::chrono::milliseconds timeout = 5000ms) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      if (Call([&](IoLoop& loop) { return pred(loop); })) return true;
      std::this_thread::sleep_for(2ms);
    }
    return false;
  }
  // While set, runs once per turn on the loop thread and keeps the loop turning (returns more).
  void SetPump(std::function<bool(IoLoop&)> pump) {
    Call([&](IoLoop&) { pump_ = std::move(pump); });
  }
  void Stop() {
    if (!thread_.joinable()) return;
    stop_.store(true);
    waker_.WakeIfSleeping();
    thread_.join();
  }
  const IoLoopStats& final_stats() const { return final_stats_; }
  runtime::Waker& waker() { return waker_; }

  // ---- IoLoop::Delegate (loop thread) ----
  Session* NewSession(Connection& c) override { return factory_(*loop_, c); }
  bool DrainInbound() override {
    std::vector<std::function<void(IoLoop&)>> tasks;
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks.swap(tasks_);
      has_tasks_.store(false);
    }
    for (auto& t : tasks) t(*loop_);
    bool more = false;
    if (pump_) more = pump_(*loop_);
    if (stop_.load()) loop_->Stop();
    return more;
  }
  bool InboundEmpty() override { return !has_tasks_.load() && !stop_.load(); }
  bool ExpectMoreOutput() override { return expect_more_.load(); }
  // What ExpectMoreOutput answers (adaptive flush); false unless a test sets it.
  void set_expect_more(bool v) { expect_more_.store(v); }

 private:
  Factory factory_;
  uint16_t port_ = 0;
  int init_rc_ = -1;
  runtime::Waker waker_;
  IoLoop* loop_ = nullptr;
  std::mutex mu_;
  std::vector<std::function<void(IoLoop&)>> tasks_;
  std::atomic<bool> has_tasks_{false};
  std::atomic<bool> stop_{false};
  std::atomic<bool> expect_more_{false};
  std::function<bool(IoLoop&)> pump_;
  IoLoopStats final_stats_;
  std::thread thread_;
};

// A blocking client socket with a receive timeout, so a missing byte fails instead of hanging.
class Client {
 public:
  explicit Client(uint16_t port, int rcvbuf = 0) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_GE(fd_, 0);
    if (rcvbuf > 0) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  ~Client() { Close(); }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  // Sends our FIN (the peer may still write to us).
  void ShutdownWrite() { shutdown(fd_, SHUT_WR); }
  void Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      ASSERT_GT(n, 0) << "send: " << strerror(errno);
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }
  // Reads exactly `n` bytes (fewer on EOF, error or timeout).
  std::string Read(size_t n) {
    std::string out;
    char buf[65536];
    while (out.size() < n) {
      ssize_t got = recv(fd_, buf, std::min(sizeof buf, n - out.size()), 0);
      if (got <= 0) break;
      out.append(buf, static_cast<size_t>(got));
    }
    return out;
  }
  // Reads until the server closes; *eof says whether it did (rather than a timeout or error).
  std::string ReadToEof(bool* eof) {
    std::string out;
    char buf[65536];
    *eof = false;
    while (true) {
      ssize_t got = recv(fd_, buf, sizeof buf, 0);
      if (got == 0) {
        *eof = true;
        break;
      }
      if (got < 0) break;
      out.append(buf, static_cast<size_t>(got));
    }
    return out;
  }

 private:
  int fd_ = -1;
};

inline IoLoopOptions SmallOptions() {
  IoLoopOptions o;
  o.read_buffers = 64;
  o.read_buffer_size = 4096;
  o.ring_entries = 256;
  return o;
}

}  // namespace ringcast::net::test_support
