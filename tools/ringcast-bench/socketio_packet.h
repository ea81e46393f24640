// Socket.IO over Engine.IO v4, WebSocket transport only: the packets a client reads and
// writes, so that ringcast-bench can drive a socket.io server (the peer in bench/peers/) with
// the same payload, sequence and latency accounting as a Pusher server.
//
// Wire format (socket.io-protocol v5 on engine.io-protocol v4): every WebSocket text message
// is one Engine.IO packet: a type digit (0 open, 1 close, 2 ping, 3 pong, 4 message,
// 5 upgrade, 6 noop) followed by its data (open: a JSON object; ping/pong: an optional probe
// text). A message packet carries one Socket.IO packet: a type digit (0 CONNECT, 1 DISCONNECT,
// 2 EVENT, 3 ACK, 4 CONNECT_ERROR, 5 BINARY_EVENT, 6 BINARY_ACK), for binary types the
// attachment count and '-', an optional namespace ("/name" up to ','), an optional ack id
// (digits), then the JSON payload: an object for CONNECT and CONNECT_ERROR, an array
// ["event", args...] for EVENT, [args...] for ACK. Examples: "0{\"sid\":..}" open, "2" ping
// (answer "3"), "40" connect (client) and "40{\"sid\":..}" (server), "421[\"subscribe\",\"r\"]"
// an event with ack id 1, "431[\"r\"]" its ack, "42[\"bench\",\"data\"]" an event.
// Pure functions and one parser class; no I/O. Views point into the input (or, for unescaped
// strings, into the parser) and are valid until the next parse.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "ringcast-bench/pusher_message.h"

namespace ringcast::bench {

enum class EioType : uint8_t {
  kOpen = 0,
  kClose = 1,
  kPing = 2,
  kPong = 3,
  kMessage = 4,
  kUpgrade = 5,
  kNoop = 6
};

enum class SioType : uint8_t {
  kConnect = 0,
  kDisconnect = 1,
  kEvent = 2,
  kAck = 3,
  kConnectError = 4,
  kBinaryEvent = 5,
  kBinaryAck = 6
};

struct EngineIoPacket {
  EioType type = EioType::kNoop;
  std::string_view data;  // everything after the type digit
};

struct SocketIoPacket {
  SioType type = SioType::kConnect;
  uint32_t attachments = 0;    // binary types only
  std::string_view nsp = "/";  // "/" when absent
  int64_t ack_id = -1;         // -1 when absent
  std::string_view payload;    // the JSON that follows (may be empty)
};

// Returns nullptr, or a static description of why `text` is not an Engine.IO packet.
[[nodiscard]] const char* ParseEngineIoPacket(std::string_view text, EngineIoPacket* out);

// Parses the data of an Engine.IO message packet. Returns nullptr or a static description.
[[nodiscard]] const char* ParseSocketIoPacket(std::string_view text, SocketIoPacket* out);

// Appends the Engine.IO message of a Socket.IO EVENT on the default namespace:
// 42[<ack id>]["<event>","<arg>"] (both strings JSON-escaped); ack_id < 0 means none.
void AppendSocketIoEvent(std::string* out, std::string_view event, std::string_view arg,
                         int64_t ack_id);

// Reads the JSON arrays of EVENT and ACK packets with simdjson on demand. One per worker.
// The input must have SIMDJSON_PADDING readable bytes after it (ClientFrameReader gives
// every message that much), or be copied with Pad().
class SocketIoArgsParser {
 public:
  // ["event", arg0, ...]: out->event = the name, out->data = arg0 (unescaped when a string,
  // data_is_string set; raw JSON otherwise; empty when there is no argument).
  [[nodiscard]] const char* ParseEvent(std::string_view array_json, PusherMessage* out);
  // [arg0, ...]: out->data = arg0 as above; out->event is left empty.
  [[nodiscard]] const char* ParseAck(std::string_view array_json, PusherMessage* out);
  // Dialogue's payloads: ["dialogue:event", {event, roomId, data, ...}] (has_name) gives
  // out->event = the envelope's event, out->channel = its roomId, out->data = its data (as
  // above); another named event gives its name (and the first argument's roomId, if any); an
  // ack [{roomId, ...}] (no name) gives out->channel = roomId (empty for an error object).
  [[nodiscard]] const char* ParseDialogue(std::string_view array_json, bool has_name,
                                          PusherMessage* out);
  // Copies `text` into an internal buffer with padding (for callers without the guarantee).
  std::string_view Pad(std::string_view text);

 private:
  const char* Parse(std::string_view array_json, bool has_name, PusherMessage* out);

  simdjson::ondemand::parser parser_;
  std::string pad_;
};

}  // namespace ringcast::bench
