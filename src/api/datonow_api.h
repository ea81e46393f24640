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
// POST /api/trigger, which api/datonow_trigger.h handles). Sockets are not built.
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

  const engine::AppRegistry* apps_;
  store::Wal* wal_;
  std::vector<uint64_t> next_id_;                       // per app index
  std::vector<uint64_t> next_token_id_;                 // per app index
  std::vector<size_t> messages_;                        // per app index: stored, expired included
  std::vector<size_t> tokens_;                          // per app index
  uint64_t refused_full_ = 0;
  std::unordered_map<std::string, TokenRef> by_token_;  // 64-hex token -> its record
  int64_t last_purge_ms_ = 0;
  // Rate limit: per app, its datonow_api_requests_per_minute (else the server-wide value).
  AppRateLimiter limiter_;
};

}  // namespace ringcast::api
