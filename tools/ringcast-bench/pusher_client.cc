// PusherClient implementation: TCP connect, the upgrade request and the check of its 101
// answer (Sec-WebSocket-Accept), frames in and out (masked with a fresh key each), the pusher:*
// housekeeping, the close handshake, and counting each failure by kind before closing; and the
// socket.io mapping of the same steps (OnSocketIoMessage, Subscribe); and the SSE stream
// (SendSseRequest, ReadSseHead, OnSseEvent).
// Worker thread only; see pusher_client.h for the state machine.
#include "ringcast-bench/pusher_client.h"

#include "auth/channel_auth.h"
#include "auth/crypto.h"
#include "ringcast-bench/socketio_packet.h"
#include "ringcast-bench/sse_target.h"
#include "ringcast-bench/worker.h"
#include "util/clock.h"
#include "util/json_writer.h"
#include "ws/frame_encoder.h"
#include "ws/handshake.h"

namespace ringcast::bench {

PusherClient::PusherClient(Worker* worker, WireProtocol protocol)
    : w_(worker), protocol_(protocol) {}

bool PusherClient::Open(uint32_t source) {
  state_ = State::kConnecting;
  connect_start_ns_ = w_->now_ns();
  int rc = w_->Connect(this, source);
  if (rc < 0) {
    w_->stats().CountError("socket: " + Worker::ErrnoName(rc));
    Bump(w_->live().errors);
    state_ = State::kClosed;
    OnConnectionClosed(State::kConnecting);
    return false;
  }
  return true;
}

void PusherClient::Fail(std::string_view kind) {
  if (closing || state_ == State::kClosed) return;
  w_->stats().CountError(kind);
  Bump(w_->live().errors);
  w_->Close(this);
}

void PusherClient::OnConnect(int res, uint64_t now_ns) {
  if (res < 0) {
    Fail("connect: " + Worker::ErrnoName(res));
    return;
  }
  w_->stats().connect_latency.Record(now_ns - connect_start_ns_);
  if (protocol_ == WireProtocol::kSse) {
    SendSseRequest();
    return;
  }
  upgrade_ = std::make_unique<Upgrade>();
  uint8_t raw[16];
  uint64_t a = w_->NextRandom();
  uint64_t b = w_->NextRandom();
  for (int i = 0; i < 8; ++i) {
    raw[i] = static_cast<uint8_t>(a >> (8 * i));
    raw[8 + i] = static_cast<uint8_t>(b >> (8 * i));
  }
  upgrade_->key = auth::Base64Encode(std::string_view(reinterpret_cast<char*>(raw), sizeof raw));
  std::string& req = w_->scratch();
  req.clear();
  req.append("GET ").append(w_->ws_request_target()).append(" HTTP/1.1\r\nHost: ");
  req.append(w_->endpoint().targets[target].host_header);
  req.append(
      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Key: ");
  req.append(upgrade_->key).append("\r\n\r\n");
  state_ = State::kUpgrading;
  w_->ArmRecv(this);
  w_->Send(this, req);
}

void PusherClient::OnData(const char* data, size_t len, uint64_t now_ns) {
  (void)now_ns;
  if (protocol_ == WireProtocol::kSse) {
    if (state_ == State::kUpgrading) {
      ReadSseHead(data, len);
      return;
    }
    SseReadResult r = sse_events_.Consume(data, len, this);
    if (r.error != nullptr) Fail(std::string("protocol: ") + r.error);
    return;
  }
  if (state_ == State::kUpgrading) {
    http::ResponseReader::Result r = upgrade_->reader.Feed(data, len);
    if (r.state == http::ResponseReader::State::kNeedMore) return;
    if (r.state == http::ResponseReader::State::kError) {
      Fail(std::string("handshake: ") + upgrade_->reader.error());
      return;
    }
    if (upgrade_->reader.status() != 101) {
      Fail("handshake: HTTP " + std::to_string(upgrade_->reader.status()));
      return;
    }
    if (upgrade_->reader.websocket_accept() != ws::ComputeAcceptKey(upgrade_->key)) {
      Fail("handshake: wrong Sec-WebSocket-Accept");
      return;
    }
    upgrade_.reset();
    state_ = State::kWaitEstablished;
    data += r.consumed;
    len -= r.consumed;
    if (len == 0) return;
  }
  ReadFrames(data, len);
}

void PusherClient::ReadFrames(const char* data, size_t len) {
  FrameReadResult r = frames_.Consume(data, len, this);
  if (r.error != nullptr) Fail(std::string("protocol: ") + r.error);
}

void PusherClient::OnReadEnd(int res) {
  if (res == 0 && protocol_ == WireProtocol::kSse) {
    Fail(state_ == State::kUpgrading ? "sse: closed by server before its answer"
                                     : "sse: stream ended by the server");
  } else if (res == 0) {
    Fail("closed by server without a close frame");
  } else {
    Fail("recv: " + Worker::ErrnoName(res));
  }
}

void PusherClient::OnSendError(int res) { Fail("send: " + Worker::ErrnoName(res)); }

void PusherClient::OnClosed() {
  State before = state_;
  state_ = State::kClosed;
  upgrade_.reset();
  frames_ = ClientFrameReader();
  sse_events_ = SseEventReader();
  OnConnectionClosed(before);
}

bool PusherClient::OnMessage(ws::Opcode op, std::string_view payload) {
  if (op != ws::Opcode::kText) {
    w_->stats().CountError("protocol: binary message");
    Bump(w_->live().errors);
    return true;
  }
  if (IsSocketIo(protocol_)) return OnSocketIoMessage(payload);
  PusherMessage msg;
  if (const char* err = w_->parser().Parse(payload, &msg)) {
    w_->stats().CountError(std::string("protocol: ") + err);
    Bump(w_->live().errors);
    return true;
  }
  std::string_view ev = msg.event;
  if (ev.substr(0, 7) != "pusher:" && ev.substr(0, 16) != "pusher_internal:") {
    OnChannelEvent(msg);
  } else if (ev == "pusher:connection_established") {
    std::string socket_id;
    if (state_ != State::kWaitEstablished || !msg.data_is_string ||
        !w_->parser().ParseSocketId(msg.data, &socket_id)) {
      Fail("protocol: bad pusher:connection_established");
      return false;
    }
    w_->stats().handshake_latency.Record(w_->now_ns() - connect_start_ns_);
    state_ = State::kOpen;
    OnEstablished(socket_id);
  } else if (ev == "pusher_internal:subscription_succeeded") {
    OnSubscriptionResult(msg.channel, true, {});
  } else if (ev == "pusher:subscription_error") {
    OnSubscriptionResult(msg.channel, false, "subscription_error");
  } else if (ev == "pusher:error") {
    int64_t code = 0;
    std::string message;
    w_->parser().ParseError(msg.data, &code, &message);
    OnPusherError(code, message);
  } else if (ev == "pusher:ping") {
    SendText(R"({"event":"pusher:pong","data":{}})");
  }
  // Other pusher:* and pusher_internal:* events (pong, subscription_count, ...) are ignored.
  return !closing && state_ != State::kClosed;
}

bool PusherClient::OnPing(std::string_view payload) {
  SendFrame(ws::Opcode::kPong, payload);
  return true;
}

bool PusherClient::OnPong(std::string_view payload) {
  (void)payload;
  return true;
}

bool PusherClient::OnClose(uint16_t code, std::string_view reason) {
  std::string kind = "ws close " + std::to_string(code);
  if (!reason.empty()) kind.append(" ").append(reason.substr(0, 60));
  std::string& s = w_->scratch();
  s.clear();
  uint8_t echo[2] = {static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code)};
  if (code == ws::kCloseNoStatus) {
    ws::AppendMaskedFrame(&s, ws::Opcode::kClose, {}, static_cast<uint32_t>(w_->NextRandom()));
  } else {
    ws::AppendMaskedFrame(&s, ws::Opcode::kClose,
                          std::string_view(reinterpret_cast<char*>(echo), 2),
                          static_cast<uint32_t>(w_->NextRandom()));
  }
  w_->Send(this, s);
  Fail(kind);
  return false;
}

void PusherClient::SendFrame(ws::Opcode op, std::string_view payload) {
  std::string& s = w_->scratch();
  s.clear();
  ws::AppendMaskedFrame(&s, op, payload, static_cast<uint32_t>(w_->NextRandom()));
  w_->Send(this, s);
}

void PusherClient::SendText(std::string_view json) { SendFrame(ws::Opcode::kText, json); }

void PusherClient::Subscribe(std::string_view channel, std::string_view socket_id) {
  if (protocol_ == WireProtocol::kSocketIo) {
    std::string msg;
    AppendSocketIoEvent(&msg, "subscribe", channel, 1);
    SendText(msg);
    return;
  }
  if (protocol_ == WireProtocol::kDialogue) {
    std::string msg = "421[\"dialogue:join\",{\"roomId\":";
    util::AppendJsonString(&msg, channel);
    msg += "}]";
    SendText(msg);
    return;
  }
  std::string msg = R"({"event":"pusher:subscribe","data":{"channel":)";
  util::AppendJsonString(&msg, channel);
  if (channel.substr(0, 8) == "private-") {
    std::string auth = w_->options().app_key + ":" +
                       auth::ChannelSignature(w_->options().app_secret, socket_id, channel);
    msg.append(",\"auth\":");
    util::AppendJsonString(&msg, auth);
  }
  msg.append("}}");
  SendText(msg);
}

bool PusherClient::OnSocketIoMessage(std::string_view text) {
  EngineIoPacket eio;
  if (const char* err = ParseEngineIoPacket(text, &eio)) {
    Fail(std::string("protocol: ") + err);
    return false;
  }
  switch (eio.type) {
    case EioType::kOpen:
      if (state_ == State::kWaitEstablished) SendText("40");  // connect to namespace "/"
      return true;
    case EioType::kPing: {
      std::string pong = "3";
      pong.append(eio.data);
      SendText(pong);
      return true;
    }
    case EioType::kClose:
      Fail("engine.io close");
      return false;
    case EioType::kPong:
    case EioType::kUpgrade:
    case EioType::kNoop:
      return true;
    case EioType::kMessage:
      break;
  }
  SocketIoPacket sio;
  if (const char* err = ParseSocketIoPacket(eio.data, &sio)) {
    Fail(std::string("protocol: ") + err);
    return false;
  }
  if (sio.nsp != "/") return true;  // not our namespace
  PusherMessage msg;
  switch (sio.type) {
    case SioType::kConnect:
      if (state_ != State::kWaitEstablished) return true;
      w_->stats().handshake_latency.Record(w_->now_ns() - connect_start_ns_);
      state_ = State::kOpen;
      OnEstablished(sio.payload);  // {"sid":"..."}: only Pusher needs a parsed socket id
      break;
    case SioType::kEvent:
      if (protocol_ == WireProtocol::kDialogue) {
        if (const char* err = w_->sio_parser().ParseDialogue(sio.payload, true, &msg)) {
          w_->stats().CountError(std::string("protocol: ") + err);
          Bump(w_->live().errors);
          return true;
        }
        if (msg.event == "dialogue:error") {
          w_->stats().CountError("dialogue:error");
          Bump(w_->live().errors);
        } else if (!msg.event.starts_with("dialogue:")) {
          OnChannelEvent(msg);  // a dialogue:event's envelope: its event and data
        }
        break;
      }
      if (const char* err = w_->sio_parser().ParseEvent(sio.payload, &msg)) {
        w_->stats().CountError(std::string("protocol: ") + err);
        Bump(w_->live().errors);
        return true;
      }
      OnChannelEvent(msg);
      break;
    case SioType::kAck:
      if (protocol_ == WireProtocol::kDialogue) {
        // dialogue:join's ack: {roomId, roomName}, or the error {code, message}.
        if (w_->sio_parser().ParseDialogue(sio.payload, false, &msg) != nullptr ||
            msg.channel.empty()) {
          Fail("dialogue:join refused");
          return false;
        }
        OnSubscriptionResult(msg.channel, true, {});
        break;
      }
      if (const char* err = w_->sio_parser().ParseAck(sio.payload, &msg)) {
        w_->stats().CountError(std::string("protocol: ") + err);
        Bump(w_->live().errors);
        return true;
      }
      // The peer acknowledges "subscribe" with the room name.
      OnSubscriptionResult(msg.data, msg.data_is_string, "socket.io subscribe not acknowledged");
      break;
    case SioType::kDisconnect:
      Fail("socket.io disconnect");
      return false;
    case SioType::kConnectError:
      Fail("socket.io connect_error");
      return false;
    case SioType::kBinaryEvent:
    case SioType::kBinaryAck:
      w_->stats().CountError("protocol: socket.io binary packet");
      Bump(w_->live().errors);
      return true;
  }
  return !closing && state_ != State::kClosed;
}

}  // namespace ringcast::bench

namespace ringcast::bench {

void PusherClient::SendSseRequest() {
  const BenchOptions& o = w_->options();
  upgrade_ = std::make_unique<Upgrade>();
  // A signature (private- channels) valid for an hour: longer than any run's connect phase.
  uint64_t expires = static_cast<uint64_t>(util::WallSeconds()) + 3600;
  std::string& req = w_->scratch();
  req.clear();
  req.append("GET ").append(SseRequestTarget(o.app_key, o.app_secret, StreamChannel(), expires));
  req.append(" HTTP/1.1\r\nHost: ").append(w_->endpoint().targets[target].host_header);
  req.append("\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n");
  state_ = State::kUpgrading;
  w_->ArmRecv(this);
  w_->Send(this, req);
}

void PusherClient::ReadSseHead(const char* data, size_t len) {
  http::ResponseReader& reader = upgrade_->reader;
  http::ResponseReader::Result r = reader.Feed(data, len);
  if (r.state == http::ResponseReader::State::kError) {
    Fail(std::string("sse: ") + reader.error());
    return;
  }
  if (reader.status() == 200 && reader.content_type().substr(0, 17) != "text/event-stream") {
    // Not an event stream: most likely not the SSE endpoint (a wrong --port or server).
    Fail("sse: HTTP 200 but Content-Type '" + std::string(reader.content_type().substr(0, 60)) +
         "', not text/event-stream");
    return;
  }
  if (r.state == http::ResponseReader::State::kNeedMore) {
    // A refusal's body is still coming; a 200 that frames its body (chunked, Content-Length)
    // is not a stream this reader takes (ringcast's streams run until close).
    if (reader.status() == 200) Fail("sse: the 200 answer frames its body (chunked?)");
    return;
  }
  if (reader.status() != 200) {
    std::string kind = "sse: HTTP " + std::to_string(reader.status());
    std::string_view body = reader.body();
    if (!body.empty()) kind.append(" ").append(body.substr(0, 100));
    Fail(kind);
    return;
  }
  w_->stats().handshake_latency.Record(w_->now_ns() - connect_start_ns_);
  upgrade_.reset();
  state_ = State::kWaitEstablished;
  if (r.consumed < len) OnData(data + r.consumed, len - r.consumed, w_->now_ns());
}

bool PusherClient::OnSseEvent(std::string_view type, std::string_view data) {
  WorkerStats& st = w_->stats();
  if (type.substr(0, 9) == "ringcast:") {
    if (type == "ringcast:open") {
      // "Live from here": the stream's subscription.
      if (state_ != State::kWaitEstablished) return true;
      state_ = State::kOpen;
      OnSubscriptionResult(StreamChannel(), true, {});
    } else if (type == "ringcast:gap") {
      st.CountError("sse: ringcast:gap");  // the bench never resumes: a gap is a loss
      Bump(w_->live().errors);
    } else {
      ++st.other_events;
    }
    return !closing && state_ != State::kClosed;
  }
  PusherMessage msg;
  if (const char* err = w_->parser().Parse(data, &msg)) {
    st.CountError(std::string("protocol: sse data: ") + err);
    Bump(w_->live().errors);
    return true;
  }
  if (msg.event != type) {
    st.CountError("protocol: sse event type is not its data's event");
    Bump(w_->live().errors);
    return true;
  }
  OnChannelEvent(msg);
  return !closing && state_ != State::kClosed;
}

}  // namespace ringcast::bench
