#include "protocols/ws_session.h"

#include <cstring>
#include <string>

#include "ws/frame_encoder.h"

namespace ringcast::protocols {

namespace {
ws::FrameLimits LimitsFrom(const config::Limits& l) {
  ws::FrameLimits f;
  f.max_message_bytes = l.max_ws_message_bytes;
  f.max_fragments = l.max_ws_fragments;
#ifdef RINGCAST_WS_NO_UTF8_VALIDATION
  f.validate_utf8 = false;  // conformance-suite self-test build only
#endif
  return f;
}
}  // namespace

net::LocalFrame* TextFrame(std::string_view text) {
  uint8_t header[ws::kMaxServerHeaderBytes];
  size_t header_len = ws::EncodeHeader(header, ws::Opcode::kText, text.size());
  char* bytes;
  net::LocalFrame* frame =
      net::LocalFrame::Allocate(static_cast<uint32_t>(header_len + text.size()), &bytes);
  std::memcpy(bytes, header, header_len);
  std::memcpy(bytes + header_len, text.data(), text.size());
  return frame;
}

class WsSession::Events final : public ws::FrameEvents {
 public:
  explicit Events(WsSession* s) : s_(s) {}
  bool OnMessage(ws::Opcode op, std::string_view payload) override {
    return s_->OnMessage(op, payload);
  }
  bool OnPing(std::string_view payload) override { return s_->OnPing(payload); }
  bool OnPong(std::string_view payload) override { return s_->OnPong(payload); }
  bool OnClose(uint16_t code, std::string_view reason) override {
    return s_->OnClose(code, reason);
  }

 private:
  WsSession* s_;
};

WsSession::WsSession(engine::ShardEnv* env, net::Connection& conn)
    : env_(env), conn_(&conn), parser_(LimitsFrom(env->limits())) {}

void WsSession::OnData(net::Connection& c, char* data, size_t len) {
  (void)c;
  Events events(this);
  while (len > 0 && !failed_ && !close_received_) {
    ws::ConsumeResult r = parser_.Consume(data, len, events);
    if (r.fail_code != 0) {
      Fail(r.fail_code, r.fail_reason);
      return;
    }
    if (r.consumed == 0 || !conn_->open()) return;
    data += r.consumed;
    len -= r.consumed;
  }
}

bool WsSession::OnMessage(ws::Opcode op, std::string_view payload) {
  OnPeerActivity();
  if (close_sent_) return true;  // after our close, data is discarded (RFC 6455 5.5.1)
  bool go_on = op == ws::Opcode::kText ? OnTextMessage(payload) : OnBinaryMessage(payload);
  return go_on && conn_->open();
}

bool WsSession::OnBinaryMessage(std::string_view bytes) {
  (void)bytes;
  Close(ws::kCloseUnsupportedData, "binary messages are not supported");
  return false;
}

bool WsSession::OnPing(std::string_view payload) {
  OnPeerActivity();
  if (close_sent_) return true;
  std::string frame;
  ws::AppendFrame(&frame, ws::Opcode::kPong, payload);
  loop().SendCopy(*conn_, frame);
  return conn_->open();
}

bool WsSession::OnPong(std::string_view payload) {
  (void)payload;
  OnPeerActivity();
  return true;
}

bool WsSession::OnClose(uint16_t code, std::string_view reason) {
  (void)reason;
  close_received_ = true;
  if (!close_sent_) {
    // Echo the peer's code (an empty close is answered with an empty close).
    std::string frame;
    ws::AppendCloseFrame(&frame, code, {});
    close_sent_ = true;
    loop().SendFinal(*conn_, frame);
  }
  loop().CloseAfterFlush(*conn_, kLingerMs);
  return false;
}

void WsSession::Fail(uint16_t code, std::string_view reason) {
  failed_ = true;
  if (!close_sent_) {
    std::string frame;
    ws::AppendCloseFrame(&frame, code, reason);
    close_sent_ = true;
    loop().SendFinal(*conn_, frame);
  }
  loop().CloseAfterFlush(*conn_, kLingerMs);
}

void WsSession::Close(uint16_t code, std::string_view reason) {
  if (close_sent_ || !conn_->open()) return;
  std::string frame;
  ws::AppendCloseFrame(&frame, code, reason);
  close_sent_ = true;
  loop().SendFinal(*conn_, frame);
  // Wait for the peer's close frame; give up after kLingerMs.
  linger_armed_ = true;
  loop().ScheduleTimer(*conn_, loop().now_ms() + kLingerMs, kLingerTimer);
}

void WsSession::SendText(std::string_view text) {
  std::string frame;
  frame.reserve(text.size() + ws::kMaxServerHeaderBytes);
  ws::AppendFrame(&frame, ws::Opcode::kText, text);
  loop().SendCopy(*conn_, frame);
}

void WsSession::SendBinary(std::string_view bytes) {
  std::string frame;
  frame.reserve(bytes.size() + ws::kMaxServerHeaderBytes);
  ws::AppendFrame(&frame, ws::Opcode::kBinary, bytes);
  loop().SendCopy(*conn_, frame);
}

LivenessStep NextLiveness(uint64_t now, uint32_t last_rx_ms, bool ping_outstanding,
                          uint64_t activity_ms, uint64_t pong_ms) {
  using Action = LivenessStep::Action;
  const uint64_t since = static_cast<uint32_t>(now) - last_rx_ms;
  const uint64_t rx = now - since;
  if (ping_outstanding) {
    if (since >= activity_ms + pong_ms) return {Action::kClose, 0};
    return {Action::kNone, rx + activity_ms + pong_ms};
  }
  if (since >= activity_ms) return {Action::kPing, rx + activity_ms + pong_ms};
  return {Action::kNone, rx + activity_ms};
}

MessageBudget TakeMessageBudget(uint32_t now, uint32_t limit, uint32_t* window_ms,
                                uint32_t* count) {
  if (now - *window_ms >= 1000) {
    *window_ms = now;
    *count = 0;
  }
  if (*count <= limit) ++*count;
  if (*count <= limit) return MessageBudget::kAdmit;
  if (*count == limit + 1) {
    ++*count;  // one kDropFirst per window
    return MessageBudget::kDropFirst;
  }
  return MessageBudget::kDrop;
}

void WsSession::SendPing() {
  std::string frame;
  ws::AppendFrame(&frame, ws::Opcode::kPing, {});
  loop().SendCopy(*conn_, frame);
}

void WsSession::OnTimer(net::Connection& c, uint8_t kind) {
  if (kind == kLingerTimer) {
    // The wheel fires no earlier than the deadline Close() gave, and timers of the HTTP session
    // before this one never get here (see the header).
    if (linger_armed_) loop().CloseNow(c);
  } else if (kind == kShutdownTimer) {
    BeginShutdown();
  }
}

void WsSession::BeginShutdown() { Close(ws::kCloseGoingAway, "server shutting down"); }

void WsSession::OnOverflow(net::Connection& c) {
  std::string frame;
  ws::AppendCloseFrame(&frame, OverflowCloseCode(), "slow consumer: too much queued data");
  close_sent_ = true;
  loop().SendFinal(c, frame);
  // The client is behind: give it time to read what is already in flight and the close frame
  // (everything else was dropped, so this holds little memory).
  loop().CloseAfterFlush(c, kOverflowFlushMs);
}

}  // namespace ringcast::protocols
