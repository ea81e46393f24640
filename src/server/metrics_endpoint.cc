#include "server/metrics_endpoint.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "http/response.h"
#include "net/listener.h"
#include "util/clock.h"
#include "util/log.h"

namespace ringcast::server {

namespace {
constexpr size_t kMaxHead = 8192;
constexpr uint64_t kHeadTimeoutMs = 2000;

void WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}
}  // namespace

bool ParseRequestLine(std::string_view head, std::string_view* method, std::string_view* path) {
  std::string_view line = head.substr(0, head.find("\r\n"));
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return false;
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return false;
  *method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  *path = target.substr(0, target.find('?'));
  return true;
}

MetricsEndpoint::~MetricsEndpoint() { Stop(); }

int MetricsEndpoint::Start(const std::string& host, uint16_t port) {
  int fd = net::CreateListener(host, port, 64, net::ListenerRole::kFirst);
  if (fd < 0) {
    RC_ERROR("cannot listen on %s:%u for metrics: %s", host.c_str(), port, std::strerror(-fd));
    return fd;
  }
  listen_fd_ = fd;
  port_ = static_cast<uint16_t>(net::BoundPort(fd));
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) {
    int err = errno;
    close(listen_fd_);
    listen_fd_ = -1;
    return -err;
  }
  thread_ = std::thread([this] { Run(); });
  return 0;
}

void MetricsEndpoint::Stop() {
  if (!thread_.joinable()) return;
  uint64_t one = 1;
  ssize_t unused = ::write(stop_fd_, &one, sizeof one);
  (void)unused;
  thread_.join();
  close(listen_fd_);
  close(stop_fd_);
  listen_fd_ = stop_fd_ = -1;
}

void MetricsEndpoint::Run() {
  pthread_setname_np(pthread_self(), "rc-metrics");
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    int n = poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || (fds[1].revents & POLLIN) != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;  // EAGAIN (a non-blocking listener), ECONNABORTED, EMFILE: poll again
    Serve(fd);
    close(fd);
  }
}

void MetricsEndpoint::Serve(int fd) {
  // A blocking socket (accept4 does not inherit O_NONBLOCK), bounded by a deadline for the head
  // and a send timeout, so that a client that sends nothing or reads nothing cannot hold the
  // thread for long.
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string head;
  char buf[2048];
  const uint64_t deadline = util::MonotonicMs() + kHeadTimeoutMs;
  while (head.find("\r\n\r\n") == std::string::npos) {
    if (head.size() >= kMaxHead) {
      std::string out;
      http::AppendJsonError(&out, 431, "Request head too large", false);
      WriteAll(fd, out);
      return;
    }
    uint64_t now = util::MonotonicMs();
    if (now >= deadline) return;  // a slow drip may not hold the thread
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(deadline - now)) <= 0) return;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return;
    head.append(buf, static_cast<size_t>(n));
  }
  std::string out;
  std::string_view method;
  std::string_view path;
  if (!ParseRequestLine(head, &method, &path)) {
    http::AppendJsonError(&out, 400, "Bad request line", false);
    WriteAll(fd, out);
    return;
  }
  if (method != "GET" && method != "HEAD") {
    http::AppendJsonError(&out, 405, "Use GET", false);
  } else if (path == "/metrics") {
    http::AppendResponse(&out, 200, metrics::TextWriter::kContentType, registry_->Render(), false);
  } else if (path == "/health") {
    http::AppendResponse(&out, 200, "application/json", "{\"ok\":true}", false);
  } else if (path == "/ready") {
    bool ready = ready_();
    http::AppendResponse(&out, ready ? 200 : 503, "application/json",
                         ready ? "{\"ok\":true}" : "{\"ok\":false}", false);
  } else {
    http::AppendJsonError(&out, 404, "Not found", false);
  }
  if (method == "HEAD") out.resize(out.find("\r\n\r\n") + 4);  // the head only (RFC 9110 9.3.2)
  WriteAll(fd, out);
}

}  // namespace ringcast::server
