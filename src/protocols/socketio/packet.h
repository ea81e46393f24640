// Socket.IO wire packets (issue 14, docs/protocols/socketio.md to come): the Engine.IO v4 packet
// and long-polling payload framing, and the Socket.IO v5 packet header, without I/O.
//
// Engine.IO v4: a text packet is one type digit ('0' open ... '6' noop) then its data; a
// polling payload joins packets with the record separator 0x1e (a binary packet travels as
// 'b' + base64 there, and as a binary WebSocket frame with no type on the socket).
// Socket.IO v5 (socket.io-parser 4.x rules, stricter where those lean on JavaScript's Number):
//   <type 0-6>[<attachments>-][<namespace>,][<ack id>][<JSON payload>]
// attachments only for BINARY_EVENT (5) and BINARY_ACK (6); a namespace starts with '/' and ends
// at the first ',' (or the end); the ack id is decimal digits. DecodeSioPacket checks the
// header and the payload's first character against the type (CONNECT: an object or nothing;
// DISCONNECT: nothing; EVENT, ACK and their binary forms: an array; CONNECT_ERROR: an object
// or a string); the session parses the JSON itself.
// Views in the decoded packets point into the input.
// Thread rules: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::protocols::socketio {

enum class EioType : uint8_t { kOpen = 0, kClose, kPing, kPong, kMessage, kUpgrade, kNoop };
inline constexpr char kEioSeparator = '\x1e';

struct EioPacket {
  EioType type = EioType::kNoop;
  std::string_view data;
};

// False when `text` is empty or its first byte is not a type digit.
bool DecodeEioPacket(std::string_view text, EioPacket* out);
void AppendEioPacket(std::string* out, EioType type, std::string_view data);
// A polling body split at the separators (an empty body: no packets).
std::vector<std::string_view> SplitEioPayload(std::string_view body);
// The open packet's JSON data (the handshake).
std::string EioOpenData(std::string_view sid, bool upgrade_to_websocket, uint32_t ping_interval_ms,
                        uint32_t ping_timeout_ms, uint32_t max_payload);

// An Engine.IO request's query: EIO, transport and sid (the first of each).
struct EioQuery {
  std::string eio;
  std::string transport;
  std::string sid;
};
// Engine.IO's HTTP error codes (engine.io's Server.errors) and their messages.
enum class EioError : uint8_t {
  kTransportUnknown = 0,
  kSessionIdUnknown = 1,
  kBadHandshakeMethod = 2,
  kBadRequest = 3,
  kForbidden = 4,
  kUnsupportedProtocolVersion = 5,
};
// Reads the query (`query`: the text after '?') and checks what every request must have: EIO=4
// and a known transport. False with *error set otherwise.
bool ParseEioQuery(std::string_view query, EioQuery* out, EioError* error);
// The HTTP answer to a refused request: 400 (403 for kForbidden) with engine.io's
// {"code":N,"message":"..."}.
void AppendEioErrorResponse(std::string* out, EioError error, bool keep_alive);

enum class SioType : uint8_t {
  kConnect = 0,
  kDisconnect,
  kEvent,
  kAck,
  kConnectError,
  kBinaryEvent,
  kBinaryAck
};

struct SioPacket {
  SioType type = SioType::kEvent;
  uint32_t attachments = 0;    // kBinaryEvent / kBinaryAck
  std::string_view nsp = "/";  // "/" when absent
  bool has_id = false;
  uint64_t id = 0;        // at most kMaxAckId
  std::string_view data;  // the JSON payload as sent ("" for none)
};

inline constexpr uint32_t kMaxAttachments = 10;  // socket.io-parser's default maxAttachments
inline constexpr uint64_t kMaxAckId = (uint64_t{1} << 53) - 1;  // a JavaScript safe integer
inline constexpr size_t kMaxNamespace = 256;

// nullptr when `text` is a packet (*out filled), else why not.
const char* DecodeSioPacket(std::string_view text, SioPacket* out);
// The packet's text; a namespace other than "/" is written, then the ack id when has_id.
void AppendSioPacket(std::string* out, const SioPacket& p);

}  // namespace ringcast::protocols::socketio
