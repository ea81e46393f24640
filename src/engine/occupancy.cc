#include "engine/occupancy.h"

#include "util/log.h"

namespace ringcast::engine {

void Occupancy::Apply(uint32_t app, uint32_t shard, std::string_view channel, bool occupied) {
  RC_CHECK(shard < kMaxShards);
  auto& map = by_app_[app];
  uint64_t bit = uint64_t{1} << shard;
  auto it = map.find(channel);
  if (occupied) {
    if (it == map.end()) {
      map.emplace(std::string(channel), Entry{bit, 0});
    } else {
      it->second.mask |= bit;
    }
  } else if (it != map.end()) {
    it->second.mask &= ~bit;
    if (it->second.mask == 0) map.erase(it);
  }
}

uint64_t Occupancy::Mask(uint32_t app, std::string_view channel) const {
  const auto& map = by_app_[app];
  auto it = map.find(channel);
  return it == map.end() ? 0 : it->second.mask;
}

Occupancy::Route Occupancy::Next(uint32_t app, std::string_view channel) {
  auto& map = by_app_[app];
  auto it = map.find(channel);
  if (it == map.end()) return {};
  return {it->second.mask, ++it->second.last_sequence};
}

void Occupancy::List(uint32_t app, std::string_view prefix, std::vector<std::string>* out) const {
  for (const auto& [name, entry] : by_app_[app]) {
    if (name.compare(0, prefix.size(), prefix) == 0) out->push_back(name);
  }
}

}  // namespace ringcast::engine
