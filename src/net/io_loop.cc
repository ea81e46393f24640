#include "net/io_loop.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "runtime/wait_for_work.h"
#include "tls/tls_context.h"
#include "tls/tls_stream.h"
#include "util/clock.h"
#include "util/log.h"

#ifndef IORING_CQE_F_BUF_MORE
#define IORING_CQE_F_BUF_MORE (1U << 4)  // Linux 6.12: incremental buffer not finished
#endif

namespace ringcast::net {

namespace {
constexpr uint16_t kBufferGroup = 0;
constexpr uint8_t kCloseDeadlineTimer = 255;
constexpr int kMaxIov = 64;

// Timer cookie: kind (8 bits) | session epoch (8; for kCloseDeadlineTimer the connection state it
// was set in) | generation (24) | slot index (24).
constexpr uint32_t kMaxSlots = 1u << 24;
uint64_t TimerCookie(uint8_t kind, uint8_t epoch, uint32_t gen, uint32_t index) {
  return (static_cast<uint64_t>(kind) << 56) | (static_cast<uint64_t>(epoch) << 48) |
         (static_cast<uint64_t>(gen & 0xffffff) << 24) | (index & (kMaxSlots - 1));
}
}  // namespace

// One write in flight. Most writes carry a few frames (a reply, one fan-out frame each), and a
// connection storm keeps hundreds in flight at once, so a small op holds kSmallIov iovecs inline
// (128 bytes) and only a write of more frames uses a large one (kMaxIov, a separate block); each
// size has its own pool.
constexpr int kSmallIov = 4;
struct IoLoop::SendOp {
  msghdr msg;
  iovec* iov;  // small, or a block of kMaxIov
  iovec small[kSmallIov];

  explicit SendOp(bool large) : msg{}, iov(large ? new iovec[kMaxIov] : small) {}
  ~SendOp() {
    if (iov != small) delete[] iov;
  }
  SendOp(const SendOp&) = delete;
  SendOp& operator=(const SendOp&) = delete;
  bool large() const { return iov != small; }
  int capacity() const { return large() ? kMaxIov : kSmallIov; }
};
static_assert(sizeof(msghdr) + sizeof(iovec*) + sizeof(iovec) * kSmallIov <= 128);

IoLoop::IoLoop() = default;

IoLoop::~IoLoop() {
  for (uint32_t i = 0; i < slot_count_; ++i) {
    Connection* slot = &Slot(i);
    if (!slot->in_use_) continue;
    if (!slot->send_inflight_) slot->out_.Clear();
    if (slot->fd_ >= 0 && !direct_) close(slot->fd_);  // direct ones go with the ring
    if (!slot->send_inflight_) CloseTls(*slot);  // one in flight may still be read: leaked
    delete slot->session_;
    slot->session_ = nullptr;
  }
  for (Session* s : retired_sessions_) delete s;
  for (SendOp* op : send_pool_) delete op;
  for (SendOp* op : large_send_pool_) delete op;
  if (listen_fd_ >= 0) close(listen_fd_);
}

int IoLoop::Init(const IoLoopOptions& options, Delegate* delegate, runtime::Waker* waker) {
  options_ = options;
  delegate_ = delegate;
  waker_ = waker;
  listen_fd_ = options.listen_fd;
  now_ms_ = util::MonotonicMs();
  timers_ = runtime::TimerWheel(now_ms_);
  int rc = ring_.Init(options.ring_entries);
  if (rc < 0) return rc;
  if (options.direct_descriptors > 0) {
    rc = io_uring_register_files_sparse(ring_.raw(), options.direct_descriptors);
    if (rc < 0) return rc;
    direct_ = true;
  }
  rc = buffers_.Init(&ring_, kBufferGroup, options.read_buffers, options.read_buffer_size,
                     options.initial_read_buffers, /*incremental=*/true);
  if (rc < 0) return rc;
  if (options.tls != nullptr) {
    tls_ctx_ = std::make_unique<tls::ContextCache>(options.tls);
    tls_plain_ = std::make_unique<char[]>(kTlsPlainScratch + runtime::BufferRing::kSlack);
  }
  if (listen_fd_ >= 0) ArmAccept();
  ArmWake();
  return 0;
}

void IoLoop::ArmAccept() {
  io_uring_sqe* sqe = ring_.Sqe();
  if (direct_) {
    // The socket lands in a free slot of the table; TCP_NODELAY comes from the listener.
    io_uring_prep_multishot_accept_direct(sqe, listen_fd_, nullptr, nullptr, 0);
  } else {
    io_uring_prep_multishot_accept(sqe, listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  }
  io_uring_sqe_set_data64(sqe, Pack(kOpAccept, 0, 0));
  accept_armed_ = true;
}

void IoLoop::CloseSocket(int fd, uint64_t user_data) {
  io_uring_sqe* sqe = ring_.Sqe();
  if (direct_) {
    io_uring_prep_close_direct(sqe, static_cast<unsigned>(fd));
  } else {
    io_uring_prep_close(sqe, fd);
  }
  // No operation names `fd` any more (see the teardown rule in io_loop.h), so the close may
  // run whenever the kernel likes and nothing waits for its completion.
  sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
  io_uring_sqe_set_data64(sqe, user_data);
}

void IoLoop::OpDone(Connection& c) {
  RC_CHECK(c.ops_ > 0);
  --c.ops_;
}

void IoLoop::ArmWake() { runtime::ArmWakeRead(ring_, *waker_, &wake_buf_, Pack(kOpWake, 0, 0)); }

void IoLoop::ArmRecv(Connection& c) {
  io_uring_sqe* sqe = ConnOp(
      c, kOpRecv, [&](io_uring_sqe* s) { io_uring_prep_recv_multishot(s, c.fd_, nullptr, 0, 0); });
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = buffers_.group_id();
  c.recv_armed_ = true;
}

void IoLoop::Run() {
  while (!stop_) {
    uint64_t now_ns = util::MonotonicNs();
    now_ms_ = now_ns / 1000000;
    ring_.ForEachCqe([this](const io_uring_cqe& cqe) { HandleCqe(cqe); });
    buffers_.Commit();
    for (uint64_t packed : rearm_) {
      Connection* c = Find(static_cast<uint32_t>(packed), static_cast<uint32_t>(packed >> 32));
      if (c != nullptr && c->state_ != ConnState::kClosing && !c->recv_armed_) ArmRecv(*c);
    }
    rearm_.clear();
    FinishCloses();
    bool more = delegate_->DrainInbound();
    RunTimers();
    FinishCloses();
    bool held = HoldFlush(now_ns);
    if (!held) FlushSends();
    for (Session* s : retired_sessions_) delete s;
    retired_sessions_.clear();
    if (!accept_armed_ && listen_fd_ >= 0 && now_ms_ >= accept_retry_ms_) ArmAccept();
    if (stop_) break;
    delegate_->OnTurnEnd(now_ns, util::MonotonicNs());

    bool busy = more || io_uring_cq_ready(ring_.raw()) > 0;
    int64_t wait_ms = busy ? 0 : timers_.WaitHintMs(now_ms_);
    if (!busy && !accept_armed_ && listen_fd_ >= 0) {
      int64_t retry = static_cast<int64_t>(accept_retry_ms_ - std::min(accept_retry_ms_, now_ms_));
      if (wait_ms < 0 || wait_ms > retry) wait_ms = retry;
    }
    if (max_wait_ms_ >= 0 && (wait_ms < 0 || wait_ms > max_wait_ms_)) wait_ms = max_wait_ms_;
    if (held && wait_ms != 0) {
      // Sleep no later than the hold's end (rounded up to the next millisecond).
      uint64_t left_ns = hold_deadline_ns_ - std::min(hold_deadline_ns_, now_ns);
      auto left_ms = std::max<int64_t>(1, static_cast<int64_t>((left_ns + 999999) / 1000000));
      if (wait_ms < 0 || wait_ms > left_ms) wait_ms = left_ms;
    }
    runtime::WaitForWork(ring_, *waker_, busy, wait_ms,
                         [this] { return delegate_->InboundEmpty(); });
  }
  ring_.Submit();
}

Connection* IoLoop::Find(uint32_t index, uint32_t generation) {
  if (index >= slot_count_) return nullptr;
  Connection* c = &Slot(index);
  if (!c->in_use_ || (c->gen_ & 0xffffff) != (generation & 0xffffff)) return nullptr;
  return c;
}

Connection* IoLoop::Lookup(uint64_t user_data) {
  return Find(static_cast<uint32_t>(user_data), static_cast<uint32_t>(user_data >> 32) & 0xffffff);
}

void IoLoop::HandleCqe(const io_uring_cqe& cqe) {
  uint64_t ud = cqe.user_data;
  switch (static_cast<Op>(ud >> 56)) {
    case kOpAccept:
      OnAccept(cqe);
      break;
    case kOpRecv:
      OnRecv(cqe, Lookup(ud));
      break;
    case kOpSend:
      OnSend(cqe, Lookup(ud));
      break;
    case kOpWake:
      ArmWake();
      break;
    case kOpShutdown:
      OnShutdown(cqe, Lookup(ud));
      break;
    case kOpPeer:
      OnPeer(cqe, Lookup(ud));
      break;
    case kOpClose:
      break;
  }
}

void IoLoop::OnAccept(const io_uring_cqe& cqe) {
  if (!(cqe.flags & IORING_CQE_F_MORE)) accept_armed_ = false;
  if (cqe.res < 0) {
    if (cqe.res == -EMFILE || cqe.res == -ENFILE) {
      // Out of descriptors: try again later rather than spin on the listener's backlog.
      accept_retry_ms_ = now_ms_ + kAcceptRetryMs;
      ++stats_.accept_no_descriptor;
      return;
    }
    if (cqe.res != -ECANCELED && cqe.res != -EINVAL && cqe.res != -EBADF) {
      RC_WARN("shard %u: accept failed: %s", options_.shard_id, std::strerror(-cqe.res));
    }
    return;
  }
  int fd = cqe.res;
  if (listen_fd_ < 0 || live_ >= static_cast<size_t>(options_.max_connections) +
                                     options_.capacity_slack) {
    ++stats_.refused;
    CloseSocket(fd, Pack(kOpClose, 0, 0));
    return;
  }
  uint32_t index;
  if (!free_slots_.empty()) {
    index = free_slots_.back();
    free_slots_.pop_back();
  } else {
    if (slot_count_ >= kMaxSlots) {
      ++stats_.refused;
      CloseSocket(fd, Pack(kOpClose, 0, 0));
      return;
    }
    index = slot_count_++;
    if ((index & (kSlotChunk - 1)) == 0) chunks_.push_back(std::make_unique<Connection[]>(kSlotChunk));
  }
  if (tls_ctx_ && !OpenTls(index)) {
    free_slots_.push_back(index);
    ++stats_.refused;
    CloseSocket(fd, Pack(kOpClose, 0, 0));
    return;
  }
  Connection& c = Slot(index);
  c.index_ = index;
  c.gen_ = (c.gen_ + 1) & 0xffffff;
  c.fd_ = fd;
  c.state_ = ConnState::kOpen;
  c.in_use_ = true;
  c.recv_armed_ = c.send_inflight_ = c.dirty_ = c.overflowed_ = c.final_queued_ = false;
  c.inflight_frames_ = 0;
  c.ops_ = 0;
  c.out_.set_account(&queued_frame_bytes_);
  c.over_capacity_ = live_ >= options_.max_connections;
  c.session_epoch_ = 0;
  c.serial_ = next_serial_++;
  ++live_;
  ++stats_.accepted;
  if (!direct_) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  c.session_ = delegate_->NewSession(c);
  if (c.state_ == ConnState::kOpen) ArmRecv(c);
}

void IoLoop::OnRecv(const io_uring_cqe& cqe, Connection* c) {
  RC_CHECK(c != nullptr);  // a slot is never freed while an operation naming it is in flight
  bool more = cqe.flags & IORING_CQE_F_MORE;
  bool has_buffer = cqe.flags & IORING_CQE_F_BUFFER;
  uint16_t bid = static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
  if (!more) {
    c->recv_armed_ = false;
    OpDone(*c);
  }
  if (cqe.res > 0) {
    stats_.bytes_read += static_cast<uint64_t>(cqe.res);
    // Lingering: the peer's late bytes are read and dropped.
    if (c->state_ == ConnState::kOpen || c->state_ == ConnState::kDraining) {
      if (TlsOf(*c) != nullptr) {
        OnTlsData(*c, buffers_.Data(bid), static_cast<size_t>(cqe.res));
      } else {
        c->session_->OnData(*c, buffers_.Data(bid), static_cast<size_t>(cqe.res));
      }
    }
  }
  if (has_buffer) {
    buffers_.Consumed(bid, cqe.res > 0 ? static_cast<uint32_t>(cqe.res) : 0,
                      cqe.flags & IORING_CQE_F_BUF_MORE);
  }
  if (c->state_ == ConnState::kClosing) {
    MaybeFinishClose(*c);
    return;
  }
  if (cqe.res == 0) {
    // The peer closed its side but may read until our FIN: a queued close frame (and what is
    // before it) still goes out first; StartLinger then closes at once (no read is armed).
    if (c->state_ == ConnState::kOpen && c->final_queued_ &&
        (c->send_inflight_ || HasOutput(*c))) {
      CloseAfterFlush(*c, kLingerMs);
    } else if (c->state_ != ConnState::kDraining) {
      CloseNow(*c);
    }
  } else if (cqe.res < 0) {
    if (cqe.res == -ENOBUFS) {
      ++stats_.read_buffer_exhausted;
      buffers_.Grow();  // published with the turn's Commit, before the read is re-armed
      rearm_.push_back((static_cast<uint64_t>(c->gen_) << 32) | c->index_);
    } else {
      CloseNow(*c);
    }
  } else if (!more) {
    rearm_.push_back((static_cast<uint64_t>(c->gen_) << 32) | c->index_);
  }
}

void IoLoop::OnShutdown(const io_uring_cqe& cqe, Connection* c) {
  (void)cqe;  // an error (ENOTCONN: the peer reset) changes nothing: the close follows anyway
  RC_CHECK(c != nullptr);
  OpDone(*c);
  MaybeFinishClose(*c);
}

void IoLoop::OnSend(const io_uring_cqe& cqe, Connection* c) {
  RC_CHECK(c != nullptr);  // a slot is never freed while its write is in flight
  OpDone(*c);
  c->send_inflight_ = false;
  c->inflight_frames_ = 0;
  auto* done = static_cast<SendOp*>(c->send_op_);
  (done->large() ? large_send_pool_ : send_pool_).push_back(done);
  c->send_op_ = nullptr;
  if (cqe.res < 0) {
    CloseNow(*c);
    MaybeFinishClose(*c);
    return;
  }
  ++stats_.writes;
  stats_.bytes_written += static_cast<uint64_t>(cqe.res);
  if (TlsOf(*c) != nullptr) {
    TlsSent(*c, static_cast<size_t>(cqe.res));  // frames were counted when encrypted
  } else {
    stats_.frames_written += c->out_.Consume(static_cast<size_t>(cqe.res));
  }
  switch (c->state_) {
    case ConnState::kClosing:
      MaybeFinishClose(*c);
      break;
    case ConnState::kDraining:
      if (!HasOutput(*c) && !TlsCloseNotify(*c)) {
        StartLinger(*c);
      } else {
        MarkDirty(*c);
      }
      break;
    case ConnState::kLingering:
      break;
    case ConnState::kOpen:
      if (HasOutput(*c)) MarkDirty(*c);
      break;
  }
}

void IoLoop::MarkDirty(Connection& c) {
  if (c.dirty_) return;
  c.dirty_ = true;
  dirty_.push_back(c.index_);
}

bool IoLoop::HoldFlush(uint64_t now_ns) {
  if (dirty_.empty() || options_.flush_hold_us == 0 || stop_) {
    hold_deadline_ns_ = 0;
    return false;
  }
  if (hold_deadline_ns_ != 0 && now_ns >= hold_deadline_ns_) {
    ++stats_.holds_expired;
    hold_deadline_ns_ = 0;
    return false;
  }
  if (!delegate_->ExpectMoreOutput()) {
    hold_deadline_ns_ = 0;
    return false;
  }
  if (hold_deadline_ns_ == 0) {
    hold_deadline_ns_ = now_ns + uint64_t{options_.flush_hold_us} * 1000;
  }
  ++stats_.flushes_held;
  return true;
}

void IoLoop::FlushSends() {
  // Index loop: SubmitSend never adds to dirty_, but be safe against reallocation.
  for (size_t i = 0; i < dirty_.size(); ++i) {
    Connection& c = Slot(dirty_[i]);
    c.dirty_ = false;
    if (c.in_use_ && c.state_ != ConnState::kClosing && !c.send_inflight_ && HasOutput(c)) {
      SubmitSend(c);
    }
  }
  bool flushed = !dirty_.empty();
  dirty_.clear();
  if (flushed) delegate_->OnFlushed();
}

void IoLoop::SubmitSend(Connection& c) {
  bool tls = TlsOf(c) != nullptr;
  std::string_view cipher;
  if (tls) {
    cipher = NextTlsWrite(c);  // the queued frames, encrypted
    if (cipher.empty()) return;
  }
  bool large = !tls && c.out_.frames() > static_cast<uint32_t>(kSmallIov);
  std::vector<SendOp*>& pool = large ? large_send_pool_ : send_pool_;
  SendOp* op;
  if (pool.empty()) {
    op = new SendOp(large);
  } else {
    op = pool.back();
    pool.pop_back();
  }
  int n = 1;
  if (tls) {
    op->iov[0] = {const_cast<char*>(cipher.data()), cipher.size()};
  } else {
    n = c.out_.FillIov(op->iov, op->capacity());
  }
  std::memset(&op->msg, 0, sizeof op->msg);
  op->msg.msg_iov = op->iov;
  op->msg.msg_iovlen = static_cast<size_t>(n);
  ConnOp(c, kOpSend,
         [&](io_uring_sqe* s) { io_uring_prep_sendmsg(s, c.fd_, &op->msg, MSG_NOSIGNAL); });
  c.send_op_ = op;
  c.send_inflight_ = true;
  c.inflight_frames_ = tls ? 0 : static_cast<uint16_t>(n);  // TLS: the write holds no frame
}

void IoLoop::Send(Connection& c, LocalFrame* frame) {
  if (c.state_ != ConnState::kOpen || c.overflowed_ || c.final_queued_) {
    frame->Unref();
    return;
  }
  c.out_.Push(frame);
  if (c.out_.bytes() > options_.max_outbound_bytes) {
    Overflow(c);
    return;
  }
  if (options_.max_queued_bytes > 0 && queued_frame_bytes_ > options_.max_queued_bytes) {
    ++stats_.outbound_budget_cuts;
    Overflow(c);
    return;
  }
  MarkDirty(c);
}

void IoLoop::SendCopy(Connection& c, std::string_view bytes) {
  if (c.state_ != ConnState::kOpen || c.overflowed_ || c.final_queued_) return;
  Send(c, LocalFrame::Copy(bytes));
}

void IoLoop::SendFinal(Connection& c, std::string_view bytes) {
  if (c.state_ != ConnState::kOpen && c.state_ != ConnState::kDraining) return;
  if (c.final_queued_) return;
  c.final_queued_ = true;
  c.out_.Push(LocalFrame::Copy(bytes));
  MarkDirty(c);
}

void IoLoop::Overflow(Connection& c) {
  // Only Send gets here, and Send takes nothing once a final frame is queued: a close frame is
  // never among the dropped frames.
  RC_CHECK(!c.final_queued_);
  c.overflowed_ = true;
  ++stats_.slow_consumers;
  uint32_t keep = c.inflight_frames_;
  if (keep == 0 && c.out_.front_partial()) keep = 1;
  c.out_.DropAfter(keep);
  c.session_->OnOverflow(c);
  if (c.state_ == ConnState::kOpen) CloseNow(c);
}

void IoLoop::CloseAfterFlush(Connection& c, uint64_t max_wait_ms) {
  if (c.state_ != ConnState::kOpen) return;
  c.state_ = ConnState::kDraining;
  if (!HasOutput(c) && !c.send_inflight_ && !TlsCloseNotify(c)) {
    StartLinger(c);
    return;
  }
  MarkDirty(c);
  ScheduleCloseDeadline(c, now_ms_ + max_wait_ms);
}

void IoLoop::StartLinger(Connection& c) {
  // Every queued byte was written (no send in flight, queue empty), so the FIN follows the
  // last frame. The shutdown is an operation on the descriptor like any other: counted, and
  // the close waits for its completion.
  RC_CHECK(!HasOutput(c) && !c.send_inflight_);
  c.state_ = ConnState::kLingering;
  if (!c.recv_armed_) {
    CloseNow(c);  // nothing to read the peer's FIN with (or the peer already sent it)
    return;
  }
  ConnOp(c, kOpShutdown, [&](io_uring_sqe* s) { io_uring_prep_shutdown(s, c.fd_, SHUT_WR); });
  ScheduleCloseDeadline(c, now_ms_ + kLingerMs);
}

void IoLoop::CloseNow(Connection& c) {
  if (c.state_ == ConnState::kClosing) return;
  c.state_ = ConnState::kClosing;
  if (c.send_inflight_) {
    c.out_.DropAfter(c.inflight_frames_);
  } else {
    c.out_.Clear();
  }
  if (c.recv_armed_ || c.send_inflight_) {
    // Ends the multishot read (EOF) and a write blocked on a full socket (EPIPE). Their
    // completions, and this shutdown's, bring ops_ to zero; only then is the descriptor closed.
    ConnOp(c, kOpShutdown, [&](io_uring_sqe* s) { io_uring_prep_shutdown(s, c.fd_, SHUT_RDWR); });
  }
  MaybeFinishClose(c);
}

void IoLoop::MaybeFinishClose(Connection& c) {
  if (!c.in_use_ || c.state_ != ConnState::kClosing || c.ops_ != 0) return;
  finishing_.push_back((static_cast<uint64_t>(c.gen_) << 32) | c.index_);
}

void IoLoop::FinishCloses() {
  // Index loop: OnClosed may close other connections, which appends here.
  for (size_t i = 0; i < finishing_.size(); ++i) {
    uint64_t packed = finishing_[i];
    Connection* c = Find(static_cast<uint32_t>(packed), static_cast<uint32_t>(packed >> 32));
    if (c == nullptr || c->state_ != ConnState::kClosing || c->ops_ != 0) {
      continue;  // already finished (listed twice) or not ready
    }
    Finish(*c);
  }
  finishing_.clear();
}

void IoLoop::Finish(Connection& c) {
  RC_CHECK(c.ops_ == 0 && !c.recv_armed_ && !c.send_inflight_);
  delegate_->OnConnectionClosing(c);
  c.session_->OnClosed(c);
  retired_sessions_.push_back(c.session_);
  c.session_ = nullptr;
  CloseSocket(c.fd_, Pack(kOpClose, c.gen_, c.index_));
  FreeSlot(c);
}

void IoLoop::FreeSlot(Connection& c) {
  c.out_.Clear();
  CloseTls(c);
  c.fd_ = -1;
  c.in_use_ = false;
  --live_;
  ++stats_.closed;
  free_slots_.push_back(c.index_);
}

void IoLoop::ScheduleCloseDeadline(Connection& c, uint64_t deadline_ms) {
  auto state = static_cast<uint8_t>(c.state_);
  timers_.Schedule(deadline_ms, TimerCookie(kCloseDeadlineTimer, state, c.gen_, c.index_));
}

void IoLoop::ReplaceSession(Connection& c, Session* next) {
  retired_sessions_.push_back(c.session_);
  c.session_ = next;
  ++c.session_epoch_;
}

void IoLoop::ScheduleTimer(Connection& c, uint64_t deadline_ms, uint8_t kind) {
  RC_CHECK(kind != kCloseDeadlineTimer);
  timers_.Schedule(deadline_ms, TimerCookie(kind, c.session_epoch_, c.gen_, c.index_));
}

void IoLoop::RunTimers() {
  fired_.clear();
  timers_.Advance(now_ms_, &fired_);
  for (uint64_t cookie : fired_) {
    auto kind = static_cast<uint8_t>(cookie >> 56);
    auto epoch = static_cast<uint8_t>(cookie >> 48);
    Connection* c = Find(static_cast<uint32_t>(cookie & (kMaxSlots - 1)),
                         static_cast<uint32_t>(cookie >> 24) & 0xffffff);
    if (c == nullptr || c->state_ == ConnState::kClosing) continue;
    if (kind == kCloseDeadlineTimer) {
      // The deadline of the state it was set in (kDraining or kLingering; the epoch field
      // carries that state): a draining deadline that fires after the linger began is not the
      // linger's, which has its own.
      if (static_cast<uint8_t>(c->state_) == epoch) CloseNow(*c);
    } else if (epoch == c->session_epoch_ && c->state_ != ConnState::kLingering) {
      c->session_->OnTimer(*c, kind);
    }
  }
}

void IoLoop::StopAccepting() {
  if (listen_fd_ < 0) return;
  shutdown(listen_fd_, SHUT_RDWR);  // ends the multishot accept and leaves the REUSEPORT group
  close(listen_fd_);
  listen_fd_ = -1;
}

namespace {
// IORING_OP_FIXED_FD_INSTALL (Linux 6.8+; liburing 2.3's headers predate it).
constexpr uint8_t kOpFixedFdInstall = 54;

bool FdPeerAddress(int fd, std::string* out) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return false;
  char text[INET6_ADDRSTRLEN];
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    if (!inet_ntop(AF_INET, &a->sin_addr, text, sizeof(text))) return false;
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
      if (!inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], text, sizeof(text))) return false;
    } else if (!inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof(text))) {
      return false;
    }
  } else {
    return false;
  }
  out->assign(text);
  return true;
}
}  // namespace

bool IoLoop::PeerAddress(const Connection& c, std::string* out) const {
  if (direct_ || c.fd() < 0) return false;
  return FdPeerAddress(c.fd(), out);
}

bool IoLoop::RequestPeerAddress(Connection& c) {
  if (!direct_ || c.state_ != ConnState::kOpen) return false;
  // fd: the direct descriptor's index (ConnOp adds IOSQE_FIXED_FILE); flags 0: O_CLOEXEC.
  ConnOp(c, kOpPeer,
         [&](io_uring_sqe* s) { io_uring_prep_rw(kOpFixedFdInstall, s, c.fd_, nullptr, 0, 0); });
  return true;
}

void IoLoop::OnPeer(const io_uring_cqe& cqe, Connection* c) {
  RC_CHECK(c != nullptr);  // a slot is never freed while an operation naming it is in flight
  std::string ip;
  if (cqe.res >= 0) {
    if (!FdPeerAddress(cqe.res, &ip)) ip.clear();
    close(cqe.res);
  }
  if (c->state_ == ConnState::kOpen) c->session_->OnPeerAddress(*c, ip);
  OpDone(*c);
  MaybeFinishClose(*c);
}

}  // namespace ringcast::net
