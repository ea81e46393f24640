// ControlPlane: the one thread that owns REST handling, signature checks and the map of which
// shards have subscribers on which channel (ARCHITECTURE.md "Control plane").
//
// Each turn it drains every shard's queue. Occupancy notes are applied at once; REST requests
// are handled only after one more pass over all queues, so a note that a shard pushed before a
// client could have seen its subscription confirmed is always applied before any REST request
// that this client could have caused (causality through the network crosses shards).
// A publish is encoded once (engine/publication.h) and handed, as one counted reference per
// shard, only to the shards whose bit is set for that channel. Messages for a shard whose queue
// is full wait in a per-shard list; while any waits, no new requests are taken (back-pressure
// reaches the shards' queues, and from there REST clients get 503s), so that list stays
// bounded by one request's worth.
// Thread rules: Start/Join/RequestShutdown from the main thread (RequestShutdown from any);
// everything else on the control-plane thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/pusher_api.h"
#include "config/config.h"
#include "engine/app_registry.h"
#include "engine/occupancy.h"
#include "engine/socket_id.h"
#include "runtime/ring.h"
#include "runtime/shared_buf.h"
#include "server/mesh.h"

namespace ringcast::server {

class ControlPlane : public api::ControlApi {
 public:
  ControlPlane(const config::ServerConfig* config, const engine::AppRegistry* apps,
               const engine::SocketIdCodec* ids, Mesh* mesh);
  ~ControlPlane() override;

  void Start();
  void Join();
  // Any thread: asks every shard to close its clients and stop; Run ends when all have.
  void RequestShutdown();

  // ---- api::ControlApi (control-plane thread) ----
  void Publish(uint32_t app, std::string_view channel, std::string_view event_json,
               uint32_t exclude_shard, uint64_t exclude_serial) override;
  bool IsOccupied(uint32_t app, std::string_view channel) const override;
  void ListOccupied(uint32_t app, std::string_view prefix,
                    std::vector<std::string>* out) const override;
  void CountSubscriptions(uint32_t app, std::vector<std::string> channels,
                          std::function<void(std::vector<uint64_t>)> done) override;
  void Answer(engine::HttpCall* call) override;

 private:
  void Run();
  // Pops every shard queue once: applies notes, appends requests to `requests`.
  void DrainPass(std::vector<engine::Message>* requests);
  void HandleRequest(const engine::Message& m);
  void ApplyNote(uint32_t shard, engine::ChannelNote* note);  // frees the note
  void OnCountReply(engine::CountQuery* query);
  void SendToShard(uint32_t shard, const engine::Message& m);
  // Hands `buf` (holding one reference per set bit) to every shard in `mask`.
  void SendPublication(runtime::SharedBuf* buf, uint64_t mask);
  bool FlushStalled();
  void WakeShards();
  bool QueuesEmpty() const;

  const config::ServerConfig* config_;
  Mesh* mesh_;
  size_t shard_count_;
  api::PusherApi pusher_api_;
  engine::Occupancy occupancy_;
  std::vector<std::deque<engine::Message>> stalled_;  // per shard
  std::vector<bool> shard_dirty_;                     // pushed since the last wake
  std::atomic<bool> shutdown_requested_{false};
  bool shutdown_sent_ = false;
  size_t shards_done_ = 0;
  runtime::Ring ring_;
  uint64_t wake_buf_ = 0;
  std::thread thread_;
};

}  // namespace ringcast::server
