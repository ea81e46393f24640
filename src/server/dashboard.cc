#include "server/dashboard.h"

#include <vector>

#include "auth/crypto.h"
#include "dashboard_assets.h"
#include "engine/channel_name.h"
#include "engine/publication.h"
#include "http/query.h"
#include "server/server.h"
#include "server/shard.h"
#include "util/clock.h"
#include "util/json_writer.h"

namespace ringcast::server {

namespace {

constexpr std::string_view kPrefix = "/dashboard";
constexpr std::string_view kCookie = "ringcast_admin";

DashboardReply Error(int status, std::string_view message) {
  DashboardReply r;
  r.status = status;
  r.body = "{\"error\":";
  util::AppendJsonString(&r.body, message);
  r.body += ",\"code\":";
  util::AppendInt(&r.body, status);
  r.body += "}";
  return r;
}

std::string_view Param(const std::vector<http::QueryParam>& params, std::string_view key) {
  for (const http::QueryParam& p : params) {
    if (p.key == key) return p.value;
  }
  return {};
}

void AppendDouble(std::string* out, double v) {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%.9g", v);
  out->append(buf, static_cast<size_t>(n));
}

std::string StatsJson(const Server& server, const engine::AppRegistry& apps) {
  std::string out;
  out.reserve(4096);
  out += "{\"ts_ms\":";
  util::AppendInt(&out, util::WallMs());
  out += ",\"ready\":";
  out += server.ready() ? "true" : "false";
  out += ",\"published\":";
  util::AppendUint(&out, server.messages_published());
  out += ",\"shards\":[";
  for (size_t i = 0; i < server.shard_count(); ++i) {
    const ShardMetrics& m = server.shard_metrics(i);
    if (i > 0) out += ',';
    int64_t conns = 0;
    for (size_t p = 0; p < static_cast<size_t>(ConnProtocol::kCount); ++p) {
      conns += m.connections(static_cast<ConnProtocol>(p));
    }
    util::JsonObject o(&out);
    o.Int("shard", static_cast<int64_t>(i));
    o.Int("connections", conns < 0 ? 0 : conns);
    o.Int("pusher_connections", m.connections(ConnProtocol::kPusher));
    o.Int("channels", static_cast<int64_t>(m.channels()));
    o.Int("subscriptions", static_cast<int64_t>(m.subscriptions()));
    o.Int("deliveries", static_cast<int64_t>(m.deliveries()));
    o.Int("publications", static_cast<int64_t>(m.publications()));
    o.Int("sent_bytes", static_cast<int64_t>(m.bytes_out()));
    o.Int("slow_consumers", static_cast<int64_t>(m.slow_consumers()));
    metrics::HistogramSnapshot h = m.loop_turn().Snapshot();
    std::string* v = o.Key("turn_bounds_s");
    v->push_back('[');
    for (size_t b = 0; b < h.bounds.size(); ++b) {
      if (b > 0) v->push_back(',');
      AppendDouble(v, h.bounds[b]);
    }
    v->push_back(']');
    v = o.Key("turn_cumulative");
    v->push_back('[');
    for (size_t b = 0; b < h.cumulative.size(); ++b) {
      if (b > 0) v->push_back(',');
      util::AppendUint(v, h.cumulative[b]);
    }
    v->push_back(']');
    o.Close();
  }
  out += "],\"apps\":[";
  for (uint32_t a = 0; a < apps.size(); ++a) {
    if (a > 0) out += ',';
    const config::AppConfig& app = apps.app(a);
    uint64_t deliveries = 0;
    for (size_t i = 0; i < server.shard_count(); ++i) deliveries += server.app_deliveries(i, a);
    util::JsonObject o(&out);
    o.Str("id", app.id).Str("key", app.key).Str("name", app.name).Bool("enabled", app.enabled);
    o.Int("connections", apps.connections(a));
    o.Int("channels", static_cast<int64_t>(server.app_channels(a)));
    o.Int("published", static_cast<int64_t>(server.app_published(a)));
    o.Int("deliveries", static_cast<int64_t>(deliveries));
    o.Close();
  }
  out += "]}";
  return out;
}

DashboardReply Trigger(const std::vector<http::QueryParam>& params, Shard* shard) {
  engine::ShardEnv& env = shard->env();
  const config::Limits& limits = env.limits();
  uint32_t app = env.apps().IndexById(Param(params, "app"));
  if (app == engine::AppRegistry::kNone) return Error(404, "Unknown app");
  std::string_view channel = Param(params, "channel");
  std::string_view event = Param(params, "event");
  std::string_view data = Param(params, "data");
  if (const char* why = engine::ChannelNameError(channel, limits.max_channel_name_length, false)) {
    return Error(400, why);
  }
  if (const char* why = engine::EventNameError(event, limits.max_event_name_length)) {
    return Error(400, why);
  }
  if (data.size() > limits.max_event_data_bytes) return Error(413, "Event data too large");
  engine::PublicationView pub;
  pub.app = app;
  pub.channel = channel;
  pub.event = event;
  pub.data = data;
  // A publication made on this shard, routed by the control plane to every shard with
  // subscribers (the client-event path; nobody is excluded).
  if (!shard->ForwardPublication(engine::BuildPublication(pub, 1))) {
    return Error(503, "Server busy, retry later");
  }
  DashboardReply r;
  r.status = 200;
  r.body = "{\"ok\":true}";
  return r;
}

}  // namespace

std::string_view CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    size_t end = header.find(';');
    std::string_view item = header.substr(0, end);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    if (item.size() > name.size() && item.substr(0, name.size()) == name &&
        item[name.size()] == '=') {
      std::string_view value = item.substr(name.size() + 1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
        value.remove_suffix(1);
      }
      return value;
    }
    if (end == std::string_view::npos) break;
    header.remove_prefix(end + 1);
  }
  return {};
}

bool IsDashboardPath(std::string_view path) {
  return path == kPrefix || (path.size() > kPrefix.size() && path.substr(0, kPrefix.size()) ==
                                                                 kPrefix &&
                             path[kPrefix.size()] == '/');
}

DashboardReply HandleDashboard(const http::RequestHead& head, Shard* shard) {
  const std::string& token = shard->env().config().admin_token;
  if (token.empty() || shard->server() == nullptr) return Error(404, "Not found");
  std::vector<http::QueryParam> params;
  if (!http::ParseQuery(head.query, &params, /*plus_as_space=*/true)) {
    return Error(400, "Bad query string");
  }
  std::string_view given;
  bool from_query = false;
  std::string_view authz = head.Get("authorization");
  if (authz.size() > 7 && authz.substr(0, 7) == "Bearer ") {
    given = authz.substr(7);
  } else if (std::string_view q = Param(params, "token"); !q.empty()) {
    given = q;
    from_query = true;
  } else {
    given = CookieValue(head.Get("cookie"), kCookie);
  }
  if (!auth::ConstantTimeEquals(given, token)) {
    DashboardReply r = Error(401, "Admin token required: open /dashboard?token=TOKEN");
    r.extra_headers = "WWW-Authenticate: Bearer realm=\"ringcast\"\r\n";
    return r;
  }
  std::string_view path = head.path;
  std::string_view rest = path.substr(kPrefix.size());  // "", "/", "/app.js", "/api/..."
  bool get = head.method == http::Method::kGet || head.method == http::Method::kHead;
  if (rest == "/api/stats") {
    if (!get) return Error(405, "Use GET");
    DashboardReply r;
    r.status = 200;
    r.body = StatsJson(*shard->server(), shard->env().apps());
    r.extra_headers = "Cache-Control: no-store\r\n";
    return r;
  }
  if (rest == "/api/trigger") {
    if (head.method != http::Method::kPost) return Error(405, "Use POST");
    return Trigger(params, shard);
  }
  if (!get) return Error(405, "Use GET");
  std::string_view asset = rest.empty() || rest == "/" ? "/index.html" : rest;
  for (const DashboardAsset& a : kDashboardAssets) {
    if (asset == a.path) {
      DashboardReply r;
      r.status = 200;
      r.content_type = std::string(a.content_type);
      r.body.assign(reinterpret_cast<const char*>(a.data), a.size);
      r.extra_headers =
          "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
          "Content-Security-Policy: default-src 'self'; connect-src 'self' ws: wss:; "
          "img-src 'self' data:\r\n";
      if (from_query) {
        r.extra_headers += "Set-Cookie: ";
        r.extra_headers += kCookie;
        r.extra_headers += "=" + token + "; Path=/dashboard; HttpOnly; SameSite=Strict\r\n";
      }
      return r;
    }
  }
  return Error(404, "Not found");
}

}  // namespace ringcast::server
