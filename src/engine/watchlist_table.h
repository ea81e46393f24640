// WatchlistTable: which users are signed in (online) over all shards, and which signed-in
// connections watch which users (Pusher's watchlist: online/offline events).
//
// Lives on the control plane, which sees every shard's sign-ins and closes in order, so the
// online state is exact across shards. A user is online while at least one connection is signed
// in as that user: online on the first sign-in, offline after the last signed-in connection
// leaves. Each signed-in connection may watch a list of user ids (its own, not the user's: two
// tabs of one user may watch different lists); the reverse index (watched user -> watching
// connections) has O(1) insert and swap-remove on both sides, as engine/channel_table.h does.
// Bounds: the reverse index holds at most `max_entries` (watched id, connection) pairs over the
// whole process; ids beyond are not indexed and reported (SignInResult::not_indexed, refused()).
// A user entry exists only while the user is online or watched; a connection's entries go with
// it (SignOut).
// Changes: when a watched user's state flips, each watching connection is marked (one flag per
// watched id, toggled: two flips before the connection was told cancel out) and queued once.
// TakeChanges hands out the current state of the marked ids, a bounded number of connections
// per call, so a user with many watchers costs one flag per watcher at the flip and the
// delivery is spread over turns. Ids are opaque bytes (protocol-neutral).
// Cluster mode (docs/cluster.md, "Watchlists"): a user is also online while Redis says it is
// online on some node (SetRemote, versioned: an older word than the last one applied is
// ignored). Online = signed in here, or online in the cluster; SignIn and SignOut report when
// the user's *local* state flips (came_online, went_offline), which the control plane tells
// Redis; Redis' word comes back through SetRemote.
// Thread rules: the control-plane thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "util/string_map.h"

namespace ringcast::engine {

class WatchlistTable {
 public:
  struct ConnKey {
    uint32_t shard = 0;
    uint64_t serial = 0;
    bool operator==(const ConnKey&) const = default;
  };
  // Where a connection's events go (its shard finds it by index and generation).
  struct Address {
    uint32_t shard = 0;
    uint32_t conn_index = 0;
    uint32_t conn_gen = 0;
    uint64_t serial = 0;
  };
  struct SignInResult {
    bool recorded = false;             // false: the connection had signed in already (ignored)
    std::vector<std::string> online;   // watched ids online now
    std::vector<std::string> offline;  // watched ids offline now
    size_t not_indexed = 0;            // ids left out: the index was at max_entries
    bool came_online = false;          // the user's first connection on this node
  };
  struct SignOutResult {
    bool went_offline = false;  // the user's last connection on this node
    uint32_t app = 0;
    std::string user_id;
  };

  WatchlistTable(size_t app_count, size_t max_entries) : by_app_(app_count), max_(max_entries) {}
  WatchlistTable(const WatchlistTable&) = delete;
  WatchlistTable& operator=(const WatchlistTable&) = delete;

  // Connection `to` signed in as `user_id`, watching `watchlist` (duplicates counted once).
  // The user comes online if this is its first connection (its watchers are marked). The result
  // is the current state of every indexed watched id, for the connection's first event.
  SignInResult SignIn(uint32_t app, std::string_view user_id, const Address& to,
                      const std::vector<std::string>& watchlist);
  // The signed-in connection left: its watch entries go; the user goes offline if this was its
  // last connection (its watchers are marked). Unknown connections: nothing.
  SignOutResult SignOut(ConnKey conn);

  // Cluster mode: Redis' word on whether the user is online anywhere, with its version. Only
  // users already in the table (online here or watched) are kept; their watchers are marked
  // when the user's state flips.
  void SetRemote(uint32_t app, std::string_view user_id, bool online, uint64_t version);
  // The connection's watched ids by their state now, and its pending changes cleared (its
  // first event after SetRemote answers for a sign-in held for Redis). False: it signed out.
  bool Snapshot(ConnKey conn, std::vector<std::string>* online, std::vector<std::string>* offline);
  // Every user signed in on this node: f(app, id).
  template <typename F>
  void ForEachLocal(F&& f) const {
    for (uint32_t app = 0; app < by_app_.size(); ++app) {
      for (const auto& [id, u] : by_app_[app]) {
        if (u.connections > 0) f(app, std::string_view(id));
      }
    }
  }
  // Every user watched here and not signed in here: f(app, id).
  template <typename F>
  void ForEachWatchedElsewhere(F&& f) const {
    for (uint32_t app = 0; app < by_app_.size(); ++app) {
      for (const auto& [id, u] : by_app_[app]) {
        if (u.connections == 0 && !u.watchers.empty()) f(app, std::string_view(id));
      }
    }
  }

  // Hands out the changes of at most `max_conns` marked connections, oldest first:
  // f(const Address&, const std::vector<std::string>& online, const std::vector<std::string>&
  // offline), both lists non-empty together only when several ids flipped. Returns the number
  // of connections handed out.
  template <typename F>
  size_t TakeChanges(size_t max_conns, F&& f);
  bool has_changes() const { return !queue_.empty(); }

  bool IsOnline(uint32_t app, std::string_view user_id) const;
  // Signed-in connections of the user (0: offline).
  uint32_t Connections(uint32_t app, std::string_view user_id) const;
  // Watchers (connections) of the user.
  size_t Watchers(uint32_t app, std::string_view user_id) const;
  size_t entries() const { return entries_; }    // (watched id, connection) pairs indexed now
  uint64_t refused() const { return refused_; }  // ids ever left out at max_entries
  size_t connections() const { return conns_.size(); }
  size_t users(uint32_t app) const { return by_app_[app].size(); }  // online or watched
  size_t queued() const { return queue_.size(); }

 private:
  struct ConnEntry;
  struct UserEntry {
    uint32_t connections = 0;  // signed in as this user
    bool remote = false;       // cluster mode: online in the cluster, as Redis last said
    uint64_t remote_version = 0;
    bool online() const { return connections > 0 || remote; }
    struct Watcher {
      ConnEntry* conn;
      uint32_t slot;  // index in conn->watching
    };
    std::vector<Watcher> watchers;
  };
  struct Watching {
    UserEntry* user;
    const std::string* id;  // the users map key
    uint32_t pos;           // index in user->watchers
    bool flipped = false;   // state changed since the connection was last told
  };
  struct ConnEntry {
    uint32_t app = 0;
    Address to;
    UserEntry* self = nullptr;
    const std::string* user_id = nullptr;
    std::vector<Watching> watching;
    uint32_t flipped = 0;  // Watching entries with `flipped` set
    bool queued = false;   // in queue_
  };
  struct KeyHash {
    size_t operator()(const ConnKey& k) const {
      return std::hash<uint64_t>()(k.serial * 0x9E3779B97F4A7C15ull ^ k.shard);
    }
  };
  using Users = util::StringMap<UserEntry>;

  // The user's state flipped: every watcher is marked.
  void Flip(UserEntry* user);
  // Drops the entry if nobody is signed in as it and nobody watches it.
  void MaybeErase(uint32_t app, UserEntry* user, const std::string* id);

  std::vector<Users> by_app_;
  std::unordered_map<ConnKey, ConnEntry, KeyHash> conns_;
  std::deque<ConnKey> queue_;  // marked connections, oldest first (gone ones are skipped)
  size_t max_;
  size_t entries_ = 0;
  uint64_t refused_ = 0;
};

template <typename F>
size_t WatchlistTable::TakeChanges(size_t max_conns, F&& f) {
  size_t handed = 0;
  std::vector<std::string> online;
  std::vector<std::string> offline;
  while (handed < max_conns && !queue_.empty()) {
    ConnKey key = queue_.front();
    queue_.pop_front();
    auto it = conns_.find(key);
    if (it == conns_.end() || !it->second.queued) continue;  // signed out meanwhile
    ConnEntry& c = it->second;
    c.queued = false;
    if (c.flipped == 0) continue;  // flipped back before it was told
    online.clear();
    offline.clear();
    for (Watching& w : c.watching) {
      if (!w.flipped) continue;
      w.flipped = false;
      (w.user->online() ? online : offline).push_back(*w.id);
    }
    c.flipped = 0;
    f(static_cast<const Address&>(c.to), static_cast<const std::vector<std::string>&>(online),
      static_cast<const std::vector<std::string>&>(offline));
    ++handed;
  }
  return handed;
}

}  // namespace ringcast::engine
