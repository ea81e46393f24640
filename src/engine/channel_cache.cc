#include "engine/channel_cache.h"

namespace ringcast::engine {

bool ChannelCache::Store(uint32_t app, std::string_view channel, std::string_view event,
                         std::string_view data, uint64_t expires_ms) {
  auto& map = by_app_[app];
  auto it = map.find(channel);
  if (it == map.end()) {
    if (size_ >= max_entries_) {
      ++refused_;
      return false;
    }
    it = map.emplace(std::string(channel), Entry()).first;
    ++size_;
  }
  it->second.event.assign(event);
  it->second.data.assign(data);
  it->second.expires_ms = expires_ms;
  return true;
}

const ChannelCache::Entry* ChannelCache::Find(uint32_t app, std::string_view channel,
                                              uint64_t now_ms) {
  auto& map = by_app_[app];
  auto it = map.find(channel);
  if (it == map.end()) return nullptr;
  if (it->second.expires_ms <= now_ms) {
    map.erase(it);
    --size_;
    return nullptr;
  }
  return &it->second;
}

const ChannelCache::Entry* ChannelCache::Peek(uint32_t app, std::string_view channel,
                                              uint64_t now_ms) const {
  const auto& map = by_app_[app];
  auto it = map.find(channel);
  return it == map.end() || it->second.expires_ms <= now_ms ? nullptr : &it->second;
}

void ChannelCache::Sweep(uint64_t now_ms) {
  for (auto& map : by_app_) {
    for (auto it = map.begin(); it != map.end();) {
      if (it->second.expires_ms <= now_ms) {
        it = map.erase(it);
        --size_;
      } else {
        ++it;
      }
    }
  }
}

}  // namespace ringcast::engine
