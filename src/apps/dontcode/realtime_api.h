// RealtimeApi: the DontCode realtime REST API on the control plane (docs/protocols/dontcode.md),
// for the server SDK, authenticated with the app secret as a Bearer token:
//   POST /realtime/tokens            {channels, identity?, ttl_s?} -> {url, token, expiresAt}
//   POST /realtime/publish           {channel, data, event?}       -> {delivered: N}
//   GET  /realtime/presence/{channel}                              -> [{id, identity?}]
// The shard checks the Bearer before the body is read (AppOfBearer; a wrong one is 401 there)
// and names the app in the call. This class parses and validates; the control plane publishes
// and counts (a publish's delivered count and a presence list need every shard).
// Thread rules: AppOfBearer any thread; the rest the control-plane thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http_call.h"
#include "engine/app_registry.h"
#include "engine/publication.h"

namespace ringcast::apps::dontcode {

class RealtimeApi {
 public:
  // `max_data_bytes`: a publish's data past it is 413 (limits.max_event_data_bytes).
  RealtimeApi(const engine::AppRegistry* apps, uint32_t max_data_bytes)
      : apps_(apps), max_data_bytes_(max_data_bytes) {}

  // "/realtime/..." other than the socket itself (GET /realtime with an upgrade).
  static bool Matches(std::string_view path) { return path.starts_with("/realtime/"); }

  // The enabled app whose secret `authorization` ("Bearer <secret>") carries; kNone when none
  // (or no Bearer). Compares in constant time per app.
  static uint32_t AppOfBearer(const engine::AppRegistry& apps, std::string_view authorization);

  struct Result {
    enum class Kind { kAnswered, kPublish, kPresence } kind = Kind::kAnswered;
    engine::PublishRequest publish;  // kPublish: answer with AnswerDelivered once counted
    uint32_t app = 0;                // kPresence: list `channel` of `app`, then AnswerPresence
    std::string channel;
  };
  // `call->bearer_app` is the app the shard's check found; `tls` whether the server speaks TLS
  // (the token's url is wss:// then).
  Result Handle(api::HttpCall* call, int64_t now_s, bool tls);

  static void AnswerDelivered(api::HttpCall* call, uint64_t delivered);
  static void AnswerPresence(api::HttpCall* call,
                             const std::vector<std::pair<std::string, std::string>>& members);

 private:
  void MintToken(api::HttpCall* call, int64_t now_s, bool tls);
  bool ParsePublish(api::HttpCall* call, engine::PublishRequest* out);

  const engine::AppRegistry* apps_;
  uint32_t max_data_bytes_;
};

}  // namespace ringcast::apps::dontcode
