// PusherClient: one Pusher protocol 7 WebSocket connection as a client sees it: TCP connect,
// the RFC 6455 upgrade (random key, Sec-WebSocket-Accept checked), masked client frames,
// server frames read with ClientFrameReader, the pusher:* housekeeping (connection_established,
// subscription results, pusher:error, pusher:ping -> pusher:pong, WebSocket ping -> pong,
// close handshake). Subclasses (Subscriber, ClientEventPublisher) decide what to subscribe to
// and what channel events mean.
// With --protocol socketio the same connection speaks Socket.IO v5 over Engine.IO v4
// (WebSocket transport only, socketio_packet.h) to the socket.io peer of bench/peers/ and maps
// it onto the same hooks: the upgrade goes to /socket.io/?EIO=4&transport=websocket; the
// Engine.IO open packet is answered with a namespace connect ("40"), whose acknowledgement is
// the "established" step (its sid is the socket id); Subscribe emits
// 421["subscribe","<channel>"] and the server's ack 431["<channel>"] is subscription_succeeded;
// an event 42["<name>","<data>"] is a channel event (no channel field: the bench payload names
// its channel); Engine.IO pings ("2") are answered with pongs ("3"); an Engine.IO close, a
// Socket.IO DISCONNECT or CONNECT_ERROR fail the connection. Subscribers only: publishers
// always speak Pusher (the peer takes REST publishes).
//
// State: kIdle -> kConnecting -> kUpgrading -> kWaitEstablished -> kOpen -> (subclass:
// kReady) -> kClosed. Only the upgrade holds heap memory (key and response head), freed when
// the 101 has been read; an open connection keeps the frame reader's partial frame only.
// Single-threaded: the owning worker. Every failure is counted once, by kind, in the worker's
// stats (Fail), and closes the connection; OnConnectionClosed tells the subclass.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "http/response_reader.h"
#include "ringcast-bench/bench_conn.h"
#include "ringcast-bench/client_frame_reader.h"
#include "ringcast-bench/pusher_message.h"

namespace ringcast::bench {

class Worker;

class PusherClient : public BenchConn, public FrameSink {
 public:
  enum class State : uint8_t {
    kIdle,
    kConnecting,
    kUpgrading,
    kWaitEstablished,
    kOpen,
    kReady,
    kClosed
  };

  explicit PusherClient(Worker* worker);

  State state() const { return state_; }

 protected:
  // Starts the connection through source address `source`; false (and counted) on failure.
  bool Open(uint32_t source);
  // Counts `kind` as an error and closes (no-op when already closing or closed).
  void Fail(std::string_view kind);
  void SendText(std::string_view json);
  // pusher:subscribe, with "auth" for private- channels (presence needs channel_data: unused).
  void Subscribe(std::string_view channel, std::string_view socket_id);

  virtual void OnEstablished(std::string_view socket_id) = 0;
  virtual void OnSubscriptionResult(std::string_view channel, bool ok, std::string_view why) = 0;
  virtual void OnPusherError(int64_t code, std::string_view message) = 0;
  virtual void OnChannelEvent(const PusherMessage& msg) = 0;
  virtual void OnConnectionClosed(State before) = 0;

  Worker* w_;
  uint64_t connect_start_ns_ = 0;
  State state_ = State::kIdle;

 private:
  struct Upgrade {
    http::ResponseReader reader;
    std::string key;
  };

  // BenchConn
  void OnConnect(int res, uint64_t now_ns) override;
  void OnData(const char* data, size_t len, uint64_t now_ns) override;
  void OnReadEnd(int res) override;
  void OnSendError(int res) override;
  void OnClosed() override;
  // FrameSink
  bool OnMessage(ws::Opcode op, std::string_view payload) override;
  bool OnPing(std::string_view payload) override;
  bool OnPong(std::string_view payload) override;
  bool OnClose(uint16_t code, std::string_view reason) override;

  void SendFrame(ws::Opcode op, std::string_view payload);
  void ReadFrames(const char* data, size_t len);
  // The socket.io counterpart of OnMessage's Pusher handling; same return convention.
  bool OnSocketIoMessage(std::string_view text);

  std::unique_ptr<Upgrade> upgrade_;
  ClientFrameReader frames_;
  bool socketio_;  // --protocol socketio (subscribers only)
};

}  // namespace ringcast::bench
