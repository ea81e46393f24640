// Cross-thread messages: what travels in the SPSC queues between the control plane and shards.
//
// A Message is 24 bytes, copied by value into a queue slot. Larger payloads travel by pointer:
//   kPublish     control -> shard  ptr: runtime::SharedBuf* holding a Publication; the message
//                                  carries one reference, the shard releases it.
//   kHttpRequest shard -> control  ptr: HttpCall* allocated by the shard; control fills in the
//                                  response and sends the same pointer back as kHttpReply, and
//                                  the shard frees it (memory is freed where it was allocated).
//   kHttpReply   control -> shard  ptr: HttpCall*.
//   kChannelNote shard -> control  ptr: ChannelNote*; ownership moves to the control plane,
//                                  which frees it (a small, rare message: occupancy changes).
//   kClientEvent shard -> control  ptr: runtime::SharedBuf* holding a Publication built by the
//                                  shard (one reference); the control plane adds one reference
//                                  per receiving shard and forwards it as kPublish.
//   kCountQuery  control -> shard  ptr: CountQuery*; the shard writes its own counts and sends
//                                  the same pointer back as kCountReply; the control plane,
//                                  which allocated it, frees it after the last reply.
//   kShutdown    control -> shard  u64: grace period in ms for spreading client closes.
//   kShardDone   shard -> control  the shard closed its last connection and stops.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ringcast::engine {

enum class MsgType : uint8_t {
  kPublish = 1,
  kHttpReply,
  kShutdown,
  kHttpRequest,
  kChannelNote,
  kShardDone,
  kClientEvent,
  kCountQuery,
  kCountReply,
};

struct Message {
  MsgType type;
  uint32_t shard;
  uint64_t u64;
  void* ptr;
};
static_assert(sizeof(Message) == 24);

// A REST request moved from a shard to the control plane, and its answer.
struct HttpCall {
  // Request, filled by the shard.
  uint32_t shard = 0;
  uint32_t conn_index = 0;
  uint32_t conn_gen = 0;
  bool keep_alive = true;
  std::string method;
  std::string path;   // raw, undecoded
  std::string query;  // raw, without '?'
  std::string content_type;
  std::string body;
  // Answer, filled by the control plane: complete HTTP response bytes.
  std::string response;
  // Set by the HTTP session when the answer is back (or it answered 503 itself); with
  // pipelining the answer may wait behind an earlier request's, and the session owns the call
  // from then on.
  bool answered = false;
};

// Subscriptions per channel over the shards (REST info=subscription_count). `counts` has one
// row per shard; shard s writes only counts[s * channels.size() + i]. The control plane owns the
// rest (pending replies, what to do with the totals).
struct CountQuery {
  uint32_t app = 0;
  std::vector<std::string> channels;
  std::vector<uint64_t> counts;
  uint32_t pending = 0;
  std::function<void(std::vector<uint64_t>)> done;
};

// A channel gained its first or lost its last member on a shard.
struct ChannelNote {
  uint32_t app = 0;
  bool occupied = false;
  std::string name;
};

}  // namespace ringcast::engine
