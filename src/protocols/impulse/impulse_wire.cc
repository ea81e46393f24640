#include "protocols/impulse/impulse_wire.h"

#include <algorithm>
#include <cstring>

#include "config/config.h"
#include "http/response.h"
#include "util/json_writer.h"

namespace ringcast::protocols::impulse::wire {

namespace {
constexpr uint8_t kTopic = 1;
constexpr uint8_t kTokens = 2;
constexpr uint8_t kNoPayload = 4;

void PutU32(std::string* out, size_t v) {
  auto n = static_cast<uint32_t>(v);
  char b[4];
  std::memcpy(b, &n, 4);
  out->append(b, 4);
}

bool GetU32(std::string_view* in, uint32_t* v) {
  if (in->size() < 4) return false;
  std::memcpy(v, in->data(), 4);
  in->remove_prefix(4);
  return true;
}

bool GetBytes(std::string_view* in, std::string_view* v) {
  uint32_t n;
  if (!GetU32(in, &n) || in->size() < n) return false;
  *v = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}
}  // namespace

std::string EncodeAudience(const Audience& a) {
  uint8_t flags = (a.has_topic ? kTopic : 0) | (a.has_tokens ? kTokens : 0) |
                  (a.payload_absent ? kNoPayload : 0);
  std::string out;
  if (flags == 0) return out;
  out.push_back(static_cast<char>(flags));
  if (a.has_topic) {
    PutU32(&out, a.topic.size());
    out += a.topic;
  }
  if (a.has_tokens) {
    PutU32(&out, a.tokens.size());
    for (const std::string& t : a.tokens) {
      PutU32(&out, t.size());
      out += t;
    }
  }
  return out;
}

bool DecodeAudience(std::string_view bytes, AudienceView* out) {
  *out = AudienceView{};
  if (bytes.empty()) return true;
  auto flags = static_cast<uint8_t>(bytes[0]);
  bytes.remove_prefix(1);
  out->payload_absent = (flags & kNoPayload) != 0;
  if ((flags & kTopic) != 0) {
    out->has_topic = true;
    if (!GetBytes(&bytes, &out->topic)) return false;
  }
  if ((flags & kTokens) != 0) {
    out->has_tokens = true;
    uint32_t n;
    if (!GetU32(&bytes, &n) || n > bytes.size() / 4) return false;
    out->tokens.resize(n);
    for (uint32_t i = 0; i < n; ++i) {
      if (!GetBytes(&bytes, &out->tokens[i])) return false;
    }
    std::sort(out->tokens.begin(), out->tokens.end());
  }
  return bytes.empty();
}

bool Matches(const AudienceView& a, std::string_view topic, std::string_view token) {
  if (a.has_topic && topic != a.topic) return false;
  if (a.has_tokens) {
    if (token.empty()) return false;
    return std::binary_search(a.tokens.begin(), a.tokens.end(), token);
  }
  return true;
}

void AppendRecord(std::string* out, std::string_view channel, std::string_view payload_json,
                  bool payload_absent) {
  out->append("data: {\"channel\":");
  util::AppendJsonString(out, channel);
  if (!payload_absent) {
    out->append(",\"payload\":");
    out->append(payload_json);
  }
  out->append("}\n\n");
}

void AppendCorsHeaders(std::string* out, const config::ImpulseConfig& cfg) {
  if (cfg.cors_origin.empty()) return;
  out->append("Access-Control-Allow-Origin: ").append(cfg.cors_origin).append("\r\n");
  if (cfg.cors_origin != "*") out->append("Vary: Origin\r\n");
  if (cfg.cors_credentials) out->append("Access-Control-Allow-Credentials: true\r\n");
  out->append(
      "Access-Control-Allow-Headers: Authorization, Content-Type\r\n"
      "Access-Control-Allow-Methods: GET, POST, OPTIONS\r\n");
}

void AppendStreamStart(std::string* out, const config::ImpulseConfig& cfg,
                       std::string_view channel) {
  out->append(
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: text/event-stream\r\n"
      "Cache-Control: no-cache\r\n"
      "X-Accel-Buffering: no\r\n"
      "Connection: close\r\n");
  AppendCorsHeaders(out, cfg);
  out->append("\r\n: Connected to channel: ");
  // A comment line ends at CR or LF: the name (printable ASCII here) never holds one.
  out->append(channel);
  out->append("\n\n");
}

void AppendPreflight(std::string* out, const config::ImpulseConfig& cfg, bool keep_alive) {
  std::string cors;
  AppendCorsHeaders(&cors, cfg);
  http::AppendResponse(out, 204, "", "", keep_alive, cors);
}

void AppendJson(std::string* out, int status, std::string_view body, bool keep_alive) {
  http::AppendResponse(out, status, "application/json", body, keep_alive);
}

void AppendError(std::string* out, int status, std::string_view message, bool keep_alive,
                 std::string_view details) {
  std::string body = "{\"error\":";
  util::AppendJsonString(&body, message);
  if (!details.empty()) {
    body += ",\"details\":";
    util::AppendJsonString(&body, details);
  }
  body += "}";
  AppendJson(out, status, body, keep_alive);
}

void AppendSent(std::string* out, uint64_t sent, bool keep_alive) {
  std::string body = "{\"sent\":";
  util::AppendUint(&body, sent);
  body += "}";
  AppendJson(out, 200, body, keep_alive);
}

bool IsEndpoint(const config::ImpulseConfig& cfg, std::string_view path) {
  if (!cfg.enabled() || path.substr(0, cfg.prefix.size()) != cfg.prefix) return false;
  path.remove_prefix(cfg.prefix.size());
  return path.empty() || path == "/";
}

int CheckBearer(std::string_view authorization, std::string_view secret) {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.substr(0, kBearer.size()) != kBearer) return 401;
  std::string_view token = authorization.substr(kBearer.size());
  // Constant time in the secret's length: every byte of the secret is compared.
  unsigned diff = token.size() == secret.size() ? 0 : 1;
  for (size_t i = 0; i < secret.size(); ++i) {
    char t = i < token.size() ? token[i] : 0;
    diff |= static_cast<unsigned char>(t ^ secret[i]);
  }
  return diff == 0 ? 0 : 403;
}

}  // namespace ringcast::protocols::impulse::wire
