// PusherApi: the Pusher Channels HTTP API (/apps/{app_id}/...) served on the control plane.
//
// Every request is routed and authenticated from its head (api/request_head.h: the same checks
// the shard ran before reading the body; Pusher's query signature, auth/request_signature.h)
// before its body is looked at; then the body is checked against body_md5. Implemented: POST
// events, POST batch_events, GET channels, GET channels/{name}, GET channels/{name}/users, POST
// users/{id}/terminate_connections. Handle() does no I/O and calls nothing back: it fills the
// answer into the call and returns what the control plane must do
// ({publications, count request}). A publish is validated as a whole (names, sizes, channel
// counts) before anything is returned, so a 4xx answer comes with no publications; with a 2xx
// answer the caller hands every returned event to every shard with subscribers, in order, before
// it sends the answer.
// `info=subscription_count` needs counts only the shards know: the result then carries a count
// request; the caller gathers the counts (after the publications, so they are counted behind
// them) and calls its `finish`, which writes the answer.
// Channel occupancy (GET channels) is read from the control plane's engine::Occupancy, presence
// members and user_count from its engine::PresenceTable (exact over all shards), info=cache
// (cache channels) from its engine::ChannelCache.
// Errors are answered with a JSON body {"error": "...", "code": N}.
// Thread rules: the control-plane thread only.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/dialogue_rules.h"
#include "api/http_call.h"
#include "config/config.h"
#include "engine/app_registry.h"
#include "engine/channel_cache.h"
#include "engine/occupancy.h"
#include "engine/presence_table.h"
#include "engine/publication.h"
#include "engine/socket_id.h"

namespace ringcast::api {

// What the channel queries (GET channels, channels/{name}, channels/{name}/users) read: this
// process's tables (LocalChannelView), or in cluster mode a snapshot of the cluster's state
// that the control plane fetched from Redis.
class ChannelView {
 public:
  virtual ~ChannelView() = default;
  virtual bool IsOccupied(uint32_t app, std::string_view channel) const = 0;
  // Appends the occupied channels whose names start with `prefix`.
  virtual void List(uint32_t app, std::string_view prefix, std::vector<std::string>* out) const = 0;
  virtual size_t UserCount(uint32_t app, std::string_view channel) const = 0;
  virtual void ForEachUser(uint32_t app, std::string_view channel,
                           const std::function<void(std::string_view)>& f) const = 0;
};

class LocalChannelView : public ChannelView {
 public:
  LocalChannelView(const engine::Occupancy* occupancy, const engine::PresenceTable* presence)
      : occupancy_(occupancy), presence_(presence) {}
  bool IsOccupied(uint32_t app, std::string_view channel) const override {
    return occupancy_->IsOccupied(app, channel);
  }
  void List(uint32_t app, std::string_view prefix, std::vector<std::string>* out) const override {
    occupancy_->List(app, prefix, out);
  }
  size_t UserCount(uint32_t app, std::string_view channel) const override {
    return presence_->UserCount(app, channel);
  }
  void ForEachUser(uint32_t app, std::string_view channel,
                   const std::function<void(std::string_view)>& f) const override {
    presence_->ForEachMember(app, channel, [&](std::string_view id, std::string_view) { f(id); });
  }

 private:
  const engine::Occupancy* occupancy_;
  const engine::PresenceTable* presence_;
};

// What the control plane must do for one request, besides sending call->response.
struct ApiResult {
  // Subscriptions to count over every shard before the answer can be written.
  struct CountRequest {
    uint32_t app = 0;
    std::vector<std::string> channels;
    // Called with the totals (same order as `channels`); fills call->response.
    std::function<void(const std::vector<uint64_t>&)> finish;
  };
  // To hand to the shards with subscribers, in order, before the answer (empty unless 2xx).
  std::vector<engine::PublishRequest> publications;
  // Set when the answer waits for counts; call->response is then not filled yet.
  std::optional<CountRequest> count;
  // Set by terminate_connections: close every connection signed in as this user (any shard).
  struct Terminate {
    uint32_t app = 0;
    std::string user_id;
  };
  std::optional<Terminate> terminate;
  // Cluster mode (EnableClusterQueries): a valid, signed channel query whose answer needs the
  // cluster's state. The caller fetches what `kind` names into a ChannelView and calls
  // `finish` with it, which fills call->response (or returns a count request, like Handle).
  struct ClusterQuery {
    enum class Kind { kList, kChannel, kUsers };
    Kind kind = Kind::kList;
    uint32_t app = 0;
    std::string name;  // kList: the filter_by_prefix ("" for all); else the channel
    std::function<ApiResult(const ChannelView&)> finish;
  };
  std::optional<ClusterQuery> cluster_query;
};

class PusherApi {
 public:
  PusherApi(const engine::AppRegistry* apps, const config::ServerConfig* config,
            const engine::SocketIdCodec* ids, const engine::Occupancy* occupancy,
            const engine::PresenceTable* presence, const engine::ChannelCache* cache = nullptr)
      : apps_(apps),
        config_(config),
        ids_(ids),
        presence_(presence),
        cache_(cache),
        local_(occupancy, presence),
        dialogue_rules_(&config->dialogue) {}

  // Cluster mode: channel queries return a ClusterQuery instead of answering from this node.
  void EnableClusterQueries() { cluster_queries_ = true; }
  // The Dialogue rooms' rules, for the Dialogue REST API's triggers (same checks).
  DialogueRules& dialogue_rules() { return dialogue_rules_; }

  // True if `path` belongs to this API.
  static bool Matches(std::string_view path) { return path.substr(0, 6) == "/apps/"; }

  // Decides `call`: fills call->response (unless the result carries a count request) and
  // returns what to publish. `now_s` is the wall clock for signature checks. `call` must stay
  // alive until a count request's `finish` ran.
  [[nodiscard]] ApiResult Handle(HttpCall* call, int64_t now_s);

 private:
  ApiResult HandleEvents(HttpCall* call, uint32_t app, bool batch);
  ApiResult HandleChannels(HttpCall* call, uint32_t app, const std::vector<std::string>& seg,
                           const ChannelView& view);
  void HandleUsers(HttpCall* call, uint32_t app, const std::string& channel,
                   const ChannelView& view);
  static void Reply(HttpCall* call, int status, std::string_view json);
  static bool IsOk(const HttpCall& call);  // the response filled is a 200
  static void Error(HttpCall* call, int status, std::string_view message);

  const engine::AppRegistry* apps_;
  const config::ServerConfig* config_;
  const engine::SocketIdCodec* ids_;
  const engine::PresenceTable* presence_;
  const engine::ChannelCache* cache_;  // null: info=cache answers null
  LocalChannelView local_;
  bool cluster_queries_ = false;
  simdjson::dom::parser parser_;  // reused: its buffers grow to the largest body seen
  DialogueRules dialogue_rules_;  // publishes to Dialogue rooms (api/dialogue_rules.h)
};

}  // namespace ringcast::api
