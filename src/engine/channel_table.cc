#include "engine/channel_table.h"

#include <bit>
#include <cstdlib>

#include "util/log.h"

namespace ringcast::engine {

Subscriber::~Subscriber() {
  if (count_ >= 2) std::free(many_);
}

bool Subscriber::IsSubscribed(const Channel* channel) const {
  const Ref* r = refs();
  for (uint32_t i = 0; i < count_; ++i) {
    if (r[i].channel == channel) return true;
  }
  return false;
}

void Subscriber::Append(Ref ref) {
  if (count_ == 0) {
    one_ = ref;
  } else if (count_ == 1 || std::has_single_bit(count_)) {
    // Full (inline, or a heap array of exactly bit_ceil(count_) entries or more): twice as many.
    auto* grown = static_cast<Ref*>(std::malloc(sizeof(Ref) * count_ * 2));
    RC_CHECK(grown != nullptr);
    const Ref* old = refs();
    for (uint32_t i = 0; i < count_; ++i) grown[i] = old[i];
    if (count_ >= 2) std::free(many_);
    many_ = grown;
    many_[count_] = ref;
  } else {
    many_[count_] = ref;
  }
  ++count_;
}

void Subscriber::PopBack() {
  --count_;
  if (count_ == 1) {
    Ref last = many_[0];
    std::free(many_);
    one_ = last;
  }
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
  uint32_t slot = sub->count_;
  channel->members.push_back({sub->conn(), sub, slot, sub->format(), held});
  sub->Append({channel, pos});
  return {channel, created, false};
}

bool ChannelTable::SetHeld(Subscriber* sub, Channel* channel, bool held) {
  const Subscriber::Ref* refs = sub->refs();
  for (uint32_t i = 0; i < sub->count_; ++i) {
    const Subscriber::Ref& r = refs[i];
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
    last.sub->refs()[last.slot].pos = pos;
  }
}

void ChannelTable::RemoveRef(Subscriber* sub, uint32_t slot) {
  Subscriber::Ref last = sub->refs()[sub->count_ - 1];
  if (slot < sub->count_ - 1) {
    sub->refs()[slot] = last;
    last.channel->members[last.pos].slot = slot;
  }
  sub->PopBack();
}

}  // namespace ringcast::engine
