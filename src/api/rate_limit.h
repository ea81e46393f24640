// Rate limits of the Datonow API (docs/protocols/datonow.md, "Rate limits"): a token bucket, the
// per-app REST budget (every /api/... route, the signed trigger included) and the per-IP budget
// of new Datonow sockets (/ws).
//
// Owns: per app one bucket (AppRateLimiter); per (app, IP) one bucket in a bounded, striped
// table (IpConnectionLimiter: at most kMaxEntries, stale entries evicted when full, refused
// beyond; all counted).
// Thread rules: AppRateLimiter: one thread (the control plane). IpConnectionLimiter: any thread
// (one mutex per stripe; shards and the control plane call Admit once per new /ws socket).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.h"

namespace ringcast::api {

struct HttpCall;

// `capacity` tokens, refilled evenly at `capacity` per `period_ms`; starts full, so a burst of the
// whole period's budget is allowed.
struct TokenBucket {
  double tokens = -1;  // < 0: not used yet (full)
  int64_t last_ms = 0;
  // Takes one token: 0 when allowed, else the ms until one token is back (> 0).
  int64_t Take(uint32_t capacity, int64_t period_ms, int64_t now_ms);
  // True when the bucket is full at `now_ms` (it is then the same as a new one).
  bool Full(uint32_t capacity, int64_t period_ms, int64_t now_ms) const;
};

// Retry-After seconds for a wait of `ms` (at least 1).
inline int64_t RetryAfterSeconds(int64_t ms) { return ms <= 0 ? 1 : (ms + 999) / 1000; }

// Fills call->response with the Datonow REST 429: JSON {"error", "code": 429} naming the limit,
// and `Retry-After: <retry_after_s>`.
void DatonowRateLimited(HttpCall* call, uint32_t per_minute, int64_t retry_after_s);

// The Datonow REST budget: per app, `per_minute[app]` requests a minute (0: no limit).
class AppRateLimiter {
 public:
  explicit AppRateLimiter(std::vector<uint32_t> per_minute)
      : per_minute_(std::move(per_minute)), buckets_(per_minute_.size()) {}
  // Counts one request of `app`: 0 when allowed, else the seconds for Retry-After.
  int64_t Check(uint32_t app, int64_t now_ms);
  uint32_t limit(uint32_t app) const { return per_minute_[app]; }
  uint64_t refused() const { return refused_; }

 private:
  std::vector<uint32_t> per_minute_;
  std::vector<TokenBucket> buckets_;
  uint64_t refused_ = 0;
};

// The per-second socket budget of `app`: its own value, else the server-wide one (0: none).
inline uint32_t DatonowWsConnectionsPerSecond(const config::AppConfig& app,
                                              const config::Limits& limits) {
  return app.datonow_ws_connections_per_second.value_or(limits.datonow_ws_connections_per_second);
}

// The Datonow socket budget: per (app, IP), `per_second` new connections a second. Called at the
// /ws upgrade (server/datonow_front.cc, on the shards, for ?appKey=) and by the control plane
// (api/datonow_api.h ConnectToken, for ?token=, before any store write); one instance owned by
// the Server for the whole process: a refused connection is upgraded and closed at once with
// kCloseCode and a reason naming the wait (docs/protocols/datonow.md).
//
// Exact across shards without one shared lock: the table is split into kStripes stripes, each
// with its own mutex, map and counters on its own cache lines; an (app, IP) key always hashes to
// the same stripe, so its bucket is one bucket for the whole process (10/s per IP and app, not
// per shard), and two shards contend only when their keys share a stripe. Bounded: a stripe
// holds at most kMaxEntriesPerStripe entries (kMaxEntries in all); when a new key finds its
// stripe full, the stripe drops its stale entries (a full bucket is the same as an absent one),
// at most one sweep of that stripe (kMaxEntriesPerStripe entries) a second, counted as
// `evicted`; a new key that still finds no room is refused (`refused_table_full`).
class IpConnectionLimiter {
 public:
  static constexpr size_t kStripes = 64;
  static constexpr size_t kMaxEntriesPerStripe = 1024;
  static constexpr size_t kMaxEntries = kStripes * kMaxEntriesPerStripe;  // 65,536
  static constexpr uint16_t kCloseCode = 4429;
  struct Decision {
    bool allowed = true;
    int64_t retry_after_s = 0;  // when refused
  };
  struct Stats {
    uint64_t refused_rate = 0;        // over the (app, IP) budget
    uint64_t refused_table_full = 0;  // no room for a new (app, IP) entry
    uint64_t evicted = 0;             // stale entries dropped to make room
    uint64_t entries = 0;
  };
  // `app`: the app's index (its key or token resolved), `ip`: the peer address in any stable
  // text form, `per_second`: the app's limit (0: no limit, nothing is recorded). Any thread.
  Decision Admit(uint32_t app, std::string_view ip, uint32_t per_second, int64_t now_ms);
  // Sums the stripes (locks each in turn; for /metrics and tests). Any thread.
  Stats stats() const;

 private:
  struct Entry {
    TokenBucket bucket;
    uint32_t per_second = 0;
  };
  struct alignas(64) Stripe {
    mutable std::mutex mu;
    std::unordered_map<std::string, Entry> table;
    int64_t swept_ms = 0;
    Stats stats;
  };
  // Drops the stripe's entries whose bucket is full again (they are the same as absent ones).
  static void Sweep(Stripe* s, int64_t now_ms);

  Stripe stripes_[kStripes];
};

}  // namespace ringcast::api
