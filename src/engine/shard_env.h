// ShardEnv: what a protocol session on a shard may use: the shard's loop, its channels, the
// app registry, the config, socket ids, and the line to the control plane for occupancy notes.
//
// It also owns the two operations every protocol shares: subscribe/unsubscribe (which keep the
// control plane's channel-to-shard map right) and Deliver (the fan-out of one publication to
// this shard's members of its channel: one LocalFrame, one counted reference per member).
// Thread rules: the owning shard's thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"
#include "engine/app_registry.h"
#include "engine/channel_table.h"
#include "engine/publication.h"
#include "engine/socket_id.h"
#include "net/io_loop.h"

namespace ringcast::engine {

// The shard's line to the control plane (implemented by the shard, which queues the messages in
// order on its shard -> control queue).
class ControlLink {
 public:
  virtual ~ControlLink() = default;
  // A channel appeared on (occupied) or disappeared from this shard.
  virtual void NoteChannel(uint32_t app, std::string_view name, bool occupied) = 0;
  // A publication made on this shard (a client event) for every shard with subscribers; takes
  // the caller's one reference.
  virtual void ForwardPublication(runtime::SharedBuf* buf) = 0;
};

struct ShardCounters {
  uint64_t publications = 0;  // publications received from the control plane
  uint64_t deliveries = 0;    // frames queued to connections
};

class ShardEnv {
 public:
  ShardEnv(uint32_t shard_id, net::IoLoop* loop, const AppRegistry* apps,
           const config::ServerConfig* config, const SocketIdCodec* ids, ControlLink* control)
      : shard_id_(shard_id),
        loop_(loop),
        apps_(apps),
        config_(config),
        ids_(ids),
        control_(control),
        channels_(apps->size()) {}

  uint32_t shard_id() const { return shard_id_; }
  net::IoLoop& loop() { return *loop_; }
  ChannelTable& channels() { return channels_; }
  const AppRegistry& apps() const { return *apps_; }
  const config::ServerConfig& config() const { return *config_; }
  const config::Limits& limits() const { return config_->limits; }
  const SocketIdCodec& socket_ids() const { return *ids_; }
  bool shutting_down() const { return shutting_down_; }
  void set_shutting_down() { shutting_down_ = true; }
  const ShardCounters& counters() const { return counters_; }
  ControlLink& control() { return *control_; }

  ChannelTable::SubscribeResult Subscribe(uint32_t app, std::string_view name, Subscriber* sub);
  // Returns false if `sub` was not a member of `channel`.
  bool Unsubscribe(Subscriber* sub, Channel* channel);
  void UnsubscribeAll(Subscriber* sub);

  // Queues `frame` to every member of the publication's channel on this shard except the
  // excluded connection. Consumes the caller's reference to `frame`.
  void Deliver(const PublicationView& pub, net::LocalFrame* frame);

 private:
  uint32_t shard_id_;
  net::IoLoop* loop_;
  const AppRegistry* apps_;
  const config::ServerConfig* config_;
  const SocketIdCodec* ids_;
  ControlLink* control_;
  ChannelTable channels_;
  bool shutting_down_ = false;
  ShardCounters counters_;
};

}  // namespace ringcast::engine
