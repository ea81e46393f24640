// ChannelTable: one shard's channels and who on this shard subscribes to each.
//
// Owns: per app, a hash map from channel name to Channel; each Channel holds its members in a
// dense array (fan-out walks it front to back, one cache line per few members; each member
// carries its wire format so the walk needs nothing else). Each member
// knows its slot in its Subscriber's list and each Subscriber entry knows its member's position,
// so subscribe, unsubscribe and a connection's teardown are O(1) per channel (swap-remove on
// both sides). A member may be held (it receives nothing until released). A channel exists
// exactly while it has members; the callers tell the control plane when one appears (occupied)
// or disappears (vacated).
// Thread rules: the owning shard's thread only. Membership must not change while a fan-out walks
// a channel (IoLoop defers connection teardown to a safe point of the turn for this reason).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "net/connection.h"
#include "util/string_map.h"

namespace ringcast::engine {

class Subscriber;
struct Channel;

// One subscriber in a channel's dense member array (24 bytes: the fan-out reads only these).
struct Member {
  net::Connection* conn;
  Subscriber* sub;
  uint32_t slot;    // index of this channel in sub->refs()
  uint8_t format;   // the subscriber's wire format (engine/wire_format.h)
  bool held;        // joined but not confirmed yet (presence): the fan-out skips it
};
static_assert(sizeof(Member) == 24, "the fan-out walks members densely");

struct Channel {
  static constexpr uint32_t kNotMarked = UINT32_MAX;
  uint32_t app = 0;
  std::string name;
  std::vector<Member> members;
  // ShardEnv's subscription-count marks: this channel's index in its list of changed channels
  // (kNotMarked: unchanged since the last report), and whether a member joined since.
  uint32_t count_mark = kNotMarked;
  bool count_joined = false;
};

// The channels one connection subscribes to on this shard (embedded in a protocol session), and
// the wire format (engine/wire_format.h FormatId) its protocol receives publications in.
// Compact: one membership is held inline (an idle connection typically has one channel and so
// no heap block); a second moves them to a heap array of a power-of-two size, and the array
// goes again when one membership is left. 32 bytes.
class Subscriber {
 public:
  explicit Subscriber(net::Connection* conn, uint8_t format = 0) : conn_(conn), format_(format) {}
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;
  net::Connection* conn() const { return conn_; }
  uint8_t format() const { return format_; }
  size_t count() const { return count_; }
  bool IsSubscribed(const Channel* channel) const;
  template <typename F>
  void ForEachChannel(F&& f) const {
    for (uint32_t i = 0; i < count_; ++i) f(*refs()[i].channel);
  }

 private:
  friend class ChannelTable;
  struct Ref {
    Channel* channel;
    uint32_t pos;  // index of this subscriber in channel->members
  };
  Ref* refs() { return count_ <= 1 ? &one_ : many_; }
  const Ref* refs() const { return count_ <= 1 ? &one_ : many_; }
  void Append(Ref ref);
  void PopBack();

  net::Connection* conn_;
  union {
    Ref one_;     // count_ <= 1
    Ref* many_;   // count_ >= 2: heap array of at least bit_ceil(count_) entries
  };
  uint32_t count_ = 0;
  uint8_t format_;
};

class ChannelTable {
 public:
  explicit ChannelTable(size_t app_count) : by_app_(app_count) {}

  struct SubscribeResult {
    Channel* channel;
    bool created;  // the channel had no member on this shard before
    bool already;  // the subscriber was already a member (nothing changed)
  };
  // `held`: the member gets no publication until SetHeld(false) (a presence join waits for the
  // control plane's member list; what it would miss meanwhile is in that list).
  SubscribeResult Subscribe(uint32_t app, std::string_view name, Subscriber* sub,
                            bool held = false);
  // Holds or releases `sub`'s membership of `channel`. False if it is not a member.
  bool SetHeld(Subscriber* sub, Channel* channel, bool held);

  // Removes `sub` from `channel`. Returns true if the channel became empty; it is then destroyed
  // after `on_vacated(const Channel&)` ran.
  template <typename F>
  bool Unsubscribe(Subscriber* sub, Channel* channel, F&& on_vacated) {
    for (uint32_t i = 0; i < sub->count_; ++i) {
      if (sub->refs()[i].channel == channel) return RemoveAt(sub, i, on_vacated);
    }
    return false;
  }

  // Removes `sub` from every channel (connection teardown).
  template <typename F>
  void UnsubscribeAll(Subscriber* sub, F&& on_vacated) {
    while (sub->count_ > 0) RemoveAt(sub, sub->count_ - 1, on_vacated);
  }

  Channel* Find(uint32_t app, std::string_view name);
  size_t channel_count() const;
  // Channels of one app on this shard.
  size_t app_channel_count(uint32_t app) const { return by_app_[app].size(); }

 private:
  using Map = util::StringMap<std::unique_ptr<Channel>>;

  template <typename F>
  bool RemoveAt(Subscriber* sub, uint32_t slot, F& on_vacated) {
    Channel* channel = sub->refs()[slot].channel;
    RemoveMember(channel, sub->refs()[slot].pos);
    RemoveRef(sub, slot);
    if (!channel->members.empty()) return false;
    on_vacated(static_cast<const Channel&>(*channel));
    Map& map = by_app_[channel->app];
    map.erase(map.find(channel->name));
    return true;
  }
  static void RemoveMember(Channel* channel, uint32_t pos);
  static void RemoveRef(Subscriber* sub, uint32_t slot);

  std::vector<Map> by_app_;
};

}  // namespace ringcast::engine
