#include "engine/socket_id.h"

#include <charconv>

namespace ringcast::engine {

std::string SocketIdCodec::Format(uint32_t shard, uint64_t serial) const {
  return std::to_string(salt_ * kMaxShards + shard) + "." + std::to_string(serial);
}

bool SocketIdCodec::Parse(std::string_view id, uint32_t* shard, uint64_t* serial) const {
  size_t dot = id.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == id.size()) return false;
  uint64_t head = 0;
  uint64_t tail = 0;
  const char* end = id.data() + id.size();
  auto r1 = std::from_chars(id.data(), id.data() + dot, head);
  auto r2 = std::from_chars(id.data() + dot + 1, end, tail);
  if (r1.ec != std::errc() || r1.ptr != id.data() + dot || r2.ec != std::errc() || r2.ptr != end) {
    return false;
  }
  if (head / kMaxShards != salt_) return false;
  *shard = static_cast<uint32_t>(head % kMaxShards);
  *serial = tail;
  return true;
}

}  // namespace ringcast::engine
