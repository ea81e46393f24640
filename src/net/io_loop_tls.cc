// IoLoop's TLS layer: the seam between the socket's reads and writes and a connection's Session
// when the port serves TLS (io_loop.h, "TLS"). The loop still does every read and write through
// io_uring; a tls::TlsStream turns ciphertext into plaintext and back in memory.
// What it keeps per connection: the stream (an SSL object; its buffers are released while
// idle), in tls_streams_[slot], made at accept and freed with the slot. Counters: handshakes,
// resumptions, handshake failures and record errors (IoLoopStats).
// Thread rules: the shard's thread, as the rest of IoLoop.
#include <string_view>

#include "net/io_loop.h"
#include "runtime/ring.h"
#include "tls/tls_context.h"
#include "tls/tls_stream.h"
#include "util/log.h"

namespace ringcast::net {

bool IoLoop::HasOutput(const Connection& c) const {
  if (!c.out_.empty()) return true;
  tls::TlsStream* t = TlsOf(c);
  return t != nullptr && t->has_pending();
}

bool IoLoop::OpenTls(uint32_t index) {
  ssl_ctx_st* ctx = tls_ctx_->Current();
  if (ctx == nullptr) return false;
  if (tls_streams_.size() <= index) tls_streams_.resize(slot_count_, nullptr);
  RC_CHECK(tls_streams_[index] == nullptr);
  tls_streams_[index] = tls::TlsStream::Create(ctx);
  return tls_streams_[index] != nullptr;
}

void IoLoop::CloseTls(Connection& c) {
  if (tls_streams_.empty()) return;
  delete tls_streams_[c.index_];
  tls_streams_[c.index_] = nullptr;
}

namespace {
struct SinkArg {
  Connection* c;
};
bool Deliverable(const Connection& c) {
  return c.state() == ConnState::kOpen || c.state() == ConnState::kDraining;
}
}  // namespace

void IoLoop::OnTlsData(Connection& c, const char* data, size_t len) {
  tls::TlsStream* t = TlsOf(c);
  bool was_done = t->handshake_done();
  SinkArg arg{&c};
  auto sink = [](void* a, char* plain, size_t n) {
    Connection& conn = *static_cast<SinkArg*>(a)->c;
    // The session is read afresh each time: an upgrade may have replaced it.
    conn.session()->OnData(conn, plain, n);
    return Deliverable(conn);
  };
  auto result = t->Feed(data, len, tls_plain_.get(), kTlsPlainScratch, sink, &arg);
  if (!was_done && t->handshake_done()) {
    ++stats_.tls_handshakes;
    if (t->session_reused()) ++stats_.tls_resumed;
  }
  if (result == tls::TlsStream::FeedResult::kError) {
    ++(t->handshake_done() ? stats_.tls_record_errors : stats_.tls_handshake_failures);
    // The alert BoringSSL queued, if any, goes out before the FIN; bounded by the linger time.
    if (c.state_ == ConnState::kOpen && t->has_pending()) {
      c.out_.Clear();  // plaintext can no longer be encrypted
      CloseAfterFlush(c, kLingerMs);
    } else {
      CloseNow(c);
    }
    return;
  }
  if (Deliverable(c) && HasOutput(c)) MarkDirty(c);
}

std::string_view IoLoop::NextTlsWrite(Connection& c) {
  tls::TlsStream* t = TlsOf(c);
  if (!t->has_pending() && !c.out_.empty() && t->handshake_done()) {
    iovec iov[64];
    int n = c.out_.FillIov(iov, 64);
    size_t taken = 0;
    if (!t->Encrypt(iov, n, kTlsMaxPlainPerWrite, &taken)) {
      ++stats_.tls_record_errors;
      CloseNow(c);
      return {};
    }
    stats_.frames_written += c.out_.Consume(taken);
  }
  return t->has_pending() ? t->NextSend() : std::string_view();
}

void IoLoop::TlsSent(Connection& c, size_t n) { TlsOf(c)->Sent(n); }

bool IoLoop::TlsCloseNotify(Connection& c) {
  tls::TlsStream* t = TlsOf(c);
  return t != nullptr && c.out_.empty() && t->QueueCloseNotify();
}

}  // namespace ringcast::net
