// DatonowSocketApi: POST /api/subscribe and POST /api/unsubscribe (the guide's "Subscribe a
// socket to a channel (SDK-managed)"), on the control plane.
//
// Body: {"appKey": K, "socketId": S, "channel": C, "auth"?: A, "channel_data"?: D}. No
// X-Datonow headers (the guide lists no auth): private and presence channels are authorized by
// `auth`, checked like a socket subscription (HMAC over "<S>:<C>[:<D>]"), on the socket's shard.
// The request is turned into the client message {"event":"datonow:subscribe"|"datonow:
// unsubscribe","data":{"channel":C,"auth":A,"channel_data":D}} and published on the socket's
// internal channel "#datonow-socket-<S>" (engine/datonow_channels.h), which only that appKey
// socket joins; the socket runs it as if it had sent it, so the outcome arrives on the socket
// (datonow:subscription_succeeded / datonow:subscription_error). The answer therefore says only
// what is known here: 202 {"socketId":S,"channel":C,"status":"pending"}. Errors: 400 (body,
// channel name), 403 (unknown appKey), 404 (no such socket connected for that app), 405, 429
// (the app's REST budget, AppRateLimiter: every request whose appKey names a configured app
// counts, a refused one too, like every /api/... route). All JSON {"error", "code"}.
// Thread rules: the control-plane thread (reads the occupancy map).
#pragma once

#include <string>
#include <string_view>

#include "api/http_call.h"
#include "api/rate_limit.h"
#include "engine/app_registry.h"
#include "engine/occupancy.h"
#include "engine/publication.h"
#include "engine/socket_id.h"

namespace ringcast::api {

struct DatonowSubscribeFields {
  std::string app_key;
  std::string socket_id;
  std::string channel;
  std::string auth;          // empty: none
  std::string channel_data;  // empty: none
};

// Parses and checks the body (a JSON object; appKey, socketId and channel non-empty strings;
// auth and channel_data strings or null; also accepted as app_key, socket_id, channel_name,
// channelData; other fields ignored). Returns the error (static text)
// or null.
const char* ParseDatonowSubscribe(std::string_view body, DatonowSubscribeFields* out);

class DatonowSocketApi {
 public:
  // `limiter`: the apps' REST budget (api/datonow_api.h's, shared with every /api/... route);
  // null: not limited.
  DatonowSocketApi(const engine::AppRegistry* apps, const engine::SocketIdCodec* ids,
                   const engine::Occupancy* occupancy, uint32_t max_channel_name_length,
                   AppRateLimiter* limiter)
      : apps_(apps),
        ids_(ids),
        occupancy_(occupancy),
        max_name_(max_channel_name_length),
        limiter_(limiter) {}

  static bool Matches(std::string_view path) {
    return path == "/api/subscribe" || path == "/api/unsubscribe";
  }

  // Fills call->response. True when *out holds the command to publish. In cluster mode
  // (`elsewhere` given), a socket this node does not hold is not refused here: *elsewhere is
  // set, and the caller asks the other nodes (its 404, or the command published and this 202).
  bool Handle(HttpCall* call, int64_t now_ms, engine::PublishRequest* out,
              bool* elsewhere = nullptr);

 private:
  const engine::AppRegistry* apps_;
  const engine::SocketIdCodec* ids_;
  const engine::Occupancy* occupancy_;
  uint32_t max_name_;
  AppRateLimiter* limiter_;
};

}  // namespace ringcast::api
