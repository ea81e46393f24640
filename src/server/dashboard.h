// Dashboard: the operator's page at /dashboard and its small JSON API, answered on the shard
// that accepted the request (server/http_front.cc routes /dashboard and /dashboard/...).
//
//   GET  /dashboard, /dashboard/<asset>  the static page (src/dashboard/, embedded at build time
//                                        as dashboard_assets.h by tools/embed_assets.py)
//   GET  /dashboard/api/stats            live figures as JSON: per shard (connections,
//                                        channels, subscriptions, deliveries, publications,
//                                        loop-turn histogram) and per app (connections, channels,
//                                        messages published, deliveries); cumulative counters,
//                                        the page turns them into rates and a p99 per interval
//   POST /dashboard/api/trigger?app=ID&channel=C&event=E&data=D
//                                        publishes a test event (public channels; as a client
//                                        event, through the shard's outbox to the control plane)
// Access: only when an admin token is configured (--admin-token; otherwise 404), and only with
// that token, given as "Authorization: Bearer T", the cookie ringcast_admin=T, or ?token=T on
// the page itself, which then sets the cookie (HttpOnly, SameSite=Strict, Path=/dashboard) so
// the page's own requests carry it. Tokens are compared in constant time. Without it: 401.
// Reads only single-writer atomics of other threads (ShardMetrics, per-app counters), never a
// lock or a message on the message path.
// Thread rules: the calling shard's thread.
#pragma once

#include <string>
#include <string_view>

#include "http/request.h"

namespace ringcast::server {

class Shard;

struct DashboardReply {
  int status = 404;
  std::string content_type = "application/json";
  std::string body;
  std::string extra_headers;  // complete header lines, each ending in \r\n
};

// True for /dashboard and everything under it.
bool IsDashboardPath(std::string_view path);

// The value of cookie `name` in a Cookie header ("a=1; name=v; b=2" -> "v"); empty when absent.
// A view into `header`. Pure (fuzzed: tests/fuzz/edge_request_fuzz.cc).
std::string_view CookieValue(std::string_view header, std::string_view name);

// Answers one dashboard request (no body; everything is in the head).
DashboardReply HandleDashboard(const http::RequestHead& head, Shard* shard);

}  // namespace ringcast::server
