// The Datonow notification REST API; see datonow_api.h for the contract.
#include "api/datonow_api.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <ctime>

#include "api/datonow_request.h"
#include "auth/crypto.h"
#include "engine/datonow_channels.h"
#include "http/response.h"
#include "store/wal.h"
#include "util/clock.h"
#include "util/json_writer.h"

namespace ringcast::api {
namespace {

constexpr std::string_view kReadOnly =
    "The store is read-only after a failed write or sync; restart the server";

std::string Prefix(const config::AppConfig& app) { return "m" + app.id + std::string(1, '\0'); }
std::string CounterKey(const config::AppConfig& app) { return "c" + app.id; }
std::string TokenPrefix(const config::AppConfig& app) {
  return "t" + app.id + std::string(1, '\0');
}
std::string TokenCounterKey(const config::AppConfig& app) { return "k" + app.id; }
std::string TokenKey(const config::AppConfig& app, uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, id);
  return TokenPrefix(app) + buf;
}
std::string Hex16(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}
// Per-token state of one message: "s<app>\0<16 hex message id><16 hex token id>" -> flags,
// a subset of "d" (delivered), "r" (read), "h" (hidden by that token's delete).
std::string StatePrefix(const config::AppConfig& app, uint64_t msg) {
  return "s" + app.id + std::string(1, '\0') + Hex16(msg);
}
uint64_t HexId(std::string_view text) {
  uint64_t id = 0;
  for (char c : text) id = id * 16 + static_cast<uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  return id;
}
// Token record value: "<64 hex token>\n<record JSON>".

std::string MessageKey(const config::AppConfig& app, uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, id);
  return Prefix(app) + buf;
}

std::string Iso(int64_t ms) { return util::IsoTimeMs(ms); }

void Json(HttpCall* call, int status, std::string_view body) {
  call->response.clear();
  http::AppendResponse(&call->response, status, "application/json", body, call->keep_alive);
}

void Error(HttpCall* call, int status, std::string_view message) {
  call->response.clear();
  http::AppendJsonError(&call->response, status, message, call->keep_alive);
}

// Stored value: "<expires ms, 0 = never> <target token id, 0 = broadcast>\n<message JSON>".
struct StoredMessage {
  int64_t expires = 0;
  uint64_t target = 0;
  std::string_view json;
};
StoredMessage ParseStored(std::string_view value) {
  StoredMessage s;
  size_t i = 0;
  for (; i < value.size() && value[i] != ' '; ++i) s.expires = s.expires * 10 + (value[i] - '0');
  for (++i; i < value.size() && value[i] != '\n'; ++i)
    s.target = s.target * 10 + static_cast<uint64_t>(value[i] - '0');
  s.json = i < value.size() ? value.substr(i + 1) : std::string_view();
  return s;
}

}  // namespace

DatonowApi::DatonowApi(const engine::AppRegistry* apps, store::Wal* wal,
                       uint32_t requests_per_minute)
    : apps_(apps),
      wal_(wal),
      next_id_(apps->size(), 1),
      next_token_id_(apps->size(), 1),
      messages_(apps->size(), 0),
      tokens_(apps->size(), 0),
      limiter_([&] {
        std::vector<uint32_t> rpm;
        for (const config::AppConfig& a : apps->apps()) {
          rpm.push_back(a.datonow_api_requests_per_minute.value_or(requests_per_minute));
        }
        return rpm;
      }()) {
  Reindex();
}

void DatonowApi::Reindex() {
  if (wal_ == nullptr) return;
  std::fill(next_id_.begin(), next_id_.end(), 1);
  std::fill(next_token_id_.begin(), next_token_id_.end(), 1);
  std::fill(messages_.begin(), messages_.end(), 0);
  std::fill(tokens_.begin(), tokens_.end(), 0);
  by_token_.clear();
  pubs_.clear();
  for (uint32_t i = 0; i < apps_->size(); ++i) {
    const config::AppConfig& a = apps_->app(i);
    uint64_t last_token = 0;
    auto tc = wal_->live().find(TokenCounterKey(a));
    if (tc != wal_->live().end()) (void)ParseDatonowId(tc->second, &last_token);
    const std::string tp = TokenPrefix(a);
    for (auto t = wal_->live().lower_bound(tp);
         t != wal_->live().end() && t->first.compare(0, tp.size(), tp) == 0; ++t) {
      const uint64_t id = HexId(std::string_view(t->first).substr(tp.size()));
      if (id > last_token) last_token = id;
      by_token_[std::string(std::string_view(t->second).substr(0, t->second.find('\n')))] = {i, id};
      ++tokens_[i];
    }
    next_token_id_[i] = last_token + 1;
    auto it = wal_->live().find(CounterKey(apps_->app(i)));
    uint64_t last = 0;
    if (it != wal_->live().end()) (void)ParseDatonowId(it->second, &last);
    // And never below the newest message present (belt and braces for the ordering above).
    const std::string prefix = Prefix(apps_->app(i));
    for (auto it = wal_->live().lower_bound(prefix);
         it != wal_->live().end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      ++messages_[i];
    }
    auto m = wal_->live().lower_bound(prefix + "g");
    if (m != wal_->live().begin()) {
      --m;
      if (m->first.compare(0, prefix.size(), prefix) == 0) {
        const uint64_t id = HexId(std::string_view(m->first).substr(prefix.size()));
        if (id > last) last = id;
      }
    }
    next_id_[i] = last + 1;
  }
}

size_t DatonowApi::stored_messages() const {
  size_t n = 0;
  for (auto it = wal_->live().lower_bound("m"); it != wal_->live().end() && it->first[0] == 'm';
       ++it) {
    ++n;
  }
  return n;
}

bool DatonowApi::PurgeExpired(int64_t now_ms) {
  constexpr size_t kMaxPurge = 10000;
  if (now_ms - last_purge_ms_ < 1000 || wal_->poisoned()) return false;
  last_purge_ms_ = now_ms;
  std::vector<std::string> expired;
  for (auto it = wal_->live().lower_bound("m");
       it != wal_->live().end() && it->first[0] == 'm' && expired.size() < kMaxPurge; ++it) {
    StoredMessage s = ParseStored(it->second);
    if (s.expires != 0 && s.expires <= now_ms) expired.emplace_back(it->first);
  }
  for (const std::string& k : expired) {
    // "m<app id>\0<16 hex id>": erase with every token's state for it.
    const size_t nul = k.find('\0');
    const uint32_t app = apps_->IndexById(std::string_view(k).substr(1, nul - 1));
    const bool ok = app == engine::AppRegistry::kNone
                        ? wal_->Delete(k)
                        : EraseMessage(app, HexId(std::string_view(k).substr(nul + 1)));
    if (!ok) break;
  }
  return !expired.empty();
}

bool DatonowApi::Handle(HttpCall* call, int64_t now_ms) {
  if (wal_ == nullptr) {
    Error(call, 503, "The Datonow API needs the store (--data-dir)");
    return false;
  }
  if (wal_->poisoned()) {
    // Its live map may hold writes that never reached the disk: answer nothing from it.
    Error(call, 503, kReadOnly);
    return false;
  }
  // Expired messages are hidden at once and purged from the store here, at most once a second
  // (a request that purges waits for the commit like a write).
  const bool purged = PurgeExpired(now_ms);
  return HandleAuthed(call, now_ms) || purged;
}

bool DatonowApi::HandleAuthed(HttpCall* call, int64_t now_ms) {
  if (call->datonow_app_id.empty() || call->datonow_token.empty()) {
    Error(call, 401, "Missing X-Datonow-App-Id or X-Datonow-Token header");
    return false;
  }
  const uint32_t app = apps_->IndexById(call->datonow_app_id);
  uint64_t client = 0;  // 0: the app secret
  if (app == engine::AppRegistry::kNone) {
    Error(call, 403, "Wrong X-Datonow-App-Id or X-Datonow-Token");
    return false;
  }
  // Every request naming the app counts, reads and failed auth included (once: see
  // HttpCall::limits_counted).
  if (!call->limits_counted) {
    call->limits_counted = true;
    if (const int64_t wait_s = limiter_.Check(app, now_ms); wait_s != 0) {
      DatonowRateLimited(call, limiter_.limit(app), wait_s);
      return false;
    }
  }
  if (!auth::ConstantTimeEquals(call->datonow_token, apps_->app(app).secret)) {
    auto t = by_token_.find(call->datonow_token);
    if (t == by_token_.end() || t->second.app != app) {
      Error(call, 403, "Wrong X-Datonow-App-Id or X-Datonow-Token");
      return false;
    }
    client = t->second.id;
  }
  std::string_view path = call->path;
  const std::string& m = call->method;
  constexpr std::string_view kApps = "/api/apps/";
  if (path.substr(0, kApps.size()) == kApps) {
    std::string_view rest = path.substr(kApps.size());
    const size_t slash = rest.find('/');
    std::string_view path_app = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    if (rest != "/tokens" && rest.substr(0, 8) != "/tokens/") {
      Error(call, 404, "Not found");
      return false;
    }
    if (client != 0) {
      Error(call, 403, "Managing client tokens needs the app secret, not a client token");
      return false;
    }
    if (path_app != apps_->app(app).id) {
      Error(call, 403, "The app id in the path is not the one in X-Datonow-App-Id");
      return false;
    }
    return Tokens(call, app, rest.substr(7), now_ms);
  }
  if (path == "/api/message") {
    if (m != "POST") {
      Error(call, 405, "Use POST for /api/message");
      return false;
    }
    return Post(call, app, client, now_ms);
  }
  if (path == "/api/messages") {
    if (m == "GET") {
      List(call, app, client, now_ms);
      return false;
    }
    if (m == "DELETE") {
      if (client != 0) return SetAll(call, app, client, 'h', now_ms);
      return DeleteAll(call, app);
    }
    Error(call, 405, "Use GET or DELETE for /api/messages");
    return false;
  }
  constexpr std::string_view kOne = "/api/messages/";
  if (path == "/api/messages/read-all") {
    if (m != "POST") {
      Error(call, 405, "Use POST for /api/messages/read-all");
      return false;
    }
    return SetAll(call, app, client, 'r', now_ms);
  }
  if (path.substr(0, kOne.size()) == kOne) {
    std::string_view rest = path.substr(kOne.size());
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos) {
      if (m != "DELETE") {
        Error(call, 405, "Use DELETE for /api/messages/{id}");
        return false;
      }
      if (client != 0) return SetState(call, app, client, rest, 'h', now_ms);
      return DeleteOne(call, app, rest);
    }
    std::string_view action = rest.substr(slash + 1);
    if (action == "delivered" || action == "read") {
      if (m != "POST") {
        Error(call, 405, "Use POST for /api/messages/{id}/" + std::string(action));
        return false;
      }
      return SetState(call, app, client, rest.substr(0, slash), action[0], now_ms);
    }
  }
  Error(call, 404, "Not found (not built yet, or no such Datonow route)");
  return false;
}

bool DatonowApi::Post(HttpCall* call, uint32_t app, uint64_t client, int64_t now_ms) {
  DatonowMessageFields f;
  if (const char* error = ParseDatonowMessage(call->body, &f)) {
    Error(call, 400, error);
    return false;
  }
  if (messages_[app] >= kMaxMessagesPerApp) {
    ++refused_full_;
    Error(call, 409,
          "The app holds " + std::to_string(kMaxMessagesPerApp) +
              " messages, the most it may; delete some first");
    return false;
  }
  const config::AppConfig& a = apps_->app(app);
  const uint64_t id = next_id_[app]++;
  const int64_t expires = f.ttl == 0 ? 0 : now_ms + f.ttl * 1000;
  std::string json;
  {
    util::JsonObject o(&json);
    o.Int("id", static_cast<int64_t>(id));
    o.Str("appId", a.id);
    o.Str("title", f.title);
    if (f.has_message) {
      o.Str("message", f.message);
    } else {
      o.Raw("message", "null");
    }
    o.Raw("payload", f.payload);
    o.Int("priority", f.priority);
    o.Raw("extras", f.extras);
    if (expires == 0) {
      o.Raw("expiresAt", "null");
    } else {
      o.Str("expiresAt", Iso(expires));
    }
    o.Str("createdAt", Iso(now_ms));
    o.Close();
  }
  std::string value = std::to_string(expires) + " " + std::to_string(client) + "\n" + json;
  // The counter first: a torn tail that keeps the message record keeps the counter too.
  if (!wal_->Put(CounterKey(a), std::to_string(id)) || !wal_->Put(MessageKey(a, id), value)) {
    Error(call, 503, kReadOnly);
    return false;
  }
  ++messages_[app];
  QueueNotification(app, client, json);
  Json(call, 200, json);
  return true;
}

void DatonowApi::List(HttpCall* call, uint32_t app, uint64_t client, int64_t now_ms) {
  DatonowListQuery q;
  if (const char* error = ParseDatonowListQuery(call->query, &q)) {
    Error(call, 400, error);
    return;
  }
  const uint64_t cursor = q.cursor;
  const uint32_t limit = q.limit;
  const config::AppConfig& a = apps_->app(app);
  const std::string prefix = Prefix(a);
  const auto& live = wal_->live();
  // Newest first: start below the cursor (0: from the newest).
  auto it = cursor == 0 ? live.lower_bound(prefix + "g") : live.lower_bound(MessageKey(a, cursor));
  std::string body = "{\"messages\":[";
  uint32_t n = 0;
  uint64_t last_id = 0;
  bool more = false;
  while (it != live.begin()) {
    --it;
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    StoredMessage s = ParseStored(it->second);
    if (s.expires != 0 && s.expires <= now_ms) continue;
    if (client != 0 && s.target != 0 && s.target != client) continue;
    std::string_view json = s.json;
    std::string flags;
    if (client != 0) {
      const uint64_t mid = HexId(std::string_view(it->first).substr(prefix.size()));
      auto st = live.find(StatePrefix(a, mid) + Hex16(client));
      if (st != live.end()) flags = st->second;
      if (flags.find('h') != std::string::npos) continue;
    }
    if (n == limit) {
      more = true;
      break;
    }
    if (n > 0) body.push_back(',');
    if (client != 0 && !json.empty()) {
      // A token's inbox also says its own state (docs/protocols/datonow.md).
      body.append(json.substr(0, json.size() - 1));
      body += ",\"delivered\":";
      body += flags.find('d') != std::string::npos ? "true" : "false";
      body += ",\"read\":";
      body += flags.find('r') != std::string::npos ? "true" : "false";
      body.push_back('}');
    } else {
      body.append(json);
    }
    last_id = HexId(std::string_view(it->first).substr(prefix.size()));
    ++n;
  }
  body += "],\"nextCursor\":";
  body += more ? std::to_string(last_id) : std::string("null");
  body.push_back('}');
  Json(call, 200, body);
}

bool DatonowApi::DeleteOne(HttpCall* call, uint32_t app, std::string_view id_text) {
  uint64_t id = 0;
  if (!ParseDatonowId(id_text, &id)) {
    Error(call, 400, "The message id must be a number");
    return false;
  }
  const std::string key = MessageKey(apps_->app(app), id);
  if (wal_->live().find(key) == wal_->live().end()) {
    Error(call, 404, "No such message");
    return false;
  }
  if (!EraseMessage(app, id)) {
    Error(call, 503, kReadOnly);
    return false;
  }
  Json(call, 200, "{\"deleted\":1}");
  return true;
}

bool DatonowApi::DeleteAll(HttpCall* call, uint32_t app) {
  const std::string prefix = Prefix(apps_->app(app));
  std::vector<std::string> keys;
  for (auto it = wal_->live().lower_bound(prefix);
       it != wal_->live().end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    keys.emplace_back(it->first);
  }
  for (const std::string& k : keys) {
    if (!EraseMessage(app, HexId(std::string_view(k).substr(prefix.size())))) {
      Error(call, 503, kReadOnly);
      return false;
    }
  }
  Json(call, 200, "{\"deleted\":" + std::to_string(keys.size()) + "}");
  return !keys.empty();
}

bool DatonowApi::Tokens(HttpCall* call, uint32_t app, std::string_view rest, int64_t now_ms) {
  const config::AppConfig& a = apps_->app(app);
  const std::string& m = call->method;
  if (rest.empty()) {
    if (m == "GET") {
      std::string body = "[";
      const std::string tp = TokenPrefix(a);
      bool first = true;
      for (auto t = wal_->live().lower_bound(tp);
           t != wal_->live().end() && t->first.compare(0, tp.size(), tp) == 0; ++t) {
        if (!first) body.push_back(',');
        first = false;
        body.append(std::string_view(t->second).substr(t->second.find('\n') + 1));
      }
      body.push_back(']');
      Json(call, 200, body);
      return false;
    }
    if (m != "POST") {
      Error(call, 405, "Use GET or POST for /api/apps/{appId}/tokens");
      return false;
    }
    std::string name;
    if (const char* error = ParseDatonowTokenName(call->body, &name)) {
      Error(call, 400, error);
      return false;
    }
    if (tokens_[app] >= kMaxTokensPerApp) {
      ++refused_full_;
      Error(call, 409,
            "The app has " + std::to_string(kMaxTokensPerApp) +
                " client tokens, the most it may; delete some first");
      return false;
    }
    uint8_t raw[32];
    auth::RandomBytes(raw, sizeof raw);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string token;
    for (uint8_t b : raw) {
      token.push_back(kHex[b >> 4]);
      token.push_back(kHex[b & 15]);
    }
    const uint64_t id = next_token_id_[app]++;
    std::string json;
    {
      util::JsonObject o(&json);
      o.Int("id", static_cast<int64_t>(id));
      o.Str("appId", a.id);
      o.Str("name", name);
      o.Str("token", token);
      o.Raw("lastSeenAt", "null");
      o.Str("createdAt", Iso(now_ms));
      o.Close();
    }
    if (!wal_->Put(TokenCounterKey(a), std::to_string(id)) ||
        !wal_->Put(TokenKey(a, id), token + "\n" + json)) {
      Error(call, 503, kReadOnly);
      return false;
    }
    by_token_[token] = {app, id};
    ++tokens_[app];
    Json(call, 200, json);
    return true;
  }
  uint64_t id = 0;
  if (!ParseDatonowId(rest.substr(1), &id)) {
    Error(call, 400, "The token id must be a number");
    return false;
  }
  if (m != "DELETE") {
    Error(call, 405, "Use DELETE for /api/apps/{appId}/tokens/{id}");
    return false;
  }
  const std::string key = TokenKey(a, id);
  auto it = wal_->live().find(key);
  if (it == wal_->live().end()) {
    Error(call, 404, "No such client token");
    return false;
  }
  const std::string token(std::string_view(it->second).substr(0, it->second.find('\n')));
  if (!wal_->Delete(key)) {
    Error(call, 503, kReadOnly);
    return false;
  }
  by_token_.erase(token);      // stops working at once
  QueueTokenDeleted(app, id);  // and its sockets close once the delete is durable
  --tokens_[app];
  Json(call, 200, "{\"deleted\":1}");
  return true;
}

// ---- Datonow sockets (docs/protocols/datonow.md, "Sockets") ----

bool DatonowApi::ConnectToken(HttpCall* call, int64_t now_ms, int64_t mono_ms) {
  call->keep_alive = false;  // a refusal closes; a success becomes a WebSocket
  if (wal_ == nullptr) {
    Error(call, 503, "The Datonow API needs the store (--data-dir)");
    return false;
  }
  if (wal_->poisoned()) {
    Error(call, 503, kReadOnly);
    return false;
  }
  auto t = by_token_.find(call->datonow_token);
  auto it = t == by_token_.end()
                ? wal_->live().end()
                : wal_->live().find(TokenKey(apps_->app(t->second.app), t->second.id));
  if (it == wal_->live().end()) {
    Error(call, 403, "Unknown or deleted client token");
    return false;
  }
  // The socket budget before the durable write: a refused socket costs no store write, and
  // lastSeenAt is stored only for a socket the budget lets through.
  if (ws_limiter_ != nullptr && !call->peer_ip.empty() && !call->limits_counted) {
    call->limits_counted = true;
    const uint32_t app = t->second.app;
    const uint32_t per_second = DatonowWsConnectionsPerSecond(apps_->app(app), *ws_limits_);
    IpConnectionLimiter::Decision d = ws_limiter_->Admit(app, call->peer_ip, per_second, mono_ms);
    if (!d.allowed) {
      call->response.clear();
      call->socket_app = app;
      call->ws_retry_after_s = d.retry_after_s;
      return false;
    }
  }
  // The record's keys are ours and in a fixed order: lastSeenAt is followed by createdAt.
  std::string value(it->second);
  const size_t at = value.rfind(",\"lastSeenAt\":");
  const size_t end = at == std::string::npos ? at : value.find(",\"createdAt\":", at);
  if (end == std::string::npos) {
    Error(call, 500, "Stored client token record is malformed");
    return false;
  }
  const size_t from = at + 14;
  value.replace(from, end - from, "\"" + Iso(now_ms) + "\"");
  const std::string key(it->first);
  if (!wal_->Put(key, value)) {
    Error(call, 503, kReadOnly);
    return false;
  }
  call->response.clear();
  call->socket_app = t->second.app;
  call->socket_token = t->second.id;
  return true;
}

void DatonowApi::QueueNotification(uint32_t app, uint64_t client, std::string_view json) {
  engine::PublishRequest p;
  p.app = app;
  p.event = std::string(engine::datonow::kNotificationEvent);
  p.data = std::string(json);
  p.channels.push_back(client == 0 ? std::string(engine::datonow::kBroadcastChannel)
                                   : engine::datonow::TokenChannel(client));
  pubs_.push_back(std::move(p));
}

void DatonowApi::QueueTokenDeleted(uint32_t app, uint64_t id) {
  engine::PublishRequest p;
  p.app = app;
  p.event = std::string(engine::datonow::kTokenDeletedEvent);
  p.channels.push_back(engine::datonow::TokenChannel(id));
  pubs_.push_back(std::move(p));
}

bool DatonowApi::OrphanedTokenChannel(uint32_t app, std::string_view channel,
                                      engine::PublishRequest* close) const {
  uint64_t id = 0;
  if (!engine::datonow::ParseTokenChannel(channel, &id)) return false;
  if (wal_ != nullptr && !wal_->poisoned() &&
      wal_->live().find(TokenKey(apps_->app(app), id)) != wal_->live().end()) {
    return false;
  }
  close->app = app;
  close->event = std::string(engine::datonow::kTokenDeletedEvent);
  close->channels.assign(1, std::string(channel));
  return true;
}

bool DatonowApi::EraseMessage(uint32_t app, uint64_t id) {
  const config::AppConfig& a = apps_->app(app);
  const std::string sp = StatePrefix(a, id);
  if (!wal_->Delete(MessageKey(a, id))) return false;
  --messages_[app];
  std::vector<std::string> keys;
  for (auto it = wal_->live().lower_bound(sp);
       it != wal_->live().end() && it->first.compare(0, sp.size(), sp) == 0; ++it) {
    keys.emplace_back(it->first);
  }
  for (const std::string& k : keys) {
    if (!wal_->Delete(k)) return false;
  }
  return true;
}

bool DatonowApi::SetState(HttpCall* call, uint32_t app, uint64_t client, std::string_view id_text,
                          char flag, int64_t now_ms) {
  if (client == 0) {
    Error(call, 403, "Delivered and read state belong to a client token; use one");
    return false;
  }
  uint64_t id = 0;
  if (!ParseDatonowId(id_text, &id)) {
    Error(call, 400, "The message id must be a number");
    return false;
  }
  const config::AppConfig& a = apps_->app(app);
  auto it = wal_->live().find(MessageKey(a, id));
  const std::string skey = StatePrefix(a, id) + Hex16(client);
  auto st = wal_->live().find(skey);
  std::string flags = st == wal_->live().end() ? std::string() : std::string(st->second);
  if (it == wal_->live().end() || flags.find('h') != std::string::npos) {
    Error(call, 404, "No such message in this token's inbox");
    return false;
  }
  StoredMessage s = ParseStored(it->second);
  if ((s.expires != 0 && s.expires <= now_ms) || (s.target != 0 && s.target != client)) {
    Error(call, 404, "No such message in this token's inbox");
    return false;
  }
  std::string want = flags;
  if (flag == 'r' && want.find('d') == std::string::npos) want.push_back('d');  // read => delivered
  if (want.find(flag) == std::string::npos) want.push_back(flag);
  if (want != flags && !wal_->Put(skey, want)) {
    Error(call, 503, kReadOnly);
    return false;
  }
  if (flag == 'h') {
    Json(call, 200, "{\"deleted\":1}");
  } else {
    std::string body =
        "{\"id\":" + std::to_string(id) +
        ",\"delivered\":" + (want.find('d') != std::string::npos ? "true" : "false") +
        ",\"read\":" + (want.find('r') != std::string::npos ? "true" : "false") + "}";
    Json(call, 200, body);
  }
  return want != flags;
}

bool DatonowApi::SetAll(HttpCall* call, uint32_t app, uint64_t client, char flag, int64_t now_ms) {
  if (client == 0) {
    Error(call, 403, "Read state belongs to a client token; use one");
    return false;
  }
  const config::AppConfig& a = apps_->app(app);
  const std::string prefix = Prefix(a);
  std::vector<std::pair<std::string, std::string>> puts;
  for (auto it = wal_->live().lower_bound(prefix);
       it != wal_->live().end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    StoredMessage s = ParseStored(it->second);
    if ((s.expires != 0 && s.expires <= now_ms) || (s.target != 0 && s.target != client)) continue;
    const uint64_t id = HexId(std::string_view(it->first).substr(prefix.size()));
    const std::string skey = StatePrefix(a, id) + Hex16(client);
    auto st = wal_->live().find(skey);
    std::string flags = st == wal_->live().end() ? std::string() : std::string(st->second);
    if (flags.find('h') != std::string::npos) continue;
    std::string want = flags;
    if (flag == 'r' && want.find('d') == std::string::npos) want.push_back('d');
    if (want.find(flag) == std::string::npos) want.push_back(flag);
    if (want != flags) puts.emplace_back(skey, want);
  }
  for (const auto& [k, v] : puts) {
    if (!wal_->Put(k, v)) {
      Error(call, 503, kReadOnly);
      return false;
    }
  }
  Json(call, 200,
       std::string(flag == 'h' ? "{\"deleted\":" : "{\"read\":") + std::to_string(puts.size()) +
           "}");
  return !puts.empty();
}

}  // namespace ringcast::api
