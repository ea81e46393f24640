// EchoSession: a WebSocket endpoint that sends every text and binary message back as the same
// type (a test aid for RFC 6455 conformance, enabled with --echo-path). It runs on the same
// shards, framing code and limits as every other WebSocket session: WsSession does the framing,
// pings and the closing handshake; this class only echoes.
// Thread rules: the owning shard's thread.
#pragma once

#include "protocols/ws_session.h"

namespace ringcast::protocols {

class EchoSession : public WsSession {
 public:
  using WsSession::WsSession;
  void OnClosed(net::Connection& c) override { (void)c; }

 private:
  bool OnTextMessage(std::string_view text) override {
    SendText(text);
    return true;
  }
  bool OnBinaryMessage(std::string_view bytes) override {
    SendBinary(bytes);
    return true;
  }
};

}  // namespace ringcast::protocols
