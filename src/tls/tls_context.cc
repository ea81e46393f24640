#include "tls/tls_context.h"

#include <unistd.h>

#include <openssl/digest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdio>
#include <cstring>

namespace ringcast::tls {

namespace {

std::string LastError() {
  uint32_t e = ERR_get_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

// ALPN: the server speaks HTTP/1.1 only (WebSocket and SSE upgrade or stream from it). A client
// that offers ALPN without http/1.1 gets no protocol selected (RFC 7301 allows that) rather than
// a failed handshake: curl and browsers always offer http/1.1.
int SelectAlpn(SSL* ssl, const uint8_t** out, uint8_t* out_len, const uint8_t* in, unsigned in_len,
               void* arg) {
  (void)ssl, (void)arg;
  static const uint8_t kHttp11[] = {'h', 't', 't', 'p', '/', '1', '.', '1'};
  for (unsigned i = 0; i < in_len;) {
    unsigned n = in[i];
    if (i + 1 + n > in_len) break;
    if (n == sizeof kHttp11 && std::memcmp(in + i + 1, kHttp11, n) == 0) {
      *out = in + i + 1;
      *out_len = static_cast<uint8_t>(n);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + n;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

std::string Describe(SSL_CTX* ctx) {
  X509* leaf = SSL_CTX_get0_certificate(ctx);
  if (leaf == nullptr) return "no certificate";
  char subject[256] = "?";
  X509_NAME_oneline(X509_get_subject_name(leaf), subject, sizeof subject);
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned md_len = 0;
  X509_digest(leaf, EVP_sha256(), md, &md_len);
  std::string fp;
  char hex[4];
  for (unsigned i = 0; i < md_len; ++i) {
    std::snprintf(hex, sizeof hex, i == 0 ? "%02X" : ":%02X", md[i]);
    fp += hex;
  }
  return std::string(subject) + " sha256 " + fp;
}

}  // namespace

std::unique_ptr<TlsContext> TlsContext::Load(const TlsOptions& options, std::string* error) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  if (ctx == nullptr) {
    *error = "cannot create a TLS context: " + LastError();
    return nullptr;
  }
  std::unique_ptr<TlsContext> out(new TlsContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  // Idle connections hold no record buffers (BoringSSL releases them by default; the mode is
  // kept for the record) and no copy of the handshake configuration (SSL_set_shed_...).
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
  static const uint8_t kSidContext[] = "ringcast";
  SSL_CTX_set_session_id_context(ctx, kSidContext, sizeof kSidContext - 1);
  SSL_CTX_set_alpn_select_cb(ctx, SelectAlpn, nullptr);
  if (!options.ciphers.empty() && !SSL_CTX_set_strict_cipher_list(ctx, options.ciphers.c_str())) {
    *error = "invalid TLS cipher list '" + options.ciphers + "': " + LastError();
    return nullptr;
  }
  if (!SSL_CTX_use_certificate_chain_file(ctx, options.cert_file.c_str())) {
    *error = "cannot load TLS certificate '" + options.cert_file + "': " + LastError();
    return nullptr;
  }
  if (!SSL_CTX_use_PrivateKey_file(ctx, options.key_file.c_str(), SSL_FILETYPE_PEM)) {
    *error = "cannot load TLS key '" + options.key_file + "': " + LastError();
    return nullptr;
  }
  if (!SSL_CTX_check_private_key(ctx)) {
    *error = "TLS key '" + options.key_file + "' does not match the certificate: " + LastError();
    return nullptr;
  }
  out->description_ = Describe(ctx);
  return out;
}

std::unique_ptr<TlsContext> TlsContext::LoadClient(const std::string& ca_file, std::string* error) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  if (ctx == nullptr) {
    *error = "cannot create a TLS context: " + LastError();
    return nullptr;
  }
  std::unique_ptr<TlsContext> out(new TlsContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  static const uint8_t kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof kAlpn);
  if (ca_file.empty()) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    out->description_ = "no verification";
  } else {
    if (!SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr)) {
      *error = "cannot load TLS CA file '" + ca_file + "': " + LastError();
      return nullptr;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    out->description_ = "verified against " + ca_file;
  }
  return out;
}

std::unique_ptr<TlsContext> TlsContext::LoadVerifyingClient(const std::string& ca_file,
                                                            std::string* error) {
  std::unique_ptr<TlsContext> out = LoadClient(ca_file, error);
  if (!out || !ca_file.empty()) return out;
  SSL_CTX* ctx = out->ctx_;
  ERR_clear_error();
  if (::access(kSystemCaFile, R_OK) == 0) {
    if (!SSL_CTX_load_verify_locations(ctx, kSystemCaFile, nullptr)) {
      *error =
          std::string("cannot load the system CA file '") + kSystemCaFile + "': " + LastError();
      return nullptr;
    }
    out->description_ = std::string("verified against ") + kSystemCaFile;
  } else {
    if (!SSL_CTX_set_default_verify_paths(ctx)) {
      *error = "cannot load the default CA paths: " + LastError();
      return nullptr;
    }
    out->description_ = "verified against the default CA paths";
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  return out;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

ContextSlot::~ContextSlot() { SSL_CTX_free(current_); }

void ContextSlot::Publish(const TlsContext& ctx) {
  SSL_CTX_up_ref(ctx.raw());
  SSL_CTX* old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    old = current_;
    current_ = ctx.raw();
    generation_.fetch_add(1, std::memory_order_release);
  }
  SSL_CTX_free(old);
}

ssl_ctx_st* ContextSlot::Acquire() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (current_ != nullptr) SSL_CTX_up_ref(current_);
  return current_;
}

ContextCache::~ContextCache() { SSL_CTX_free(ctx_); }

ssl_ctx_st* ContextCache::Current() {
  if (slot_ == nullptr) return nullptr;
  uint64_t gen = slot_->generation();
  if (gen != generation_) {
    SSL_CTX_free(ctx_);
    ctx_ = slot_->Acquire();
    generation_ = gen;
  }
  return ctx_;
}

}  // namespace ringcast::tls
