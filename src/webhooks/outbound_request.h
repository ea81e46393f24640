// OutboundRequest: one HTTP/1.1 request to a webhook target, run as a chain of io_uring
// operations on the control plane's ring: connect, send (repeated until every byte is out),
// recv (repeated until http::ResponseReader has the whole response), then close.
//
// Never blocks: the socket is non-blocking and every wait is a ring operation. One operation is
// in flight at a time, so the socket is closed (plain close(2), which does not block for a
// socket without SO_LINGER) only after the completion of the last operation that names it (the
// ordered-descriptor rule, docs/architecture.md). A request past its deadline gets an
// IORING_OP_ASYNC_CANCEL of its operation (CancelIfLate); the operation then completes (with
// -ECANCELED, or its own result if it raced) and the request fails as "timed out".
// user_data: `tag` for the operation, unique per request (the dispatcher puts a generation in
// it, so a late cancel never hits the slot's next request); tag | kCancelBit for the cancel,
// whose completion the owner ignores.
// https: Start with a client SSL_CTX and the URL's host. After the connect, a tls::TlsStream
// (memory buffers only) turns bytes: the handshake, then the request encrypted in one go; each
// send writes the stream's pending ciphertext, each recv feeds it ciphertext and its plaintext
// goes to the ResponseReader. Still one operation in flight; the socket is only ever touched by
// ring operations. A failed certificate check (SNI and hostname = the URL's host) fails the
// request like a connection error ("TLS: certificate verify failed: ...", tls_failed()).
// Keep-alive (Start's `keep_alive`): after a complete response that does not close (HTTP/1.1
// without Connection: close), the socket stays open, idle, with no operation naming it (https:
// with its TLS session); the next Start to the same address sends on it (https: encrypted on
// that session, no new handshake). When a reused connection turns out closed by the peer before
// any byte of the answer came (send fails, recv reads 0 or ECONNRESET, or, https, the session
// ends with an alert), the request goes again once on a fresh connection: the peer closed an
// idle connection without reading the request. The owner starts a kept request only to the
// address (and TLS host) of the request before.
// Thread rules: the thread that owns the ring (the control plane).
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "http/response_reader.h"
#include "runtime/ring.h"

struct ssl_ctx_st;

namespace ringcast::tls {
class TlsStream;
}

namespace ringcast::webhooks {

class OutboundRequest {
 public:
  static constexpr uint64_t kCancelBit = 1ull << 62;

  OutboundRequest();  // out of line: TlsStream is incomplete here
  ~OutboundRequest();
  OutboundRequest(const OutboundRequest&) = delete;
  OutboundRequest& operator=(const OutboundRequest&) = delete;

  // Starts sending `request` (which must stay valid until the request finishes) to `addr`.
  // Returns false (error() says why) when not even the socket could be made.
  [[nodiscard]] bool Start(runtime::Ring* ring, const sockaddr_storage& addr, socklen_t addr_len,
                           const std::string* request, uint64_t deadline_ms, uint64_t tag,
                           ssl_ctx_st* tls_ctx = nullptr, const std::string* tls_host = nullptr,
                           bool keep_alive = false);

  // The completion of this request's operation. Returns true when the request has finished:
  // then status() is the HTTP status (0 when none came) and error() says what failed.
  bool OnCompletion(runtime::Ring* ring, int res);

  void CancelIfLate(runtime::Ring* ring, uint64_t now_ms);

  bool busy() const { return step_ != Step::kIdle; }
  // A deadline the owner must wake up for: busy and not cancelled yet (after the cancel only
  // a completion can move the request on, and waiting for it lets the kernel deliver it).
  bool awaits_deadline() const { return busy() && !cancel_sent_; }
  uint64_t deadline_ms() const { return deadline_ms_; }
  int status() const { return status_; }
  const std::string& error() const { return error_; }
  // The last request failed in TLS (handshake, certificate or record layer).
  bool tls_failed() const { return tls_failed_; }
  // The last response's body (the first max_kept_body bytes) and whether it was longer.
  std::string_view body() const { return reader_.body(); }
  bool body_truncated() const { return reader_.body_truncated(); }
  void set_max_kept_body(size_t n) { reader_.set_max_kept_body(n); }
  // An idle kept-alive connection is open.
  bool kept() const { return step_ == Step::kIdle && fd_ >= 0; }

 private:
  enum class Step : uint8_t { kIdle, kConnect, kSend, kRecv };

  void SubmitSend(runtime::Ring* ring);
  // TLS: submits the next operation (send pending ciphertext, or recv), or finishes.
  bool Pump(runtime::Ring* ring);
  bool OnTlsRecv(runtime::Ring* ring, size_t n);
  static bool TlsSink(void* arg, char* data, size_t len);
  void SubmitRecv(runtime::Ring* ring);
  bool Finish(int status, std::string error);
  // Opens a fresh socket and submits its connect; false (error_ set) when none could be made.
  bool Connect(runtime::Ring* ring);
  // A reused connection failed before any byte of the answer: true when the request was sent
  // again on a fresh one.
  bool RetryFresh(runtime::Ring* ring);

  Step step_ = Step::kIdle;
  int fd_ = -1;
  bool cancel_sent_ = false;
  bool tls_failed_ = false;
  bool request_encrypted_ = false;
  bool keep_alive_ = false;        // this request may leave its connection open
  bool reused_ = false;            // sent on a kept connection, no byte of the answer yet
  ssl_ctx_st* tls_ctx_ = nullptr;  // borrowed from the dispatcher; null: plain http
  const std::string* tls_host_ = nullptr;
  std::unique_ptr<tls::TlsStream> tls_;
  http::ResponseReader::State reader_state_ = http::ResponseReader::State::kNeedMore;
  int status_ = 0;
  uint64_t tag_ = 0;
  uint64_t deadline_ms_ = 0;
  size_t sent_ = 0;
  const std::string* request_ = nullptr;
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
  std::string error_;
  http::ResponseReader reader_;
  std::array<char, 4096> buf_{};
  std::array<char, 4096> plain_{};  // TLS: decrypted response bytes
};

}  // namespace ringcast::webhooks
