// TlsStream: the TLS layer of one server connection, run over memory (no socket).
//
// The shard does every read and write through its io_uring; this object only turns bytes:
//   Feed(ciphertext)  -> handshake progress, plaintext handed to a sink, and maybe bytes to send
//                        (handshake flights, session tickets, alerts);
//   Encrypt(plaintext iovecs) -> TLS records appended to the pending ciphertext;
//   pending() / Sent(n) -> the ciphertext the loop writes next and what the kernel took.
// Records are built per coalesced write: the plaintext of every frame queued since the last
// write is gathered into records of up to 16 KiB (one copy into a per-thread staging buffer), so
// a write of many small frames costs one record header, one AEAD call and one tag, not one per
// frame (docs/architecture.md, "TLS").
// BoringSSL reads and writes through a custom BIO: reads come straight from the buffer given to
// Feed (whatever BoringSSL does not consume there it keeps in its own record buffer), writes go
// to a growable ciphertext buffer that is freed as soon as it has been written out. With
// BoringSSL's released record buffers and the handshake configuration shed after the
// handshake, an idle connection keeps only its SSL object.
// kTLS: Kernel offload is behind this same object (TryKernelOffload); see ktls.h.
// A client stream (CreateClient) works the same way, for the load generator and https webhooks.
// Thread rules: one shard thread owns a stream; the SSL_CTX it was made from may be shared.
// A stream never closes or writes a socket.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

struct ssl_st;
struct ssl_ctx_st;
struct bio_st;
struct bio_method_st;

namespace ringcast::tls {

class TlsStream {
 public:
  enum class FeedResult : uint8_t {
    kOk,     // all of the input was taken
    kError,  // bad record, failed handshake or peer alert: close (pending() may hold an alert)
  };
  // The plaintext sink: called with the shard's scratch buffer (writable, `slack` readable bytes
  // past the end); return false to stop reading (the connection is going away).
  using Sink = bool (*)(void* arg, char* data, size_t len);

  // Null when BoringSSL could not make the SSL object (out of memory).
  static TlsStream* Create(ssl_ctx_st* ctx);
  // The client side (ringcast-bench --tls), verifying the server's certificate for `host` (a
  // name or an IP address) when the context verifies. Start() then queues the ClientHello.
  static TlsStream* CreateClient(ssl_ctx_st* ctx, const char* host);
  [[nodiscard]] bool Start();
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  // Ciphertext from the peer. Plaintext goes to sink(arg, ...) in `scratch` (scratch_size bytes
  // plus readable slack past them).
  [[nodiscard]] FeedResult Feed(const char* data, size_t len, char* scratch, size_t scratch_size,
                                Sink sink, void* arg);
  // Encrypts up to `max_bytes` of the plaintext in iov[0..n) into records appended to the
  // pending ciphertext; `*taken` is how many plaintext bytes were consumed. Only after the
  // handshake (returns true with *taken 0 before). False: fatal error, close.
  [[nodiscard]] bool Encrypt(const iovec* iov, int n, size_t max_bytes, size_t* taken);
  // Queues a close_notify alert once (graceful close); true if it queued one.
  bool QueueCloseNotify();

  bool handshake_done() const { return handshake_done_; }
  bool failed() const { return failed_; }
  bool session_reused() const;
  // Why the handshake failed, for a log line: the certificate verification error when there
  // was one ("certificate verify failed: ..."), else "TLS handshake failed" or "TLS error".
  const char* failure_reason() const;
  bool verify_failed() const;
  // Ciphertext waiting to be written.
  bool has_pending() const { return send_.sent < send_.len || acc_.len > 0; }
  // The next bytes to write (only while no write is in flight): they stay where they are until
  // Sent() or destruction, whatever Feed or Encrypt append meanwhile (into another buffer).
  std::string_view NextSend();
  // The kernel took `n` bytes of NextSend(); a buffer is freed as soon as it is all written.
  void Sent(size_t n);
  // Bytes this stream holds on the heap outside BoringSSL (its ciphertext buffers).
  size_t buffer_bytes() const { return send_.cap + acc_.cap; }

  // kTLS hook: would hand the traffic keys to the kernel for socket `fd`. Not built: always
  // false (this kernel has no CONFIG_TLS; ktls.h), and records stay in user space.
  bool TryKernelOffload(int fd) {
    (void)fd;
    return false;
  }

 private:
  TlsStream() = default;
  static int BioRead(bio_st* bio, char* out, int len);
  static int BioWrite(bio_st* bio, const char* in, int len);
  static long BioCtrl(bio_st* bio, int cmd, long larg, void* parg);  // NOLINT(runtime/int)
  static const bio_method_st* Method();
  void Append(const char* data, size_t len);

  ssl_st* ssl_ = nullptr;
  const char* in_ = nullptr;  // Feed's unread input (valid during Feed only)
  size_t in_len_ = 0;
  struct Buffer {
    char* data = nullptr;
    size_t len = 0;
    size_t sent = 0;  // send_ only
    size_t cap = 0;
  };
  Buffer send_;  // being written: [sent, len) not yet taken by the kernel
  Buffer acc_;   // appended since: becomes send_ when send_ is done
  bool handshake_done_ = false;
  bool failed_ = false;
  bool close_notify_queued_ = false;
};

}  // namespace ringcast::tls
