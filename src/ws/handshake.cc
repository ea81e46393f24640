// Opening handshake helpers; see handshake.h. SHA-1 and base64 come from BoringSSL.
#include "ws/handshake.h"

#include <openssl/base.h>
#include <openssl/base64.h>
#include <openssl/sha.h>

#include <cstdint>

#include "util/ascii.h"

#ifndef OPENSSL_IS_BORINGSSL
#error "src/ws expects BoringSSL's <openssl/...> headers (-isystem /usr/include/android)"
#endif

namespace ringcast::ws {
namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

using util::TrimOws;

// True when the comma-separated list holds `token` (case-insensitive, OWS ignored).
bool ListHasToken(std::string_view list, std::string_view token) {
  bool found = false;
  util::ForEachListElement(list, [&](std::string_view item) {
    if (util::EqualsIgnoreCase(item, token)) found = true;
  });
  return found;
}

bool IsBase64Of16Bytes(std::string_view key) {
  // 16 bytes encode to 22 characters plus "==".
  if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
  uint8_t out[18];
  size_t out_len = 0;
  if (!EVP_DecodeBase64(out, &out_len, sizeof(out), reinterpret_cast<const uint8_t*>(key.data()),
                        key.size())) {
    return false;
  }
  return out_len == 16;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 426:
      return "Upgrade Required";
    default:
      return "Bad Request";
  }
}

}  // namespace

std::string ComputeAcceptKey(std::string_view client_key) {
  SHA_CTX sha;
  SHA1_Init(&sha);
  SHA1_Update(&sha, client_key.data(), client_key.size());
  SHA1_Update(&sha, kGuid.data(), kGuid.size());
  uint8_t digest[SHA_DIGEST_LENGTH];
  SHA1_Final(digest, &sha);
  uint8_t encoded[29];  // 4 * ceil(20 / 3) + NUL
  size_t n = EVP_EncodeBlock(encoded, digest, sizeof(digest));
  return std::string(reinterpret_cast<const char*>(encoded), n);
}

UpgradeCheck CheckUpgrade(std::string_view method, int http_version_minor,
                          std::string_view upgrade_header, bool connection_has_upgrade_token,
                          std::string_view version_header, std::string_view key_header) {
  if (method != "GET") return {400, "WebSocket upgrade needs GET"};
  if (http_version_minor < 1) return {400, "WebSocket upgrade needs HTTP/1.1"};
  if (!ListHasToken(upgrade_header, "websocket")) {
    return {400, "Upgrade header must name websocket"};
  }
  if (!connection_has_upgrade_token) return {400, "Connection header must contain Upgrade"};
  if (TrimOws(version_header) != "13") return {426, "Sec-WebSocket-Version must be 13"};
  if (!IsBase64Of16Bytes(TrimOws(key_header))) {
    return {400, "Sec-WebSocket-Key must be base64 of 16 bytes"};
  }
  return {0, {}};
}

void AppendUpgradeResponse(std::string* out, std::string_view accept_key) {
  out->append(
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ");
  out->append(accept_key);
  out->append("\r\n\r\n");
}

void AppendUpgradeRefusal(std::string* out, const UpgradeCheck& check) {
  const int status = check.status == 426 ? 426 : 400;
  out->append("HTTP/1.1 ");
  out->append(std::to_string(status));
  out->push_back(' ');
  out->append(ReasonPhrase(status));
  out->append("\r\nContent-Type: text/plain\r\n");
  if (status == 426) {
    // RFC 7230 6.7 / RFC 7231 6.5.15: a 426 names the protocol, which makes Connection list
    // "upgrade"; RFC 6455 4.4: it also lists the versions we speak.
    out->append(
        "Upgrade: websocket\r\nConnection: Upgrade, close\r\nSec-WebSocket-Version: 13\r\n");
  } else {
    out->append("Connection: close\r\n");
  }
  out->append("Content-Length: ");
  out->append(std::to_string(check.message.size() + 1));
  out->append("\r\n\r\n");
  out->append(check.message);
  out->push_back('\n');
}

}  // namespace ringcast::ws
