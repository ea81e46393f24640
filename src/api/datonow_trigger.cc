// POST /api/trigger; see datonow_trigger.h for the contract.
#include "api/datonow_trigger.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "api/datonow_trigger_request.h"
#include "auth/crypto.h"
#include "http/response.h"
#include "store/wal.h"
#include "util/clock.h"
#include "util/json_writer.h"

namespace ringcast::api {
namespace {

constexpr std::string_view kReadOnly =
    "The store is read-only after a failed write or sync; restart the server";

void Error(HttpCall* call, int status, std::string_view message) {
  call->response.clear();
  http::AppendJsonError(&call->response, status, message, call->keep_alive);
}

std::string RequestPrefix(const config::AppConfig& app) {
  return "r" + app.id + std::string(1, '\0');
}

std::string Iso(int64_t ms) { return util::IsoTimeMs(ms); }

// Stored value "<first ms>\n<answer JSON>".
int64_t StoredMs(std::string_view value) {
  int64_t ms = 0;
  for (char c : value) {
    if (c < '0' || c > '9') break;
    ms = ms * 10 + (c - '0');
  }
  return ms;
}
std::string_view StoredAnswer(std::string_view value) {
  const size_t nl = value.find('\n');
  return nl == std::string_view::npos ? std::string_view() : value.substr(nl + 1);
}

}  // namespace

DatonowTrigger::DatonowTrigger(const engine::AppRegistry* apps, const config::Limits* limits,
                               const engine::SocketIdCodec* ids, store::Wal* wal,
                               AppRateLimiter* limiter)
    : apps_(apps),
      limits_(limits),
      ids_(ids),
      wal_(wal),
      limiter_(limiter),
      window_ms_(int64_t{limits->datonow_trigger_request_id_window_s} * 1000),
      window_(apps->size()) {
  Reindex();
}

void DatonowTrigger::Reindex() {
  if (wal_ == nullptr) return;
  for (uint32_t i = 0; i < apps_->size(); ++i) {
    const std::string prefix = RequestPrefix(apps_->app(i));
    auto& w = window_[i];
    w.clear();
    for (auto it = wal_->live().lower_bound(prefix);
         it != wal_->live().end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      w.emplace_back(StoredMs(it->second), it->first);
    }
    std::stable_sort(w.begin(), w.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
  }
}

bool DatonowTrigger::Purge(uint32_t app, int64_t now_ms) {
  auto& w = window_[app];
  size_t n = 0;
  bool wrote = false;
  while (!w.empty() && n < kMaxPurgePerRequest && w.front().first + window_ms_ <= now_ms) {
    auto it = wal_->live().find(w.front().second);
    // Replaced by a newer first request with the same id: that one has its own entry.
    if (it != wal_->live().end() && StoredMs(it->second) == w.front().first) {
      if (!wal_->Delete(w.front().second)) return wrote;
      wrote = true;
    }
    w.pop_front();
    ++n;
  }
  return wrote;
}

TriggerResult DatonowTrigger::Handle(HttpCall* call, int64_t now_ms) {
  TriggerResult result;
  if (call->method != "POST") {
    Error(call, 405, "Use POST for /api/trigger");
    return result;
  }
  if (call->datonow_signature.empty()) {
    Error(call, 401, "Missing X-Datonow-Signature header");
    return result;
  }
  std::string want_hex;
  if (!ParseTriggerSignature(call->datonow_signature, &want_hex)) {
    Error(call, 403, "X-Datonow-Signature must be sha256=<64 hex digits>");
    return result;
  }
  std::string app_key;
  if (const char* error = FindTriggerAppKey(call->body, &app_key)) {
    Error(call, 400, error);
    return result;
  }
  const uint32_t app = apps_->IndexByKey(app_key);
  if (app == engine::AppRegistry::kNone) {
    Error(call, 403, "Wrong appKey or X-Datonow-Signature");
    return result;
  }
  // Counted before the HMAC, so guessing signatures is limited too (once per call: see
  // HttpCall::limits_counted).
  if (!call->limits_counted) {
    call->limits_counted = true;
    if (const int64_t wait_s = limiter_->Check(app, now_ms); wait_s != 0) {
      DatonowRateLimited(call, limiter_->limit(app), wait_s);
      return result;
    }
  }
  const config::AppConfig& a = apps_->app(app);
  if (!auth::ConstantTimeEquals(auth::HmacSha256Hex(a.secret, call->body), want_hex)) {
    Error(call, 403, "Wrong appKey or X-Datonow-Signature");
    return result;
  }
  if (wal_ != nullptr && wal_->poisoned()) {
    Error(call, 503, kReadOnly);
    return result;
  }
  DatonowTriggerFields f;
  TriggerLimits tl;
  tl.max_channels = limits_->max_channels_per_event;
  tl.max_channel_name_length = limits_->max_channel_name_length;
  tl.max_event_name_length = limits_->max_event_name_length;
  tl.max_data_bytes = limits_->max_event_data_bytes;
  int status = 400;
  if (std::string error = ParseDatonowTrigger(call->body, tl, &f, &status); !error.empty()) {
    Error(call, status, error);
    return result;
  }
  std::string key;
  if (!f.request_id.empty()) {
    if (wal_ == nullptr) {
      Error(call, 503, "requestId needs the store (--data-dir)");
      return result;
    }
    result.wrote = Purge(app, now_ms);
    key = RequestPrefix(a) + f.request_id;
    auto it = wal_->live().find(key);
    if (it != wal_->live().end() && StoredMs(it->second) + window_ms_ > now_ms) {
      // A repeat: the first answer again, nothing published. The control plane holds it until
      // the store is durable, so it never reports a first trigger a crash could still lose.
      ++replayed_;
      call->response.clear();
      http::AppendResponse(&call->response, 200, "application/json", StoredAnswer(it->second),
                           call->keep_alive, "X-Datonow-Replayed: true\r\n");
      return result;
    }
    if (window_[app].size() >= kMaxRequestIdsPerApp) {
      ++refused_full_;
      const int64_t wait_ms = window_[app].front().first + window_ms_ - now_ms;
      std::string body;
      util::JsonObject o(&body);
      o.Str("error", "The app has " + std::to_string(kMaxRequestIdsPerApp) +
                         " requestIds in its window, the most it may remember; retry later");
      o.Int("code", 429);
      o.Close();
      call->response.clear();
      http::AppendResponse(&call->response, 429, "application/json", body, call->keep_alive,
                           "Retry-After: " + std::to_string(RetryAfterSeconds(wait_ms)) + "\r\n");
      return result;
    }
  }
  engine::PublishRequest pub;
  pub.app = app;
  pub.event = f.event;
  pub.data = std::move(f.data);
  pub.channels = f.channels;
  if (!f.socket_id.empty()) {
    uint32_t shard;
    uint64_t serial;
    pub.exclude_socket_id = f.socket_id;
    // An id this process (or, in cluster mode, this cluster) never issued excludes nobody.
    if (ids_->Parse(f.socket_id, &shard, &serial)) {
      pub.exclude_shard = shard;
      pub.exclude_serial = serial;
    }
  }
  std::string body;
  {
    util::JsonObject o(&body);
    o.Raw("ok", "true");
    o.Str("event", f.event);
    std::string channels = "[";
    for (size_t i = 0; i < f.channels.size(); ++i) {
      if (i != 0) channels.push_back(',');
      util::AppendJsonString(&channels, f.channels[i]);
    }
    channels.push_back(']');
    o.Raw("channels", channels);
    if (f.request_id.empty()) {
      o.Raw("requestId", "null");
    } else {
      o.Str("requestId", f.request_id);
    }
    o.Str("publishedAt", Iso(now_ms));
    o.Close();
  }
  if (!key.empty()) {
    if (!wal_->Put(key, std::to_string(now_ms) + "\n" + body)) {
      Error(call, 503, kReadOnly);
      return result;
    }
    result.request_key = key;
    window_[app].emplace_back(now_ms, std::move(key));
    result.wrote = true;
  }
  result.publications.push_back(std::move(pub));
  call->response.clear();
  http::AppendResponse(&call->response, 200, "application/json", body, call->keep_alive);
  return result;
}

}  // namespace ringcast::api
