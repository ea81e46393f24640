// SocketIdCodec: Pusher socket ids ("digits.digits") that say which shard owns a connection.
//
// Format: "<salt * 1000 + shard>.<serial>", where salt is random per process start (so ids from
// an earlier run or another node are not mistaken for ours) and serial is the connection's
// per-shard serial. Parse() recovers (shard, serial) from an id this process issued, which is how
// a REST trigger's socket_id exclusion finds its connection without any shared table.
// Immutable after construction; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast::engine {

class SocketIdCodec {
 public:
  static constexpr uint32_t kMaxShards = 1000;

  explicit SocketIdCodec(uint64_t salt) : salt_(salt % 2000000 + 1) {}

  std::string Format(uint32_t shard, uint64_t serial) const;
  // True when `id` is well formed and was issued by this process.
  bool Parse(std::string_view id, uint32_t* shard, uint64_t* serial) const;

 private:
  uint64_t salt_;
};

}  // namespace ringcast::engine
