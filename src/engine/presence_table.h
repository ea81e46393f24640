// PresenceTable: the members of every presence channel, over all shards, keyed by user id.
//
// Lives on the control plane, the one place that sees every shard's joins and leaves in order,
// so counts and member lists are exact across shards. Per (app, channel): user id -> {user info
// (JSON text of the user's first connection), number of connections}. A user with several
// connections is one member: Join reports kAdded only for the first connection, Leave reports
// true only after the last. A leave of a connection that is not recorded (its join was refused)
// changes nothing. A channel with no member is not stored. Joins that would add a
// member beyond `max_members` are refused (kFull); further connections of a member are never
// refused. Protocol-neutral: user info is opaque bytes.
// Thread rules: the control-plane thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/string_map.h"

namespace ringcast::engine {

class PresenceTable {
 public:
  explicit PresenceTable(size_t app_count) : by_app_(app_count) {}

  enum class JoinOutcome { kAdded, kAlreadyMember, kFull };
  struct ConnKey {
    uint32_t shard = 0;
    uint64_t serial = 0;
    bool operator==(const ConnKey&) const = default;
  };
  JoinOutcome Join(uint32_t app, std::string_view channel, std::string_view user_id,
                   std::string_view user_info, ConnKey conn, uint32_t max_members);
  // Connection `conn` of `user_id` left. True when it was the user's last (the member is gone).
  bool Leave(uint32_t app, std::string_view channel, std::string_view user_id, ConnKey conn);

  // Distinct users on the channel (0 when none).
  size_t UserCount(uint32_t app, std::string_view channel) const;
  // Connections of one user on the channel (0 when not a member).
  uint32_t Connections(uint32_t app, std::string_view channel, std::string_view user_id) const;

  // f(user_id, user_info) for every member, in no particular order.
  template <typename F>
  void ForEachMember(uint32_t app, std::string_view channel, F&& f) const {
    const auto& map = by_app_[app];
    auto it = map.find(channel);
    if (it == map.end()) return;
    for (const auto& [id, m] : it->second) f(std::string_view(id), std::string_view(m.info));
  }

  size_t channel_count(uint32_t app) const { return by_app_[app].size(); }

  // f(channel, user_id, user_info, connections) for every member of every channel of `app`.
  template <typename F>
  void ForEachEntry(uint32_t app, F&& f) const {
    for (const auto& [channel, members] : by_app_[app]) {
      for (const auto& [id, m] : members) {
        f(std::string_view(channel), std::string_view(id), std::string_view(m.info),
          static_cast<uint32_t>(m.conns.size()));
      }
    }
  }

 private:
  struct MemberEntry {
    std::string info;
    std::vector<ConnKey> conns;
  };
  using Members = util::StringMap<MemberEntry>;
  std::vector<util::StringMap<Members>> by_app_;
};

}  // namespace ringcast::engine
