// PusherApi: the Pusher Channels HTTP API (/apps/{app_id}/...) served on the control plane.
//
// Every request is routed and authenticated from its head (api/request_head.h: the same checks
// the shard ran before reading the body; Pusher's query signature, auth/request_signature.h)
// before its body is looked at; then the body is checked against body_md5. Implemented: POST
// events, POST batch_events, GET channels, GET channels/{name}. `info=subscription_count` needs
// counts that only the shards know: the answer is then deferred until the control plane has
// gathered them (ControlApi). A publish is validated as a whole (names, sizes, channel counts)
// before any part of it is sent, so a 4xx answer means nothing was published; a 2xx answer means
// every event was handed to every shard with subscribers, in request order.
// Errors are answered with a JSON body {"error": "...", "code": N}.
// Thread rules: the control-plane thread only.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "engine/app_registry.h"
#include "engine/messages.h"
#include "engine/socket_id.h"

namespace ringcast::api {

// What the REST handlers need from the control plane.
class ControlApi {
 public:
  virtual ~ControlApi() = default;
  // Hands one event (its complete Pusher JSON) on `channel` to every shard with subscribers.
  virtual void Publish(uint32_t app, std::string_view channel, std::string_view event_json,
                       uint32_t exclude_shard, uint64_t exclude_serial) = 0;
  virtual bool IsOccupied(uint32_t app, std::string_view channel) const = 0;
  // Appends the occupied channels of `app` whose names start with `prefix`.
  virtual void ListOccupied(uint32_t app, std::string_view prefix,
                            std::vector<std::string>* out) const = 0;
  // Counts the connections subscribed to each of `channels` over every shard, then calls `done`
  // with the totals (same order) on the control-plane thread, maybe before returning.
  virtual void CountSubscriptions(uint32_t app, std::vector<std::string> channels,
                                  std::function<void(std::vector<uint64_t>)> done) = 0;
  // Sends the response of a call whose answer Handle() deferred.
  virtual void Answer(engine::HttpCall* call) = 0;
};

class PusherApi {
 public:
  PusherApi(const engine::AppRegistry* apps, const config::ServerConfig* config,
            const engine::SocketIdCodec* ids, ControlApi* control)
      : apps_(apps), config_(config), ids_(ids), control_(control) {}

  // True if `path` belongs to this API.
  static bool Matches(std::string_view path) { return path.substr(0, 6) == "/apps/"; }

  // Answers `call`: fills call->response and returns true, or returns false when the answer
  // needs subscription counts from the shards; it is then filled later and handed to
  // ControlApi::Answer. `now_s` is the wall clock for signature checks.
  [[nodiscard]] bool Handle(engine::HttpCall* call, int64_t now_s);

 private:
  struct Event;
  bool HandleEvents(engine::HttpCall* call, uint32_t app, bool batch);
  bool HandleChannels(engine::HttpCall* call, uint32_t app, const std::vector<std::string>& seg);
  void Reply(engine::HttpCall* call, int status, std::string_view json);
  void Error(engine::HttpCall* call, int status, std::string_view message);

  const engine::AppRegistry* apps_;
  const config::ServerConfig* config_;
  const engine::SocketIdCodec* ids_;
  ControlApi* control_;
  simdjson::dom::parser parser_;  // reused: its buffers grow to the largest body seen
  std::string scratch_;
};

}  // namespace ringcast::api
