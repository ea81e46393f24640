#include "engine/watchlist_table.h"

namespace ringcast::engine {

WatchlistTable::SignInResult WatchlistTable::SignIn(uint32_t app, std::string_view user_id,
                                                    const Address& to,
                                                    const std::vector<std::string>& watchlist) {
  SignInResult r;
  auto [cit, inserted] = conns_.try_emplace(ConnKey{to.shard, to.serial});
  if (!inserted) return r;
  r.recorded = true;
  ConnEntry& c = cit->second;
  c.app = app;
  c.to = to;
  Users& users = by_app_[app];
  auto uit = users.find(user_id);
  if (uit == users.end()) uit = users.emplace(std::string(user_id), UserEntry()).first;
  c.self = &uit->second;
  c.user_id = &uit->first;
  // Online before the watchlist is indexed: a user watching itself is told once, below.
  if (++c.self->connections == 1) {
    r.came_online = true;
    if (!c.self->remote) Flip(c.self);
  }
  c.watching.reserve(watchlist.size());
  for (const std::string& id : watchlist) {
    auto wit = users.find(id);
    if (wit != users.end() && !wit->second.watchers.empty() &&
        wit->second.watchers.back().conn == &c) {
      continue;  // a duplicate in this watchlist
    }
    if (entries_ >= max_) {
      ++r.not_indexed;
      continue;
    }
    if (wit == users.end()) wit = users.emplace(id, UserEntry()).first;
    UserEntry& u = wit->second;
    auto slot = static_cast<uint32_t>(c.watching.size());
    c.watching.push_back(Watching{&u, &wit->first, static_cast<uint32_t>(u.watchers.size())});
    u.watchers.push_back(UserEntry::Watcher{&c, slot});
    ++entries_;
    (u.online() ? r.online : r.offline).push_back(id);
  }
  refused_ += r.not_indexed;
  return r;
}

WatchlistTable::SignOutResult WatchlistTable::SignOut(ConnKey key) {
  SignOutResult r;
  auto cit = conns_.find(key);
  if (cit == conns_.end()) return r;
  ConnEntry& c = cit->second;
  const uint32_t app = c.app;
  for (Watching& w : c.watching) {
    std::vector<UserEntry::Watcher>& ws = w.user->watchers;
    if (w.pos + 1 < ws.size()) {
      ws[w.pos] = ws.back();
      ws[w.pos].conn->watching[ws[w.pos].slot].pos = w.pos;
    }
    ws.pop_back();
    --entries_;
    MaybeErase(app, w.user, w.id);
  }
  UserEntry* self = c.self;
  const std::string* self_id = c.user_id;
  conns_.erase(cit);  // a queued key is skipped by TakeChanges
  if (--self->connections == 0) {
    r.went_offline = true;
    r.app = app;
    r.user_id = *self_id;
    if (!self->remote) Flip(self);
  }
  MaybeErase(app, self, self_id);
  return r;
}

void WatchlistTable::SetRemote(uint32_t app, std::string_view user_id, bool online,
                               uint64_t version) {
  if (app >= by_app_.size()) return;
  auto it = by_app_[app].find(user_id);
  if (it == by_app_[app].end()) return;
  UserEntry& u = it->second;
  if (version <= u.remote_version) return;  // older than what was applied
  u.remote_version = version;
  if (u.remote == online) return;
  const bool before = u.online();
  u.remote = online;
  if (u.online() != before) Flip(&u);
}

bool WatchlistTable::Snapshot(ConnKey key, std::vector<std::string>* online,
                              std::vector<std::string>* offline) {
  auto it = conns_.find(key);
  if (it == conns_.end()) return false;
  ConnEntry& c = it->second;
  online->clear();
  offline->clear();
  for (Watching& w : c.watching) {
    w.flipped = false;
    (w.user->online() ? online : offline)->push_back(*w.id);
  }
  c.flipped = 0;  // a queued key with nothing flipped is skipped by TakeChanges
  return true;
}

void WatchlistTable::Flip(UserEntry* user) {
  for (const UserEntry::Watcher& w : user->watchers) {
    ConnEntry& c = *w.conn;
    Watching& watching = c.watching[w.slot];
    watching.flipped = !watching.flipped;
    if (watching.flipped) {
      ++c.flipped;
    } else {
      --c.flipped;
    }
    if (c.flipped > 0 && !c.queued) {
      c.queued = true;
      queue_.push_back(ConnKey{c.to.shard, c.to.serial});
    }
  }
}

void WatchlistTable::MaybeErase(uint32_t app, UserEntry* user, const std::string* id) {
  if (user->connections > 0 || !user->watchers.empty()) return;
  Users& users = by_app_[app];
  auto it = users.find(*id);
  if (it != users.end() && &it->second == user) users.erase(it);
}

bool WatchlistTable::IsOnline(uint32_t app, std::string_view user_id) const {
  return Connections(app, user_id) > 0;
}

uint32_t WatchlistTable::Connections(uint32_t app, std::string_view user_id) const {
  const Users& users = by_app_[app];
  auto it = users.find(user_id);
  return it == users.end() ? 0 : it->second.connections;
}

size_t WatchlistTable::Watchers(uint32_t app, std::string_view user_id) const {
  const Users& users = by_app_[app];
  auto it = users.find(user_id);
  return it == users.end() ? 0 : it->second.watchers.size();
}

}  // namespace ringcast::engine
