// Rate limits; see rate_limit.h for the contract.
#include "api/rate_limit.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "api/http_call.h"
#include "http/response.h"
#include "util/json_writer.h"

namespace ringcast::api {

namespace {
double Refilled(const TokenBucket& b, uint32_t capacity, int64_t period_ms, int64_t now_ms) {
  if (b.tokens < 0) return capacity;
  const double per_ms = static_cast<double>(capacity) / static_cast<double>(period_ms);
  const int64_t dt = now_ms > b.last_ms ? now_ms - b.last_ms : 0;
  return std::min(static_cast<double>(capacity), b.tokens + static_cast<double>(dt) * per_ms);
}
}  // namespace

int64_t TokenBucket::Take(uint32_t capacity, int64_t period_ms, int64_t now_ms) {
  tokens = Refilled(*this, capacity, period_ms, now_ms);
  if (now_ms > last_ms || last_ms == 0) last_ms = now_ms;
  if (tokens >= 1.0) {
    tokens -= 1.0;
    return 0;
  }
  const double per_ms = static_cast<double>(capacity) / static_cast<double>(period_ms);
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil((1.0 - tokens) / per_ms)));
}

bool TokenBucket::Full(uint32_t capacity, int64_t period_ms, int64_t now_ms) const {
  return Refilled(*this, capacity, period_ms, now_ms) >= capacity;
}

void DatonowRateLimited(HttpCall* call, uint32_t per_minute, int64_t retry_after_s) {
  std::string body;
  util::JsonObject o(&body);
  o.Str("error", "Rate limit: at most " + std::to_string(per_minute) +
                     " Datonow API requests per minute per app");
  o.Int("code", 429);
  o.Close();
  call->response.clear();
  http::AppendResponse(&call->response, 429, "application/json", body, call->keep_alive,
                       "Retry-After: " + std::to_string(retry_after_s) + "\r\n");
}

int64_t AppRateLimiter::Check(uint32_t app, int64_t now_ms) {
  const uint32_t limit = per_minute_[app];
  if (limit == 0) return 0;
  const int64_t wait_ms = buckets_[app].Take(limit, 60000, now_ms);
  if (wait_ms == 0) return 0;
  ++refused_;
  return RetryAfterSeconds(wait_ms);
}

IpConnectionLimiter::Decision IpConnectionLimiter::Admit(uint32_t app, std::string_view ip,
                                                         uint32_t per_second, int64_t now_ms) {
  Decision d;
  if (per_second == 0) return d;
  std::string key = std::to_string(app);
  key.push_back('|');
  key.append(ip);
  Stripe& s = stripes_[std::hash<std::string_view>{}(key) % kStripes];
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.table.find(key);
  if (it == s.table.end()) {
    if (s.table.size() >= kMaxEntriesPerStripe) {
      // At most one sweep of this stripe a second; a stripe that stays full refuses new keys.
      if (now_ms - s.swept_ms >= 1000) Sweep(&s, now_ms);
      if (s.table.size() >= kMaxEntriesPerStripe) {
        ++s.stats.refused_table_full;
        d.allowed = false;
        d.retry_after_s = 1;
        return d;
      }
    }
    it = s.table.emplace(std::move(key), Entry{}).first;
  }
  it->second.per_second = per_second;
  const int64_t wait_ms = it->second.bucket.Take(per_second, 1000, now_ms);
  if (wait_ms != 0) {
    ++s.stats.refused_rate;
    d.allowed = false;
    d.retry_after_s = RetryAfterSeconds(wait_ms);
  }
  return d;
}

void IpConnectionLimiter::Sweep(Stripe* s, int64_t now_ms) {
  s->swept_ms = now_ms;
  for (auto it = s->table.begin(); it != s->table.end();) {
    if (it->second.bucket.Full(it->second.per_second, 1000, now_ms)) {
      it = s->table.erase(it);
      ++s->stats.evicted;
    } else {
      ++it;
    }
  }
}

IpConnectionLimiter::Stats IpConnectionLimiter::stats() const {
  Stats total;
  for (const Stripe& s : stripes_) {
    std::lock_guard<std::mutex> lock(s.mu);
    total.refused_rate += s.stats.refused_rate;
    total.refused_table_full += s.stats.refused_table_full;
    total.evicted += s.stats.evicted;
    total.entries += s.table.size();
  }
  return total;
}

}  // namespace ringcast::api
