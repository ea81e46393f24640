#include "tls/tls_stream.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace ringcast::tls {

namespace {
constexpr size_t kMaxRecordPlain = 16384;  // TLS's largest record payload
}  // namespace

const BIO_METHOD* TlsStream::Method() {
  // Made once (thread-safe static); never freed.
  static const BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ringcast-mem");
    BIO_meth_set_read(m, BioRead);
    BIO_meth_set_write(m, BioWrite);
    BIO_meth_set_ctrl(m, BioCtrl);
    return m;
  }();
  return method;
}

int TlsStream::BioRead(BIO* bio, char* out, int len) {
  auto* s = static_cast<TlsStream*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (s->in_len_ == 0) {
    BIO_set_retry_read(bio);
    return -1;
  }
  size_t n = std::min(s->in_len_, static_cast<size_t>(len));
  std::memcpy(out, s->in_, n);
  s->in_ += n;
  s->in_len_ -= n;
  return static_cast<int>(n);
}

int TlsStream::BioWrite(BIO* bio, const char* in, int len) {
  auto* s = static_cast<TlsStream*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  s->Append(in, static_cast<size_t>(len));
  return len;
}

long TlsStream::BioCtrl(BIO* bio, int cmd, long larg, void* parg) {  // NOLINT(runtime/int)
  (void)bio, (void)larg, (void)parg;
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

void TlsStream::Append(const char* data, size_t len) {
  Buffer& b = acc_;
  if (b.len + len > b.cap) {
    size_t cap = std::max<size_t>(b.cap * 2, 4096);
    while (cap < b.len + len) cap *= 2;
    char* grown = static_cast<char*>(std::realloc(b.data, cap));
    if (grown == nullptr) std::abort();  // out of memory: as operator new would
    b.data = grown;
    b.cap = cap;
  }
  std::memcpy(b.data + b.len, data, len);
  b.len += len;
}

std::string_view TlsStream::NextSend() {
  if (send_.sent == send_.len && acc_.len > 0) {
    std::free(send_.data);
    send_ = acc_;
    acc_ = Buffer{};
  }
  return {send_.data + send_.sent, send_.len - send_.sent};
}

void TlsStream::Sent(size_t n) {
  send_.sent += std::min(n, send_.len - send_.sent);
  if (send_.sent == send_.len) {
    // Written out: an idle connection keeps no ciphertext buffer.
    std::free(send_.data);
    send_ = Buffer{};
  }
}

TlsStream* TlsStream::Create(SSL_CTX* ctx) {
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) return nullptr;
  BIO* bio = BIO_new(Method());
  if (bio == nullptr) {
    SSL_free(ssl);
    return nullptr;
  }
  auto* s = new TlsStream();
  s->ssl_ = ssl;
  BIO_set_data(bio, s);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl, bio, bio);  // one reference, owned by the SSL
  SSL_set_accept_state(ssl);
  return s;
}

TlsStream* TlsStream::CreateClient(SSL_CTX* ctx, const char* host) {
  TlsStream* s = Create(ctx);
  if (s == nullptr) return nullptr;
  SSL_set_connect_state(s->ssl_);
  X509_VERIFY_PARAM* param = SSL_get0_param(s->ssl_);
  bool ok = X509_VERIFY_PARAM_set1_ip_asc(param, host) == 1;
  if (!ok) {
    ok = SSL_set_tlsext_host_name(s->ssl_, host) == 1 &&
         X509_VERIFY_PARAM_set1_host(param, host, std::strlen(host)) == 1;
  }
  ERR_clear_error();
  if (!ok) {
    delete s;
    return nullptr;
  }
  return s;
}

bool TlsStream::Start() {
  int r = SSL_do_handshake(ssl_);
  ERR_clear_error();
  if (r == 1) {
    handshake_done_ = true;
    return true;
  }
  if (SSL_get_error(ssl_, r) == SSL_ERROR_WANT_READ) return true;
  failed_ = true;
  return false;
}

TlsStream::~TlsStream() {
  SSL_free(ssl_);
  std::free(send_.data);
  std::free(acc_.data);
}

bool TlsStream::session_reused() const { return SSL_session_reused(ssl_) != 0; }

bool TlsStream::verify_failed() const { return SSL_get_verify_result(ssl_) != X509_V_OK; }

const char* TlsStream::failure_reason() const {
  long v = SSL_get_verify_result(ssl_);  // NOLINT(runtime/int)
  if (v != X509_V_OK) return X509_verify_cert_error_string(v);
  return handshake_done_ ? "TLS error" : "TLS handshake failed";
}

TlsStream::FeedResult TlsStream::Feed(const char* data, size_t len, char* scratch,
                                      size_t scratch_size, Sink sink, void* arg) {
  if (failed_) return FeedResult::kError;
  in_ = data;
  in_len_ = len;
  FeedResult result = FeedResult::kOk;
  if (!handshake_done_) {
    int r = SSL_do_handshake(ssl_);
    if (r == 1) {
      handshake_done_ = true;
      // The handshake configuration (certificate, ALPN list...) is not needed any more.
      SSL_set_shed_handshake_config(ssl_, 1);
    } else if (SSL_get_error(ssl_, r) != SSL_ERROR_WANT_READ) {
      failed_ = true;
      result = FeedResult::kError;
    }
  }
  while (handshake_done_ && !failed_) {
    int r = SSL_read(ssl_, scratch, static_cast<int>(scratch_size));
    if (r > 0) {
      if (!sink(arg, scratch, static_cast<size_t>(r))) break;
      continue;
    }
    int err = SSL_get_error(ssl_, r);
    if (err == SSL_ERROR_WANT_READ) break;
    if (err != SSL_ERROR_ZERO_RETURN) {  // close_notify: the peer's FIN follows; read nothing more
      failed_ = true;
      result = FeedResult::kError;
    }
    break;
  }
  ERR_clear_error();
  in_ = nullptr;
  in_len_ = 0;
  return result;
}

bool TlsStream::Encrypt(const iovec* iov, int n, size_t max_bytes, size_t* taken) {
  *taken = 0;
  if (!handshake_done_ || failed_) return !failed_;
  // One staging buffer per thread: small frames are gathered into full records.
  thread_local char staging[kMaxRecordPlain];
  int i = 0;
  size_t off = 0;  // into iov[i]
  while (i < n && *taken < max_bytes) {
    size_t room = std::min(kMaxRecordPlain, max_bytes - *taken);
    const char* src;
    size_t len;
    size_t left_here = iov[i].iov_len - off;
    if (left_here >= room || i + 1 == n) {
      // One frame fills the record (or is the last): encrypt straight from it.
      src = static_cast<const char*>(iov[i].iov_base) + off;
      len = std::min(left_here, room);
      off += len;
      if (off == iov[i].iov_len) ++i, off = 0;
    } else {
      len = 0;
      while (i < n && len < room) {
        size_t k = std::min(iov[i].iov_len - off, room - len);
        std::memcpy(staging + len, static_cast<const char*>(iov[i].iov_base) + off, k);
        len += k;
        off += k;
        if (off == iov[i].iov_len) ++i, off = 0;
      }
      src = staging;
    }
    if (len == 0) continue;
    int r = SSL_write(ssl_, src, static_cast<int>(len));
    if (r != static_cast<int>(len)) {
      failed_ = true;
      ERR_clear_error();
      return false;
    }
    *taken += len;
  }
  return true;
}

bool TlsStream::QueueCloseNotify() {
  if (close_notify_queued_ || !handshake_done_ || failed_) return false;
  close_notify_queued_ = true;
  size_t before = acc_.len;
  SSL_shutdown(ssl_);
  ERR_clear_error();
  return acc_.len > before;
}

}  // namespace ringcast::tls
