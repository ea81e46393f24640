// WsSession: the WebSocket mechanics every protocol session on a WebSocket shares.
//
// Owns the connection's frame parser and the closing handshake. Incoming bytes are parsed here;
// complete text/binary messages go to the derived protocol (OnTextMessage/OnBinaryMessage);
// pings are answered with pongs; a peer's close frame is echoed (same code) and the TCP
// connection is closed once the echo is written; a protocol violation fails the connection
// with the parser's close code. Close(code) starts a server-initiated close: the close frame is
// queued, further input is ignored, and TCP is closed when the peer's close arrives or after
// kLingerMs. A slow consumer is closed with the code the derived class chooses.
// Timers: the loop has no cancel, but a timer set by an earlier session of the connection (the
// HTTP front's idle timer has kind 1) never reaches this one (IoLoop drops timers of a replaced
// session), so OnTimer acts on kLingerTimer when Close() armed the linger (one per session).
// Layout: this object lives once per connection; state that is rare or per shard is not kept
// here (flags are bits; the size is pinned in tests/unit/protocols/session_layout_test.cc).
// Thread rules: the shard thread that owns the connection.
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/shard_env.h"
#include "net/connection.h"
#include "net/local_frame.h"
#include "ws/frame_parser.h"

namespace ringcast::protocols {

// One unmasked WebSocket text frame holding `text`, for the fan-out's shared frames (one
// reference, the caller's).
net::LocalFrame* TextFrame(std::string_view text);

// The liveness rule of the sockets that ping after `activity_ms` of silence and close when
// nothing comes back `pong_ms` after the ping (Datonow token sockets, DontCode realtime
// sockets): what their activity timer does at `now` (loop clock; `last_rx_ms` its low 32 bits
// when the peer last sent anything) and when it fires next.
struct LivenessStep {
  enum class Action { kNone, kPing, kClose } action = Action::kNone;
  uint64_t next_ms = 0;  // re-arm the timer then (unless kClose)
};
LivenessStep NextLiveness(uint64_t now, uint32_t last_rx_ms, bool ping_outstanding,
                          uint64_t activity_ms, uint64_t pong_ms);

// The per-connection message budget of the same sockets: at most `limit` messages in a
// one-second window (`window_ms` and `count` are the caller's state, `now` the low 32 bits of
// the loop clock). kDropFirst: the first message past the limit in its window (tell the client,
// once); kDrop: the rest of that window.
enum class MessageBudget { kAdmit, kDropFirst, kDrop };
MessageBudget TakeMessageBudget(uint32_t now, uint32_t limit, uint32_t* window_ms, uint32_t* count);

class WsSession : public net::Session {
 public:
  static constexpr uint64_t kLingerMs = 1000;
  static constexpr uint64_t kOverflowFlushMs = 10000;
  // Timer kinds used by WsSession; derived sessions use kinds from kFirstDerivedTimer.
  static constexpr uint8_t kLingerTimer = 1;
  static constexpr uint8_t kShutdownTimer = 2;
  static constexpr uint8_t kFirstDerivedTimer = 10;

  WsSession(engine::ShardEnv* env, net::Connection& conn);

  void OnData(net::Connection& c, char* data, size_t len) final;
  void OnTimer(net::Connection& c, uint8_t kind) override;
  void OnOverflow(net::Connection& c) override;

  // Sends the protocol's goodbye and closes (server shutdown). Default: Close(1001).
  virtual void BeginShutdown();

 protected:
  // A complete message arrived. Return false to stop reading this batch (the session closed).
  virtual bool OnTextMessage(std::string_view text) = 0;
  // Default: close 1003 (binary data not accepted).
  virtual bool OnBinaryMessage(std::string_view bytes);
  // Any frame arrived from the peer (liveness).
  virtual void OnPeerActivity() {}
  // The close code and reason for a slow consumer (default 1008 "slow consumer").
  virtual uint16_t OverflowCloseCode() const { return 1008; }

  void SendText(std::string_view text);
  void SendBinary(std::string_view bytes);
  // A ping frame with an empty payload (liveness; any frame back counts as OnPeerActivity).
  void SendPing();
  // Starts the closing handshake with `code` (a valid wire code) and `reason` (<= 123 bytes).
  void Close(uint16_t code, std::string_view reason);
  bool closing() const { return close_sent_ || close_received_; }

  engine::ShardEnv& env() { return *env_; }
  net::Connection& conn() { return *conn_; }
  net::IoLoop& loop() { return env_->loop(); }

 private:
  // The parser's callbacks, made on the stack for each OnData (no second vtable pointer in
  // every session).
  class Events;
  bool OnMessage(ws::Opcode op, std::string_view payload);
  bool OnPing(std::string_view payload);
  bool OnPong(std::string_view payload);
  bool OnClose(uint16_t code, std::string_view reason);
  void Fail(uint16_t code, std::string_view reason);

  engine::ShardEnv* env_;
  net::Connection* conn_;
  ws::FrameParser parser_;
  bool linger_armed_ : 1 = false;  // Close() scheduled kLingerTimer
  bool close_sent_ : 1 = false;
  bool close_received_ : 1 = false;
  bool failed_ : 1 = false;
};

}  // namespace ringcast::protocols
