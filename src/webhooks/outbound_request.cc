// OutboundRequest: connect -> send* -> recv* -> close (see outbound_request.h).
#include "webhooks/outbound_request.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/log.h"

namespace ringcast::webhooks {

OutboundRequest::~OutboundRequest() {
  // Only at process exit with a request in flight: the ring goes with us.
  if (fd_ >= 0) ::close(fd_);
}

bool OutboundRequest::Start(runtime::Ring* ring, const sockaddr_storage& addr, socklen_t addr_len,
                            const std::string* request, uint64_t deadline_ms, uint64_t tag) {
  RC_CHECK(step_ == Step::kIdle);
  status_ = 0;
  error_.clear();
  reader_.Reset();
  sent_ = 0;
  cancel_sent_ = false;
  request_ = request;
  deadline_ms_ = deadline_ms;
  tag_ = tag;
  addr_ = addr;
  addr_len_ = addr_len;
  fd_ = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error_ = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  step_ = Step::kConnect;
  io_uring_sqe* sqe = ring->Sqe();
  io_uring_prep_connect(sqe, fd_, reinterpret_cast<const sockaddr*>(&addr_), addr_len_);
  io_uring_sqe_set_data64(sqe, tag_);
  return true;
}

void OutboundRequest::SubmitSend(runtime::Ring* ring) {
  step_ = Step::kSend;
  io_uring_sqe* sqe = ring->Sqe();
  io_uring_prep_send(sqe, fd_, request_->data() + sent_, request_->size() - sent_, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, tag_);
}

void OutboundRequest::SubmitRecv(runtime::Ring* ring) {
  step_ = Step::kRecv;
  io_uring_sqe* sqe = ring->Sqe();
  io_uring_prep_recv(sqe, fd_, buf_.data(), buf_.size(), 0);
  io_uring_sqe_set_data64(sqe, tag_);
}

bool OutboundRequest::Finish(int status, std::string error) {
  ::close(fd_);  // no operation names it any more
  fd_ = -1;
  step_ = Step::kIdle;
  status_ = status;
  error_ = std::move(error);
  return true;
}

bool OutboundRequest::OnCompletion(runtime::Ring* ring, int res) {
  RC_CHECK(step_ != Step::kIdle);
  if (cancel_sent_) return Finish(0, "timed out");
  if (res < 0) {
    const char* what = step_ == Step::kConnect ? "connect: "
                       : step_ == Step::kSend  ? "send: "
                                               : "recv: ";
    return Finish(0, what + std::string(std::strerror(-res)));
  }
  switch (step_) {
    case Step::kConnect:
      SubmitSend(ring);
      return false;
    case Step::kSend:
      sent_ += static_cast<size_t>(res);
      if (sent_ < request_->size()) {
        SubmitSend(ring);
      } else {
        SubmitRecv(ring);
      }
      return false;
    case Step::kRecv: {
      if (res == 0) return Finish(0, "connection closed before a complete response");
      http::ResponseReader::Result r = reader_.Feed(buf_.data(), static_cast<size_t>(res));
      if (r.state == http::ResponseReader::State::kError) {
        return Finish(0, std::string("bad response: ") + reader_.error());
      }
      if (r.state == http::ResponseReader::State::kDone) {
        int st = reader_.status();
        return Finish(st, st >= 200 && st < 300 ? "" : "HTTP status " + std::to_string(st));
      }
      SubmitRecv(ring);
      return false;
    }
    case Step::kIdle:
      break;
  }
  return false;
}

void OutboundRequest::CancelIfLate(runtime::Ring* ring, uint64_t now_ms) {
  if (step_ == Step::kIdle || cancel_sent_ || now_ms < deadline_ms_) return;
  cancel_sent_ = true;
  io_uring_sqe* sqe = ring->Sqe();
  io_uring_prep_cancel64(sqe, tag_, 0);
  io_uring_sqe_set_data64(sqe, tag_ | kCancelBit);
}

}  // namespace ringcast::webhooks
