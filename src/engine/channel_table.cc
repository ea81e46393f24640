#include "engine/channel_table.h"

namespace ringcast::engine {

bool Subscriber::IsSubscribed(const Channel* channel) const {
  for (const Ref& r : refs_) {
    if (r.channel == channel) return true;
  }
  return false;
}

ChannelTable::SubscribeResult ChannelTable::Subscribe(uint32_t app, std::string_view name,
                                                      Subscriber* sub, bool held) {
  Map& map = by_app_[app];
  auto it = map.find(name);
  bool created = false;
  Channel* channel;
  if (it == map.end()) {
    auto owned = std::make_unique<Channel>();
    owned->app = app;
    owned->name = std::string(name);
    channel = owned.get();
    map.emplace(owned->name, std::move(owned));
    created = true;
  } else {
    channel = it->second.get();
    if (sub->IsSubscribed(channel)) return {channel, false, true};
  }
  auto pos = static_cast<uint32_t>(channel->members.size());
  auto slot = static_cast<uint32_t>(sub->refs_.size());
  channel->members.push_back({sub->conn(), sub, slot, sub->format(), held});
  sub->refs_.push_back({channel, pos});
  return {channel, created, false};
}

bool ChannelTable::SetHeld(Subscriber* sub, Channel* channel, bool held) {
  for (const Subscriber::Ref& r : sub->refs_) {
    if (r.channel == channel) {
      channel->members[r.pos].held = held;
      return true;
    }
  }
  return false;
}

Channel* ChannelTable::Find(uint32_t app, std::string_view name) {
  Map& map = by_app_[app];
  auto it = map.find(name);
  return it == map.end() ? nullptr : it->second.get();
}

size_t ChannelTable::channel_count() const {
  size_t n = 0;
  for (const Map& m : by_app_) n += m.size();
  return n;
}

void ChannelTable::RemoveMember(Channel* channel, uint32_t pos) {
  Member last = channel->members.back();
  channel->members.pop_back();
  if (pos < channel->members.size()) {
    channel->members[pos] = last;
    last.sub->refs_[last.slot].pos = pos;
  }
}

void ChannelTable::RemoveRef(Subscriber* sub, uint32_t slot) {
  Subscriber::Ref last = sub->refs_.back();
  sub->refs_.pop_back();
  if (slot < sub->refs_.size()) {
    sub->refs_[slot] = last;
    last.channel->members[last.pos].slot = slot;
  }
}

}  // namespace ringcast::engine
