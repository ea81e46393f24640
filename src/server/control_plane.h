// ControlPlane: the one thread that owns REST handling, signature checks and the map of which
// shards have subscribers on which channel (ARCHITECTURE.md "Control plane").
//
// Each turn it drains every shard's queue. Occupancy notes are applied at once; REST requests
// and client events are handled only after one more pass over all queues, so a note that a
// shard pushed before a client could have seen its subscription confirmed is always applied
// before any request that this client could have caused (causality through the network crosses
// shards). Shards push such a note into the queue before confirming (server/control_outbox.h),
// so it never waits in a shard's backlog.
// A request is decided by api::PusherApi, which returns the events to publish; each (event,
// channel) is numbered by the channel's sequence counter (engine/occupancy.h), built once into a
// protocol-neutral publication (engine/publication.h) and handed, as one counted reference per
// shard, only to the shards whose bit is set for that channel; shards encode it per wire format.
// Messages for a shard whose queue is full wait in that shard's `stalled_` list, in order. When
// kMaxStalled messages wait in all, the control plane takes no new requests: it stops popping
// the shards' queues (back-pressure reaches them, and from there REST clients get 503s and
// client events are dropped) and stops handling the requests it already holds, so `stalled_`
// stays below kMaxStalled plus one request's publishes per shard. Every spill is counted
// (stats()).
// Thread rules: Start/Join/RequestShutdown from the main thread (RequestShutdown from any);
// stats() from any thread; everything else on the control-plane thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/pusher_api.h"
#include "config/config.h"
#include "engine/app_registry.h"
#include "engine/history.h"
#include "engine/occupancy.h"
#include "engine/publication.h"
#include "engine/socket_id.h"
#include "runtime/ring.h"
#include "runtime/shared_buf.h"
#include "server/mesh.h"
#include "server/queue_stats.h"

namespace ringcast::server {

class ControlPlane {
 public:
  // Messages waiting for full shard queues before the control plane stops taking requests.
  static constexpr size_t kMaxStalled = 65536;

  ControlPlane(const config::ServerConfig* config, const engine::AppRegistry* apps,
               const engine::SocketIdCodec* ids, Mesh* mesh);
  ~ControlPlane();

  void Start();
  void Join();
  // Any thread: asks every shard to close its clients and stop; Run ends when all have.
  void RequestShutdown();

  // Any thread.
  ControlStats stats() const;

 private:
  void Run();
  // Pops every shard queue once: applies notes, appends requests and client events to `out`.
  void DrainPass(std::deque<ToControl>* out);
  void HandleRequest(const ToControl& m);
  void ApplyNote(uint32_t shard, ChannelNote* note);  // frees the note
  void Publish(const engine::PublishRequest& req);
  void CountSubscriptions(uint32_t app, std::vector<std::string> channels,
                          std::function<void(std::vector<uint64_t>)> done);
  void OnCountReply(CountQuery* query);
  void Answer(api::HttpCall* call);
  void SendToShard(uint32_t shard, const ToShard& m);
  // Hands `buf` (holding one reference per set bit) to every shard in `mask`.
  void SendPublication(runtime::SharedBuf* buf, uint64_t mask);
  bool FlushStalled();
  void WakeShards();
  bool QueuesEmpty() const;

  const config::ServerConfig* config_;
  Mesh* mesh_;
  size_t shard_count_;
  engine::Occupancy occupancy_;
  engine::History history_;
  uint64_t history_swept_ms_ = 0;
  api::PusherApi pusher_api_;
  std::vector<std::deque<ToShard>> stalled_;  // per shard
  size_t stalled_total_ = 0;
  std::vector<bool> shard_dirty_;  // pushed since the last wake
  std::atomic<bool> shutdown_requested_{false};
  bool shutdown_sent_ = false;
  size_t shards_done_ = 0;
  runtime::Ring ring_;
  uint64_t wake_buf_ = 0;
  StatCounter stalled_spills_;
  StatCounter stalled_now_;
  StatCounter stalled_peak_;
  StatCounter paused_turns_;
  std::thread thread_;
};

}  // namespace ringcast::server
