#include "engine/presence_table.h"

#include <algorithm>

namespace ringcast::engine {

PresenceTable::JoinOutcome PresenceTable::Join(uint32_t app, std::string_view channel,
                                               std::string_view user_id, std::string_view user_info,
                                               ConnKey conn, uint32_t max_members) {
  auto& map = by_app_[app];
  auto it = map.find(channel);
  if (it == map.end()) {
    if (max_members == 0) return JoinOutcome::kFull;
    it = map.emplace(std::string(channel), Members()).first;
  }
  Members& members = it->second;
  auto m = members.find(user_id);
  if (m != members.end()) {
    std::vector<ConnKey>& conns = m->second.conns;
    if (std::find(conns.begin(), conns.end(), conn) == conns.end()) conns.push_back(conn);
    return JoinOutcome::kAlreadyMember;
  }
  if (members.size() >= max_members) {
    if (members.empty()) map.erase(it);
    return JoinOutcome::kFull;
  }
  members.emplace(std::string(user_id), MemberEntry{std::string(user_info), {conn}});
  return JoinOutcome::kAdded;
}

bool PresenceTable::Leave(uint32_t app, std::string_view channel, std::string_view user_id,
                          ConnKey conn) {
  auto& map = by_app_[app];
  auto it = map.find(channel);
  if (it == map.end()) return false;
  Members& members = it->second;
  auto m = members.find(user_id);
  if (m == members.end()) return false;
  std::vector<ConnKey>& conns = m->second.conns;
  auto c = std::find(conns.begin(), conns.end(), conn);
  if (c == conns.end()) return false;
  *c = conns.back();
  conns.pop_back();
  if (!conns.empty()) return false;
  members.erase(m);
  if (members.empty()) map.erase(it);
  return true;
}

size_t PresenceTable::UserCount(uint32_t app, std::string_view channel) const {
  const auto& map = by_app_[app];
  auto it = map.find(channel);
  return it == map.end() ? 0 : it->second.size();
}

uint32_t PresenceTable::Connections(uint32_t app, std::string_view channel,
                                    std::string_view user_id) const {
  const auto& map = by_app_[app];
  auto it = map.find(channel);
  if (it == map.end()) return 0;
  auto m = it->second.find(user_id);
  return m == it->second.end() ? 0 : static_cast<uint32_t>(m->second.conns.size());
}

}  // namespace ringcast::engine
