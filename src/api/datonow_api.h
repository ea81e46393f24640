// DatonowApi: the Datonow notification REST API on the control plane (docs/protocols/datonow.md),
// stored in the write-ahead log (docs/store.md).
//
// Owns: per app, the next notification id (recovered from the store at construction: the
// counter key, written in the same commit as every message, so ids are never reused). The
// messages themselves live in the store's live map under "m<app id>\0<16 hex id>", the counter
// under "c<app id>"; client tokens under "t<app id>\0<16 hex id>" (their id counter "k<app id>").
// per-token state under "s<app id>\0<16 hex message id><16 hex token id>".
// Built so far: auth with the app secret or a client token, client token CRUD, POST
// /api/message (secret: broadcast; token: targeted to that token), GET /api/messages (cursor
// pages, newest first, expired hidden; a token sees broadcasts and its own, with its state),
// DELETE one/all (secret: for everyone; token: hides for itself), delivered/read/read-all,
// purge of expired messages, the per-app REST rate limit (api/rate_limit.h, shared with
// POST /api/trigger, which api/datonow_trigger.h handles), the token sockets' connect check and
// their publications.
// Thread rules: the control-plane thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/http_call.h"
#include "api/rate_limit.h"
#include "engine/app_registry.h"
#include "engine/publication.h"

namespace ringcast::store {
class Wal;
}  // namespace ringcast::store

namespace ringcast::api {

class DatonowApi {
 public:
  // Bounds a client could otherwise grow without end (per-token state is at most one record per
  // message and token). Past them a POST answers 409 and counts in refused_full().
  static constexpr size_t kMaxMessagesPerApp = 10000;
  static constexpr size_t kMaxTokensPerApp = 1000;

  // `requests_per_minute`: the Datonow REST rate limit of an app that sets none (0: none).
  DatonowApi(const engine::AppRegistry* apps, store::Wal* wal, uint32_t requests_per_minute = 0);
  // The per-app budget; POST /api/trigger (api/datonow_trigger.h) counts against it too.
  AppRateLimiter* rate_limiter() { return &limiter_; }

  static bool Matches(std::string_view path) { return path.substr(0, 5) == "/api/"; }

  // Fills call->response. True when it changed the store: the answer must wait for the commit.
  bool Handle(HttpCall* call, int64_t now_ms);
  // The per-(app, IP) budget of new sockets (one for the process, owned by the Server) and the
  // server-wide limits it reads the default from; unset: token sockets are not limited here.
  void SetWsLimiter(IpConnectionLimiter* limiter, const config::Limits* limits) {
    ws_limiter_ = limiter;
    ws_limits_ = limits;
  }
  // Datonow sockets (docs/protocols/datonow.md, "Sockets"). GET /ws?token=, cheapest first: a
  // read-only store 503; an unknown or deleted token 403; the socket budget of the token's app
  // for call->peer_ip (over it: call->ws_retry_after_s set, nothing written, false); only then
  // the accepted token's lastSeenAt is stored (true: the answer waits for the commit), with
  // call->socket_app/socket_token set and an empty response. `now_ms` is wall-clock time (for
  // lastSeenAt), `mono_ms` monotonic (the limiter's clock, the shards' loop clock).
  bool ConnectToken(HttpCall* call, int64_t now_ms, int64_t mono_ms);
  // What the token sockets must receive because of the requests handled since the last call
  // (new notifications, token deletions): published by the control plane once durable.
  std::vector<engine::PublishRequest> TakePublications() { return std::move(pubs_); }
  // A token channel (engine/datonow_channels.h) got a member while its token is gone (deleted
  // between the socket's check and its subscription): *close closes it.
  bool OrphanedTokenChannel(uint32_t app, std::string_view channel,
                            engine::PublishRequest* close) const;
  // Rebuilds what is kept beside the store (id counters, counts, the token index) from its live
  // map, after the map changed under this object: cluster mode's replication and undo
  // (docs/cluster.md, "The Datonow store"). Drops publications not yet taken.
  void Reindex();
  // Messages in the store (live or expired, not yet purged), for tests.
  size_t stored_messages() const;
  // POSTs refused because the app held kMaxMessagesPerApp messages or kMaxTokensPerApp tokens.
  uint64_t refused_full() const { return refused_full_; }

 private:
  bool HandleAuthed(HttpCall* call, int64_t now_ms);
  struct TokenRef {
    uint32_t app;
    uint64_t id;
  };
  // Who is asking: the app secret (client == 0) or client token `client`.
  bool Post(HttpCall* call, uint32_t app, uint64_t client, int64_t now_ms);
  void List(HttpCall* call, uint32_t app, uint64_t client, int64_t now_ms);
  bool Tokens(HttpCall* call, uint32_t app, std::string_view rest, int64_t now_ms);
  // At most once a second: deletes up to kMaxPurge expired messages. True if it deleted any.
  bool PurgeExpired(int64_t now_ms);
  // Per-token state: POST .../delivered, .../read, read-all; a token's DELETEs hide.
  bool SetState(HttpCall* call, uint32_t app, uint64_t client, std::string_view id_text, char flag,
                int64_t now_ms);
  bool SetAll(HttpCall* call, uint32_t app, uint64_t client, char flag, int64_t now_ms);
  // Deletes a message and every token's state for it.
  bool EraseMessage(uint32_t app, uint64_t id);
  bool DeleteOne(HttpCall* call, uint32_t app, std::string_view id_text);
  bool DeleteAll(HttpCall* call, uint32_t app);

  // For the sockets: a new message (targeted when `client` != 0), a deleted token.
  void QueueNotification(uint32_t app, uint64_t client, std::string_view json);
  void QueueTokenDeleted(uint32_t app, uint64_t id);

  const engine::AppRegistry* apps_;
  store::Wal* wal_;
  std::vector<engine::PublishRequest> pubs_;  // taken after every request
  std::vector<uint64_t> next_id_;                       // per app index
  std::vector<uint64_t> next_token_id_;                 // per app index
  std::vector<size_t> messages_;                        // per app index: stored, expired included
  std::vector<size_t> tokens_;                          // per app index
  uint64_t refused_full_ = 0;
  std::unordered_map<std::string, TokenRef> by_token_;  // 64-hex token -> its record
  int64_t last_purge_ms_ = 0;
  // Rate limit: per app, its datonow_api_requests_per_minute (else the server-wide value).
  AppRateLimiter limiter_;
  IpConnectionLimiter* ws_limiter_ = nullptr;
  const config::Limits* ws_limits_ = nullptr;
};

}  // namespace ringcast::api
