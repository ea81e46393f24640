// SocketIdCodec: Pusher socket ids ("digits.digits") that say which shard owns a connection.
//
// Format: "<salt * 1000 + shard>.<serial>", where salt is random per process start (so ids from
// an earlier run or another node are not mistaken for ours) and serial is the connection's
// per-shard serial. Parse() recovers (shard, serial) from an id this process issued, which is how
// a REST trigger's socket_id exclusion finds its connection without any shared table. A single
// node draws the salt from [1, 2,000,000]; a cluster node (`wide`) from [1, 2^40), so that ids of
// live nodes practically never share a salt (docs/cluster.md, "Publishing"), while the first
// part stays below 2^53 (exact as a JavaScript number).
// Immutable after construction; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast::engine {

class SocketIdCodec {
 public:
  static constexpr uint32_t kMaxShards = 1000;

  explicit SocketIdCodec(uint64_t salt, bool wide = false)
      : salt_(salt % (wide ? (uint64_t{1} << 40) - 1 : 2000000) + 1) {}

  std::string Format(uint32_t shard, uint64_t serial) const;
  // True when `id` is well formed and was issued by this process.
  bool Parse(std::string_view id, uint32_t* shard, uint64_t* serial) const;

 private:
  uint64_t salt_;
};

}  // namespace ringcast::engine
