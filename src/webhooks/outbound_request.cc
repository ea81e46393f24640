// OutboundRequest: connect -> send* -> recv* -> close (see outbound_request.h).
#include "webhooks/outbound_request.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tls/tls_stream.h"
#include "util/log.h"

namespace ringcast::webhooks {

OutboundRequest::OutboundRequest() = default;

OutboundRequest::~OutboundRequest() {
  // Only at process exit with a request in flight: the ring goes with us.
  if (fd_ >= 0) ::close(fd_);
}

bool OutboundRequest::Start(runtime::Ring* ring, const sockaddr_storage& addr, socklen_t addr_len,
                            const std::string* request, uint64_t deadline_ms, uint64_t tag,
                            ssl_ctx_st* tls_ctx, const std::string* tls_host, bool keep_alive) {
  RC_CHECK(step_ == Step::kIdle);
  RC_CHECK(tls_ctx == nullptr || tls_host != nullptr);
  status_ = 0;
  tls_failed_ = false;
  request_encrypted_ = false;
  tls_ctx_ = tls_ctx;
  tls_host_ = tls_host;
  reader_state_ = http::ResponseReader::State::kNeedMore;
  error_.clear();
  reader_.Reset();
  sent_ = 0;
  cancel_sent_ = false;
  request_ = request;
  deadline_ms_ = deadline_ms;
  tag_ = tag;
  addr_ = addr;
  addr_len_ = addr_len;
  keep_alive_ = keep_alive;
  reused_ = false;
  if (fd_ >= 0) {  // an idle kept connection (with its TLS session when https)
    if (keep_alive_ && (tls_ctx == nullptr) == (tls_ == nullptr)) {
      reused_ = true;
      if (tls_ != nullptr) return !Pump(ring);  // the request encrypted on the kept session
      SubmitSend(ring);
      return true;
    }
    ::close(fd_);  // idle: no operation names it
    fd_ = -1;
  }
  tls_.reset();
  return Connect(ring);
}

bool OutboundRequest::Connect(runtime::Ring* ring) {
  fd_ = ::socket(addr_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error_ = std::string("socket: ") + std::strerror(errno);
    step_ = Step::kIdle;
    return false;
  }
  step_ = Step::kConnect;
  io_uring_sqe* sqe = ring->Sqe();
  io_uring_prep_connect(sqe, fd_, reinterpret_cast<const sockaddr*>(&addr_), addr_len_);
  io_uring_sqe_set_data64(sqe, tag_);
  return true;
}

bool OutboundRequest::RetryFresh(runtime::Ring* ring) {
  if (!reused_) return false;
  reused_ = false;
  ::close(fd_);  // the failed operation was its last
  fd_ = -1;
  sent_ = 0;
  reader_.Reset();
  reader_state_ = http::ResponseReader::State::kNeedMore;
  tls_.reset();  // a fresh connection: a fresh handshake
  request_encrypted_ = false;
  return Connect(ring);
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
  // No operation names the socket any more: closed, or kept idle for the next request.
  const bool keep = keep_alive_ && status > 0 && !reader_.closes() && fd_ >= 0 &&
                    (tls_ == nullptr || !tls_->failed());
  if (!keep) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    tls_.reset();
  }
  step_ = Step::kIdle;
  status_ = status;
  error_ = std::move(error);
  return true;
}

bool OutboundRequest::OnCompletion(runtime::Ring* ring, int res) {
  RC_CHECK(step_ != Step::kIdle);
  if (cancel_sent_) {
    keep_alive_ = false;  // an operation may still have been cut short: not reused
    return Finish(0, "timed out");
  }
  if (reused_ && ((res < 0 && step_ != Step::kConnect) || (res == 0 && step_ == Step::kRecv))) {
    if (RetryFresh(ring)) return false;
    if (fd_ < 0) return Finish(0, error_);
  }
  if (res < 0) {
    keep_alive_ = false;
    const char* what = step_ == Step::kConnect ? "connect: "
                       : step_ == Step::kSend  ? "send: "
                                               : "recv: ";
    return Finish(0, what + std::string(std::strerror(-res)));
  }
  if (tls_ctx_ != nullptr) {
    switch (step_) {
      case Step::kConnect:
        tls_.reset(tls::TlsStream::CreateClient(tls_ctx_, tls_host_->c_str()));
        if (!tls_ || !tls_->Start()) {
          tls_failed_ = true;
          return Finish(0, "TLS: cannot start a client handshake");
        }
        return Pump(ring);
      case Step::kSend:
        tls_->Sent(static_cast<size_t>(res));
        return Pump(ring);
      case Step::kRecv:
        if (res == 0) {
          if (!tls_->handshake_done()) {
            tls_failed_ = true;
            return Finish(0, "TLS: connection closed during the handshake");
          }
          return Finish(0, "connection closed before a complete response");
        }
        return OnTlsRecv(ring, static_cast<size_t>(res));
      case Step::kIdle:
        break;
    }
    return false;
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
      if (res == 0) {
        keep_alive_ = false;
        return Finish(0, "connection closed before a complete response");
      }
      reused_ = false;  // the answer began: never sent twice from here on
      http::ResponseReader::Result r = reader_.Feed(buf_.data(), static_cast<size_t>(res));
      if (r.state == http::ResponseReader::State::kError) {
        keep_alive_ = false;
        return Finish(0, std::string("bad response: ") + reader_.error());
      }
      if (r.state == http::ResponseReader::State::kDone) {
        // Bytes past the response on a kept connection: not ours to read; not reused.
        if (r.consumed != static_cast<size_t>(res)) keep_alive_ = false;
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

bool OutboundRequest::TlsSink(void* arg, char* data, size_t len) {
  auto* self = static_cast<OutboundRequest*>(arg);
  if (self->reader_state_ != http::ResponseReader::State::kNeedMore) return false;
  if (len > 0) self->reused_ = false;  // the answer began: never sent twice from here on
  const http::ResponseReader::Result r = self->reader_.Feed(data, len);
  self->reader_state_ = r.state;
  // Plaintext past the response on a kept session: not ours to read; not reused.
  if (r.state == http::ResponseReader::State::kDone && r.consumed != len) {
    self->keep_alive_ = false;
  }
  return self->reader_state_ == http::ResponseReader::State::kNeedMore;
}

bool OutboundRequest::OnTlsRecv(runtime::Ring* ring, size_t n) {
  tls::TlsStream::FeedResult fr =
      tls_->Feed(buf_.data(), n, plain_.data(), plain_.size(), &TlsSink, this);
  if (reader_state_ == http::ResponseReader::State::kError) {
    return Finish(0, std::string("bad response: ") + reader_.error());
  }
  if (reader_state_ == http::ResponseReader::State::kDone) {
    int st = reader_.status();
    return Finish(st, st >= 200 && st < 300 ? "" : "HTTP status " + std::to_string(st));
  }
  if (fr == tls::TlsStream::FeedResult::kError) {
    // A kept session the peer closed (close_notify) before any byte of the answer: again, once,
    // on a fresh connection.
    if (reused_ && RetryFresh(ring)) return false;
    tls_failed_ = true;
    return Finish(0, std::string("TLS: ") + tls_->failure_reason());
  }
  return Pump(ring);
}

bool OutboundRequest::Pump(runtime::Ring* ring) {
  if (tls_->handshake_done() && !request_encrypted_) {
    // The whole request in one go: it is small (one batch of events), a few records at most.
    iovec iov{const_cast<char*>(request_->data()), request_->size()};
    size_t taken = 0;
    if (!tls_->Encrypt(&iov, 1, request_->size(), &taken) || taken != request_->size()) {
      tls_failed_ = true;
      return Finish(0, "TLS: cannot encrypt the request");
    }
    request_encrypted_ = true;
  }
  if (tls_->has_pending()) {
    std::string_view next = tls_->NextSend();
    step_ = Step::kSend;
    io_uring_sqe* sqe = ring->Sqe();
    io_uring_prep_send(sqe, fd_, next.data(), next.size(), MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, tag_);
    return false;
  }
  SubmitRecv(ring);
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
