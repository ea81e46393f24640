// See link.h.
#include "cluster/link.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/log.h"

namespace ringcast::cluster {

// user_data: kTag | id << 56 | op << 48 | generation (48 bits).
uint64_t Link::UserData(Op op) const {
  return kTag | (uint64_t{id_} << 56) | (uint64_t{op} << 48) | (generation_ & 0xffffffffffffull);
}

Link::Link(runtime::Ring* ring, uint32_t id, Handler* handler, size_t max_outbound)
    : ring_(ring), id_(id), handler_(handler), max_outbound_(max_outbound) {
  RC_CHECK(id < 64);
}

Link::~Link() {
  // Only at exit with a connection open: the ring goes with us.
  if (fd_ >= 0) ::close(fd_);
}

bool Link::Connect(const sockaddr_storage& addr, socklen_t addr_len, uint32_t timeout_ms,
                   std::string* error) {
  RC_CHECK(state_ == State::kIdle && in_flight_ == 0);
  fd_ = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  int one = 1;
  (void)::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ++generation_;
  addr_ = addr;
  addr_len_ = addr_len;
  out_.clear();
  sending_.clear();
  sent_ = 0;
  close_reason_.clear();
  reader_ = std::make_unique<RespReader>();
  state_ = State::kConnecting;
  timeout_.tv_sec = timeout_ms / 1000;
  timeout_.tv_nsec = static_cast<long long>(timeout_ms % 1000) * 1000000;
  io_uring_sqe* sqe = ring_->Sqe();
  io_uring_prep_connect(sqe, fd_, reinterpret_cast<const sockaddr*>(&addr_), addr_len_);
  io_uring_sqe_set_data64(sqe, UserData(kConnectOp));
  sqe->flags |= IOSQE_IO_LINK;
  io_uring_sqe* t = ring_->Sqe();
  io_uring_prep_link_timeout(t, &timeout_, 0);
  io_uring_sqe_set_data64(t, UserData(kTimeoutOp));
  connect_armed_ = true;
  in_flight_ = 2;
  return true;
}

bool Link::Append(std::string_view bytes) {
  if (state_ != State::kConnecting && state_ != State::kOpen) return false;
  if (bytes.size() > room()) return false;
  out_.append(bytes);
  return true;
}

void Link::Flush() {
  if (state_ != State::kOpen || send_armed_ || out_.empty()) return;
  sending_.swap(out_);  // out_ keeps the old capacity
  out_.clear();
  sent_ = 0;
  send_armed_ = true;
  ++in_flight_;
  io_uring_sqe* sqe = ring_->Sqe();
  io_uring_prep_send(sqe, fd_, sending_.data(), sending_.size(), MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, UserData(kSendOp));
}

void Link::SubmitRecv() {
  recv_armed_ = true;
  ++in_flight_;
  io_uring_sqe* sqe = ring_->Sqe();
  io_uring_prep_recv(sqe, fd_, buf_, sizeof buf_, 0);
  io_uring_sqe_set_data64(sqe, UserData(kRecvOp));
}

void Link::Close(const std::string& why) {
  if (state_ == State::kIdle || state_ == State::kClosing) return;
  Fail(why);
}

void Link::Fail(const std::string& why) {
  if (state_ == State::kClosing) return;
  state_ = State::kClosing;
  close_reason_ = why;
  // Cancel what waits (a recv waits for Redis, a connect for the peer); their completions
  // still come, and the descriptor is closed after the last of them.
  for (Op op : {kConnectOp, kRecvOp, kSendOp}) {
    const bool armed = op == kConnectOp ? connect_armed_
                       : op == kRecvOp  ? recv_armed_
                                        : send_armed_;
    if (!armed) continue;
    io_uring_sqe* sqe = ring_->Sqe();
    io_uring_prep_cancel64(sqe, UserData(op), 0);
    io_uring_sqe_set_data64(sqe, UserData(kCancelOp));
  }
  MaybeFinishClose();
}

void Link::MaybeFinishClose() {
  if (state_ != State::kClosing || in_flight_ > 0) return;
  ::close(fd_);
  fd_ = -1;
  state_ = State::kIdle;
  out_.clear();
  sending_.clear();
  reader_.reset();
  handler_->OnClosed(id_, close_reason_);
}

void Link::OnCompletion(const io_uring_cqe& cqe) {
  const auto op = static_cast<Op>((cqe.user_data >> 48) & 0xff);
  if (op == kCancelOp) return;  // names no descriptor
  if ((cqe.user_data & 0xffffffffffffull) != (generation_ & 0xffffffffffffull)) return;
  --in_flight_;
  const int res = cqe.res;
  switch (op) {
    case kTimeoutOp:
      break;  // fired (the connect then fails with -ECANCELED) or cancelled with it
    case kConnectOp:
      connect_armed_ = false;
      if (state_ != State::kConnecting) break;
      if (res < 0) {
        Fail(res == -ECANCELED ? "connect timed out"
                               : std::string("connect: ") + std::strerror(-res));
        break;
      }
      state_ = State::kOpen;
      SubmitRecv();
      handler_->OnOpen(id_);  // may Append
      Flush();
      break;
    case kRecvOp: {
      recv_armed_ = false;
      if (state_ != State::kOpen) break;
      if (res <= 0) {
        Fail(res == 0 ? "closed by Redis" : std::string("recv: ") + std::strerror(-res));
        break;
      }
      if (!reader_->Feed(std::string_view(buf_, static_cast<size_t>(res)))) {
        Fail("bad reply: " + reader_->error());
        break;
      }
      RespValue v;
      while (state_ == State::kOpen && reader_->Next(&v)) handler_->OnReply(id_, std::move(v));
      if (state_ != State::kOpen) break;  // the handler closed it
      if (reader_->failed()) {
        Fail("bad reply: " + reader_->error());
        break;
      }
      SubmitRecv();
      Flush();
      break;
    }
    case kSendOp:
      send_armed_ = false;
      if (state_ != State::kOpen) break;
      if (res < 0) {
        Fail(std::string("send: ") + std::strerror(-res));
        break;
      }
      sent_ += static_cast<size_t>(res);
      if (sent_ < sending_.size()) {  // partial: the rest first, then what was appended since
        send_armed_ = true;
        ++in_flight_;
        io_uring_sqe* sqe = ring_->Sqe();
        io_uring_prep_send(sqe, fd_, sending_.data() + sent_, sending_.size() - sent_,
                           MSG_NOSIGNAL);
        io_uring_sqe_set_data64(sqe, UserData(kSendOp));
        break;
      }
      sending_.clear();
      Flush();
      break;
    default:
      break;
  }
  MaybeFinishClose();
}

}  // namespace ringcast::cluster
