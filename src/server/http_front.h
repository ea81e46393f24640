// HttpFrontSession: the first session of every accepted connection. It reads HTTP/1.1
// requests and routes each one:
//   GET .../app/{key}?protocol=7 + Upgrade   -> WebSocket handshake, then a PusherSession
//   GET <echo path> + Upgrade                -> WebSocket handshake, then an EchoSession
//   GET {dialogue.path}/?EIO=4&transport=websocket + Upgrade -> a DialogueSession (Socket.IO)
//   /apps/...                                -> head checked here (api::CheckRestHead: route,
//                                               signature, app state) before the body is read: a
//                                               refusal is answered here (its body skipped
//                                               unbuffered, or the connection closed when the
//                                               body is chunked or too large); otherwise the
//                                               body is read and the request moved to the control
//                                               plane (Pusher HTTP API); the answer comes back
//                                               through the shard
//   GET /sse/{key}?channels=...              -> an SseSession (Server-Sent Events stream)
//   GET /ws?token= | ?appKey= + Upgrade      -> a Datonow socket (server/datonow_front.cc)
//   {impulse.prefix} (when on)               -> GET: an ImpulseSession; OPTIONS: preflight;
//                                               POST: Bearer checked here, then as /apps/...
//   GET /health, /ready, /metrics            -> answered here (/metrics: metrics::Registry)
//   /dashboard, /dashboard/...               -> answered here (server/dashboard.h)
//   anything else                            -> 404 JSON
// Requests on one connection are answered in order (keep-alive and pipelining). Pipelined API
// requests go to the control plane together, up to limits.max_pipelined_requests at once (so
// the publishes of one connection reach the shards in one batch and are written to subscribers
// together); an answer that comes back early waits for the ones before it. A request answered
// here (health, 404, a parse error) waits until no API request is outstanding; an answer that
// ends the connection (a refused API head, 413/431 past a limit, a bad body) is queued behind
// the outstanding ones as an answered call and nothing after it is read. Unparsed bytes are
// buffered, bounded.
// Malformed requests get the parser's status (400, 411, 413, 431, 501, 505) with a JSON body
// and the connection is closed after the answer; nothing else is disturbed.
// A connection that has not completed a request within handshake_timeout_ms (counted from
// accept or from the previous answer) is closed.
// Thread rules: the owning shard's thread.
#pragma once

#include <deque>
#include <string>

#include "api/http_call.h"
#include "api/request_head.h"
#include "http/body_reader.h"
#include "http/request_parser.h"
#include "net/connection.h"
#include "protocols/socketio/sio_app.h"

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
  void OnReply(api::HttpCall* call);

 private:
  // kSkipBody: dropping the body of a request refused from its head (skip_left_ bytes to go).
  // kDraining: the last request said Connection: close, or an answer that closes is queued;
  // waiting for the outstanding answers.
  enum class State { kHead, kBody, kSkipBody, kDraining, kDone };
  static constexpr uint8_t kIdleTimer = 1;

  void Process();
  // Sends the answers at the front of inflight_ that are back, in order; then, with read_on,
  // goes on with the buffered requests.
  void FlushAnswers(bool read_on);
  // Handles a complete head; returns false when the session ended (upgrade, close).
  bool Route(const http::RequestHead& head);
  enum class WsKind : uint8_t { kPusher, kEcho, kDialogue, kRealtime };
  void Upgrade(const http::RequestHead& head, WsKind kind);
  // GET /ws: the Datonow sockets (server/datonow_front.cc). An appKey socket is upgraded at
  // once; a token is first checked by the control plane (datonow_call_), and FlushAnswers
  // upgrades (FinishDatonowToken) or answers its refusal.
  void StartDatonow(const http::RequestHead& head);
  void FinishDatonowToken(api::HttpCall* call);
  // Hands datonow_call_ to the control plane (in inflight_ from then on).
  void ForwardDatonowToken();
  // Upgrades to a DatonowChannelSession of `app`; the bytes of buf_ from `rest_from` on are its.
  void OpenDatonowChannel(uint32_t app, std::string_view ws_key, size_t rest_from);
  // With --descriptors direct, the /ws upgrade waits here for the peer address (the per-IP
  // budget): a token call is then forwarded, an appKey socket checked and upgraded.
  void OnPeerAddress(net::Connection& c, std::string_view ip) override;
  // /realtime/... (the DontCode realtime REST API, apps/dontcode/realtime_api.h): the Bearer app
  // secret is checked from the head (401 before any body is read), then the call goes to the
  // control plane. Returns as Route does.
  bool RouteRealtimeApi(const http::RequestHead& head);
  // Hands the connection to an SseSession (protocols/sse) for GET /sse/{key}.
  void StartSse(const http::RequestHead& head);
  // {impulse.prefix} other than POST: GET opens an ImpulseSession, OPTIONS is the preflight,
  // anything else 405 (docs/protocols/impulse.md). Returns as Route does.
  bool RouteImpulse(const http::RequestHead& head);
  // {dialogue.path}/ (when the config has a "dialogue" section): the Engine.IO endpoint. A
  // WebSocket handshake starts a DialogueSession (new, or the upgrade of a polling socket of
  // this shard); a polling handshake makes a session here (EioPolls); a poll or post with a sid
  // goes to the session's shard as an HttpCall through the control plane; the rest gets
  // Engine.IO's errors (docs/protocols/socketio.md). Returns as Route does.
  // `app`: the endpoint's application other than Dialogue (MoChat's), or null.
  bool RouteSocketIo(const http::RequestHead& head, protocols::socketio::SioApp* app);
  // A call for the control plane from the request's head (REST, Engine.IO polls and posts).
  api::HttpCall* NewCall(const http::RequestHead& head) const;
  // Starts reading call_'s body; the head is consumed. Returns true (Route reads on).
  bool ReadCallBody(const http::RequestHead& head);
  void Respond(int status, std::string_view content_type, std::string_view body, bool keep_alive);
  // Answers here with a JSON error; with close, the connection closes after it.
  void RespondError(int status, std::string_view message, bool close);
  // Refuses an API request from its head (api::CheckRestHead), before its body is read.
  void RefuseApiHead(const http::RequestHead& head, const api::RestHead& rest);
  // Sends an answer made here now, or, while API answers are outstanding, queues it behind them
  // so that answers leave in request order; with close, nothing after it is read or answered.
  void AnswerInTurn(std::string response, bool close);
  void ArmIdleTimer();

  Shard* shard_;
  net::Connection* conn_;
  State state_ = State::kHead;
  http::RequestParser parser_;
  http::BodyReader body_;
  std::string buf_;
  api::HttpCall* call_ = nullptr;  // the API request whose body is being read
  std::string upgrade_sid_;  // RouteSocketIo -> Upgrade: the polling socket a WebSocket upgrades
  // RouteSocketIo -> Upgrade: the Socket.IO application of the endpoint (null: Dialogue).
  protocols::socketio::SioApp* upgrade_app_ = nullptr;
  // API requests with the control plane, in request order. The session owns those `answered`;
  // the others come back through the shard (which frees them if the session is gone).
  std::deque<api::HttpCall*> inflight_;
  uint64_t idle_since_ms_ = 0;
  uint64_t skip_left_ = 0;
  // A token check with the control plane (in inflight_ once forwarded; owned here while it
  // waits for the peer address).
  api::HttpCall* datonow_call_ = nullptr;
  std::string ws_key_;  // its Sec-WebSocket-Key (or a waiting appKey socket's)
  // What waits for IoLoop::RequestPeerAddress's answer (direct descriptors only).
  enum class PeerWait : uint8_t { kNone, kToken, kAppKey };
  PeerWait peer_wait_ = PeerWait::kNone;
  uint32_t ws_app_ = 0;  // a waiting appKey socket's app
};

}  // namespace ringcast::server
