// Worker implementation: setting up the ring and the provided buffers on the worker's own
// thread, the loop (phases, paced connects, publisher ticks, waits to the next due time,
// completions), the two-step close, and the bounded teardown that waits for every operation in
// flight before the descriptors and the ring go. See worker.h for the contract.
#include "ringcast-bench/worker.h"

#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "ringcast-bench/client_event_publisher.h"
#include "ringcast-bench/rest_publisher.h"
#include "ringcast-bench/subscriber.h"
#include "ringcast-bench/sys_stats.h"
#include "tls/tls_stream.h"
#include "util/clock.h"

namespace ringcast::bench {
namespace {

constexpr unsigned kRingEntries = 4096;
constexpr uint16_t kBufferGroup = 1;
constexpr uint64_t kMaxWaitNs = 5'000'000;
constexpr uint64_t kTearDownWaitNs = 1'000'000'000;
// IORING_OP_BIND (Linux 6.11) and the socket command SOCKET_URING_OP_SETSOCKOPT (Linux 6.7);
// liburing 2.3 predates both.
constexpr int kOpBindCode = 56;
constexpr uint32_t kSocketCmdSetsockopt = 3;
const int kOne = 1;

// setsockopt(level, optname, &kOne) on direct descriptor `slot`, through the ring.
void PrepSetOptionOne(io_uring_sqe* sqe, unsigned slot, uint32_t level, uint32_t optname) {
  io_uring_prep_rw(IORING_OP_URING_CMD, sqe, static_cast<int>(slot), nullptr, 0, 0);
  sqe->cmd_op = kSocketCmdSetsockopt;
  sqe->addr = level | (static_cast<uint64_t>(optname) << 32);  // the kernel's level, optname
  sqe->splice_fd_in = sizeof kOne;                              // optlen
  sqe->addr3 = reinterpret_cast<uint64_t>(&kOne);               // optval
  sqe->flags |= IOSQE_FIXED_FILE;
}

}  // namespace

Worker::Worker(uint32_t id, const BenchOptions& options, const ChannelPlan& plan,
               RunControl* control, const Endpoint& endpoint)
    : id_(id), options_(options), plan_(plan), control_(control), endpoint_(endpoint) {
  rng_ = (options.seed + 1) * 0x9e3779b97f4a7c15ull + (id + 1) * 0xbf58476d1ce4e5b9ull;
  event_name_ = options.mode == PublishMode::kClientEvents ? "client-" + options.event_name
                                                           : options.event_name;
  if (IsSocketIo(options.protocol)) {
    ws_target_ = "/socket.io/?EIO=4&transport=websocket";
  } else {
    ws_target_ = "/app/" + options.app_key + "?protocol=7&client=ringcast-bench&version=0.1";
  }
  stats_.subscribed_per_channel.assign(plan.channel_count(), 0);
  uint32_t threads = std::max<uint32_t>(1, options.threads);
  for (uint32_t p = id; p < ActivePublishers(options); p += threads) {
    if (options.mode == PublishMode::kRest) {
      auto pub = std::make_unique<RestPublisher>(this, p);
      pub->slot = static_cast<uint32_t>(conns_.size());
      conns_.push_back(pub.get());
      publishers_.push_back(std::move(pub));
    } else {
      auto pub = std::make_unique<ClientEventPublisher>(this, p);
      pub->slot = static_cast<uint32_t>(conns_.size());
      conns_.push_back(pub.get());
      publishers_.push_back(std::move(pub));
    }
  }
  for (uint32_t i = id; i < options.connections; i += threads) {
    auto sub = std::make_unique<Subscriber>(this, i, plan.channel_of_connection(i));
    sub->direct = options.direct_descriptors;
    sub->slot = static_cast<uint32_t>(conns_.size());
    conns_.push_back(sub.get());
    subscribers_.push_back(std::move(sub));
  }
  connect_concurrency_ = std::max<uint32_t>(1, options.connect_concurrency / threads);
  connect_rate_ = options.connect_rate / threads;
}

Worker::~Worker() {
  for (BenchConn* c : conns_) {
    delete c->tls;
    c->tls = nullptr;
  }
}

uint64_t Worker::NextRandom() {
  // xorshift64*
  rng_ ^= rng_ >> 12;
  rng_ ^= rng_ << 25;
  rng_ ^= rng_ >> 27;
  return rng_ * 0x2545f4914f6cdd1dull;
}

std::string Worker::ErrnoName(int res) {
  int err = res < 0 ? -res : res;
  const char* name = strerrorname_np(err);
  return name != nullptr ? std::string(name) : "errno " + std::to_string(err);
}

uint64_t Worker::Tag(Op op, const BenchConn* c) const {
  return (static_cast<uint64_t>(op) << 56) | (static_cast<uint64_t>(c->gen & 0xFFFFFF) << 32) |
         c->slot;
}

void Worker::Run() {
  ring_ = std::make_unique<runtime::Ring>();
  int rc = ring_->Init(kRingEntries);
  if (rc == 0 && options_.direct_descriptors) {
    // One slot per connection of this thread (the slot index of conns_).
    rc = io_uring_register_files_sparse(ring_->raw(), std::max<size_t>(1, conns_.size()));
    if (rc < 0) {
      stats_.CountError("direct descriptor table of " + std::to_string(conns_.size()) +
                        " (RLIMIT_NOFILE caps it per thread: use more --threads): " +
                        ErrnoName(rc));
    }
  }
  if (rc == 0) {
    buffers_ = std::make_unique<runtime::BufferRing>();
    rc = buffers_->Init(ring_.get(), kBufferGroup, options_.read_buffers,
                        options_.read_buffer_bytes);
  }
  if (rc < 0) {
    // Nothing can run on this thread: every connection it owns fails at once.
    stats_.CountError("io_uring setup: " + ErrnoName(rc), subscribers_.size() + 1);
    Bump(live_.failed, subscribers_.size());
    Bump(live_.publishers_failed, publishers_.size());
    buffers_.reset();
    ring_.reset();
    init_error_.store(rc, std::memory_order_release);
    live_.settled.store(true, std::memory_order_release);
    while (control_->load() != Phase::kStop) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return;
  }
  now_ns_ = util::MonotonicNs();
  connect_start_ns_ = now_ns_;
  for (auto& p : publishers_) p->Start();
  Loop();
  TearDown();
}

void Worker::Loop() {
  for (;;) {
    now_ns_ = util::MonotonicNs();
    phase_ = control_->load();
    if (phase_ == Phase::kStop) {
      if (options_.count_server_writes && segment_samples_ == 1) {
        now_ns_ = std::max(now_ns_, end_);  // the drain ended before this turn: close the window
        SampleServerWrites();
      }
      break;
    }
    if (phase_ == Phase::kConnect) StartConnects(now_ns_);
    if (phase_ >= Phase::kSettle && !settled_) Settle();
    if (phase_ == Phase::kPublish) {
      if (!publishing_) BeginPublish();
      for (auto& p : publishers_) p->Tick(now_ns_);
      if (options_.count_server_writes) SampleServerWrites();
    }
    uint64_t deadline = WaitDeadline(now_ns_);
    uint64_t now = util::MonotonicNs();
    if (deadline <= now) {
      io_uring_submit_and_get_events(ring_->raw());
    } else {
      __kernel_timespec ts;
      uint64_t wait = deadline - now;
      ts.tv_sec = static_cast<int64_t>(wait / 1'000'000'000);
      ts.tv_nsec = static_cast<long long>(wait % 1'000'000'000);
      io_uring_cqe* cqe = nullptr;
      io_uring_submit_and_wait_timeout(ring_->raw(), &cqe, 1, &ts, nullptr);
    }
    ring_->ForEachCqe([this](const io_uring_cqe& cqe) {
      now_ns_ = util::MonotonicNs();
      Dispatch(cqe);
    });
    buffers_->Commit();
    for (uint32_t slot : rearm_) {
      BenchConn* c = conns_[slot];
      if (!c->closing && c->fd >= 0 && !c->recv_armed) ArmRecv(c);
    }
    rearm_.clear();
    FinishCloses();
  }
}

uint64_t Worker::WaitDeadline(uint64_t now) const {
  uint64_t deadline = now + kMaxWaitNs;
  if (phase_ == Phase::kConnect && next_connect_ < subscribers_.size() && connect_rate_ > 0) {
    uint64_t next_slot =
        connect_start_ns_ + static_cast<uint64_t>((next_connect_ + 1) * 1e9 / connect_rate_);
    deadline = std::min(deadline, std::max(next_slot, now));
  }
  if (phase_ == Phase::kPublish) {
    for (const auto& p : publishers_) deadline = std::min(deadline, p->next_wake_ns());
  }
  return deadline;
}

void Worker::StartConnects(uint64_t now) {
  size_t total = subscribers_.size();
  if (next_connect_ >= total) return;
  uint64_t allowed = total;
  if (connect_rate_ > 0) {
    double elapsed_s = static_cast<double>(now - connect_start_ns_) / 1e9;
    allowed = std::min<uint64_t>(total, static_cast<uint64_t>(elapsed_s * connect_rate_) + 1);
  }
  uint64_t resolved = Read(live_.subscribed) + Read(live_.failed);
  uint64_t in_progress = connects_done_ > resolved ? connects_done_ - resolved : 0;
  while (next_connect_ < allowed && in_progress < connect_concurrency_) {
    Subscriber* s = subscribers_[next_connect_++].get();
    ++connects_done_;
    ++in_progress;
    Bump(live_.connects_started);
    if (stats_.first_connect_ns == UINT64_MAX) stats_.first_connect_ns = now;
    s->Start();
  }
}

void Worker::Settle() {
  for (auto& s : subscribers_) {
    if (!s->resolved()) s->GiveUp();
  }
  for (auto& p : publishers_) {
    if (!p->ready() && !p->failed()) p->GiveUp();
  }
  settled_ = true;
  live_.settled.store(true, std::memory_order_release);
}

void Worker::BeginPublish() {
  publishing_ = true;
  subscribers_per_channel_ = control_->subscribers;
  measure_start_ = control_->measure_start_ns;
  end_ = control_->end_ns;
  for (auto& p : publishers_) {
    if (p->ready()) p->Begin(control_->t0_ns, end_);
  }
}

uint64_t Worker::SumSegmentsIn() const {
  uint64_t sum = 0;
  for (const auto& s : subscribers_) {
    uint64_t n = 0;
    if (s->fd >= 0 && !s->closing && DataSegmentsIn(s->fd, &n)) sum += n;
  }
  return sum;
}

void Worker::SampleServerWrites() {
  if (segment_samples_ == 0 && now_ns_ >= measure_start_) {
    segments_at_start_ = SumSegmentsIn();
    received_at_start_ = Read(live_.received);
    segment_samples_ = 1;
  } else if (segment_samples_ == 1 && now_ns_ >= end_) {
    uint64_t segments = SumSegmentsIn();
    stats_.server_segments = segments > segments_at_start_ ? segments - segments_at_start_ : 0;
    stats_.segment_deliveries = Read(live_.received) - received_at_start_;
    stats_.segment_windows = 1;
    segment_samples_ = 2;
  }
}

void Worker::OnPublished(uint32_t channel, uint64_t sent_ns) {
  Bump(live_.published);
  if (channel < subscribers_per_channel_.size()) {
    Bump(live_.expected, subscribers_per_channel_[channel]);
  }
  if (sent_ns >= measure_start_ && sent_ns < end_) ++stats_.published_measured;
}

int Worker::Connect(BenchConn* c, uint32_t source) {
  if (c->direct) return ConnectDirect(c, source);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!endpoint_.sources.empty()) {
    // Let connect() pick the port, so the 4-tuple (not the source port alone) must be unique.
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    const sockaddr_in& src = endpoint_.sources[source % endpoint_.sources.size()];
    if (bind(fd, reinterpret_cast<const sockaddr*>(&src), sizeof src) < 0) {
      int err = errno;
      close(fd);
      return -err;
    }
  }
  c->fd = fd;
  c->connecting = true;
  io_uring_sqe* sqe = ring_->Sqe();
  const sockaddr_in& server = endpoint_.targets[c->target].server;
  io_uring_prep_connect(sqe, fd, reinterpret_cast<const sockaddr*>(&server), sizeof server);
  io_uring_sqe_set_data64(sqe, Tag(kOpConnect, c));
  return 0;
}

int Worker::ConnectDirect(BenchConn* c, uint32_t source) {
  // socket -> [IP_BIND_ADDRESS_NO_PORT -> bind ->] connect, linked: a failed step cancels the rest, and only the connect
  // always completes (the others report failures only). The slot is c's own, so no other
  // connection's operation can name it; its previous socket was closed through the ring
  // before (FinishCloses), and SQEs are issued in order.
  auto slot = static_cast<unsigned>(c->slot);
  c->fd = static_cast<int>(slot);
  c->setup_error = 0;
  c->connecting = true;
  io_uring_sqe* sqe = ring_->Sqe();
  io_uring_prep_socket_direct(sqe, AF_INET, SOCK_STREAM, 0, slot, 0);
  sqe->flags |= IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
  io_uring_sqe_set_data64(sqe, Tag(kOpSetup, c));
  if (!endpoint_.sources.empty()) {
    const sockaddr_in& src = endpoint_.sources[source % endpoint_.sources.size()];
    // As in Connect: connect() picks the port, so only the 4-tuple must be unique (a port
    // picked at bind would search the source address's whole range, slower and slower).
    sqe = ring_->Sqe();
    PrepSetOptionOne(sqe, slot, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT);
    sqe->flags |= IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(sqe, Tag(kOpSetup, c));
    sqe = ring_->Sqe();
    io_uring_prep_rw(kOpBindCode, sqe, static_cast<int>(slot), &src, 0, sizeof src);
    sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(sqe, Tag(kOpSetup, c));
  }
  sqe = ring_->Sqe();
  const sockaddr_in& server = endpoint_.targets[c->target].server;
  io_uring_prep_connect(sqe, static_cast<int>(slot), reinterpret_cast<const sockaddr*>(&server),
                        sizeof server);
  sqe->flags |= IOSQE_FIXED_FILE;
  io_uring_sqe_set_data64(sqe, Tag(kOpConnect, c));
  return 0;
}

void Worker::UseFile(io_uring_sqe* sqe, const BenchConn* c) {
  if (c->direct) sqe->flags |= IOSQE_FIXED_FILE;
}

void Worker::ShutdownSocket(BenchConn* c, int how) {
  if (!c->direct) {
    shutdown(c->fd, how);
    return;
  }
  io_uring_sqe* sqe = ring_->Sqe();
  io_uring_prep_shutdown(sqe, c->fd, how);
  sqe->flags |= IOSQE_FIXED_FILE;
  io_uring_sqe_set_data64(sqe, Tag(kOpShutdown, c));
  ++c->shutdowns;
}

void Worker::CloseSocket(BenchConn* c) {
  if (!c->direct) {
    close(c->fd);
    return;
  }
  io_uring_sqe* sqe = ring_->Sqe();
  io_uring_prep_close_direct(sqe, static_cast<unsigned>(c->fd));
  sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
  io_uring_sqe_set_data64(sqe, Tag(kOpClose, c));
}

void Worker::ArmRecv(BenchConn* c) {
  if (c->recv_armed) return;  // --tls arms it for the handshake, before OnConnect
  io_uring_sqe* sqe = ring_->Sqe();
  io_uring_prep_recv_multishot(sqe, c->fd, nullptr, 0, 0);
  UseFile(sqe, c);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = buffers_->group_id();
  io_uring_sqe_set_data64(sqe, Tag(kOpRecv, c));
  c->recv_armed = true;
}

void Worker::Send(BenchConn* c, std::string_view bytes) {
  if (c->tls == nullptr) {
    SendRaw(c, bytes);
    return;
  }
  if (c->closing || c->fd < 0 || bytes.empty()) return;
  iovec iov{const_cast<char*>(bytes.data()), bytes.size()};
  size_t taken = 0;
  if (!c->tls->Encrypt(&iov, 1, bytes.size(), &taken) || taken != bytes.size()) {
    c->OnSendError(-EPROTO);
    return;
  }
  FlushTls(c);
}

void Worker::FlushTls(BenchConn* c) {
  while (c->tls->has_pending()) {
    std::string_view out = c->tls->NextSend();
    SendRaw(c, out);  // copied into sending/queued
    c->tls->Sent(out.size());
  }
}

void Worker::StartTls(BenchConn* c) {
  c->tls = tls::TlsStream::CreateClient(endpoint_.tls, endpoint_.host.c_str());
  if (c->tls == nullptr || !c->tls->Start()) {
    c->OnConnect(-EPROTO, now_ns_);
    return;
  }
  ArmRecv(c);
  FlushTls(c);  // the ClientHello
}

void Worker::OnTlsData(BenchConn* c, const char* data, size_t len) {
  bool was_done = c->tls->handshake_done();
  if (tls_plain_.empty()) tls_plain_.resize(16384 + 64);
  struct Arg {
    BenchConn* c;
    Worker* w;
  } arg{c, this};
  auto sink = [](void* a, char* plain, size_t n) {
    auto* x = static_cast<Arg*>(a);
    x->c->OnData(plain, n, x->w->now_ns_);
    return !x->c->closing;
  };
  auto r = c->tls->Feed(data, len, tls_plain_.data(), 16384, sink, &arg);
  if (!c->closing) FlushTls(c);
  if (r == tls::TlsStream::FeedResult::kError) {
    if (!was_done) {
      c->OnConnect(-EPROTO, now_ns_);  // the handshake failed (certificate, version, ...)
    } else if (!c->closing) {
      c->OnReadEnd(-EPROTO);
    }
    return;
  }
  if (!was_done && c->tls->handshake_done() && !c->closing) c->OnConnect(0, now_ns_);
}

void Worker::SendRaw(BenchConn* c, std::string_view bytes) {
  if (c->closing || c->fd < 0 || bytes.empty()) return;
  if (c->send_inflight) {
    c->queued.append(bytes);
    return;
  }
  c->sending.append(bytes);
  SubmitSend(c);
}

void Worker::SubmitSend(BenchConn* c) {
  io_uring_sqe* sqe = ring_->Sqe();
  io_uring_prep_send(sqe, c->fd, c->sending.data() + c->send_offset,
                     c->sending.size() - c->send_offset, MSG_NOSIGNAL);
  UseFile(sqe, c);
  io_uring_sqe_set_data64(sqe, Tag(kOpSend, c));
  c->send_inflight = true;
}

void Worker::Close(BenchConn* c) {
  if (c->closing || c->fd < 0) return;
  c->closing = true;
  c->queued.clear();
  if (c->connecting || c->recv_armed || c->send_inflight) {
    // Ends the multishot read (EOF) and an unfinished connect; a write in flight may finish
    // (a close frame we queued), unless the connection is not established yet.
    ShutdownSocket(c, c->send_inflight && !c->connecting ? SHUT_RD : SHUT_RDWR);
  }
  MaybeFinishClose(c);
}

void Worker::MaybeFinishClose(BenchConn* c) {
  if (c->closing && !c->connecting && !c->recv_armed && !c->send_inflight &&
      c->shutdowns == 0) {
    finishing_.push_back(c);
  }
}

void Worker::FinishCloses() {
  // Index loop: OnClosed may close other connections, which appends here.
  for (size_t i = 0; i < finishing_.size(); ++i) {
    BenchConn* c = finishing_[i];
    if (!c->closing || c->fd < 0 || c->connecting || c->recv_armed || c->send_inflight ||
        c->shutdowns > 0) {
      continue;
    }
    CloseSocket(c);
    c->fd = -1;
    c->closing = false;
    ++c->gen;
    std::string().swap(c->sending);
    std::string().swap(c->queued);
    c->send_offset = 0;
    delete c->tls;
    c->tls = nullptr;
    c->OnClosed();
  }
  finishing_.clear();
}

void Worker::Dispatch(const io_uring_cqe& cqe) {
  uint64_t tag = cqe.user_data;
  auto op = static_cast<Op>(tag >> 56);
  uint32_t gen = static_cast<uint32_t>(tag >> 32) & 0xFFFFFF;
  uint32_t slot = static_cast<uint32_t>(tag);
  if (slot >= conns_.size()) return;
  BenchConn* c = conns_[slot];
  bool current = (c->gen & 0xFFFFFF) == gen;
  switch (op) {
    case kOpConnect: {
      if (!current) return;
      c->connecting = false;
      if (c->closing || tearing_down_) {
        MaybeFinishClose(c);
        return;
      }
      // A linked socket or bind that failed cancelled the connect: report its error.
      int res = cqe.res == -ECANCELED && c->setup_error != 0 ? c->setup_error : cqe.res;
      if (res == 0 && endpoint_.tls != nullptr) {
        StartTls(c);  // OnConnect follows the handshake
      } else {
        c->OnConnect(res, now_ns_);
      }
      break;
    }
    case kOpSetup:
      if (current && cqe.res < 0 && c->setup_error == 0) c->setup_error = cqe.res;
      break;
    case kOpShutdown:
      if (!current) return;
      if (c->shutdowns > 0) --c->shutdowns;
      MaybeFinishClose(c);
      break;
    case kOpClose:
      break;
    case kOpRecv:
      OnRecvCqe(cqe, c, current);
      break;
    case kOpSend:
      if (!current) return;
      OnSendCqe(cqe, c);
      break;
  }
}

void Worker::OnRecvCqe(const io_uring_cqe& cqe, BenchConn* c, bool current) {
  bool more = (cqe.flags & IORING_CQE_F_MORE) != 0;
  bool has_buffer = (cqe.flags & IORING_CQE_F_BUFFER) != 0;
  auto bid = static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
  if (!current) {
    if (has_buffer) buffers_->Recycle(bid);
    return;
  }
  if (!more) c->recv_armed = false;
  if (cqe.res > 0 && !c->closing && !tearing_down_) {
    if (c->tls != nullptr) {
      OnTlsData(c, buffers_->Buffer(bid), static_cast<size_t>(cqe.res));
    } else {
      c->OnData(buffers_->Buffer(bid), static_cast<size_t>(cqe.res), now_ns_);
    }
  }
  if (has_buffer) buffers_->Recycle(bid);
  if (c->closing || tearing_down_) {
    MaybeFinishClose(c);
    return;
  }
  if (cqe.res == 0) {
    c->OnReadEnd(0);
  } else if (cqe.res < 0) {
    if (cqe.res == -ENOBUFS) {
      ++stats_.read_buffers_exhausted;
      rearm_.push_back(c->slot);
    } else {
      c->OnReadEnd(cqe.res);
    }
  } else if (!more) {
    rearm_.push_back(c->slot);
  }
}

void Worker::OnSendCqe(const io_uring_cqe& cqe, BenchConn* c) {
  c->send_inflight = false;
  if (c->closing || tearing_down_) {
    MaybeFinishClose(c);
    return;
  }
  if (cqe.res < 0) {
    c->OnSendError(cqe.res);
    return;
  }
  c->send_offset += static_cast<uint32_t>(cqe.res);
  if (c->send_offset < c->sending.size()) {
    SubmitSend(c);  // a short write: send the rest
    return;
  }
  std::string().swap(c->sending);
  c->send_offset = 0;
  if (!c->queued.empty()) {
    c->sending.swap(c->queued);
    SubmitSend(c);
    return;
  }
  c->OnWriteComplete();
}

void Worker::TearDown() {
  // Shut every socket down so that every operation in flight completes, wait (bounded) for
  // those completions, then close the descriptors and the ring. Callbacks no longer run.
  tearing_down_ = true;
  for (BenchConn* c : conns_) {
    if (c->fd >= 0) {
      c->closing = true;
      if (c->connecting || c->recv_armed || c->send_inflight) ShutdownSocket(c, SHUT_RDWR);
    }
  }
  uint64_t give_up = util::MonotonicNs() + kTearDownWaitNs;
  auto busy = [this] {
    for (BenchConn* c : conns_) {
      if (c->connecting || c->recv_armed || c->send_inflight || c->shutdowns > 0) return true;
    }
    return false;
  };
  while (busy() && util::MonotonicNs() < give_up) {
    __kernel_timespec ts{0, 10'000'000};
    io_uring_cqe* cqe = nullptr;
    io_uring_submit_and_wait_timeout(ring_->raw(), &cqe, 1, &ts, nullptr);
    ring_->ForEachCqe([this](const io_uring_cqe& cqe) { Dispatch(cqe); });
    buffers_->Commit();
  }
  for (BenchConn* c : conns_) {
    if (c->fd >= 0 && !c->direct) close(c->fd);  // direct ones go with the ring's file table
    c->fd = -1;
  }
  buffers_.reset();
  ring_.reset();
}

}  // namespace ringcast::bench
