// cluster::Link on a real io_uring against a TCP peer played by the test (a listening socket on
// 127.0.0.1, blocking reads and writes on the accepted one): a command goes out and its reply,
// split anywhere, comes back whole; pipelined replies keep their order; the peer closing is
// heard once, after the last completion; Close() with a recv in flight; a refused connect;
// the outbound bound.
#include "cluster/link.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace ringcast::cluster {
namespace {

class Recorder : public Link::Handler {
 public:
  void OnOpen(uint32_t /*link*/) override { ++opened; }
  void OnReply(uint32_t /*link*/, RespValue&& reply) override { replies.push_back(reply); }
  void OnClosed(uint32_t /*link*/, const std::string& why) override {
    ++closed;
    reason = why;
  }
  int opened = 0;
  int closed = 0;
  std::string reason;
  std::vector<RespValue> replies;
};

class LinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(ring_.Init(32), 0);
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(listener_, 4), 0);
    socklen_t len = sizeof a;
    ASSERT_EQ(::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len), 0);
    std::memcpy(&addr_, &a, sizeof a);
    addr_len_ = sizeof a;
  }
  void TearDown() override {
    if (peer_ >= 0) ::close(peer_);
    ::close(listener_);
  }
  // Runs the ring until `done` or `rounds` rounds of up to 10 ms.
  template <typename F>
  void RunUntil(Link* link, F done, int rounds = 200) {
    for (int i = 0; i < rounds && !done(); ++i) {
      link->Flush();
      ring_.SubmitAndWait(1, 10);
      ring_.ForEachCqe([&](const io_uring_cqe& cqe) {
        ASSERT_TRUE(Link::Owns(cqe.user_data));
        EXPECT_EQ(Link::IdOf(cqe.user_data), 5u);
        link->OnCompletion(cqe);
      });
    }
    ring_.Submit();  // what the last completions queued (the owner's loop would, next turn)
  }
  void Accept() {
    peer_ = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    ASSERT_GE(peer_, 0);
  }
  std::string PeerRead(size_t n) {
    std::string got;
    char b[4096];
    while (got.size() < n) {
      ssize_t r = ::read(peer_, b, sizeof b);
      if (r <= 0) break;
      got.append(b, static_cast<size_t>(r));
    }
    return got;
  }
  void PeerWrite(std::string_view s) {
    ASSERT_EQ(::write(peer_, s.data(), s.size()), static_cast<ssize_t>(s.size()));
  }

  runtime::Ring ring_;
  int listener_ = -1;
  int peer_ = -1;
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
  Recorder rec_;
};

TEST_F(LinkTest, CommandOutReplyInSplitAnywhereAndPipelinedInOrder) {
  Link link(&ring_, 5, &rec_);
  std::string err;
  ASSERT_TRUE(link.Connect(addr_, addr_len_, 2000, &err)) << err;
  AppendCommand(link.outbound(), {"PING"});  // queued while connecting: sent once open
  RunUntil(&link, [&] { return rec_.opened == 1; });
  ASSERT_EQ(rec_.opened, 1);
  Accept();
  EXPECT_EQ(PeerRead(14), "*1\r\n$4\r\nPING\r\n");
  PeerWrite("+PO");
  RunUntil(
      &link, [&] { return false; }, 5);  // a part of a reply gives nothing
  EXPECT_TRUE(rec_.replies.empty());
  PeerWrite("NG\r\n:7\r\n$2\r\nab\r\n");
  RunUntil(&link, [&] { return rec_.replies.size() == 3; });
  ASSERT_EQ(rec_.replies.size(), 3u);
  EXPECT_TRUE(rec_.replies[0].IsStatus("PONG"));
  EXPECT_EQ(rec_.replies[1].integer, 7);
  EXPECT_EQ(rec_.replies[2].str, "ab");
  // The peer goes away: heard once, after the last completion; the link can connect again.
  ::close(peer_);
  peer_ = -1;
  RunUntil(&link, [&] { return rec_.closed == 1; });
  EXPECT_EQ(rec_.closed, 1);
  EXPECT_EQ(rec_.reason, "closed by Redis");
  EXPECT_EQ(link.state(), Link::State::kIdle);
  ASSERT_TRUE(link.Connect(addr_, addr_len_, 2000, &err)) << err;
  RunUntil(&link, [&] { return rec_.opened == 2; });
  EXPECT_EQ(rec_.opened, 2);
  link.Close("test");
  RunUntil(&link, [&] { return rec_.closed == 2; });
  EXPECT_EQ(rec_.reason, "test");
}

TEST_F(LinkTest, CloseWithRecvInFlightAndBadReply) {
  Link link(&ring_, 5, &rec_);
  std::string err;
  ASSERT_TRUE(link.Connect(addr_, addr_len_, 2000, &err)) << err;
  RunUntil(&link, [&] { return rec_.opened == 1; });
  Accept();
  PeerWrite("?garbage\r\n");
  RunUntil(&link, [&] { return rec_.closed == 1; });
  EXPECT_EQ(rec_.closed, 1);
  EXPECT_EQ(rec_.reason.rfind("bad reply", 0), 0u) << rec_.reason;
  EXPECT_EQ(PeerRead(1), "");  // our side closed the socket
}

TEST_F(LinkTest, RefusedConnectIsHeardAsClosed) {
  ::close(listener_);  // nobody listens on the port any more
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  Link link(&ring_, 5, &rec_);
  std::string err;
  ASSERT_TRUE(link.Connect(addr_, addr_len_, 2000, &err)) << err;
  RunUntil(&link, [&] { return rec_.closed == 1; });
  EXPECT_EQ(rec_.opened, 0);
  EXPECT_EQ(rec_.closed, 1);
  EXPECT_NE(rec_.reason.find("refused"), std::string::npos) << rec_.reason;
}

TEST_F(LinkTest, OutboundBound) {
  Link link(&ring_, 5, &rec_, 16);
  EXPECT_FALSE(link.Append("x"));  // idle: nothing to queue on
  std::string err;
  ASSERT_TRUE(link.Connect(addr_, addr_len_, 2000, &err)) << err;
  EXPECT_TRUE(link.Append("0123456789"));
  EXPECT_FALSE(link.Append("0123456789"));  // over 16
  EXPECT_EQ(link.room(), 6u);
  link.Close("test");
  RunUntil(&link, [&] { return rec_.closed == 1; });
  EXPECT_EQ(rec_.closed, 1);
}

}  // namespace
}  // namespace ringcast::cluster
