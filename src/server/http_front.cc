#include "server/http_front.h"

#include <algorithm>

#include "api/request_head.h"
#include "apps/dontcode/realtime_api.h"
#include "apps/dontcode/realtime_session.h"
#include "apps/mochat/mochat_api.h"
#include "engine/app_registry.h"
#include "http/query.h"
#include "http/response.h"
#include "protocols/echo/echo_session.h"
#include "protocols/impulse/impulse_wire.h"
#include "protocols/pusher/pusher_session.h"
#include "protocols/pusher/wire.h"
#include "protocols/socketio/dialogue_session.h"
#include "protocols/socketio/packet.h"
#include "server/dashboard.h"
#include "server/server.h"
#include "server/shard.h"
#include "util/clock.h"
#include "util/utf8_truncate.h"
#include "ws/handshake.h"

namespace ringcast::server {

namespace {
using protocols::pusher::wire::AppKeyFromPath;

// The status of a complete HTTP response ("HTTP/1.1 NNN ..."); 0 when it has none.
int StatusOf(std::string_view response) {
  if (response.size() < 12 || response.substr(0, 5) != "HTTP/") return 0;
  int st = 0;
  for (size_t i = 9; i < 12; ++i) {
    char ch = response[i];
    if (ch < '0' || ch > '9') return 0;
    st = st * 10 + (ch - '0');
  }
  return st;
}
}  // namespace

HttpFrontSession::HttpFrontSession(Shard* shard, net::Connection& conn)
    : shard_(shard), conn_(&conn), parser_(shard->http_limits()) {
  idle_since_ms_ = shard_->env().loop().now_ms();
  ArmIdleTimer();
}

HttpFrontSession::~HttpFrontSession() {
  delete call_;
  // A token call still waiting for the peer address was never forwarded: ours.
  if (peer_wait_ == PeerWait::kToken) delete datonow_call_;
  // A call still with the control plane comes back to the shard, which frees it.
  for (api::HttpCall* call : inflight_) {
    if (call->answered) delete call;
  }
}

void HttpFrontSession::ArmIdleTimer() {
  shard_->env().loop().ScheduleTimer(
      *conn_, idle_since_ms_ + shard_->env().limits().handshake_timeout_ms, kIdleTimer);
}

void HttpFrontSession::OnTimer(net::Connection& c, uint8_t kind) {
  if (kind != kIdleTimer || state_ == State::kDraining || state_ == State::kDone) return;
  if (!inflight_.empty()) {
    // Not idle: the control plane has our requests. Look again a full timeout later.
    idle_since_ms_ = shard_->env().loop().now_ms();
    ArmIdleTimer();
    return;
  }
  uint64_t deadline = idle_since_ms_ + shard_->env().limits().handshake_timeout_ms;
  if (shard_->env().loop().now_ms() >= deadline) {
    shard_->env().loop().CloseNow(c);
  } else {
    ArmIdleTimer();
  }
}

void HttpFrontSession::OnOverflow(net::Connection& c) { shard_->env().loop().CloseNow(c); }

void HttpFrontSession::OnClosed(net::Connection& c) { (void)c; }

void HttpFrontSession::OnData(net::Connection& c, char* data, size_t len) {
  (void)c;
  if (state_ == State::kDone || state_ == State::kDraining) return;
  if (state_ == State::kSkipBody && buf_.empty()) {
    // The body of a refused request: dropped as it arrives, never buffered.
    size_t n = static_cast<size_t>(std::min<uint64_t>(skip_left_, len));
    data += n;
    len -= n;
    skip_left_ -= n;
    if (skip_left_ > 0) return;
    state_ = State::kHead;
  }
  const config::Limits& limits = shard_->env().limits();
  // Bound what a client may pile up behind a request that is with the control plane.
  size_t cap = 2 * (static_cast<size_t>(limits.max_header_bytes) + limits.max_request_body_bytes);
  if (buf_.size() + len > cap) {
    RespondError(state_ == State::kBody ? 413 : 431, "Too much pipelined data", /*close=*/true);
    return;
  }
  buf_.append(data, len);
  Process();
}

namespace {
// Whether Route() sends this request to the control plane.
bool IsApiRequest(const http::RequestHead& head) {
  return !head.upgrade && !head.Has("sec-websocket-key") && head.path.substr(0, 6) == "/apps/";
}
}  // namespace

void HttpFrontSession::Process() {
  http::RequestHead& head = shard_->head_scratch();
  while (state_ == State::kHead || state_ == State::kBody || state_ == State::kSkipBody) {
    if (state_ == State::kSkipBody) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(skip_left_, buf_.size()));
      buf_.erase(0, n);
      skip_left_ -= n;
      if (skip_left_ > 0) return;
      state_ = State::kHead;
      continue;
    }
    if (state_ == State::kHead) {
      if (buf_.empty()) return;
      uint32_t depth = std::max<uint32_t>(1, shard_->env().limits().max_pipelined_requests);
      if (inflight_.size() >= depth) return;  // read on when an answer goes out
      http::ParseState st = parser_.Parse(buf_, &head);
      if (st == http::ParseState::kNeedMore) return;
      if (st == http::ParseState::kError || !IsApiRequest(head)) {
        if (!inflight_.empty()) {
          // Answered here, so only after the outstanding ones: parse it again then.
          parser_.Reset();
          return;
        }
        if (st == http::ParseState::kError) {
          RespondError(parser_.error_status(), parser_.error_message(), /*close=*/true);
          return;
        }
      }
      if (!Route(head)) return;
      continue;
    }
    size_t consumed = 0;
    http::ParseState st = body_.Feed(buf_, &consumed, &call_->body);
    buf_.erase(0, consumed);
    if (st == http::ParseState::kNeedMore) return;
    if (st == http::ParseState::kError) {
      RespondError(body_.error_status(), body_.error_message(), /*close=*/true);
      return;
    }
    // The body is complete: hand the request to the control plane.
    api::HttpCall* call = call_;
    call_ = nullptr;
    bool keep_alive = call->keep_alive;
    state_ = keep_alive ? State::kHead : State::kDraining;
    inflight_.push_back(call);
    if (!shard_->ForwardHttp(call)) {
      // The control plane's queue is full: the call is still ours; it is answered 503 in turn.
      call->response.clear();
      http::AppendJsonError(&call->response, 503, "Server busy, retry later", keep_alive);
      call->answered = true;
      FlushAnswers(/*read_on=*/false);  // this loop reads on
    }
  }
}

bool HttpFrontSession::Route(const http::RequestHead& head) {
  std::string_view path = head.path;
  const config::ServerConfig& cfg = shard_->env().config();
  std::string_view key;
  auto at = [path](const std::string& endpoint) {
    return path.starts_with(endpoint) &&
           (path.size() == endpoint.size() ||
            (path.size() == endpoint.size() + 1 && path.back() == '/'));
  };
  if (cfg.dialogue.enabled && at(cfg.dialogue.path)) return RouteSocketIo(head, nullptr);
  if (cfg.mochat.socketio && at(cfg.mochat.path)) {
    return RouteSocketIo(head, shard_->dialogue_shared().mochat);
  }
  if (head.upgrade || head.Has("sec-websocket-key")) {
    if (path == "/ws") {
      StartDatonow(head);
      return state_ == State::kHead;
    }
    if (path == "/realtime") {
      Upgrade(head, WsKind::kRealtime);
      return false;
    }
    bool echo = !cfg.echo_path.empty() && path == cfg.echo_path;
    if (echo || AppKeyFromPath(path, &key)) {
      Upgrade(head, echo ? WsKind::kEcho : WsKind::kPusher);
      return false;
    }
    RespondError(404, "No WebSocket endpoint at this path", /*close=*/true);
    return false;
  }
  if (cfg.dialogue.enabled && api::IsDialoguePath(path)) {
    // Dialogue's REST API: the head is checked (signature included) before the body is read;
    // decided on the control plane (server/control_dialogue.cc).
    api::RestHead rest =
        api::CheckDialogueHead(shard_->env().apps(), cfg.dialogue.app, head.method_name, head.path,
                               head.query, util::WallSeconds());
    if (!rest.ok()) {
      RefuseApiHead(head, rest);
      return state_ == State::kHead || state_ == State::kSkipBody;
    }
    call_ = NewCall(head);
    return ReadCallBody(head);
  }
  if (apps::dontcode::RealtimeApi::Matches(path)) return RouteRealtimeApi(head);
  const bool impulse = protocols::impulse::wire::IsEndpoint(cfg.impulse, path);
  if (impulse && head.method != http::Method::kPost) return RouteImpulse(head);
  if (apps::mochat::MochatApi::Matches(path)) {
    // MoChat (docs/protocols/mochat.md): decided on the control plane (the tokens are in the
    // store); a call without a token other than selfRegister is refused here, unread.
    if (head.Get("x-claw-token").empty() && path != "/api/claw/agents/selfRegister") {
      const bool close = !head.keep_alive || head.content_length > 0 || head.chunked;
      std::string out;
      http::AppendResponse(&out, 401, "application/json",
                           "{\"error\":{\"code\":\"UNAUTHORIZED\",\"message\":"
                           "\"X-Claw-Token header required\"}}",
                           !close);
      buf_.erase(0, parser_.head_size());
      parser_.Reset();
      AnswerInTurn(std::move(out), close);
      return state_ == State::kHead;
    }
    call_ = NewCall(head);
    call_->claw_token = std::string(head.Get("x-claw-token"));
    call_->claw_app = std::string(head.Get("x-claw-app"));
    return ReadCallBody(head);
  }
  const bool datonow = path.substr(0, 5) == "/api/";
  if (path.substr(0, 6) == "/apps/" || datonow || impulse) {
    if (impulse) {
      // The broker checks the secret before reading the body: so does this (never buffered).
      int refused =
          protocols::impulse::wire::CheckBearer(head.Get("authorization"), cfg.impulse.secret);
      if (refused != 0) {
        bool close = !head.keep_alive || head.content_length > 0 || head.chunked;
        std::string out;
        protocols::impulse::wire::AppendError(&out, refused,
                                              refused == 401 ? protocols::impulse::wire::kNoAuth
                                                             : protocols::impulse::wire::kBadToken,
                                              !close);
        buf_.erase(0, parser_.head_size());
        parser_.Reset();
        AnswerInTurn(std::move(out), close);
        return state_ == State::kHead;
      }
    } else if (!datonow) {
      api::RestHead rest = api::CheckRestHead(shard_->env().apps(), head.method_name, head.path,
                                              head.query, util::WallSeconds());
      if (!rest.ok()) {
        RefuseApiHead(head, rest);
        return state_ == State::kHead || state_ == State::kSkipBody;
      }
    }
    call_ = NewCall(head);
    if (datonow) {
      // Datonow REST (api/datonow_api.h): checked on the control plane.
      call_->datonow_app_id = std::string(head.Get("x-datonow-app-id"));
      call_->datonow_token = std::string(head.Get("x-datonow-token"));
      call_->datonow_signature = std::string(head.Get("x-datonow-signature"));
    }
    return ReadCallBody(head);
  }
  if (path.substr(0, 5) == "/sse/" && head.method == http::Method::kGet &&
      head.content_length <= 0 && !head.chunked) {
    StartSse(head);
    return false;
  }
  bool keep_alive = head.keep_alive;
  bool is_get = head.method == http::Method::kGet || head.method == http::Method::kHead;
  bool has_body = head.content_length > 0 || head.chunked;
  enum class Answer { kHealth, kMetrics, kDashboard, kNeedsUpgrade, kNotFound } answer;
  DashboardReply dashboard;
  bool ready_path = path == "/ready";
  if (path == "/health" || ready_path) {
    answer = Answer::kHealth;
  } else if (path == "/metrics" && shard_->metrics_registry() != nullptr) {
    answer = Answer::kMetrics;
  } else if (IsDashboardPath(path) && !has_body) {
    answer = Answer::kDashboard;
    dashboard = HandleDashboard(head, shard_);  // reads the head: before buf_ is erased
  } else if (AppKeyFromPath(path, &key) || path == "/ws" || path == "/realtime") {
    answer = Answer::kNeedsUpgrade;
  } else {
    answer = Answer::kNotFound;
  }
  // `head` views point into buf_: nothing of it is used after this.
  buf_.erase(0, parser_.head_size());
  parser_.Reset();
  if (has_body) {
    // Not a route that takes a body: answer and close rather than skip an unknown body.
    RespondError(404, "Not found", /*close=*/true);
    return false;
  }
  switch (answer) {
    case Answer::kHealth:
      if (!is_get) {
        RespondError(405, "Use GET", !keep_alive);
      } else {
        // /health: the process serves (it answered). /ready: it takes new work.
        const Server* server = shard_->server();
        bool ready = !ready_path || (!shard_->env().shutting_down() &&
                                     (server == nullptr || server->ready()));
        Respond(ready ? 200 : 503, "application/json",
                ready ? "{\"ok\":true}" : "{\"ok\":false}", keep_alive);
      }
      break;
    case Answer::kMetrics:
      if (!is_get) {
        RespondError(405, "Use GET", !keep_alive);
      } else {
        // Reads every shard's atomics: no lock, no message to another thread.
        Respond(200, metrics::TextWriter::kContentType, shard_->metrics_registry()->Render(),
                keep_alive);
      }
      break;
    case Answer::kDashboard: {
      std::string out;
      http::AppendResponse(&out, dashboard.status, dashboard.content_type, dashboard.body,
                           keep_alive, dashboard.extra_headers);
      AnswerInTurn(std::move(out), !keep_alive);  // counts a rejection
      break;
    }
    case Answer::kNeedsUpgrade:
      RespondError(400, "This endpoint needs a WebSocket upgrade", !keep_alive);
      break;
    case Answer::kNotFound:
      RespondError(404, "Not found", !keep_alive);
      break;
  }
  return state_ == State::kHead;
}

void HttpFrontSession::Upgrade(const http::RequestHead& head, WsKind kind) {
  net::IoLoop& loop = shard_->env().loop();
  ws::UpgradeCheck check =
      ws::CheckUpgrade(head.method_name, head.version_minor, head.Get("upgrade"),
                       head.HasToken("connection", "upgrade"), head.Get("sec-websocket-version"),
                       head.Get("sec-websocket-key"));
  if (check.status != 0) {
    std::string out;
    ws::AppendUpgradeRefusal(&out, check);
    shard_->metrics().Rejected(StatusOf(out));
    loop.SendCopy(*conn_, out);
    state_ = State::kDone;
    loop.CloseAfterFlush(*conn_, 1000);
    return;
  }
  std::string response;
  ws::AppendUpgradeResponse(&response, ws::ComputeAcceptKey(head.Get("sec-websocket-key")));
  loop.SendCopy(*conn_, response);

  protocols::WsSession* next;
  ConnProtocol protocol = ConnProtocol::kPusher;
  if (kind == WsKind::kEcho) {
    next = new protocols::EchoSession(&shard_->env(), *conn_);
    protocol = ConnProtocol::kEcho;
  } else if (kind == WsKind::kRealtime) {
    // The token is checked here, before the session exists: the session closes a bad one at
    // once with the documented code (a browser sees close codes, not HTTP statuses).
    std::string token;
    std::vector<http::QueryParam> params;
    if (http::ParseQuery(head.query, &params, /*plus_as_space=*/false)) {
      for (const http::QueryParam& p : params) {
        if (p.key == "token") token = p.value;
      }
    }
    apps::dontcode::RealtimeGrant grant;
    const apps::dontcode::TokenCheck check =
        apps::dontcode::VerifyToken(shard_->env().apps(), token, util::WallSeconds(), &grant);
    next = new apps::dontcode::RealtimeSession(&shard_->env(), &shard_->realtime_shared(), *conn_,
                                               std::move(grant), check);
    protocol = ConnProtocol::kRealtime;
  } else if (kind == WsKind::kDialogue) {
    next = new protocols::socketio::DialogueSession(&shard_->env(), &shard_->dialogue_shared(),
                                                    *conn_);
    protocol = ConnProtocol::kSocketIo;
  } else {
    std::string_view key;
    (void)AppKeyFromPath(head.path, &key);
    uint32_t app = shard_->env().apps().IndexByKey(key);
    uint16_t refuse = 0;
    std::string reason;
    std::vector<http::QueryParam> params;
    std::string_view protocol;
    if (http::ParseQuery(head.query, &params, /*plus_as_space=*/true)) {
      for (const http::QueryParam& p : params) {
        if (p.key == "protocol") protocol = p.value;
      }
    }
    if (app != engine::AppRegistry::kNone) {
      refuse = protocols::pusher::wire::CheckProtocolVersion(protocol, &reason);
    }
    next = new protocols::pusher::PusherSession(&shard_->env(), &shard_->pusher_shared(), *conn_,
                                                app, refuse, std::move(reason));
  }
  state_ = State::kDone;
  shard_->metrics().ConnectionClosed(ConnProtocol::kHttp);
  shard_->metrics().ConnectionOpened(protocol);
  std::string rest = buf_.substr(parser_.head_size());
  buf_.clear();
  net::Connection& c = *conn_;
  // Replace first: timers the new session sets must carry its epoch. `this` is deleted at the
  // end of the turn.
  loop.ReplaceSession(c, next);
  if (auto* pusher = dynamic_cast<protocols::pusher::PusherSession*>(next)) pusher->Start();
  if (auto* realtime = dynamic_cast<apps::dontcode::RealtimeSession*>(next)) realtime->Start();
  if (auto* dialogue = dynamic_cast<protocols::socketio::DialogueSession*>(next)) {
    if (upgrade_sid_.empty()) {
      dialogue->Start(upgrade_app_);
    } else {
      dialogue->StartUpgrade(&shard_->eio_polls(), std::move(upgrade_sid_));
    }
  }
  if (!rest.empty() && c.open()) next->OnData(c, rest.data(), rest.size());
}

void HttpFrontSession::StartSse(const http::RequestHead& head) {
  std::string_view key = http::PathSegment(head.path, 1);
  uint32_t app = http::PathSegment(head.path, 2).empty() ? shard_->env().apps().IndexByKey(key)
                                                         : engine::AppRegistry::kNone;
  auto* next = new protocols::sse::SseSession(&shard_->env(), &shard_->sse_shared(), *conn_);
  state_ = State::kDone;
  net::Connection& c = *conn_;
  // Replace first: timers the new session sets must carry its epoch. `this` is deleted at the
  // end of the turn; `head` views point into buf_, which lives until then.
  shard_->env().loop().ReplaceSession(c, next);
  shard_->metrics().ConnectionClosed(ConnProtocol::kHttp);
  shard_->metrics().ConnectionOpened(ConnProtocol::kSse);
  next->Start(app, head.query, head.Get("last-event-id"));
}

bool HttpFrontSession::RouteRealtimeApi(const http::RequestHead& head) {
  const uint32_t app =
      apps::dontcode::RealtimeApi::AppOfBearer(shard_->env().apps(), head.Get("authorization"));
  if (app == engine::AppRegistry::kNone) {
    const bool close = !head.keep_alive || head.content_length > 0 || head.chunked;
    std::string out;
    http::AppendJsonError(&out, 401, "Authorization: Bearer <app secret> required", !close);
    buf_.erase(0, parser_.head_size());
    parser_.Reset();
    AnswerInTurn(std::move(out), close);
    return state_ == State::kHead;
  }
  call_ = NewCall(head);
  call_->bearer_app = app;
  call_->host = std::string(head.Get("host"));
  return ReadCallBody(head);
}

bool HttpFrontSession::RouteImpulse(const http::RequestHead& head) {
  namespace wire = protocols::impulse::wire;
  const config::ImpulseConfig& cfg = shard_->env().config().impulse;
  if (head.method == http::Method::kGet) {
    auto* next =
        new protocols::impulse::ImpulseSession(&shard_->env(), &shard_->impulse_shared(), *conn_);
    state_ = State::kDone;
    net::Connection& c = *conn_;
    // As StartSse: replace first; `head` views live until the end of the turn.
    shard_->env().loop().ReplaceSession(c, next);
    shard_->metrics().ConnectionClosed(ConnProtocol::kHttp);
    shard_->metrics().ConnectionOpened(ConnProtocol::kSse);
    next->Start(head.query);
    return false;
  }
  // (A HEAD answer would carry a body here: it closes the connection after it.)
  bool close = !head.keep_alive || head.content_length > 0 || head.chunked ||
               head.method == http::Method::kHead;
  std::string out;
  if (head.method == http::Method::kOptions) {
    wire::AppendPreflight(&out, cfg, !close);
  } else {
    wire::AppendError(&out, 405, wire::kBadMethod, !close);
  }
  buf_.erase(0, parser_.head_size());
  parser_.Reset();
  AnswerInTurn(std::move(out), close);
  return state_ == State::kHead;
}

api::HttpCall* HttpFrontSession::NewCall(const http::RequestHead& head) const {
  auto* call = new api::HttpCall();
  call->shard = shard_->env().shard_id();
  call->conn_index = conn_->index();
  call->conn_gen = conn_->generation();
  call->keep_alive = head.keep_alive;
  call->method = std::string(head.method_name);
  call->path = std::string(head.path);
  call->query = std::string(head.query);
  call->content_type = std::string(head.Get("content-type"));
  return call;
}

bool HttpFrontSession::ReadCallBody(const http::RequestHead& head) {
  body_.Start(head, shard_->http_limits());
  // `head` views point into buf_: nothing of it is used after this.
  buf_.erase(0, parser_.head_size());
  parser_.Reset();
  state_ = State::kBody;
  return true;
}

bool HttpFrontSession::RouteSocketIo(const http::RequestHead& head,
                                     protocols::socketio::SioApp* app) {
  namespace sio = protocols::socketio;
  sio::EioQuery q;
  sio::EioError error = sio::EioError::kBadRequest;
  bool ws = head.upgrade || head.Has("sec-websocket-key");
  bool close = ws || !head.keep_alive || head.content_length > 0 || head.chunked;
  std::string out;
  if (sio::ParseEioQuery(head.query, &q, &error)) {
    uint32_t owner = 0;
    uint64_t serial = 0;
    const bool known = !q.sid.empty() && shard_->env().socket_ids().Parse(q.sid, &owner, &serial);
    if (q.transport == "websocket") {
      // A new socket, or the upgrade of a polling one of this shard (server/eio_polls.h); the
      // probe of one held by another shard is refused: the client stays on polling.
      if (ws && (q.sid.empty() || (known && owner == shard_->env().shard_id()))) {
        upgrade_sid_ = std::move(q.sid);
        upgrade_app_ = app;
        Upgrade(head, WsKind::kDialogue);
        return false;
      }
      error = ws && !known ? sio::EioError::kSessionIdUnknown : sio::EioError::kBadRequest;
    } else if (q.sid.empty()) {
      if (head.method == http::Method::kGet) {
        shard_->eio_polls().Handshake(&out, !close, app);
      } else {
        error = sio::EioError::kBadHandshakeMethod;
      }
    } else if (!known) {
      error = sio::EioError::kSessionIdUnknown;
    } else if (head.method == http::Method::kGet || head.method == http::Method::kPost) {
      // A poll or a post: to the shard holding the session, through the control plane.
      call_ = NewCall(head);
      call_->eio_shard = owner;
      call_->eio_sid = std::move(q.sid);
      return ReadCallBody(head);
    } else {
      error = sio::EioError::kBadRequest;
    }
  }
  if (out.empty()) sio::AppendEioErrorResponse(&out, error, !close);
  buf_.erase(0, parser_.head_size());
  parser_.Reset();
  AnswerInTurn(std::move(out), close);
  return state_ == State::kHead;
}

void HttpFrontSession::OnReply(api::HttpCall* call) {
  call->answered = true;
  FlushAnswers(/*read_on=*/true);
}

void HttpFrontSession::FlushAnswers(bool read_on) {
  net::IoLoop& loop = shard_->env().loop();
  bool sent = false;
  while (!inflight_.empty() && inflight_.front()->answered) {
    api::HttpCall* call = inflight_.front();
    inflight_.pop_front();
    if (call == datonow_call_) {
      FinishDatonowToken(call);  // the last request read: nothing follows it
      return;
    }
    bool keep_alive = call->keep_alive;
    shard_->metrics().Rejected(StatusOf(call->response));
    loop.SendCopy(*conn_, call->response);
    delete call;
    sent = true;
    if (!keep_alive) {
      // Nothing was read after a Connection: close request, so nothing is left behind it.
      state_ = State::kDone;
      loop.CloseAfterFlush(*conn_, 1000);
      return;
    }
  }
  if (!sent) return;
  idle_since_ms_ = loop.now_ms();
  if (read_on) Process();
}

void HttpFrontSession::Respond(int status, std::string_view content_type, std::string_view body,
                               bool keep_alive) {
  std::string out;
  http::AppendResponse(&out, status, content_type, body, keep_alive);
  net::IoLoop& loop = shard_->env().loop();
  loop.SendCopy(*conn_, out);
  idle_since_ms_ = loop.now_ms();
  if (!keep_alive) {
    state_ = State::kDone;
    loop.CloseAfterFlush(*conn_, 1000);
  }
}

void HttpFrontSession::RespondError(int status, std::string_view message, bool close) {
  std::string out;
  http::AppendJsonError(&out, status, message, !close);
  AnswerInTurn(std::move(out), close);
}

void HttpFrontSession::RefuseApiHead(const http::RequestHead& head, const api::RestHead& rest) {
  // The body is never buffered or hashed. A Content-Length body within the size limit is
  // skipped as it arrives and the connection stays open (HTTP/1.1 keep-alive); a chunked or
  // oversized one ends the connection after the answer (the lingering close discards it).
  uint64_t body_bytes =
      !head.chunked && head.content_length > 0 ? static_cast<uint64_t>(head.content_length) : 0;
  bool skippable = !head.chunked && body_bytes <= shard_->http_limits().max_body_bytes;
  bool keep_alive = head.keep_alive && skippable;
  std::string out;
  api::AppendRestHeadRefusal(&out, rest, keep_alive);
  // `head` views point into buf_: nothing of it is used after this.
  buf_.erase(0, parser_.head_size());
  parser_.Reset();
  AnswerInTurn(std::move(out), !keep_alive);
  if (keep_alive && body_bytes > 0 && state_ == State::kHead) {
    skip_left_ = body_bytes;
    state_ = State::kSkipBody;
  }
}

void HttpFrontSession::AnswerInTurn(std::string response, bool close) {
  if (inflight_.empty()) {
    net::IoLoop& loop = shard_->env().loop();
    shard_->metrics().Rejected(StatusOf(response));
    loop.SendCopy(*conn_, response);
    idle_since_ms_ = loop.now_ms();
    if (close) {
      state_ = State::kDone;
      loop.CloseAfterFlush(*conn_, 1000);
    }
    return;
  }
  // Earlier API answers are outstanding: this one goes out after them, as an answered call.
  auto* call = new api::HttpCall();
  call->keep_alive = !close;
  call->response = std::move(response);
  call->answered = true;
  inflight_.push_back(call);
  if (close) {
    // Nothing after this request is read or answered; FlushAnswers closes after sending it.
    state_ = State::kDraining;
    buf_.clear();
  }
}

}  // namespace ringcast::server
