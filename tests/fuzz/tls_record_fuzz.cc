// libFuzzer target for the TLS record path: client bytes into a server tls::TlsStream over
// memory, as a shard's reads would hand them over.
//
// Input: byte 0 picks the mode and (low 3 bits of byte 1) the number of split points, then two
// bytes per split point, then the payload.
//   mode 0: the payload is the client's bytes from the first one (ClientHello parsing, alerts,
//           records before keys exist), fed split at the chosen points;
//   mode 1: an in-process BoringSSL client completes a real handshake with the stream first,
//           then the payload goes in as raw record bytes (forged or broken records after keys);
//   mode 2: after the handshake the client encrypts the payload as application data, split at
//           the chosen points: the plaintext the stream hands out must be exactly the payload,
//           and the stream's own records (Encrypt) must decrypt back on the client.
// Invariants (trap on violation): the sink never gets more than the scratch size, NextSend is
// stable until Sent, a failed stream stays failed, mode 2 round-trips byte for byte.
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tls/tls_context.h"
#include "tls/tls_stream.h"

namespace {

using ringcast::tls::TlsContext;
using ringcast::tls::TlsStream;

#define FUZZ_CHECK(cond)           \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

// A self-signed P-256 certificate and key made for this target only (CN=fuzz).
constexpr char kCert[] = R"(-----BEGIN CERTIFICATE-----
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
constexpr char kKey[] = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgZwuOlpNcsSTVsNso
EIGq8oBlhR92HbXVuScXIOAcrAOhRANCAASnoLyRqgfartrexX7IHTQ3jniAZaWR
f0NTFFgQl678BUwiMpt6oNIX70IqH9wTZf9swYSCLwAtSEdXAri51tj9
-----END PRIVATE KEY-----
)";

std::string WriteTemp(const char* text) {
  char path[] = "/tmp/ringcast-tls-fuzz-XXXXXX";
  int fd = mkstemp(path);
  FUZZ_CHECK(fd >= 0);
  FUZZ_CHECK(write(fd, text, std::strlen(text)) == static_cast<ssize_t>(std::strlen(text)));
  close(fd);
  return path;
}

struct Globals {
  std::unique_ptr<TlsContext> server;
  SSL_CTX* client = nullptr;
};

Globals& G() {
  static Globals g = [] {
    Globals out;
    std::string cert = WriteTemp(kCert), key = WriteTemp(kKey), error;
    out.server = TlsContext::Load({cert, key, ""}, &error);
    unlink(cert.c_str());
    unlink(key.c_str());
    if (!out.server) {
      std::fprintf(stderr, "tls_record_fuzz: %s\n", error.c_str());
      std::abort();
    }
    out.client = SSL_CTX_new(TLS_method());
    SSL_CTX_set_verify(out.client, SSL_VERIFY_NONE, nullptr);
    return out;
  }();
  return g;
}

constexpr size_t kScratch = 4096;  // small, so that records split over several sink calls
constexpr size_t kSlack = 64;

struct Sunk {
  std::string bytes;
};

bool Sink(void* arg, char* data, size_t len) {
  FUZZ_CHECK(len > 0 && len <= kScratch);
  static_cast<Sunk*>(arg)->bytes.append(data, len);
  return true;
}

// Feeds `data` split at `cuts` (offsets, any order, clamped); returns the last result.
TlsStream::FeedResult FeedSplit(TlsStream* s, const uint8_t* data, size_t len,
                                std::vector<size_t> cuts, char* scratch, Sunk* sunk) {
  cuts.push_back(len);
  std::sort(cuts.begin(), cuts.end());
  size_t at = 0;
  auto r = TlsStream::FeedResult::kOk;
  for (size_t cut : cuts) {
    cut = std::min(cut, len);
    if (cut <= at) continue;
    r = s->Feed(reinterpret_cast<const char*>(data) + at, cut - at, scratch, kScratch, Sink, sunk);
    at = cut;
    if (r == TlsStream::FeedResult::kError) {
      FUZZ_CHECK(s->failed());
      break;
    }
  }
  return r;
}

// Moves everything the stream has to send into `bio` (the client's read side).
void Drain(TlsStream* s, BIO* bio) {
  while (s->has_pending()) {
    std::string_view out = s->NextSend();
    FUZZ_CHECK(!out.empty());
    const char* before = out.data();
    // Half at a time: the rest must stay where it was.
    size_t half = (out.size() + 1) / 2;
    BIO_write(bio, out.data(), static_cast<int>(half));
    s->Sent(half);
    if (half < out.size()) {
      std::string_view rest = s->NextSend();
      FUZZ_CHECK(rest.data() == before + half);
    }
  }
}

std::string Pull(BIO* bio) {
  std::string out;
  char buf[4096];
  int n;
  while ((n = BIO_read(bio, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  Globals& g = G();
  int mode = data[0] % 3;
  size_t nsplit = data[1] & 7;
  data += 2;
  size -= 2;
  std::vector<size_t> cuts;
  for (size_t i = 0; i < nsplit && size >= 2; ++i) {
    cuts.push_back((size_t{data[0]} << 8) | data[1]);
    data += 2;
    size -= 2;
  }
  std::unique_ptr<TlsStream> s(TlsStream::Create(g.server->raw()));
  FUZZ_CHECK(s != nullptr);
  std::vector<char> scratch(kScratch + kSlack);
  Sunk sunk;
  if (mode == 0) {
    FeedSplit(s.get(), data, size, cuts, scratch.data(), &sunk);
    FUZZ_CHECK(sunk.bytes.empty() || s->handshake_done());
    return 0;
  }
  // A real client, over memory BIOs.
  SSL* client = SSL_new(g.client);
  BIO* c_in = BIO_new(BIO_s_mem());   // server -> client
  BIO* c_out = BIO_new(BIO_s_mem());  // client -> server
  SSL_set_bio(client, c_in, c_out);
  SSL_set_connect_state(client);
  for (int round = 0; round < 8 && !(s->handshake_done() && SSL_is_init_finished(client));
       ++round) {
    SSL_do_handshake(client);
    std::string flight = Pull(c_out);
    if (!flight.empty()) {
      auto r = s->Feed(flight.data(), flight.size(), scratch.data(), kScratch, Sink, &sunk);
      FUZZ_CHECK(r == TlsStream::FeedResult::kOk);
    }
    Drain(s.get(), c_in);
  }
  FUZZ_CHECK(s->handshake_done() && SSL_is_init_finished(client));
  if (mode == 1) {
    FeedSplit(s.get(), data, size, cuts, scratch.data(), &sunk);
  } else {
    if (size > 0) {
      FUZZ_CHECK(SSL_write(client, data, static_cast<int>(size)) == static_cast<int>(size));
    }
    std::string records = Pull(c_out);
    auto r = FeedSplit(s.get(), reinterpret_cast<const uint8_t*>(records.data()), records.size(),
                       cuts, scratch.data(), &sunk);
    FUZZ_CHECK(r == TlsStream::FeedResult::kOk);
    FUZZ_CHECK(sunk.bytes == std::string(reinterpret_cast<const char*>(data), size));
    // And back: the payload as frames (split at the cuts), encrypted by the stream.
    std::vector<iovec> iov;
    size_t at = 0;
    std::sort(cuts.begin(), cuts.end());
    cuts.push_back(size);
    for (size_t cut : cuts) {
      cut = std::min(cut, size);
      if (cut <= at) continue;
      iov.push_back({const_cast<uint8_t*>(data) + at, cut - at});
      at = cut;
    }
    size_t taken = 0;
    FUZZ_CHECK(s->Encrypt(iov.data(), static_cast<int>(iov.size()), size, &taken));
    FUZZ_CHECK(taken == size);
    Drain(s.get(), c_in);
    std::string back;
    char buf[4096];
    int n;
    while ((n = SSL_read(client, buf, sizeof buf)) > 0) back.append(buf, static_cast<size_t>(n));
    FUZZ_CHECK(back == std::string(reinterpret_cast<const char*>(data), size));
  }
  SSL_free(client);
  return 0;
}
