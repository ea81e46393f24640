// Test helpers for the cluster units: a free loopback port, and a redis-server child on it
// (Debian's; tools/dev installs it; a missing one makes WaitUp fail).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace ringcast::cluster {

inline uint16_t FreePort() {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  (void)::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  (void)::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

class RedisServer {
 public:
  explicit RedisServer(uint16_t port, std::string password = "") : port_(port) {
    pid_ = ::fork();
    if (pid_ == 0) {
      std::string p = std::to_string(port);
      std::vector<const char*> argv = {"redis-server", "--port",    p.c_str(),  "--bind",
                                       "127.0.0.1",    "--save",    "",         "--appendonly",
                                       "no",           "--logfile", "/dev/null"};
      if (!password.empty()) {
        argv.push_back("--requirepass");
        argv.push_back(password.c_str());
      }
      argv.push_back(nullptr);
      ::execvp("redis-server", const_cast<char* const*>(argv.data()));
      ::_exit(127);
    }
  }
  ~RedisServer() { Kill(); }
  // Waits until it accepts connections; false when it did not start.
  bool WaitUp() {
    for (int i = 0; i < 300; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port_);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      ::close(s);
      if (ok) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  void Pause() {
    if (pid_ > 0) ::kill(pid_, SIGSTOP);
  }
  void Resume() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
  }
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::kill(pid_, SIGCONT);  // a paused process dies only once it runs
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  uint16_t port_;
  pid_t pid_ = -1;
};

}  // namespace ringcast::cluster
