// The Datonow socket routes of HttpFrontSession (GET /ws; docs/protocols/datonow.md, "Sockets"),
// kept out of http_front.cc:
//   ?appKey=<key>   upgraded at once to a DatonowChannelSession (an unknown key is refused on
//                   the socket with 4001, as Pusher's);
//   ?token=<hex>    a token is checked by the control plane before the upgrade (it owns the
//                   tokens): the request travels as an HttpCall with path "/ws"; the control
//                   plane checks the socket budget, then stores the token's lastSeenAt and
//                   answers after the commit, so the 101 goes out only once the connect is
//                   durable; an unknown or deleted token gets 403 (a malformed one 401 here) and
//                   the connection closes. Nothing after the request is read before the answer
//                   (a WebSocket client sends nothing before the 101).
//   both or neither 400.
// Every refusal before the upgrade is JSON {"error", "code"}, a bad handshake (400/426) too.
// The per-(app, IP) budget of new sockets (api::IpConnectionLimiter, one for the process) is
// checked once the app is known: at the upgrade for ?appKey=; for ?token= by the control plane
// (the shard sends the peer address with the call), after the token lookup and before the
// lastSeenAt write, so a refused token socket writes nothing and counts against its own app.
// Over it, the socket is upgraded and closed at once with 4429. The peer address costs one
// getpeername per /ws open; with --descriptors direct (no fd) it is asked of the ring
// (IoLoop::RequestPeerAddress: IORING_OP_FIXED_FD_INSTALL, getpeername, close) and the upgrade
// or the token check waits for it (OnPeerAddress, a loop turn later).
// Thread rules: the owning shard's thread.
#include "api/rate_limit.h"
#include "engine/app_registry.h"
#include "http/query.h"
#include "http/response.h"
#include "protocols/datonow/channel_session.h"
#include "protocols/datonow/token_session.h"
#include "server/http_front.h"
#include "server/shard.h"
#include "util/json_writer.h"
#include "ws/frame_encoder.h"
#include "ws/handshake.h"

namespace ringcast::server {

namespace {
int StatusOfResponse(std::string_view response) {
  if (response.size() < 12 || response.substr(0, 5) != "HTTP/") return 0;
  int st = 0;
  for (size_t i = 9; i < 12; ++i) {
    char ch = response[i];
    if (ch < '0' || ch > '9') return 0;
    st = st * 10 + (ch - '0');
  }
  return st;
}

bool IsLowerHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}
// A failed WebSocket handshake on /ws, as the rest of the Datonow API answers errors: JSON
// {"error", "code"} (the guide's troubleshooting table), with the headers RFC 6455 4.4 and
// RFC 9110 15.5.22 ask of a 426 (Upgrade, Sec-WebSocket-Version: 13); the connection closes.
void AppendDatonowUpgradeRefusal(std::string* out, const ws::UpgradeCheck& check) {
  const int status = check.status == 426 ? 426 : 400;
  std::string body;
  util::JsonObject(&body).Str("error", check.message).Int("code", status).Close();
  if (status != 426) {
    http::AppendResponse(out, status, "application/json", body, /*keep_alive=*/false);
    return;
  }
  // A 426 names the protocol, which makes Connection list "upgrade" (RFC 9110 7.8).
  out->append("HTTP/1.1 426 Upgrade Required\r\nContent-Type: application/json\r\n");
  out->append("Upgrade: websocket\r\nConnection: Upgrade, close\r\nSec-WebSocket-Version: 13\r\n");
  out->append("Content-Length: " + std::to_string(body.size()) + "\r\n\r\n");
  out->append(body);
}

// Refuses a new /ws socket over the per-IP budget: the 101 and a 4429 close frame naming the
// wait are queued and the connection closes after them.
void RefuseOverIpLimit(net::IoLoop& loop, net::Connection& conn, std::string_view ws_key,
                       int64_t retry_after_s) {
  std::string out;
  ws::AppendUpgradeResponse(&out, ws::ComputeAcceptKey(ws_key));
  ws::AppendCloseFrame(&out, api::IpConnectionLimiter::kCloseCode,
                       "Too many new connections from this address; retry in " +
                           std::to_string(retry_after_s) + " s");
  loop.SendCopy(conn, out);
  loop.CloseAfterFlush(conn, 1000);
}

// The per-second socket budget of `app` (0: not limited: no limiter, unknown app, or off).
uint32_t WsBudget(Shard* shard, uint32_t app) {
  if (shard->datonow_shared().ws_limiter == nullptr || app == engine::AppRegistry::kNone) return 0;
  return api::DatonowWsConnectionsPerSecond(shard->env().apps().app(app),
                                            shard->env().config().limits);
}

// Counts a new ?appKey= socket of `app` from `ip`: 0 when allowed, else the Retry-After seconds.
int64_t OverIpLimit(Shard* shard, uint32_t app, std::string_view ip) {
  api::IpConnectionLimiter::Decision d = shard->datonow_shared().ws_limiter->Admit(
      app, ip, WsBudget(shard, app), shard->env().loop().now_ms());
  return d.allowed ? 0 : d.retry_after_s;
}
}  // namespace

void HttpFrontSession::StartDatonow(const http::RequestHead& head) {
  net::IoLoop& loop = shard_->env().loop();
  ws::UpgradeCheck check =
      ws::CheckUpgrade(head.method_name, head.version_minor, head.Get("upgrade"),
                       head.HasToken("connection", "upgrade"), head.Get("sec-websocket-version"),
                       head.Get("sec-websocket-key"));
  if (check.status != 0) {
    std::string out;
    AppendDatonowUpgradeRefusal(&out, check);
    shard_->metrics().Rejected(StatusOfResponse(out));
    loop.SendCopy(*conn_, out);
    state_ = State::kDone;
    loop.CloseAfterFlush(*conn_, 1000);
    return;
  }
  std::string token;
  std::string app_key;
  bool has_token = false;
  bool has_key = false;
  std::vector<http::QueryParam> params;
  if (http::ParseQuery(head.query, &params, /*plus_as_space=*/true)) {
    for (const http::QueryParam& p : params) {
      if (p.key == "token") {
        has_token = true;
        token = std::string(p.value);
      } else if (p.key == "appKey") {
        has_key = true;
        app_key = std::string(p.value);
      }
    }
  }
  if (has_token == has_key) {
    RespondError(400, "GET /ws needs exactly one of ?token= and ?appKey=", /*close=*/true);
    return;
  }
  if (has_token && !IsLowerHex64(token)) {
    RespondError(401, "The token must be 64 lower-case hex characters", /*close=*/true);
    return;
  }
  if (has_token) {
    auto* call = new api::HttpCall();
    call->shard = shard_->env().shard_id();
    call->conn_index = conn_->index();
    call->conn_gen = conn_->generation();
    call->keep_alive = false;
    call->method = "GET";
    call->path = "/ws";
    call->datonow_token = std::move(token);
    ws_key_ = std::string(head.Get("sec-websocket-key"));
    // `head` views point into buf_: nothing of it is used after this.
    buf_.erase(0, parser_.head_size());
    parser_.Reset();
    state_ = State::kDraining;
    datonow_call_ = call;
    // The control plane checks the budget (it knows the token's app) before any store write;
    // the peer address goes with the call (unknown: empty, not limited).
    if (shard_->datonow_shared().ws_limiter != nullptr &&
        !loop.PeerAddress(*conn_, &call->peer_ip) && loop.RequestPeerAddress(*conn_)) {
      peer_wait_ = PeerWait::kToken;  // OnPeerAddress forwards it
      return;
    }
    ForwardDatonowToken();
    return;
  }
  const uint32_t app = shard_->env().apps().IndexByKey(app_key);
  if (WsBudget(shard_, app) != 0) {
    std::string ip;
    if (loop.PeerAddress(*conn_, &ip)) {
      if (const int64_t retry_s = OverIpLimit(shard_, app, ip); retry_s != 0) {
        RefuseOverIpLimit(loop, *conn_, head.Get("sec-websocket-key"), retry_s);
        state_ = State::kDone;
        return;
      }
    } else if (loop.RequestPeerAddress(*conn_)) {
      // A direct descriptor: the upgrade waits for the address (OnPeerAddress).
      ws_key_ = std::string(head.Get("sec-websocket-key"));
      ws_app_ = app;
      buf_.erase(0, parser_.head_size());
      parser_.Reset();
      state_ = State::kDraining;
      peer_wait_ = PeerWait::kAppKey;
      return;
    }
  }
  OpenDatonowChannel(app, head.Get("sec-websocket-key"), parser_.head_size());
}

void HttpFrontSession::ForwardDatonowToken() {
  api::HttpCall* call = datonow_call_;
  inflight_.push_back(call);
  if (!shard_->ForwardHttp(call)) {
    call->response.clear();
    http::AppendJsonError(&call->response, 503, "Server busy, retry later", false);
    call->answered = true;
    FlushAnswers(/*read_on=*/false);
  }
}

void HttpFrontSession::OnPeerAddress(net::Connection& c, std::string_view ip) {
  (void)c;
  const PeerWait wait = peer_wait_;
  peer_wait_ = PeerWait::kNone;
  if (wait == PeerWait::kToken) {
    datonow_call_->peer_ip = std::string(ip);
    ForwardDatonowToken();
    return;
  }
  if (wait != PeerWait::kAppKey) return;
  if (!ip.empty()) {
    if (const int64_t retry_s = OverIpLimit(shard_, ws_app_, ip); retry_s != 0) {
      RefuseOverIpLimit(shard_->env().loop(), *conn_, ws_key_, retry_s);
      state_ = State::kDone;
      return;
    }
  }
  const std::string key = std::move(ws_key_);
  OpenDatonowChannel(ws_app_, key, 0);
}

void HttpFrontSession::OpenDatonowChannel(uint32_t app, std::string_view ws_key, size_t rest_from) {
  net::IoLoop& loop = shard_->env().loop();
  std::string response;
  ws::AppendUpgradeResponse(&response, ws::ComputeAcceptKey(ws_key));
  loop.SendCopy(*conn_, response);
  auto* next = new protocols::datonow::DatonowChannelSession(
      &shard_->env(), &shard_->datonow_shared(), *conn_, app);
  state_ = State::kDone;
  shard_->metrics().ConnectionClosed(ConnProtocol::kHttp);
  shard_->metrics().ConnectionOpened(ConnProtocol::kDatonow);
  std::string rest = buf_.substr(rest_from);
  buf_.clear();
  net::Connection& c = *conn_;
  // Replace first: timers the new session sets must carry its epoch. `this` is deleted at the
  // end of the turn.
  loop.ReplaceSession(c, next);
  next->Start();
  if (!rest.empty() && c.open()) next->OnData(c, rest.data(), rest.size());
}

void HttpFrontSession::FinishDatonowToken(api::HttpCall* call) {
  datonow_call_ = nullptr;
  net::IoLoop& loop = shard_->env().loop();
  if (!call->response.empty()) {
    shard_->metrics().Rejected(StatusOfResponse(call->response));
    loop.SendCopy(*conn_, call->response);
    delete call;
    state_ = State::kDone;
    loop.CloseAfterFlush(*conn_, 1000);
    return;
  }
  if (call->ws_retry_after_s > 0) {
    // Over the per-IP budget (checked by the control plane; nothing was written).
    RefuseOverIpLimit(loop, *conn_, ws_key_, call->ws_retry_after_s);
    delete call;
    state_ = State::kDone;
    return;
  }
  std::string response;
  ws::AppendUpgradeResponse(&response, ws::ComputeAcceptKey(ws_key_));
  loop.SendCopy(*conn_, response);
  auto* next = new protocols::datonow::DatonowTokenSession(
      &shard_->env(), &shard_->datonow_shared(), *conn_, call->socket_app, call->socket_token);
  delete call;
  state_ = State::kDone;
  shard_->metrics().ConnectionClosed(ConnProtocol::kHttp);
  shard_->metrics().ConnectionOpened(ConnProtocol::kDatonow);
  std::string rest = std::move(buf_);
  buf_.clear();
  net::Connection& c = *conn_;
  loop.ReplaceSession(c, next);
  next->Start();
  if (!rest.empty() && c.open()) next->OnData(c, rest.data(), rest.size());
}

}  // namespace ringcast::server
