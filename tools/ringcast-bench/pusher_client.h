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
// With --protocol sse (subscribers only) it is a plain HTTP/1.1 GET of ringcast's event stream
// (docs/protocols/sse.md) for StreamChannel(), signed for private- channels (sse_target.h): the
// 200 answer's head is the "established" step (handshake latency; any other status fails with
// its body); the body is read with SseEventReader; the first event, `ringcast:open`, is
// subscription_succeeded; every other event's data line {"channel","event","data"} is parsed as
// a Pusher message and is a channel event (its SSE type must equal its "event"); heartbeat
// comments are ignored; `ringcast:gap` (never expected: the bench does not resume) is an error;
// the end of the stream fails the connection. Nothing is sent after the request.
//
// State: kIdle -> kConnecting -> kUpgrading -> kWaitEstablished -> kOpen -> (subclass:
// kReady) -> kClosed. Only the upgrade holds heap memory (key and response head), freed when
// the 101 (or the SSE 200) has been read; an open connection keeps the frame reader's partial
// frame only (SSE: the event reader's partial line and last event).
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
#include "ringcast-bench/options.h"
#include "ringcast-bench/pusher_message.h"
#include "ringcast-bench/sse_event_reader.h"

namespace ringcast::bench {

class Worker;

class PusherClient : public BenchConn, public FrameSink, public SseSink {
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

  // `protocol`: what this connection speaks (publishers: always kPusher).
  PusherClient(Worker* worker, WireProtocol protocol);

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
  // --protocol sse: the channel whose stream the connection requests.
  virtual std::string_view StreamChannel() const { return {}; }

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
  // SseSink
  bool OnSseEvent(std::string_view type, std::string_view data) override;

  void SendFrame(ws::Opcode op, std::string_view payload);
  void ReadFrames(const char* data, size_t len);
  // The socket.io counterpart of OnMessage's Pusher handling; same return convention.
  bool OnSocketIoMessage(std::string_view text);
  // --protocol sse: the request, and the answer's head (then the events, OnSseEvent).
  void SendSseRequest();
  void ReadSseHead(const char* data, size_t len);

  std::unique_ptr<Upgrade> upgrade_;
  ClientFrameReader frames_;
  SseEventReader sse_events_;  // --protocol sse: the body of the stream
  WireProtocol protocol_;
};

}  // namespace ringcast::bench
