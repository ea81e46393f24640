// Tests for src/net/listener: a listening socket on an IPv4 or IPv6 literal, port 0 picking a
// free port that BoundPort reads back, several shards sharing one port (SO_REUSEPORT), and the
// errors: a host that is not a literal, a port taken by a socket without SO_REUSEPORT.
#include "net/listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>

namespace ringcast::net {
namespace {

bool CanConnect(int family, const char* host, int port) {
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int rc;
  if (family == AF_INET) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, host, &a.sin_addr);
    rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  } else {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET6, host, &a.sin6_addr);
    rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  close(fd);
  return rc == 0;
}

bool Ipv6LoopbackAvailable() {
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

TEST(Listener, PortZeroPicksAFreePortThatAcceptsConnections) {
  int fd = CreateListener("127.0.0.1", 0, 16);
  ASSERT_GE(fd, 0) << -fd;
  int port = BoundPort(fd);
  EXPECT_GT(port, 0);
  EXPECT_LE(port, 65535);
  EXPECT_TRUE(CanConnect(AF_INET, "127.0.0.1", port));
  int accepted = accept(fd, nullptr, nullptr);
  EXPECT_GE(accepted, 0);
  close(accepted);
  close(fd);
}

TEST(Listener, SocketIsCloseOnExec) {
  int fd = CreateListener("127.0.0.1", 0, 16);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  close(fd);
}

TEST(Listener, ShardsShareOnePortThroughReusePort) {
  int first = CreateListener("127.0.0.1", 0, 16);
  ASSERT_GE(first, 0);
  int port = BoundPort(first);
  int second = CreateListener("127.0.0.1", static_cast<uint16_t>(port), 16);
  ASSERT_GE(second, 0) << "errno " << -second;
  EXPECT_EQ(BoundPort(second), port);
  close(second);
  close(first);
}

TEST(Listener, FirstListenerLetsShardsJoinAndTheyShareConnections) {
  int first = CreateListener("127.0.0.1", 0, 64, ListenerRole::kFirst);
  ASSERT_GE(first, 0) << "errno " << -first;
  int port = BoundPort(first);
  int second = CreateListener("127.0.0.1", static_cast<uint16_t>(port), 64);
  ASSERT_GE(second, 0) << "errno " << -second;
  // The kernel spreads connections over both sockets (by a hash of the source port).
  int clients[32];
  for (int& c : clients) {
    c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  // Blocking connects are complete: every connection is queued on one of the two sockets.
  fcntl(first, F_SETFL, O_NONBLOCK);
  fcntl(second, F_SETFL, O_NONBLOCK);
  int accepted[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    for (int a; (a = accept4(i == 0 ? first : second, nullptr, nullptr, 0)) >= 0;) {
      ++accepted[i];
      close(a);
    }
  }
  EXPECT_EQ(accepted[0] + accepted[1], 32);
  EXPECT_GT(accepted[0], 0);
  EXPECT_GT(accepted[1], 0);
  for (int c : clients) close(c);
  close(second);
  close(first);
}

TEST(Listener, FirstListenerRefusesAPortAnotherProcessServes) {
  // Another server that joined with SO_REUSEPORT (what an older ringcast does): kFirst still
  // sees it, where kJoin would silently share its connections.
  int other = CreateListener("127.0.0.1", 0, 16);
  ASSERT_GE(other, 0);
  int port = BoundPort(other);
  EXPECT_EQ(CreateListener("127.0.0.1", static_cast<uint16_t>(port), 16, ListenerRole::kFirst),
            -EADDRINUSE);
  // A wildcard address overlaps the specific one.
  EXPECT_EQ(CreateListener("0.0.0.0", static_cast<uint16_t>(port), 16, ListenerRole::kFirst),
            -EADDRINUSE);
  int joined = CreateListener("127.0.0.1", static_cast<uint16_t>(port), 16);
  EXPECT_GE(joined, 0) << "kJoin shares the port: why the first shard must not use it";
  if (joined >= 0) close(joined);
  close(other);
}

TEST(Listener, PortHeldWithoutReusePortIsInUse) {
  int holder = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(holder, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(holder, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(holder, 4), 0);
  int port = BoundPort(holder);
  ASSERT_GT(port, 0);
  EXPECT_EQ(CreateListener("127.0.0.1", static_cast<uint16_t>(port), 16), -EADDRINUSE);
  close(holder);
}

TEST(Listener, HostMustBeAnAddressLiteral) {
  EXPECT_EQ(CreateListener("localhost", 0, 16), -EINVAL);
  EXPECT_EQ(CreateListener("", 0, 16), -EINVAL);
  EXPECT_EQ(CreateListener("256.1.1.1", 0, 16), -EINVAL);
  EXPECT_EQ(CreateListener("127.0.0.1:80", 0, 16), -EINVAL);
  EXPECT_EQ(CreateListener("[::1]", 0, 16), -EINVAL);
}

TEST(Listener, AnyAddressAcceptsLoopbackConnections) {
  int fd = CreateListener("0.0.0.0", 0, 16);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(CanConnect(AF_INET, "127.0.0.1", BoundPort(fd)));
  close(fd);
}

TEST(Listener, Ipv6Literal) {
  if (!Ipv6LoopbackAvailable()) GTEST_SKIP() << "no IPv6 loopback in this environment";
  int fd = CreateListener("::1", 0, 16);
  ASSERT_GE(fd, 0) << -fd;
  int port = BoundPort(fd);
  EXPECT_GT(port, 0);
  EXPECT_TRUE(CanConnect(AF_INET6, "::1", port));
  close(fd);
}

TEST(Listener, BoundPortOfSomethingThatIsNotASocketIsMinusOne) {
  EXPECT_EQ(BoundPort(-1), -1);
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  EXPECT_EQ(BoundPort(pipefd[0]), -1);
  close(pipefd[0]);
  close(pipefd[1]);
}

}  // namespace
}  // namespace ringcast::net
