// DatonowTrigger: POST /api/trigger, the Datonow signed trigger (docs/protocols/datonow.md,
// "Signed trigger"), on the control plane.
//
// Checks, cheapest first: method (405); X-Datonow-Signature present (401) and well-formed (403);
// the body's appKey alone (400 if absent, 403 if no such app); the app's REST budget
// (AppRateLimiter, shared with api/datonow_api.h: 429); the HMAC-SHA256 of the raw body with the
// app secret, compared in constant time (403); only then the whole body (400/413). A valid
// trigger returns one engine::PublishRequest per event (the control plane publishes it like a
// Pusher REST trigger, so Pusher and Datonow channel clients both get it; socketId is excluded).
// Idempotency: a requestId seen within the window (Limits::datonow_trigger_request_id_window_s)
// answers the first answer again and publishes nothing; a first one is stored in the
// write-ahead log (docs/store.md, `r<app>\0<requestId>`), so the window survives a restart; its
// event is published by the control plane only after that record's commit (TriggerResult).
// Owns: per app, the window's ids in arrival order (rebuilt from the store at construction);
// at most kMaxRequestIdsPerApp, past which a new requestId gets 429 (counted: refused_full()).
// Thread rules: the control-plane thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "api/http_call.h"
#include "api/rate_limit.h"
#include "config/config.h"
#include "engine/app_registry.h"
#include "engine/publication.h"
#include "engine/socket_id.h"

namespace ringcast::store {
class Wal;
}  // namespace ringcast::store

namespace ringcast::api {

struct TriggerResult {
  // Publish each, in order, before the answer (empty unless a first 2xx).
  std::vector<engine::PublishRequest> publications;
  // True when the store changed: the answer waits for the group commit, and so do the
  // publications (a first requestId: published only once its record is durable, never when the
  // commit fails).
  bool wrote = false;
  // A first requestId: its store key.
  std::string request_key;
};

class DatonowTrigger {
 public:
  static constexpr size_t kMaxRequestIdsPerApp = 10000;
  // Expired ids deleted per request at most (the rest by later requests).
  static constexpr size_t kMaxPurgePerRequest = 1000;

  // `wal` may be null: then a trigger without requestId still works, one with it gets 503.
  DatonowTrigger(const engine::AppRegistry* apps, const config::Limits* limits,
                 const engine::SocketIdCodec* ids, store::Wal* wal, AppRateLimiter* limiter);

  static bool Matches(std::string_view path) { return path == "/api/trigger"; }

  [[nodiscard]] TriggerResult Handle(HttpCall* call, int64_t now_ms);

  // Rebuilds the window from the store's live map, after the map changed under this object
  // (cluster mode's replication and undo: docs/cluster.md, "The Datonow store").
  void Reindex();

  // For tests and metrics.
  size_t remembered(uint32_t app) const { return window_[app].size(); }
  uint64_t refused_full() const { return refused_full_; }
  uint64_t replayed() const { return replayed_; }

 private:
  // Deletes up to kMaxPurgePerRequest expired ids of `app`; true if it deleted any.
  bool Purge(uint32_t app, int64_t now_ms);

  const engine::AppRegistry* apps_;
  const config::Limits* limits_;
  const engine::SocketIdCodec* ids_;
  store::Wal* wal_;
  AppRateLimiter* limiter_;
  int64_t window_ms_;
  // Per app: (first ms, store key) in arrival order; an entry whose key was replaced since is
  // skipped when it reaches the front.
  std::vector<std::deque<std::pair<int64_t, std::string>>> window_;
  uint64_t refused_full_ = 0;
  uint64_t replayed_ = 0;
};

}  // namespace ringcast::api
