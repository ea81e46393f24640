// TlsContext and ContextSlot: the server's certificate, key and TLS settings, and the place
// where a reload (SIGHUP) publishes a new set for the shards to pick up.
//
// A TlsContext is one BoringSSL SSL_CTX built from a PEM certificate chain and key with the
// server's defaults: TLS 1.2 and 1.3, ALPN http/1.1, session tickets and a server-side session
// cache (resumption), cipher list overridable (TLS 1.2 suites; BoringSSL fixes the 1.3 ones).
// BoringSSL sends TLS 1.3 tickets with the server's first application data (an HTTP answer or
// the 101 of an upgrade), not at the end of the handshake.
// An SSL_CTX is reference-counted and safe to use from several threads at once; every
// connection's SSL holds a reference, so an old context lives until its last connection ends.
// ContextSlot: Publish (any thread: start-up, the SIGHUP reload) replaces the current context;
// ContextCache (one per shard, its thread only) checks the slot's generation (one relaxed
// atomic load) at each accept and takes the mutex only when it changed: once per reload.
// Nothing here does I/O on a socket; the files are read only by the Load functions.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

struct ssl_ctx_st;

namespace ringcast::tls {

struct TlsOptions {
  std::string cert_file;  // PEM chain, leaf first
  std::string key_file;   // PEM private key
  std::string ciphers;    // "" : BoringSSL's defaults for TLS 1.2 (ECDHE + AEAD only)
};

class TlsContext {
 public:
  // Builds a context, or returns null and says why in `*error`.
  static std::unique_ptr<TlsContext> Load(const TlsOptions& options, std::string* error);
  // A client context (ringcast-bench --tls): TLS 1.2/1.3, ALPN http/1.1, verifying the server
  // against the PEM CA file `ca_file` ("": no verification).
  static std::unique_ptr<TlsContext> LoadClient(const std::string& ca_file, std::string* error);
  // A client context for outbound webhooks: TLS 1.2/1.3, ALPN http/1.1, always verifying the
  // server: against the PEM CA file `ca_file`, or ("") the system CA store
  // (kSystemCaFile when it exists, else BoringSSL's default paths).
  static std::unique_ptr<TlsContext> LoadVerifyingClient(const std::string& ca_file,
                                                         std::string* error);
  static constexpr const char* kSystemCaFile = "/etc/ssl/certs/ca-certificates.crt";
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  ssl_ctx_st* raw() const { return ctx_; }
  // The leaf certificate's subject and SHA-256 fingerprint (for the log).
  const std::string& description() const { return description_; }

 private:
  explicit TlsContext(ssl_ctx_st* ctx) : ctx_(ctx) {}
  ssl_ctx_st* ctx_;
  std::string description_;
};

class ContextSlot {
 public:
  ContextSlot() = default;
  ~ContextSlot();
  ContextSlot(const ContextSlot&) = delete;
  ContextSlot& operator=(const ContextSlot&) = delete;

  // Any thread: makes `ctx` the context of new handshakes.
  void Publish(const TlsContext& ctx);
  // Any thread: changes with every Publish (0: nothing published yet).
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  // Any thread: a new reference to the current context (null before the first Publish); the
  // caller frees it with SSL_CTX_free.
  ssl_ctx_st* Acquire() const;

 private:
  mutable std::mutex mu_;
  ssl_ctx_st* current_ = nullptr;  // one reference held, guarded by mu_
  std::atomic<uint64_t> generation_{0};
};

// One shard's view of a slot: the context new connections use, refreshed when the slot moved on.
class ContextCache {
 public:
  explicit ContextCache(const ContextSlot* slot = nullptr) : slot_(slot) {}
  ~ContextCache();
  ContextCache(const ContextCache&) = delete;
  ContextCache& operator=(const ContextCache&) = delete;

  bool enabled() const { return slot_ != nullptr; }
  // The shard's thread: the current context (borrowed; valid until the next call).
  ssl_ctx_st* Current();

 private:
  const ContextSlot* slot_;
  uint64_t generation_ = 0;
  ssl_ctx_st* ctx_ = nullptr;
};

}  // namespace ringcast::tls
