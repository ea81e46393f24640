// floor_bench: the kernel floor of fan-out. The cheapest possible delivery of one pre-built
// WebSocket frame to M loopback TCP sockets through the same kernel interfaces ringcast uses,
// so that ringcast's server CPU per delivery can be divided by it (issue #3).
//
// What it does: a receiver process (forked, pinned to --receiver-cpu) connects M sockets to a
// listener of the sender (this process, pinned to --sender-cpu; TCP_NODELAY on the sending
// side, as ringcast sets it) and drains them with epoll as fast as it can. The sender writes
// the same pre-built frame (a server-to-client text frame of --frame-bytes bytes in all) to
// every socket, round after round: --warmup-rounds unmeasured, then --rounds measured.
// Modes (each delivery is one frame; a write carries K = --frames-per-write frames):
//   send          one send() per write (K must be 1)
//   sendmsg       one sendmsg() per write with K iovecs pointing at the same frame
//   uring         one IORING_OP_SEND SQE per write (K must be 1)
//   uring-writev  one IORING_OP_SENDMSG SQE per write with K iovecs, as ringcast's
//                 IoLoop::FlushSends writes (the "io_uring with coalesced writev")
// io_uring modes use the project's runtime::Ring (4096 entries, SINGLE_ISSUER|DEFER_TASKRUN,
// like a ringcast shard): one submit-and-wait per round, or per 4096 writes when M > 4096.
//
// Reports: sender CPU time per delivery from /proc/self/task/TID/schedstat (exact ns; on
// loopback it includes the receiving socket's TCP input, which runs in the sender's softirq),
// sender wall time, the time to issue one round (p50/p99/max), per-delivery latency from the
// start of its round to the receiver's read (p50/p99, one sample per write), the time from a
// round's start to its last receipt (p50/p99), the receiver's CPU (to show it kept up), and
// the sender's voluntary context switches (blocking writes: the receiver fell behind).
// --round-interval-us paces rounds (e.g. 16667 for 60 rounds/s, the latency scenario);
// 0 (default) runs them back to back (saturation).
// Why a process and not a thread for the receiver: one process may hold at most
// RLIMIT_NOFILE descriptors (20000 on the project machine), and M = 10000 needs 2M.
// Output: one line of text, and JSON with --json FILE ("-" for stdout). Exit 0, or 1 on a
// setup or I/O failure (the reason on stderr). Not a Google Benchmark: it needs sockets and a
// second process.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/ring.h"

namespace {

constexpr unsigned kRingEntries = 4096;  // as net::IoLoopOptions::ring_entries
constexpr int kMaxIov = 64;              // as IoLoop's kMaxIov

enum class Mode { kSend, kSendmsg, kUring, kUringWritev };

struct Options {
  Mode mode = Mode::kSend;
  const char* mode_name = "send";
  uint32_t sockets = 1000;
  uint32_t rounds = 0;         // 0: about 2 million deliveries
  uint32_t warmup_rounds = 0;  // 0: a tenth of the rounds, at least 2
  uint32_t frames_per_write = 1;
  uint32_t frame_bytes = 130;
  int sender_cpu = 0;
  int receiver_cpu = 1;
  uint64_t round_interval_ns = 0;
  std::string json_path;
};

uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// sum_exec_runtime of one thread, in ns (the first field of schedstat).
uint64_t ThreadCpuNs(pid_t tid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/task/%d/schedstat", static_cast<int>(tid));
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return 0;
  unsigned long long ns = 0;
  if (std::fscanf(f, "%llu", &ns) != 1) ns = 0;
  std::fclose(f);
  return ns;
}

uint64_t VoluntarySwitches(pid_t tid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/task/%d/status", static_cast<int>(tid));
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return 0;
  char line[256];
  unsigned long long n = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "voluntary_ctxt_switches: %llu", &n) == 1) break;
  }
  std::fclose(f);
  return n;
}

bool Pin(int cpu) {
  if (cpu < 0) return true;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof set, &set) == 0;
}

void RaiseFdLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

// A server-to-client text frame of `total` bytes: header plus 'x' payload.
std::string BuildFrame(uint32_t total) {
  std::string f;
  uint32_t payload;
  if (total <= 2 + 125) {
    payload = total > 2 ? total - 2 : 0;
    f.push_back(static_cast<char>(0x81));
    f.push_back(static_cast<char>(payload));
  } else if (total <= 4 + 65535) {
    payload = total - 4;
    f.push_back(static_cast<char>(0x81));
    f.push_back(static_cast<char>(126));
    f.push_back(static_cast<char>(payload >> 8));
    f.push_back(static_cast<char>(payload & 0xff));
  } else {
    payload = total - 10;
    f.push_back(static_cast<char>(0x81));
    f.push_back(static_cast<char>(127));
    for (int i = 7; i >= 0; --i)
      f.push_back(static_cast<char>((uint64_t{payload} >> (8 * i)) & 0xff));
  }
  f.append(payload, 'x');
  return f;
}

template <typename T>
T Percentile(std::vector<T>* v, double p) {
  if (v->empty()) return T{};
  size_t k = static_cast<size_t>(p / 100.0 * static_cast<double>(v->size() - 1) + 0.5);
  std::nth_element(v->begin(), v->begin() + static_cast<ptrdiff_t>(k), v->end());
  return (*v)[k];
}

// What the receiver sends back through a pipe at the end.
struct ReceiverResult {
  uint64_t cpu_ns = 0;
  uint64_t wall_ns = 0;  // first byte to last byte
  uint64_t bytes = 0;
  uint64_t latency_p50_ns = 0;
  uint64_t latency_p99_ns = 0;
  uint64_t latency_max_ns = 0;
  uint64_t last_p50_ns = 0;  // round start to the round's last receipt
  uint64_t last_p99_ns = 0;
  uint64_t last_max_ns = 0;
  int32_t error = 0;  // errno of a failure, 0 when all bytes arrived
  int32_t timed_out = 0;
};

bool WriteAll(int fd, const void* p, size_t n) {
  const char* c = static_cast<const char*>(p);
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    c += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool ReadAll(int fd, void* p, size_t n) {
  char* c = static_cast<char*>(p);
  while (n > 0) {
    ssize_t r = read(fd, c, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    c += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// The receiver process: connect, say ready, drain until every byte arrived, report.
[[noreturn]] void Receiver(const Options& o, uint16_t port, uint32_t total_rounds,
                           const std::atomic<uint64_t>* round_start, int ready_fd, int result_fd) {
  ReceiverResult res;
  Pin(o.receiver_cpu);
  RaiseFdLimit();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<int> fds;
  int ep = epoll_create1(EPOLL_CLOEXEC);
  for (uint32_t i = 0; i < o.sockets && res.error == 0; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      res.error = errno;
      break;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    fds.push_back(fd);
  }
  char c = res.error == 0 ? 'r' : 'e';
  WriteAll(ready_fd, &c, 1);
  if (res.error != 0) {
    WriteAll(result_fd, &res, sizeof res);
    _exit(1);
  }
  const uint64_t unit = uint64_t{o.frame_bytes} * o.frames_per_write;  // bytes per write
  const uint64_t expected = unit * o.sockets * total_rounds;
  std::vector<uint64_t> got(o.sockets, 0);
  std::vector<uint64_t> latencies;
  latencies.reserve(static_cast<size_t>(o.sockets) * o.rounds);
  std::vector<uint64_t> last(total_rounds, 0);
  std::vector<char> buf(1 << 18);
  std::vector<epoll_event> events(1024);
  pid_t tid = static_cast<pid_t>(syscall(SYS_gettid));
  uint64_t cpu0 = ThreadCpuNs(tid);
  uint64_t first = 0;
  uint64_t now = 0;
  uint64_t give_up = NowNs() + 600'000'000'000ull;
  while (res.bytes < expected) {
    int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 1000);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      res.error = errno;
      break;
    }
    if (NowNs() > give_up) {
      res.timed_out = 1;
      break;
    }
    for (int e = 0; e < n; ++e) {
      uint32_t i = events[e].data.u32;
      ssize_t r = read(fds[i], buf.data(), buf.size());
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        res.error = r == 0 ? ECONNRESET : errno;
        break;
      }
      now = NowNs();
      if (first == 0) first = now;
      uint64_t before = got[i];
      uint64_t after = before + static_cast<uint64_t>(r);
      got[i] = after;
      res.bytes += static_cast<uint64_t>(r);
      for (uint64_t u = before / unit; u < after / unit; ++u) {
        uint64_t start = round_start[u].load(std::memory_order_acquire);
        uint64_t lat = now > start ? now - start : 0;
        if (u >= o.warmup_rounds) latencies.push_back(lat);
        last[u] = std::max(last[u], lat);
      }
    }
    if (res.error != 0) break;
  }
  res.cpu_ns = ThreadCpuNs(tid) - cpu0;
  res.wall_ns = now - first;
  uint64_t lat_max = 0;
  for (uint64_t l : latencies) lat_max = std::max(lat_max, l);
  res.latency_max_ns = lat_max;
  res.latency_p50_ns = Percentile(&latencies, 50);
  res.latency_p99_ns = Percentile(&latencies, 99);
  std::vector<uint64_t> measured_last(last.begin() + o.warmup_rounds, last.end());
  for (uint64_t l : measured_last) res.last_max_ns = std::max(res.last_max_ns, l);
  res.last_p50_ns = Percentile(&measured_last, 50);
  res.last_p99_ns = Percentile(&measured_last, 99);
  WriteAll(result_fd, &res, sizeof res);
  _exit(res.error == 0 && res.timed_out == 0 ? 0 : 1);
}

struct SenderResult {
  uint64_t cpu_ns = 0;
  uint64_t wall_ns = 0;
  uint64_t voluntary_switches = 0;
  uint64_t short_writes = 0;
  std::vector<uint64_t> round_ns;
};

// Finishes a write that the kernel took only partly (blocking, so it completes).
bool FinishShortWrite(int fd, const std::string& frame, uint32_t k, size_t done) {
  size_t total = frame.size() * k;
  while (done < total) {
    size_t off = done % frame.size();
    ssize_t w = send(fd, frame.data() + off, frame.size() - off, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    done += static_cast<size_t>(w);
  }
  return true;
}

class Sender {
 public:
  Sender(const Options& o, const std::vector<int>& fds, const std::string& frame)
      : o_(o), fds_(fds), frame_(frame) {
    for (uint32_t k = 0; k < o.frames_per_write; ++k) {
      iov_[k].iov_base = const_cast<char*>(frame_.data());
      iov_[k].iov_len = frame_.size();
    }
    msg_.msg_iov = iov_;
    msg_.msg_iovlen = o.frames_per_write;
  }

  int InitRing() { return ring_.Init(kRingEntries); }

  // One round: one write to every socket. Returns false on an I/O error (errno in err_).
  bool Round() {
    switch (o_.mode) {
      case Mode::kSend:
        for (int fd : fds_) {
          ssize_t w = send(fd, frame_.data(), frame_.size(), MSG_NOSIGNAL);
          if (w != static_cast<ssize_t>(frame_.size()) && !Short(fd, w)) return false;
        }
        return true;
      case Mode::kSendmsg:
        for (int fd : fds_) {
          ssize_t w = sendmsg(fd, &msg_, MSG_NOSIGNAL);
          if (w != static_cast<ssize_t>(frame_.size() * o_.frames_per_write) && !Short(fd, w)) {
            return false;
          }
        }
        return true;
      case Mode::kUring:
      case Mode::kUringWritev:
        return UringRound();
    }
    return false;
  }

  uint64_t short_writes() const { return short_writes_; }
  int err() const { return err_; }

 private:
  bool Short(int fd, ssize_t w) {
    if (w < 0) {
      err_ = errno;
      return false;
    }
    ++short_writes_;
    if (!FinishShortWrite(fd, frame_, o_.frames_per_write, static_cast<size_t>(w))) {
      err_ = errno;
      return false;
    }
    return true;
  }

  bool UringRound() {
    const size_t want = frame_.size() * o_.frames_per_write;
    size_t i = 0;
    while (i < fds_.size()) {
      size_t end = std::min(fds_.size(), i + kRingEntries);
      for (size_t j = i; j < end; ++j) {
        io_uring_sqe* sqe = ring_.Sqe();
        if (o_.mode == Mode::kUring) {
          io_uring_prep_send(sqe, fds_[j], frame_.data(), frame_.size(), MSG_NOSIGNAL);
        } else {
          io_uring_prep_sendmsg(sqe, fds_[j], &msg_, MSG_NOSIGNAL);
        }
        io_uring_sqe_set_data64(sqe, j);
      }
      unsigned pending = static_cast<unsigned>(end - i);
      while (pending > 0) {
        int rc = ring_.SubmitAndWait(pending, -1);
        if (rc < 0 && rc != -EINTR) {
          err_ = -rc;
          return false;
        }
        bool ok = true;
        pending -= ring_.ForEachCqe([&](const io_uring_cqe& cqe) {
          if (cqe.res == static_cast<int>(want)) return;
          if (cqe.res < 0) {
            err_ = -cqe.res;
            ok = false;
            return;
          }
          ++short_writes_;
          if (!FinishShortWrite(fds_[cqe.user_data], frame_, o_.frames_per_write,
                                static_cast<size_t>(cqe.res))) {
            err_ = errno;
            ok = false;
          }
        });
        if (!ok) return false;
      }
      i = end;
    }
    return true;
  }

  const Options& o_;
  const std::vector<int>& fds_;
  const std::string& frame_;
  iovec iov_[kMaxIov];
  msghdr msg_{};
  ringcast::runtime::Ring ring_;
  uint64_t short_writes_ = 0;
  int err_ = 0;
};

bool ParseUint(const char* s, uint64_t* out) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0') return false;
  *out = v;
  return true;
}

const char kUsage[] =
    "usage: floor_bench [--mode send|sendmsg|uring|uring-writev] [--sockets M] [--rounds R]\n"
    "                   [--warmup-rounds W] [--frames-per-write K] [--frame-bytes B]\n"
    "                   [--sender-cpu C] [--receiver-cpu C] [--round-interval-us U]\n"
    "                   [--json FILE|-]\n"
    "defaults: send, M=1000, R about 2M deliveries / (M*K), W=R/10 (at least 2), K=1, B=130,\n"
    "sender on CPU 0, receiver on CPU 1 (-1: unpinned), U=0 (rounds back to back)\n";

bool ParseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    std::string_view name = argv[i];
    if (name == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "floor_bench: %s needs a value\n%s", argv[i], kUsage);
      return false;
    }
    const char* value = argv[++i];
    uint64_t v = 0;
    bool num = ParseUint(value, &v);
    if (name == "--mode") {
      std::string_view m = value;
      o->mode_name = value;
      if (m == "send") {
        o->mode = Mode::kSend;
      } else if (m == "sendmsg") {
        o->mode = Mode::kSendmsg;
      } else if (m == "uring") {
        o->mode = Mode::kUring;
      } else if (m == "uring-writev") {
        o->mode = Mode::kUringWritev;
      } else {
        std::fprintf(stderr, "floor_bench: unknown mode %s\n", value);
        return false;
      }
      continue;
    }
    if (name == "--json") {
      o->json_path = value;
      continue;
    }
    bool signed_cpu = name == "--sender-cpu" || name == "--receiver-cpu";
    if (signed_cpu && std::string_view(value) == "-1") {
      (name == "--sender-cpu" ? o->sender_cpu : o->receiver_cpu) = -1;
      continue;
    }
    if (!num) {
      std::fprintf(stderr, "floor_bench: %s: not a number: %s\n", argv[i - 1], value);
      return false;
    }
    if (name == "--sockets" && v >= 1 && v <= 1'000'000) {
      o->sockets = static_cast<uint32_t>(v);
    } else if (name == "--rounds" && v <= 100'000'000) {
      o->rounds = static_cast<uint32_t>(v);
    } else if (name == "--warmup-rounds" && v <= 100'000'000) {
      o->warmup_rounds = static_cast<uint32_t>(v);
    } else if (name == "--frames-per-write" && v >= 1 && v <= kMaxIov) {
      o->frames_per_write = static_cast<uint32_t>(v);
    } else if (name == "--frame-bytes" && v >= 2 && v <= (1u << 20)) {
      o->frame_bytes = static_cast<uint32_t>(v);
    } else if (name == "--sender-cpu" && v < 1024) {
      o->sender_cpu = static_cast<int>(v);
    } else if (name == "--receiver-cpu" && v < 1024) {
      o->receiver_cpu = static_cast<int>(v);
    } else if (name == "--round-interval-us" && v <= 10'000'000) {
      o->round_interval_ns = v * 1000;
    } else {
      std::fprintf(stderr, "floor_bench: bad option or value: %s %s\n%s", argv[i - 1], value,
                   kUsage);
      return false;
    }
  }
  if ((o->mode == Mode::kSend || o->mode == Mode::kUring) && o->frames_per_write != 1) {
    std::fprintf(stderr,
                 "floor_bench: --mode %s writes one frame per write (use sendmsg or "
                 "uring-writev for K > 1)\n",
                 o->mode_name);
    return false;
  }
  if (o->rounds == 0) {
    uint64_t per_round = uint64_t{o->sockets} * o->frames_per_write;
    o->rounds = static_cast<uint32_t>(std::max<uint64_t>(3, 2'000'000 / per_round));
  }
  if (o->warmup_rounds == 0) o->warmup_rounds = std::max<uint32_t>(2, o->rounds / 10);
  return true;
}

int Fail(const char* what, int err) {
  std::fprintf(stderr, "floor_bench: %s: %s\n", what, std::strerror(err));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseArgs(argc, argv, &o)) return 1;
  RaiseFdLimit();
  std::string frame = BuildFrame(o.frame_bytes);
  const uint32_t total_rounds = o.warmup_rounds + o.rounds;

  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof addr;
  if (lfd < 0 || bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(lfd, 65535) != 0 || getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0) {
    return Fail("listen", errno);
  }
  // Round starts, shared with the receiver (MAP_SHARED, set up before fork): written by the
  // sender before the round's first write, read by the receiver after it read that round's
  // bytes, so the read happens after the write.
  size_t shared_bytes = sizeof(std::atomic<uint64_t>) * total_rounds;
  void* shared =
      mmap(nullptr, shared_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) return Fail("mmap", errno);
  auto* round_start = static_cast<std::atomic<uint64_t>*>(shared);
  int ready_pipe[2];
  int result_pipe[2];
  if (pipe2(ready_pipe, O_CLOEXEC) != 0 || pipe2(result_pipe, O_CLOEXEC) != 0) {
    return Fail("pipe", errno);
  }
  pid_t child = fork();
  if (child < 0) return Fail("fork", errno);
  if (child == 0) {
    close(lfd);
    Receiver(o, ntohs(addr.sin_port), total_rounds, round_start, ready_pipe[1], result_pipe[1]);
  }
  close(ready_pipe[1]);
  close(result_pipe[1]);

  if (!Pin(o.sender_cpu)) return Fail("sched_setaffinity", errno);
  std::vector<int> fds;
  fds.reserve(o.sockets);
  while (fds.size() < o.sockets) {
    int fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      kill(child, SIGKILL);
      return Fail("accept", err);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fds.push_back(fd);
  }
  char c = 0;
  if (!ReadAll(ready_pipe[0], &c, 1) || c != 'r') {
    ReceiverResult r;
    ReadAll(result_pipe[0], &r, sizeof r);
    waitpid(child, nullptr, 0);
    return Fail("receiver connect", r.error);
  }

  Sender sender(o, fds, frame);
  if (o.mode == Mode::kUring || o.mode == Mode::kUringWritev) {
    int rc = sender.InitRing();
    if (rc < 0) return Fail("io_uring setup", -rc);
  }
  pid_t tid = static_cast<pid_t>(syscall(SYS_gettid));
  SenderResult res;
  res.round_ns.reserve(o.rounds);
  uint64_t cpu0 = 0;
  uint64_t wall0 = 0;
  uint64_t vol0 = 0;
  uint64_t next = NowNs();
  bool ok = true;
  for (uint32_t r = 0; r < total_rounds && ok; ++r) {
    if (r == o.warmup_rounds) {
      cpu0 = ThreadCpuNs(tid);
      vol0 = VoluntarySwitches(tid);
      wall0 = NowNs();
      next = wall0;
    }
    if (o.round_interval_ns > 0) {
      timespec ts{static_cast<time_t>(next / 1'000'000'000),
                  static_cast<long>(next % 1'000'000'000)};
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
      }
      next += o.round_interval_ns;
    }
    uint64_t start = NowNs();
    round_start[r].store(start, std::memory_order_release);
    ok = sender.Round();
    if (r >= o.warmup_rounds) res.round_ns.push_back(NowNs() - start);
  }
  uint64_t wall1 = NowNs();
  res.cpu_ns = ThreadCpuNs(tid) - cpu0;
  res.voluntary_switches = VoluntarySwitches(tid) - vol0;
  res.wall_ns = wall1 - wall0;
  res.short_writes = sender.short_writes();
  if (!ok) {
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    return Fail("write", sender.err());
  }
  ReceiverResult rr;
  bool got = ReadAll(result_pipe[0], &rr, sizeof rr);
  int status = 0;
  waitpid(child, &status, 0);
  for (int fd : fds) close(fd);
  if (!got || rr.error != 0 || rr.timed_out != 0) {
    return Fail(rr.timed_out ? "receiver timed out" : "receiver", rr.error ? rr.error : EIO);
  }

  const double deliveries = static_cast<double>(o.rounds) * o.sockets * o.frames_per_write;
  const double cpu_us = static_cast<double>(res.cpu_ns) / 1e3 / deliveries;
  uint64_t round_max = 0;
  for (uint64_t v : res.round_ns) round_max = std::max(round_max, v);
  const double round_p50 = static_cast<double>(Percentile(&res.round_ns, 50)) / 1e3;
  const double round_p99 = static_cast<double>(Percentile(&res.round_ns, 99)) / 1e3;
  const double wall_s = static_cast<double>(res.wall_ns) / 1e9;
  std::printf(
      "floor_bench: mode %s, %u sockets, %u B frame, %u frame(s)/write, %u rounds (+%u warm-up)"
      "%s\n"
      "  sender   %.3f CPU-us/delivery, %.0f deliveries/s, %.0f deliveries per CPU-s, "
      "CPU %.0f%% of wall %.3f s, %" PRIu64 " blocking switches, %" PRIu64
      " short writes\n"
      "  round    p50 %.1f  p99 %.1f  max %.1f us to write all sockets once\n"
      "  receive  latency p50 %.1f  p99 %.1f  max %.1f us; last of round p50 %.1f  p99 %.1f us;"
      " receiver CPU %.0f%%\n",
      o.mode_name, o.sockets, o.frame_bytes, o.frames_per_write, o.rounds, o.warmup_rounds,
      o.round_interval_ns
          ? (" paced every " + std::to_string(o.round_interval_ns / 1000) + " us").c_str()
          : "",
      cpu_us, deliveries / wall_s, deliveries / (static_cast<double>(res.cpu_ns) / 1e9),
      100.0 * static_cast<double>(res.cpu_ns) / static_cast<double>(res.wall_ns), wall_s,
      res.voluntary_switches, res.short_writes, round_p50, round_p99,
      static_cast<double>(round_max) / 1e3, static_cast<double>(rr.latency_p50_ns) / 1e3,
      static_cast<double>(rr.latency_p99_ns) / 1e3, static_cast<double>(rr.latency_max_ns) / 1e3,
      static_cast<double>(rr.last_p50_ns) / 1e3, static_cast<double>(rr.last_p99_ns) / 1e3,
      rr.wall_ns ? 100.0 * static_cast<double>(rr.cpu_ns) / static_cast<double>(rr.wall_ns) : 0);
  if (!o.json_path.empty()) {
    char json[2048];
    std::snprintf(
        json, sizeof json,
        "{\"mode\":\"%s\",\"sockets\":%u,\"frame_bytes\":%u,\"frames_per_write\":%u,"
        "\"rounds\":%u,\"warmup_rounds\":%u,\"round_interval_us\":%" PRIu64
        ",\"deliveries\":%.0f,\"sender_cpu_s\":%.6f,\"cpu_us_per_delivery\":%.4f,"
        "\"deliveries_per_cpu_s\":%.1f,\"wall_s\":%.6f,\"deliveries_per_s\":%.1f,"
        "\"sender_cpu_util\":%.4f,\"voluntary_switches\":%" PRIu64 ",\"short_writes\":%" PRIu64
        ",\"round_us\":{\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f},"
        "\"latency_us\":{\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f},"
        "\"round_last_receipt_us\":{\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f},"
        "\"receiver_cpu_s\":%.6f,\"receiver_cpu_util\":%.4f}\n",
        o.mode_name, o.sockets, o.frame_bytes, o.frames_per_write, o.rounds, o.warmup_rounds,
        o.round_interval_ns / 1000, deliveries, static_cast<double>(res.cpu_ns) / 1e9, cpu_us,
        deliveries / (static_cast<double>(res.cpu_ns) / 1e9), wall_s, deliveries / wall_s,
        static_cast<double>(res.cpu_ns) / static_cast<double>(res.wall_ns), res.voluntary_switches,
        res.short_writes, round_p50, round_p99, static_cast<double>(round_max) / 1e3,
        static_cast<double>(rr.latency_p50_ns) / 1e3, static_cast<double>(rr.latency_p99_ns) / 1e3,
        static_cast<double>(rr.latency_max_ns) / 1e3, static_cast<double>(rr.last_p50_ns) / 1e3,
        static_cast<double>(rr.last_p99_ns) / 1e3, static_cast<double>(rr.last_max_ns) / 1e3,
        static_cast<double>(rr.cpu_ns) / 1e9,
        rr.wall_ns ? static_cast<double>(rr.cpu_ns) / static_cast<double>(rr.wall_ns) : 0);
    if (o.json_path == "-") {
      std::fputs(json, stdout);
    } else {
      FILE* f = std::fopen(o.json_path.c_str(), "w");
      if (f == nullptr || std::fputs(json, f) < 0) return Fail("write json", errno);
      std::fclose(f);
    }
  }
  return 0;
}
