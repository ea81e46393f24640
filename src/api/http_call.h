// HttpCall: one REST request moved from a shard to the control plane, and its answer.
//
// Memory: allocated by the shard's HTTP session (server/http_front.cc), which fills the request
// part; it travels to the control plane (server/messages.h ToControl::Request) and back
// (ToShard::Reply) as the same pointer, and is freed on the shard where it was allocated: by
// the session after writing the answer, or by the shard when the connection is gone.
// Thread rules: one thread at a time: the shard until it is pushed, the control plane until the
// answer is pushed back, then the shard again.
#pragma once

#include <cstdint>
#include <string>

namespace ringcast::api {

struct HttpCall {
  // Request, filled by the shard.
  uint32_t shard = 0;
  uint32_t conn_index = 0;
  uint32_t conn_gen = 0;
  bool keep_alive = true;
  std::string method;
  std::string path;   // raw, undecoded
  std::string query;  // raw, without '?'
  std::string content_type;
  std::string datonow_app_id;  // X-Datonow-App-Id / X-Datonow-Token (/api/... requests only)
  std::string datonow_token;
  std::string datonow_signature;  // X-Datonow-Signature (/api/... requests only)
  std::string body;
  // /api/claw/... (MoChat, apps/mochat/mochat_api.h): X-Claw-Token, and X-Claw-App (the id of
  // the app a selfRegister registers in; "": the first app).
  std::string claw_token;
  std::string claw_app;
  // The Host header (the DontCode realtime token's url is built from it).
  std::string host;
  // /realtime/... (apps/dontcode/realtime_api.h): the app whose secret the Bearer carried, as the
  // shard checked it before reading the body. UINT32_MAX: not checked / none.
  uint32_t bearer_app = UINT32_MAX;
  // Answer, filled by the control plane: complete HTTP response bytes.
  std::string response;
  // GET /ws?token= (a Datonow token socket, server/datonow_front.cc): when the token is good
  // the control plane leaves `response` empty and names the token's app and id here.
  uint32_t socket_app = 0;
  uint64_t socket_token = 0;
  // GET /ws?token=: the peer's address for the per-IP socket budget (filled by the shard; empty
  // when unknown: not limited), and the control plane's verdict: > 0 when the socket is over
  // the budget (`response` stays empty; the shard upgrades and closes it with 4429, retry in
  // this many seconds) and nothing was written.
  std::string peer_ip;
  int64_t ws_retry_after_s = 0;
  // The Datonow rate limits (the app's REST budget, a token socket's per-IP budget) counted
  // this call already: cluster mode runs a call again after a store conflict, and counts it once.
  bool limits_counted = false;
  // Engine.IO long-polling (a GET or POST with a sid, server/eio_polls.h): the shard holding
  // the session, to which the control plane passes the call; kNoShard: not such a request.
  static constexpr uint32_t kNoShard = UINT32_MAX;
  uint32_t eio_shard = kNoShard;
  std::string eio_sid;
  // Set by the HTTP session when the answer is back (or it answered 503 itself); with
  // pipelining the answer may wait behind an earlier request's, and the session owns the call
  // from then on.
  bool answered = false;
};

}  // namespace ringcast::api
