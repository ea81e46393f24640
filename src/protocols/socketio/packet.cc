// Socket.IO wire packets; see packet.h.
#include "protocols/socketio/packet.h"

#include "http/query.h"
#include "http/response.h"

namespace ringcast::protocols::socketio {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The payload's first character fits the packet type (packet.h).
bool PayloadFits(SioType type, std::string_view data) {
  const char c = data.empty() ? '\0' : data[0];
  switch (type) {
    case SioType::kConnect:
      return c == '\0' || c == '{';
    case SioType::kDisconnect:
      return c == '\0';
    case SioType::kConnectError:
      return c == '{' || c == '"';
    case SioType::kEvent:
    case SioType::kAck:
    case SioType::kBinaryEvent:
    case SioType::kBinaryAck:
      return c == '[';
  }
  return false;
}

}  // namespace

bool DecodeEioPacket(std::string_view text, EioPacket* out) {
  if (text.empty() || text[0] < '0' || text[0] > '6') return false;
  out->type = static_cast<EioType>(text[0] - '0');
  out->data = text.substr(1);
  return true;
}

void AppendEioPacket(std::string* out, EioType type, std::string_view data) {
  out->push_back(static_cast<char>('0' + static_cast<int>(type)));
  out->append(data);
}

std::vector<std::string_view> SplitEioPayload(std::string_view body) {
  std::vector<std::string_view> out;
  if (body.empty()) return out;
  for (;;) {
    const size_t at = body.find(kEioSeparator);
    out.push_back(body.substr(0, at));
    if (at == std::string_view::npos) break;
    body.remove_prefix(at + 1);
  }
  return out;
}

std::string EioOpenData(std::string_view sid, bool upgrade_to_websocket, uint32_t ping_interval_ms,
                        uint32_t ping_timeout_ms, uint32_t max_payload) {
  std::string out = "{\"sid\":\"";
  out.append(sid);  // ours: [A-Za-z0-9_-], nothing to escape
  out += "\",\"upgrades\":";
  out += upgrade_to_websocket ? "[\"websocket\"]" : "[]";
  out += ",\"pingInterval\":" + std::to_string(ping_interval_ms);
  out += ",\"pingTimeout\":" + std::to_string(ping_timeout_ms);
  out += ",\"maxPayload\":" + std::to_string(max_payload) + "}";
  return out;
}

const char* DecodeSioPacket(std::string_view text, SioPacket* out) {
  if (text.empty() || text[0] < '0' || text[0] > '6') return "unknown packet type";
  SioPacket p;
  p.type = static_cast<SioType>(text[0] - '0');
  size_t i = 1;
  if (p.type == SioType::kBinaryEvent || p.type == SioType::kBinaryAck) {
    uint64_t n = 0;
    const size_t start = i;
    while (i < text.size() && IsDigit(text[i]) && i - start < 4) n = n * 10 + (text[i++] - '0');
    if (i == start || i >= text.size() || text[i] != '-') return "illegal attachments";
    if (n > kMaxAttachments) return "too many attachments";
    p.attachments = static_cast<uint32_t>(n);
    ++i;
  }
  if (i < text.size() && text[i] == '/') {
    const size_t comma = text.find(',', i);
    const size_t end = comma == std::string_view::npos ? text.size() : comma;
    if (end - i > kMaxNamespace) return "namespace too long";
    p.nsp = text.substr(i, end - i);
    i = comma == std::string_view::npos ? end : end + 1;
  }
  if (i < text.size() && IsDigit(text[i])) {
    uint64_t id = 0;
    const size_t start = i;
    while (i < text.size() && IsDigit(text[i])) {
      if (i - start >= 16) return "ack id too large";
      id = id * 10 + static_cast<uint64_t>(text[i++] - '0');
    }
    if (id > kMaxAckId) return "ack id too large";
    p.has_id = true;
    p.id = id;
  }
  p.data = text.substr(i);
  if (!PayloadFits(p.type, p.data)) return "invalid payload";
  *out = p;
  return nullptr;
}

void AppendSioPacket(std::string* out, const SioPacket& p) {
  out->push_back(static_cast<char>('0' + static_cast<int>(p.type)));
  if (p.type == SioType::kBinaryEvent || p.type == SioType::kBinaryAck) {
    out->append(std::to_string(p.attachments)).push_back('-');
  }
  if (!p.nsp.empty() && p.nsp != "/") {
    out->append(p.nsp);
    out->push_back(',');
  }
  if (p.has_id) out->append(std::to_string(p.id));
  out->append(p.data);
}

bool ParseEioQuery(std::string_view query, EioQuery* out, EioError* error) {
  std::vector<http::QueryParam> params;
  *out = EioQuery{};
  if (!http::ParseQuery(query, &params, /*plus_as_space=*/true)) {
    *error = EioError::kBadRequest;
    return false;
  }
  bool eio = false, transport = false, sid = false;
  for (http::QueryParam& p : params) {
    if (p.key == "EIO" && !eio) {
      out->eio = std::move(p.value);
      eio = true;
    } else if (p.key == "transport" && !transport) {
      out->transport = std::move(p.value);
      transport = true;
    } else if (p.key == "sid" && !sid) {
      out->sid = std::move(p.value);
      sid = true;
    }
  }
  if (out->transport != "polling" && out->transport != "websocket") {
    *error = EioError::kTransportUnknown;
    return false;
  }
  if (out->eio != "4") {
    *error = EioError::kUnsupportedProtocolVersion;
    return false;
  }
  return true;
}

void AppendEioErrorResponse(std::string* out, EioError error, bool keep_alive) {
  static constexpr std::string_view kMessages[] = {
      "Transport unknown", "Session ID unknown", "Bad handshake method",
      "Bad request",       "Forbidden",          "Unsupported protocol version"};
  const auto code = static_cast<uint8_t>(error);
  std::string body = "{\"code\":" + std::to_string(code) + ",\"message\":\"";
  body.append(kMessages[code]);
  body += "\"}";
  http::AppendResponse(out, error == EioError::kForbidden ? 403 : 400, "application/json", body,
                       keep_alive);
}

}  // namespace ringcast::protocols::socketio
