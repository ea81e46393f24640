// tls::TlsContext, ContextSlot/ContextCache and TlsStream against an in-process BoringSSL client
// over memory BIOs: handshake and application data both ways under any split, the ciphertext
// being written staying put while more is appended, resumption, reload, idle buffers.
#include <malloc.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tls/ktls.h"
#include "tls/tls_context.h"
#include "tls/tls_stream.h"

namespace ringcast::tls {
namespace {

// Self-signed P-256 pairs made for these tests only.
constexpr char kCertA[] = R"(-----BEGIN CERTIFICATE-----
MIIBdTCCARugAwIBAgIUfAfZN3a9wb0gEI42pvlo7zcWk8QwCgYIKoZIzj0EAwIw
DzENMAsGA1UEAwwEZnV6ejAgFw0yNjEyMDQyMzU3MjJaGA8yMTI2MTExMDIzNTcy
MlowDzENMAsGA1UEAwwEZnV6ejBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABKeg
vJGqB9qu2t7FfsgdNDeOeIBlpZF/Q1MUWBCXrvwFTCIym3qg0hfvQiof3BNl/2zB
hIIvAC1IR1cCuLnW2P2jUzBRMB0GA1UdDgQWBBTOD7ADfzSAn11ezc14HTVvqPqM
dzAfBgNVHSMEGDAWgBTOD7ADfzSAn11ezc14HTVvqPqMdzAPBgNVHRMBAf8EBTAD
AQH/MAoGCCqGSM49BAMCA0gAMEUCIGiD1FVm1ZmA9rYGyHxjMiOXesBD2UzGCUl7
gqQG7iOBAiEAjxHwVXMK8xVDC82rYGMWHYNZ+WTruaNzLtCS2U+tOWs=
-----END CERTIFICATE-----
)";
constexpr char kKeyA[] = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgZwuOlpNcsSTVsNso
EIGq8oBlhR92HbXVuScXIOAcrAOhRANCAASnoLyRqgfartrexX7IHTQ3jniAZaWR
f0NTFFgQl678BUwiMpt6oNIX70IqH9wTZf9swYSCLwAtSEdXAri51tj9
-----END PRIVATE KEY-----
)";

class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    char p[] = "/tmp/ringcast-tls-test-XXXXXX";
    int fd = mkstemp(p);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    close(fd);
    path_ = p;
  }
  ~TempFile() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::unique_ptr<TlsContext> LoadA(const std::string& ciphers = "") {
  TempFile cert(kCertA), key(kKeyA);
  std::string error;
  auto ctx = TlsContext::Load({cert.path(), key.path(), ciphers}, &error);
  EXPECT_TRUE(ctx) << error;
  return ctx;
}

constexpr size_t kScratch = 1024;

bool Collect(void* arg, char* data, size_t len) {
  static_cast<std::string*>(arg)->append(data, len);
  return true;
}

// A BoringSSL client over memory BIOs talking to one TlsStream.
class Peer {
 public:
  explicit Peer(SSL_CTX* client_ctx, SSL_SESSION* resume = nullptr) {
    ssl_ = SSL_new(client_ctx);
    in_ = BIO_new(BIO_s_mem());
    out_ = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl_, in_, out_);
    SSL_set_connect_state(ssl_);
    static const uint8_t kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_set_alpn_protos(ssl_, kAlpn, sizeof kAlpn);
    if (resume != nullptr) SSL_set_session(ssl_, resume);
  }
  ~Peer() { SSL_free(ssl_); }

  // Client bytes waiting for the server.
  std::string Pull() {
    std::string out;
    char buf[4096];
    int n;
    while ((n = BIO_read(out_, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }
  void Give(std::string_view bytes) {
    BIO_write(in_, bytes.data(), static_cast<int>(bytes.size()));
  }
  // Moves the stream's ciphertext to the client.
  void Take(TlsStream* s) {
    while (s->has_pending()) {
      std::string_view v = s->NextSend();
      BIO_write(in_, v.data(), static_cast<int>(v.size()));
      s->Sent(v.size());
    }
  }
  // Runs the handshake; the server is fed `step` bytes at a time.
  bool Handshake(TlsStream* s, size_t step, std::string* plain) {
    std::vector<char> scratch(kScratch + 64);
    for (int round = 0; round < 10; ++round) {
      SSL_do_handshake(ssl_);
      std::string flight = Pull();
      for (size_t at = 0; at < flight.size(); at += step) {
        size_t n = std::min(step, flight.size() - at);
        if (s->Feed(flight.data() + at, n, scratch.data(), kScratch, Collect, plain) !=
            TlsStream::FeedResult::kOk) {
          return false;
        }
      }
      Take(s);
      if (s->handshake_done() && SSL_is_init_finished(ssl_)) return true;
    }
    return false;
  }
  std::string ReadAll() {
    std::string out;
    char buf[4096];
    int n;
    while ((n = SSL_read(ssl_, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }
  SSL* ssl() { return ssl_; }

 private:
  SSL* ssl_;
  BIO* in_;
  BIO* out_;
};

struct ClientCtx {
  ClientCtx() {
    ctx = SSL_CTX_new(TLS_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    // Keep the last resumable session (TLS 1.3: the one a ticket made) for resumption tests.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT);
    SSL_CTX_sess_set_new_cb(ctx, [](SSL* ssl, SSL_SESSION* session) {
      auto* self = static_cast<ClientCtx*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
      SSL_SESSION_free(self->last);
      self->last = session;
      return 1;  // we keep the reference
    });
    SSL_CTX_set_app_data(ctx, this);
  }
  ~ClientCtx() {
    SSL_SESSION_free(last);
    SSL_CTX_free(ctx);
  }
  SSL_CTX* ctx;
  SSL_SESSION* last = nullptr;
};

TEST(TlsContext, LoadsAPairAndDescribesItsCertificate) {
  auto ctx = LoadA();
  ASSERT_TRUE(ctx);
  EXPECT_NE(ctx->description().find("CN=fuzz"), std::string::npos) << ctx->description();
  EXPECT_NE(ctx->description().find("sha256 "), std::string::npos);
}

TEST(TlsContext, RefusesMissingFilesBadPemAndUnknownCiphers) {
  std::string error;
  EXPECT_FALSE(TlsContext::Load({"/nonexistent/cert.pem", "/nonexistent/key.pem", ""}, &error));
  EXPECT_NE(error.find("cannot load TLS certificate"), std::string::npos) << error;
  TempFile junk("not a certificate\n"), key(kKeyA);
  EXPECT_FALSE(TlsContext::Load({junk.path(), key.path(), ""}, &error));
  TempFile cert(kCertA);
  EXPECT_FALSE(TlsContext::Load({cert.path(), junk.path(), ""}, &error));
  EXPECT_NE(error.find("cannot load TLS key"), std::string::npos) << error;
  EXPECT_FALSE(TlsContext::Load({cert.path(), key.path(), "NO-SUCH-CIPHER"}, &error));
  EXPECT_NE(error.find("cipher list"), std::string::npos) << error;
  EXPECT_TRUE(TlsContext::Load({cert.path(), key.path(), "ECDHE-ECDSA-AES128-GCM-SHA256"}, &error))
      << error;
}

class TlsStreamTest : public ::testing::TestWithParam<size_t> {};

TEST_P(TlsStreamTest, HandshakesAndCarriesDataBothWaysUnderAnySplit) {
  auto ctx = LoadA();
  ClientCtx client;
  std::unique_ptr<TlsStream> s(TlsStream::Create(ctx->raw()));
  Peer peer(client.ctx);
  std::string plain;
  ASSERT_TRUE(peer.Handshake(s.get(), GetParam(), &plain));
  EXPECT_EQ(SSL_version(peer.ssl()), TLS1_3_VERSION);
  const uint8_t* alpn;
  unsigned alpn_len;
  SSL_get0_alpn_selected(peer.ssl(), &alpn, &alpn_len);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(alpn), alpn_len), "http/1.1");

  // Client to server: more than one scratch buffer's worth, fed `step` bytes at a time.
  std::string msg(5000, 'x');
  for (size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<char>('a' + i % 26);
  ASSERT_EQ(SSL_write(peer.ssl(), msg.data(), static_cast<int>(msg.size())), 5000);
  std::string records = peer.Pull();
  std::vector<char> scratch(kScratch + 64);
  for (size_t at = 0; at < records.size(); at += GetParam()) {
    size_t n = std::min(GetParam(), records.size() - at);
    ASSERT_EQ(s->Feed(records.data() + at, n, scratch.data(), kScratch, Collect, &plain),
              TlsStream::FeedResult::kOk);
  }
  EXPECT_EQ(plain, msg);

  // Server to client: frames of several sizes, one coalesced write.
  std::string a(10, 'A'), b(20000, 'B'), c(3, 'C');
  iovec iov[3] = {{a.data(), a.size()}, {b.data(), b.size()}, {c.data(), c.size()}};
  size_t taken = 0;
  ASSERT_TRUE(s->Encrypt(iov, 3, 1 << 20, &taken));
  EXPECT_EQ(taken, a.size() + b.size() + c.size());
  peer.Take(s.get());
  EXPECT_EQ(peer.ReadAll(), a + b + c);
  // The budget per write is honoured (it may stop mid-frame).
  ASSERT_TRUE(s->Encrypt(iov, 3, 15, &taken));
  EXPECT_EQ(taken, 15u);
  peer.Take(s.get());
  EXPECT_EQ(peer.ReadAll(), a + b.substr(0, 5));
}

INSTANTIATE_TEST_SUITE_P(Splits, TlsStreamTest,
                         ::testing::Values(size_t{1}, size_t{7}, size_t{100000}));

TEST(TlsStream, CiphertextBeingWrittenStaysPutWhileMoreIsAppended) {
  auto ctx = LoadA();
  ClientCtx client;
  std::unique_ptr<TlsStream> s(TlsStream::Create(ctx->raw()));
  Peer peer(client.ctx);
  std::string plain;
  ASSERT_TRUE(peer.Handshake(s.get(), 100000, &plain));
  std::string one(100, '1'), two(50000, '2');
  iovec iov1{one.data(), one.size()}, iov2{two.data(), two.size()};
  size_t taken;
  ASSERT_TRUE(s->Encrypt(&iov1, 1, 1 << 20, &taken));
  std::string_view first = s->NextSend();  // "in flight"
  std::string copy(first);
  ASSERT_TRUE(s->Encrypt(&iov2, 1, 1 << 20, &taken));  // appends a lot meanwhile
  EXPECT_EQ(s->NextSend().data(), first.data());
  EXPECT_EQ(std::string(s->NextSend()), copy);
  peer.Give(first.substr(0, 10));
  s->Sent(10);
  EXPECT_EQ(s->NextSend().data(), first.data() + 10);
  peer.Take(s.get());
  EXPECT_EQ(peer.ReadAll(), one + two);
  EXPECT_FALSE(s->has_pending());
  EXPECT_EQ(s->buffer_bytes(), 0u) << "written ciphertext buffers are freed";
}

TEST(TlsStream, GarbageFailsTheHandshakeWithAnAlertAndStaysFailed) {
  auto ctx = LoadA();
  std::unique_ptr<TlsStream> s(TlsStream::Create(ctx->raw()));
  std::string plain;
  std::vector<char> scratch(kScratch + 64);
  const char kHttp[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(s->Feed(kHttp, sizeof kHttp - 1, scratch.data(), kScratch, Collect, &plain),
            TlsStream::FeedResult::kError);
  EXPECT_TRUE(s->failed());
  EXPECT_FALSE(s->handshake_done());
  EXPECT_TRUE(plain.empty());
  // BoringSSL may answer with an alert (or, for what looks like HTTP, nothing).
  if (s->has_pending()) {
    EXPECT_EQ(s->NextSend()[0], 0x15) << "an alert record";
  }
  EXPECT_EQ(s->Feed("x", 1, scratch.data(), kScratch, Collect, &plain),
            TlsStream::FeedResult::kError);
  size_t taken = 7;
  iovec iov{const_cast<char*>("hi"), 2};
  EXPECT_FALSE(s->Encrypt(&iov, 1, 100, &taken));
  EXPECT_EQ(taken, 0u);
}

TEST(TlsStream, ATamperedRecordAfterTheHandshakeIsAnError) {
  auto ctx = LoadA();
  ClientCtx client;
  std::unique_ptr<TlsStream> s(TlsStream::Create(ctx->raw()));
  Peer peer(client.ctx);
  std::string plain;
  ASSERT_TRUE(peer.Handshake(s.get(), 100000, &plain));
  ASSERT_EQ(SSL_write(peer.ssl(), "hello", 5), 5);
  std::string rec = peer.Pull();
  rec[rec.size() - 1] ^= 1;
  std::vector<char> scratch(kScratch + 64);
  EXPECT_EQ(s->Feed(rec.data(), rec.size(), scratch.data(), kScratch, Collect, &plain),
            TlsStream::FeedResult::kError);
  EXPECT_TRUE(plain.empty());
}

TEST(TlsStream, ASecondConnectionResumesTheSession) {
  auto ctx = LoadA();
  ClientCtx client;
  SSL_SESSION* session = nullptr;
  {
    std::unique_ptr<TlsStream> s(TlsStream::Create(ctx->raw()));
    Peer peer(client.ctx);
    std::string plain;
    ASSERT_TRUE(peer.Handshake(s.get(), 100000, &plain));
    EXPECT_FALSE(s->session_reused());
    // BoringSSL sends its TLS 1.3 tickets with the server's first application data.
    iovec iov{const_cast<char*>("HTTP/1.1 101"), 12};
    size_t taken;
    ASSERT_TRUE(s->Encrypt(&iov, 1, 100, &taken));
    peer.Take(s.get());
    EXPECT_EQ(peer.ReadAll(), "HTTP/1.1 101");  // and takes the tickets
    ASSERT_NE(client.last, nullptr);
    SSL_SESSION_up_ref(client.last);
    session = client.last;
  }
  std::unique_ptr<TlsStream> s(TlsStream::Create(ctx->raw()));
  Peer peer(client.ctx, session);
  std::string plain;
  ASSERT_TRUE(peer.Handshake(s.get(), 100000, &plain));
  EXPECT_TRUE(s->session_reused());
  EXPECT_TRUE(SSL_session_reused(peer.ssl()));
  SSL_SESSION_free(session);
}

TEST(TlsStream, QueuesCloseNotifyOnce) {
  auto ctx = LoadA();
  ClientCtx client;
  std::unique_ptr<TlsStream> s(TlsStream::Create(ctx->raw()));
  Peer peer(client.ctx);
  std::string plain;
  ASSERT_TRUE(peer.Handshake(s.get(), 100000, &plain));
  peer.ReadAll();
  EXPECT_TRUE(s->QueueCloseNotify());
  EXPECT_FALSE(s->QueueCloseNotify());
  peer.Take(s.get());
  char buf[8];
  EXPECT_EQ(SSL_read(peer.ssl(), buf, sizeof buf), 0);
  EXPECT_EQ(SSL_get_error(peer.ssl(), 0), SSL_ERROR_ZERO_RETURN);
}

TEST(ContextSlot, ShardsPickUpAReloadAndOldConnectionsKeepTheirContext) {
  auto a = LoadA();
  auto b = LoadA("ECDHE-ECDSA-AES128-GCM-SHA256");
  ContextSlot slot;
  ContextCache cache(&slot);
  EXPECT_EQ(cache.Current(), nullptr);
  slot.Publish(*a);
  EXPECT_EQ(slot.generation(), 1u);
  EXPECT_EQ(cache.Current(), a->raw());
  std::unique_ptr<TlsStream> old(TlsStream::Create(cache.Current()));
  slot.Publish(*b);
  EXPECT_EQ(cache.Current(), b->raw());
  a.reset();  // the slot and the old stream hold their own references
  ClientCtx client;
  Peer peer(client.ctx);
  std::string plain;
  EXPECT_TRUE(peer.Handshake(old.get(), 100000, &plain));
}

TEST(Ktls, DetectionSaysWhatWasChosen) {
  KtlsSupport k = DetectKtls();
  EXPECT_NE(k.log_line.find("user space"), std::string::npos) << k.log_line;
}

// What an idle TLS connection keeps on the heap after its handshake (glibc malloc; the server
// links mimalloc, whose size classes differ a little). Printed for docs/architecture.md; bounded
// so that growth is a visible decision.
TEST(TlsStream, AnIdleStreamKeepsLittleHeap) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "mallinfo2 does not see the sanitizer's allocator";
#endif
  auto ctx = LoadA();
  ClientCtx client;
  constexpr int kN = 200;
  std::vector<std::unique_ptr<TlsStream>> streams;
  std::vector<std::unique_ptr<Peer>> peers;
  for (int i = 0; i < kN; ++i) {
    peers.push_back(std::make_unique<Peer>(client.ctx));
    streams.emplace_back(TlsStream::Create(ctx->raw()));
    std::string plain;
    ASSERT_TRUE(peers.back()->Handshake(streams.back().get(), 100000, &plain));
    EXPECT_EQ(streams.back()->buffer_bytes(), 0u);
  }
  // What the idle streams hold is what freeing them gives back.
  size_t held = mallinfo2().uordblks;
  streams.clear();
  size_t freed = held - std::min(held, static_cast<size_t>(mallinfo2().uordblks));
  size_t per = freed / kN;
  std::printf("heap per idle TLS stream after its handshake: %zu B\n", per);
  EXPECT_GT(per, 0u);
  EXPECT_LT(per, 8192u);
}

}  // namespace
}  // namespace ringcast::tls
