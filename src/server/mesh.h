// Mesh: the queues and wakers that connect the control plane and the shards.
//
// One bounded SPSC queue per ordered pair that talks: control -> shard i (publishes, HTTP
// replies, commands) and shard i -> control (HTTP requests, occupancy notes, client events),
// and one Waker per consumer thread. Messages are typed per direction (server/messages.h). Created on the main thread before any other thread starts;
// each queue then has exactly one producer thread and one consumer thread, named below.
#pragma once

#include <memory>
#include <vector>

#include "server/messages.h"
#include "runtime/spsc_queue.h"
#include "runtime/waker.h"

namespace ringcast::server {

// Control -> shard: deep enough for a burst of publishes from one REST batch to every shard.
using ToShardQueue = runtime::SpscQueue<ToShard, 16384>;
// Shard -> control.
using ToControlQueue = runtime::SpscQueue<ToControl, 4096>;

struct Mesh {
  explicit Mesh(size_t shards) {
    for (size_t i = 0; i < shards; ++i) {
      to_shard.push_back(std::make_unique<ToShardQueue>());
      to_control.push_back(std::make_unique<ToControlQueue>());
      shard_wakers.push_back(std::make_unique<runtime::Waker>());
    }
  }
  std::vector<std::unique_ptr<ToShardQueue>> to_shard;      // producer: control; consumer: shard i
  std::vector<std::unique_ptr<ToControlQueue>> to_control;  // producer: shard i; consumer: control
  std::vector<std::unique_ptr<runtime::Waker>> shard_wakers;
  runtime::Waker control_waker;
};

}  // namespace ringcast::server
