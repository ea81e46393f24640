// HttpFrontSession: the first session of every accepted connection. It reads HTTP/1.1
// requests and routes each one:
//   GET .../app/{key}?protocol=7 + Upgrade   -> WebSocket handshake, then a PusherSession
//   GET <echo path> + Upgrade                -> WebSocket handshake, then an EchoSession
//   /apps/...                                -> moved to the control plane (Pusher HTTP API); the
//                                               answer comes back through the shard
//   GET /health, /ready                      -> answered here
//   anything else                            -> 404 JSON
// Requests on one connection are answered in order (keep-alive and pipelining): while one is
// with the control plane, later bytes are buffered (bounded) and parsed after the answer.
// Malformed requests get the parser's status (400, 411, 413, 431, 501, 505) with a JSON body
// and the connection is closed after the answer; nothing else is disturbed.
// A connection that has not completed a request within handshake_timeout_ms (counted from
// accept or from the previous answer) is closed.
// Thread rules: the owning shard's thread.
#pragma once

#include <string>

#include "engine/messages.h"
#include "http/body_reader.h"
#include "http/request_parser.h"
#include "net/connection.h"

namespace ringcast::server {

class Shard;

class HttpFrontSession : public net::Session {
 public:
  HttpFrontSession(Shard* shard, net::Connection& conn);
  ~HttpFrontSession() override;

  void OnData(net::Connection& c, char* data, size_t len) override;
  void OnTimer(net::Connection& c, uint8_t kind) override;
  void OnOverflow(net::Connection& c) override;
  void OnClosed(net::Connection& c) override;

  // The control plane answered `call` (the one this session forwarded).
  void OnReply(engine::HttpCall* call);

 private:
  enum class State { kHead, kBody, kWaitingReply, kDone };
  static constexpr uint8_t kIdleTimer = 1;

  void Process();
  // Handles a complete head; returns false when the session ended (upgrade, close).
  bool Route(const http::RequestHead& head);
  void Upgrade(const http::RequestHead& head, bool echo);
  void Respond(int status, std::string_view content_type, std::string_view body, bool keep_alive);
  void RespondError(int status, std::string_view message, bool close);
  void ArmIdleTimer();

  Shard* shard_;
  net::Connection* conn_;
  State state_ = State::kHead;
  http::RequestParser parser_;
  http::BodyReader body_;
  std::string buf_;
  engine::HttpCall* call_ = nullptr;  // the request being read or waiting for its answer
  uint64_t idle_since_ms_ = 0;
};

}  // namespace ringcast::server
