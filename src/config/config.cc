#include "config/config.h"

#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <simdjson.h>
#include <sstream>

#include "config/dialogue_config.h"
#include "config/impulse_config.h"
#include "config/webhook_config.h"

namespace ringcast::config {
namespace {

enum class Kind { kString, kUint, kPort, kFlag };

// One settable value: a flag, its environment variable and (for limits) its config-file key.
struct Option {
  const char* name;  // flag without "--"; env is RINGCAST_ + upper(name with '-' -> '_')
  const char* arg;   // metavariable in --help, nullptr for a bare flag
  const char* help;
  Kind kind;
  std::function<std::string(ServerConfig*, const std::string&)> set;
};

std::string ParseUint(const std::string& text, uint64_t max, uint64_t* out) {
  uint64_t v = 0;
  auto res = std::from_chars(text.data(), text.data() + text.size(), v);
  if (res.ec != std::errc() || res.ptr != text.data() + text.size() || text.empty()) {
    return "not a non-negative integer: '" + text + "'";
  }
  if (v > max) return "value " + text + " is above the maximum " + std::to_string(max);
  *out = v;
  return "";
}

template <typename T>
std::function<std::string(ServerConfig*, const std::string&)> UintSetter(T Limits::*field,
                                                                         uint64_t max) {
  return [field, max](ServerConfig* c, const std::string& v) {
    uint64_t n;
    std::string err = ParseUint(v, max, &n);
    if (err.empty()) c->limits.*field = static_cast<T>(n);
    return err;
  };
}

struct LimitSpec {
  const char* name;  // config key in "limits" (snake_case); flag uses '-'
  uint32_t Limits::*field;
  uint64_t max;
  const char* help;
};

const LimitSpec kLimitSpecs[] = {
    {"max_connections_per_shard", &Limits::max_connections_per_shard, 10000000,
     "connections per shard before new ones are refused (Pusher close 4100)"},
    {"max_header_bytes", &Limits::max_header_bytes, 1 << 20, "HTTP request head bytes (431)"},
    {"max_request_body_bytes", &Limits::max_request_body_bytes, 64u << 20,
     "HTTP request body bytes (413)"},
    {"max_ws_message_bytes", &Limits::max_ws_message_bytes, 64u << 20,
     "WebSocket message bytes from a client (close 1009)"},
    {"max_ws_fragments", &Limits::max_ws_fragments, 1u << 20,
     "frames in one fragmented WebSocket message (close 1009)"},
    {"max_outbound_bytes", &Limits::max_outbound_bytes, 1u << 30,
     "bytes queued to one connection before it is cut as a slow consumer (close 4100)"},
    {"max_outbound_total_mib", &Limits::max_outbound_total_mib, 1u << 20,
     "MiB of distinct outbound frames queued in the whole process (an equal share per shard); "
     "the connection whose send passes its shard's share is cut as a slow consumer"},
    {"max_event_data_bytes", &Limits::max_event_data_bytes, 16u << 20,
     "event data bytes in a published event (413)"},
    {"max_channels_per_event", &Limits::max_channels_per_event, 10000,
     "channels named by one published event (400)"},
    {"max_batch_events", &Limits::max_batch_events, 10000, "events in one batch_events call (400)"},
    {"max_channel_name_length", &Limits::max_channel_name_length, 4096, "channel name length"},
    {"max_event_name_length", &Limits::max_event_name_length, 4096, "event name length"},
    {"max_subscriptions_per_connection", &Limits::max_subscriptions_per_connection, 1000000,
     "channels one connection may subscribe to"},
    {"max_channels_per_app_per_shard", &Limits::max_channels_per_app_per_shard, 100000000,
     "channels of one app that one shard holds (a subscription creating one more: 4009)"},
    {"subscribes_per_second", &Limits::subscribes_per_second, 1000000,
     "pusher:subscribe messages one connection may send per second (refused with 4301 beyond)"},
    {"client_messages_per_second", &Limits::client_messages_per_second, 10000000,
     "WebSocket messages one connection may send per second (dropped beyond, pusher:error 4301)"},
    {"client_events_per_second", &Limits::client_events_per_second, 1000000,
     "client events one connection may send per second (pusher:error 4301 beyond)"},
    {"handshake_timeout_ms", &Limits::handshake_timeout_ms, 3600000,
     "time from accept to a complete HTTP request"},
    {"max_pipelined_requests", &Limits::max_pipelined_requests, 65536,
     "pipelined REST requests of one connection in flight at once (later ones wait; 0 = 1)"},
    {"flush_hold_us", &Limits::flush_hold_us, 1000000,
     "longest a shard holds its writes while more output is known to be coming (0: never)"},
    {"user_authentication_timeout_ms", &Limits::user_authentication_timeout_ms, 86400000,
     "apps with enable_user_authentication close connections not signed in by then (4009)"},
    {"cache_ttl_s", &Limits::cache_ttl_s, 86400,
     "seconds a cache channel keeps its last REST event for later subscribers (Pusher: 30 min)"},
    {"activity_timeout_s", &Limits::activity_timeout_s, 86400,
     "idle seconds before the server pings a client (sent to clients as activity_timeout)"},
    {"pong_timeout_s", &Limits::pong_timeout_s, 3600,
     "seconds to wait for a pong before closing with 4201"},
    {"shutdown_grace_ms", &Limits::shutdown_grace_ms, 60000,
     "window over which client closes are spread on SIGTERM"},
    {"datonow_api_requests_per_minute", &Limits::datonow_api_requests_per_minute, 100000000,
     "Datonow REST requests (/api/...) per minute per app, 0 = no limit (excess: 429)"},
    {"datonow_ws_connections_per_second", &Limits::datonow_ws_connections_per_second, 1000000,
     "new Datonow sockets (/ws) per second per IP and app, 0 = no limit (excess: close 4429)"},
    {"datonow_trigger_request_id_window_s", &Limits::datonow_trigger_request_id_window_s, 604800,
     "seconds POST /api/trigger remembers a requestId (a repeat answers the first result)"},
    {"mochat_registrations_per_minute", &Limits::mochat_registrations_per_minute, 100000000,
     "MoChat selfRegister calls per minute per app, 0 = no limit (excess: 429)"},
    {"read_buffers_per_shard", &Limits::read_buffers_per_shard, 32768,
     "provided read buffers per shard (power of two)"},
    {"read_buffer_bytes", &Limits::read_buffer_bytes, 1 << 20, "bytes per read buffer"},
    {"history_max_mib", &Limits::history_max_mib, 1u << 20,
     "MiB of channel history kept in the whole process (oldest events evicted beyond)"},
    {"sse_heartbeat_ms", &Limits::sse_heartbeat_ms, 3600000,
     "interval of the SSE heartbeat comment (0: none)"},
    {"sse_retry_ms", &Limits::sse_retry_ms, 3600000,
     "reconnect delay sent to SSE clients as `retry:`"},
    {"max_watchlist_entries", &Limits::max_watchlist_entries, 100000000,
     "watched user ids over all signed-in connections' watchlists (beyond: pusher:error 4302)"},
};

std::string Dashed(const char* snake) {
  std::string s = snake;
  for (char& ch : s) {
    if (ch == '_') ch = '-';
  }
  return s;
}

std::string EnvName(const std::string& flag) {
  std::string s = "RINGCAST_";
  for (char ch : flag) s.push_back(ch == '-' ? '_' : static_cast<char>(std::toupper(ch)));
  return s;
}

std::string SetNodeId(ServerConfig* c, const std::string& v) {
  if (v.size() > 64) return std::string("cluster node id is longer than 64 bytes");
  for (char ch : v) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' && ch != '-') {
      return std::string("cluster node id may hold only letters, digits and ._-");
    }
  }
  c->cluster.node_id = v;
  return std::string();
}

std::string SetClusterPrefix(ServerConfig* c, const std::string& v) {
  if (v.empty() || v.size() > 64) return std::string("cluster prefix must be 1 to 64 bytes");
  for (char ch : v) {
    if (ch <= ' ' || ch == 0x7f) return std::string("cluster prefix may not hold spaces");
  }
  c->cluster.prefix = v;
  return std::string();
}

AppConfig& SingleApp(ServerConfig* c) {
  if (c->apps.empty()) c->apps.emplace_back();
  return c->apps.front();
}

const std::vector<Option>& Options() {
  static const std::vector<Option> options = [] {
    std::vector<Option> o = {
        {"host", "ADDR", "address to listen on (default 0.0.0.0; 127.0.0.1 with the dev app)",
         Kind::kString,
         [](ServerConfig* c, const std::string& v) {
           c->host = v;
           c->host_set = true;
           return std::string();
         }},
        {"port", "PORT", "TCP port (default 6001)", Kind::kPort,
         [](ServerConfig* c, const std::string& v) {
           uint64_t n;
           std::string err = ParseUint(v, 65535, &n);
           if (err.empty()) c->port = static_cast<uint16_t>(n);
           return err;
         }},
        {"shards", "N", "event-loop threads (default: online CPUs, at most 64)", Kind::kUint,
         [](ServerConfig* c, const std::string& v) {
           uint64_t n;
           std::string err = ParseUint(v, 64, &n);
           if (err.empty()) c->shards = static_cast<uint32_t>(n);
           return err;
         }},
        {"pin-cpus", "LIST",
         "pin shard i to a CPU: 'auto' (the i-th allowed CPU) or a list like '0,2,4'; the "
         "control plane runs unpinned",
         Kind::kString,
         [](ServerConfig* c, const std::string& v) {
           c->pin_cpus = v;
           return std::string();
         }},
        {"config", "FILE", "JSON config file (apps and limits; see docs/operations.md)",
         Kind::kString,
         [](ServerConfig* c, const std::string& v) {
           c->config_file = v;
           return std::string();
         }},
        {"data-dir", "DIR", "directory for durable data (default ./ringcast-data)", Kind::kString,
         [](ServerConfig* c, const std::string& v) {
           c->data_dir = v;
           return std::string();
         }},
        {"store-sync", "POLICY",
         "when the store's log is synced: always (default: every commit, before replying), "
         "interval:MS (at most every MS ms; replies wait for it) or none (never; the OS decides)",
         Kind::kString,
         [](ServerConfig* c, const std::string& v) {
           bool ok = v == "always" || v == "none";
           if (!ok && v.rfind("interval:", 0) == 0 && v.size() > 9 && v.size() <= 15) {
             ok = v.find_first_not_of("0123456789", 9) == std::string::npos;
           }
           if (!ok) return "unknown store sync policy '" + v + "' (always, interval:MS, none)";
           c->store_sync = v;
           return std::string();
         }},
        {"store-recover", "MODE",
         "corruption in the middle of the store's log at start-up: fail (default: refuse to "
         "start) or skip (skip it and log what was skipped)",
         Kind::kString,
         [](ServerConfig* c, const std::string& v) {
           if (v != "fail" && v != "skip") {
             return "unknown store recover mode '" + v + "' (fail, skip)";
           }
           c->store_recover = v;
           return std::string();
         }},
        {"app-id", "ID", "a single app's id (without a config file)", Kind::kString,
         [](ServerConfig* c, const std::string& v) {
           SingleApp(c).id = v;
           return std::string();
         }},
        {"app-key", "KEY", "the single app's key", Kind::kString,
         [](ServerConfig* c, const std::string& v) {
           SingleApp(c).key = v;
           return std::string();
         }},
        {"app-secret", "SECRET", "the single app's secret", Kind::kString,
         [](ServerConfig* c, const std::string& v) {
           SingleApp(c).secret = v;
           return std::string();
         }},
        {"echo-path", "PATH", "test aid: serve a WebSocket echo endpoint at PATH (off by default)",
         Kind::kString,
         [](ServerConfig* c, const std::string& v) {
           if (!v.empty() && v[0] != '/') return std::string("echo path must start with '/'");
           c->echo_path = v;
           return std::string();
         }},
        {"sse-cors-origin", "ORIGIN",
         "Access-Control-Allow-Origin of SSE streams (default '*'; empty: no CORS headers)",
         Kind::kString,
         [](ServerConfig* c, const std::string& v) {
           c->sse_cors_origin = v;
           return std::string();
         }},
        {"descriptors", "MODE",
         "client sockets as 'regular' file descriptors (default) or io_uring 'direct' "
         "descriptors, a table per shard: each shard may then hold up to the open-file limit",
         Kind::kString,
         [](ServerConfig* c, const std::string& v) {
           if (v != "regular" && v != "direct") {
             return "unknown descriptor mode '" + v + "' (regular, direct)";
           }
           c->direct_descriptors = v == "direct";
           return std::string();
         }},
        {"log-level", "LEVEL", "debug, info, warn or error (default info)", Kind::kString,
         [](ServerConfig* c, const std::string& v) {
           if (v != "debug" && v != "info" && v != "warn" && v != "error") {
             return "unknown log level '" + v + "'";
           }
           c->log_level = v;
           return std::string();
         }},
        {"log-format", "FORMAT",
         "'text' (default) or 'json': one JSON object per line with fields ts, level, msg",
         Kind::kString,
         [](ServerConfig* c, const std::string& v) {
           if (v != "text" && v != "json") return "unknown log format '" + v + "' (text, json)";
           c->log_format = v;
           return std::string();
         }},
        {"metrics-port", "PORT",
         "serve GET /metrics (and /health, /ready) only on this port, on its own thread "
         "(default: /metrics on the main port)",
         Kind::kPort,
         [](ServerConfig* c, const std::string& v) {
           uint64_t n;
           std::string err = ParseUint(v, 65535, &n);
           if (err.empty()) c->metrics_port = static_cast<uint16_t>(n);
           return err;
         }},
        {"admin-token", "TOKEN",
         "token that opens /dashboard and its API (Authorization: Bearer TOKEN); off when empty",
         Kind::kString,
         [](ServerConfig* c, const std::string& v) {
           // It goes into a cookie and is compared with headers: plain token characters only.
           for (char ch : v) {
             bool ok = std::isalnum(static_cast<unsigned char>(ch)) ||
                       std::string_view("-._~+/=").find(ch) != std::string_view::npos;
             if (!ok) return std::string("admin token may hold only letters, digits and -._~+/=");
           }
           c->admin_token = v;
           return std::string();
         }},
        {"tls-cert", "FILE",
         "serve TLS on the port (wss, https) with this PEM certificate chain; needs --tls-key; "
         "SIGHUP reloads both",
         Kind::kString,
         [](ServerConfig* c, const std::string& v) {
           c->tls_cert = v;
           return std::string();
         }},
        {"webhook-ca-file", "FILE",
         "PEM CA certificates that https webhook targets are verified against (default: the "
         "system CA store)",
         Kind::kString,
         [](ServerConfig* c, const std::string& v) {
           c->webhook_ca_file = v;
           return std::string();
         }},
        {"redis-url", "URL",
         "cluster mode: share channels, presence and counts with the other nodes on this Redis "
         "(redis://[user:pass@]HOST:PORT[/DB]; docs/cluster.md); off when empty",
         Kind::kString,
         [](ServerConfig* c, const std::string& v) {
           if (!v.empty() && v.rfind("redis://", 0) != 0) {
             return std::string(
                 "redis url must start with redis:// (rediss:// and unix: are "
                 "not supported)");
           }
           c->cluster.redis_url = v;
           return std::string();
         }},
        {"cluster-node-id", "ID",
         "this node's name in the cluster's logs, metrics and Redis (default <hostname>-<pid>)",
         Kind::kString, [](ServerConfig* c, const std::string& v) { return SetNodeId(c, v); }},
        {"cluster-prefix", "PREFIX",
         "first bytes of every Redis key and pub/sub channel of the cluster (default ringcast:)",
         Kind::kString,
         [](ServerConfig* c, const std::string& v) { return SetClusterPrefix(c, v); }},
        {"cluster-node-timeout-ms", "MS",
         "cluster mode: a node silent this long is dead; the others remove its presence "
         "members (default 15000, at least 3000)",
         Kind::kUint,
         [](ServerConfig* c, const std::string& v) {
           uint64_t n;
           std::string err = ParseUint(v, 3600000, &n);
           if (err.empty() && n < 3000) err = "cluster node timeout must be at least 3000 ms";
           if (err.empty()) c->cluster.node_timeout_ms = static_cast<uint32_t>(n);
           return err;
         }},
        {"tls-key", "FILE", "the PEM private key of --tls-cert", Kind::kString,
         [](ServerConfig* c, const std::string& v) {
           c->tls_key = v;
           return std::string();
         }},
        {"tls-ciphers", "LIST",
         "TLS 1.2 cipher list, OpenSSL syntax (default: BoringSSL's ECDHE+AEAD suites; TLS 1.3 "
         "suites are fixed)",
         Kind::kString,
         [](ServerConfig* c, const std::string& v) {
           c->tls_ciphers = v;
           return std::string();
         }},
    };
    // Flag names of the limits, kept for the life of the process (Option holds pointers).
    static std::deque<std::string> limit_flags;
    for (const LimitSpec& spec : kLimitSpecs) {
      limit_flags.push_back(Dashed(spec.name));
      o.push_back({limit_flags.back().c_str(), "N", spec.help, Kind::kUint,
                   UintSetter(spec.field, spec.max)});
    }
    return o;
  }();
  return options;
}

const Option* FindOption(const std::string& name) {
  for (const Option& o : Options()) {
    if (name == o.name) return &o;
  }
  return nullptr;
}

std::string ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot read config file '" + path + "': " + std::strerror(errno);
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return "";
}

}  // namespace

std::string HelpText() {
  std::string s =
      "ringcast " RINGCAST_VERSION
      " - realtime fan-out server (Pusher Channels protocol 7 over WebSocket, Pusher HTTP API)\n\n"
      "usage: ringcast [options]\n\n"
      "Every option can also be set with an environment variable RINGCAST_<NAME> (upper case,\n"
      "'-' as '_'), e.g. RINGCAST_PORT=6001. Flags win over the environment, the environment\n"
      "over the config file, the config file over defaults. With no app configured, an embedded\n"
      "dev app (id app-id, key app-key, secret app-secret) is used and the server binds\n"
      "127.0.0.1 unless --host says otherwise.\n\noptions:\n";
  for (const Option& o : Options()) {
    std::string left = std::string("  --") + o.name + (o.arg ? std::string(" ") + o.arg : "");
    if (left.size() < 34) left.resize(34, ' ');
    s += left + " " + o.help + "\n";
  }
  s += "  --help                             print this help and exit\n";
  s += "  --version                          print the version and exit\n";
  s += "\nSignals: SIGTERM/SIGINT stop accepting, close every client (spread over\n"
       "shutdown-grace-ms) and exit 0. SIGHUP reloads the TLS certificate and key\n"
       "(new handshakes use them; open connections keep theirs).\n";
  return s;
}

std::string ApplyConfigJson(const std::string& json, ServerConfig* out) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  auto err = parser.parse(json).get(root);
  if (err) return std::string("config file is not valid JSON: ") + simdjson::error_message(err);
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) return "config file must hold a JSON object";
  for (auto field : obj) {
    std::string key(field.key);
    simdjson::dom::element v = field.value;
    if (key == "apps") {
      simdjson::dom::array apps;
      if (v.get_array().get(apps)) return "\"apps\" must be an array";
      out->apps.clear();
      for (simdjson::dom::element a : apps) {
        AppConfig app;
        simdjson::dom::object ao;
        if (a.get_object().get(ao)) return "each app must be an object";
        for (auto af : ao) {
          std::string ak(af.key);
          std::string_view sv;
          bool b;
          uint64_t n;
          if (ak == "id" || ak == "key" || ak == "secret" || ak == "name") {
            // ids may be given as numbers too (Pusher app ids are numeric)
            if (af.value.get_string().get(sv) == simdjson::SUCCESS) {
            } else if (af.value.get_uint64().get(n) == simdjson::SUCCESS) {
              static thread_local std::string num;
              num = std::to_string(n);
              sv = num;
            } else {
              return "app \"" + ak + "\" must be a string";
            }
            (ak == "id" ? app.id : ak == "key" ? app.key : ak == "secret" ? app.secret : app.name) =
                std::string(sv);
          } else if (ak == "enabled") {
            if (af.value.get_bool().get(b)) return "app \"enabled\" must be a boolean";
            app.enabled = b;
          } else if (ak == "enable_user_authentication") {
            if (af.value.get_bool().get(b)) {
              return "app \"enable_user_authentication\" must be a boolean";
            }
            app.enable_user_authentication = b;
          } else if (ak == "enable_subscription_count") {
            if (af.value.get_bool().get(b)) {
              return "app \"enable_subscription_count\" must be a boolean";
            }
            app.enable_subscription_count = b;
          } else if (ak == "enable_client_events") {
            if (af.value.get_bool().get(b)) return "app \"enable_client_events\" must be a boolean";
            app.enable_client_events = b;
          } else if (ak == "max_connections") {
            if (af.value.get_uint64().get(n) || n > 100000000) {
              return "app \"max_connections\" must be a non-negative integer";
            }
            app.max_connections = static_cast<uint32_t>(n);
          } else if (ak == "datonow_api_requests_per_minute" ||
                     ak == "datonow_ws_connections_per_second") {
            if (af.value.get_uint64().get(n) || n > 100000000) {
              return "app \"" + ak + "\" must be an integer from 0 to 100000000";
            }
            (ak == "datonow_api_requests_per_minute" ? app.datonow_api_requests_per_minute
                                                     : app.datonow_ws_connections_per_second) =
                static_cast<uint32_t>(n);
          } else if (ak == "webhooks") {
            std::string werr = ParseWebhooks(af.value, &app.webhooks);
            if (!werr.empty()) return werr;
          } else if (ak == "max_presence_members_per_channel" ||
                     ak == "max_presence_user_info_bytes" || ak == "max_presence_user_id_length") {
            if (af.value.get_uint64().get(n) || n > 1000000) {
              return "app \"" + ak + "\" must be an integer from 0 to 1000000";
            }
            (ak == "max_presence_members_per_channel" ? app.max_presence_members_per_channel
             : ak == "max_presence_user_info_bytes"   ? app.max_presence_user_info_bytes
                                                      : app.max_presence_user_id_length) =
                static_cast<uint32_t>(n);
          } else if (ak == "history_size" || ak == "history_ttl_s") {
            if (af.value.get_uint64().get(n) || n > 1000000) {
              return "app \"" + ak + "\" must be an integer from 0 to 1000000";
            }
            (ak == "history_size" ? app.history_size : app.history_ttl_s) =
                static_cast<uint32_t>(n);
          } else if (ak == "history") {
            // [{"prefix": "feed-", "size": 500, "ttl_s": 600}, ...]
            simdjson::dom::array rules;
            if (af.value.get_array().get(rules)) return "app \"history\" must be an array";
            for (simdjson::dom::element r : rules) {
              HistoryRule rule{"", app.history_size, app.history_ttl_s};
              simdjson::dom::object ro;
              if (r.get_object().get(ro)) return "each app \"history\" rule must be an object";
              for (auto rf : ro) {
                std::string rk(rf.key);
                if (rk == "prefix") {
                  if (rf.value.get_string().get(sv)) return "history \"prefix\" must be a string";
                  rule.prefix = std::string(sv);
                } else if (rk == "size" || rk == "ttl_s") {
                  if (rf.value.get_uint64().get(n) || n > 1000000) {
                    return "history \"" + rk + "\" must be an integer from 0 to 1000000";
                  }
                  (rk == "size" ? rule.size : rule.ttl_s) = static_cast<uint32_t>(n);
                } else {
                  return "unknown history rule field \"" + rk + "\"";
                }
              }
              app.history_rules.push_back(std::move(rule));
            }
          } else {
            return "unknown app field \"" + ak + "\"";
          }
        }
        out->apps.push_back(std::move(app));
      }
    } else if (key == "impulse") {
      std::string err = ApplyImpulseJson(v, &out->impulse);
      if (!err.empty()) return err;
    } else if (key == "dialogue") {
      std::string err = ApplyDialogueJson(v, &out->dialogue);
      if (!err.empty()) return err;
    } else if (key == "mochat") {
      std::string err = ApplyMochatJson(v, &out->mochat);
      if (!err.empty()) return err;
    } else if (key == "cluster") {
      // {"redis_url": URL, "node_id": ID, "prefix": P}: the --redis-url and --cluster-* flags.
      simdjson::dom::object co;
      if (v.get_object().get(co)) return "\"cluster\" must be an object";
      for (auto cf : co) {
        std::string ck(cf.key);
        std::string_view sv;
        const char* flag = ck == "redis_url"         ? "redis-url"
                           : ck == "node_id"         ? "cluster-node-id"
                           : ck == "prefix"          ? "cluster-prefix"
                           : ck == "node_timeout_ms" ? "cluster-node-timeout-ms"
                                                     : nullptr;
        if (flag == nullptr) return "unknown cluster field \"" + ck + "\"";
        std::string text;
        uint64_t n;
        if (cf.value.get_string().get(sv) == simdjson::SUCCESS) {
          text = std::string(sv);
        } else if (ck == "node_timeout_ms" && cf.value.get_uint64().get(n) == simdjson::SUCCESS) {
          text = std::to_string(n);
        } else {
          return "cluster \"" + ck + "\" must be a " +
                 (ck == "node_timeout_ms" ? "number" : "string");
        }
        std::string err = FindOption(flag)->set(out, text);
        if (!err.empty()) return "cluster \"" + ck + "\": " + err;
      }
    } else if (key == "tls") {
      // {"cert": FILE, "key": FILE, "ciphers": LIST}: the --tls-* flags.
      simdjson::dom::object to;
      if (v.get_object().get(to)) return "\"tls\" must be an object";
      for (auto tf : to) {
        std::string tk(tf.key);
        std::string_view sv;
        if (tk != "cert" && tk != "key" && tk != "ciphers") {
          return "unknown tls field \"" + tk + "\"";
        }
        if (tf.value.get_string().get(sv)) return "tls \"" + tk + "\" must be a string";
        (tk == "cert" ? out->tls_cert : tk == "key" ? out->tls_key : out->tls_ciphers) =
            std::string(sv);
      }
    } else if (key == "limits") {
      simdjson::dom::object lo;
      if (v.get_object().get(lo)) return "\"limits\" must be an object";
      for (auto lf : lo) {
        std::string lk(lf.key);
        const LimitSpec* spec = nullptr;
        for (const LimitSpec& s : kLimitSpecs) {
          if (lk == s.name) spec = &s;
        }
        if (spec == nullptr) return "unknown limit \"" + lk + "\"";
        uint64_t n;
        if (lf.value.get_uint64().get(n)) return "limit \"" + lk + "\" must be an integer";
        if (n > spec->max) return "limit \"" + lk + "\" is above its maximum";
        out->limits.*(spec->field) = static_cast<uint32_t>(n);
      }
    } else {
      // Top-level scalars mirror the flags: "host", "port", "shards", "pin_cpus", ...
      std::string flag = Dashed(key.c_str());
      const Option* o = FindOption(flag);
      if (o == nullptr || flag == "config") return "unknown config field \"" + key + "\"";
      std::string text;
      std::string_view sv;
      uint64_t n;
      bool b;
      if (v.get_string().get(sv) == simdjson::SUCCESS) {
        text = std::string(sv);
      } else if (v.get_uint64().get(n) == simdjson::SUCCESS) {
        text = std::to_string(n);
      } else if (v.get_bool().get(b) == simdjson::SUCCESS) {
        text = b ? "auto" : "";
        if (flag != "pin-cpus") return "config field \"" + key + "\" cannot be a boolean";
      } else {
        return "config field \"" + key + "\" must be a string or a number";
      }
      std::string err = o->set(out, text);
      if (!err.empty()) return "config field \"" + key + "\": " + err;
    }
  }
  return "";
}

std::string Finalize(ServerConfig* out) {
  if (out->metrics_port != 0 && out->metrics_port == out->port) {
    return "metrics-port must differ from port (leave it unset to serve /metrics on port)";
  }
  if (out->tls_cert.empty() != out->tls_key.empty()) {
    return "tls-cert and tls-key go together: give both or neither";
  }
  if (!out->webhook_ca_file.empty() && ::access(out->webhook_ca_file.c_str(), R_OK) != 0) {
    return "webhook-ca-file '" + out->webhook_ca_file + "' cannot be read";
  }
  if (out->apps.empty()) {
    out->dev_app = true;
    out->apps.push_back({kDevAppId, kDevAppKey, kDevAppSecret, "dev", true, 0, true});
    if (!out->host_set) out->host = "127.0.0.1";
  }
  for (size_t i = 0; i < out->apps.size(); ++i) {
    const AppConfig& a = out->apps[i];
    if (a.id.empty() || a.key.empty() || a.secret.empty()) {
      return "app " + std::to_string(i) + " needs an id, a key and a secret";
    }
    for (size_t j = 0; j < i; ++j) {
      if (out->apps[j].id == a.id) return "duplicate app id '" + a.id + "'";
      if (out->apps[j].key == a.key) return "duplicate app key '" + a.key + "'";
    }
  }
  const Limits& l = out->limits;
  if (l.read_buffers_per_shard == 0 || (l.read_buffers_per_shard & (l.read_buffers_per_shard - 1))) {
    return "read-buffers-per-shard must be a power of two";
  }
  if (l.read_buffer_bytes < 512) return "read-buffer-bytes must be at least 512";
  if (l.activity_timeout_s == 0) return "activity-timeout-s must be at least 1";
  if (l.pong_timeout_s == 0) return "pong-timeout-s must be at least 1";
  if (l.max_outbound_total_mib == 0) return "max-outbound-total-mib must be at least 1";
  if (l.max_header_bytes < 256) return "max-header-bytes must be at least 256";
  if (out->shards == 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    out->shards = n <= 0 ? 1 : (n > 64 ? 64 : static_cast<uint32_t>(n));
  }
  std::string err = FinalizeImpulse(out);
  if (!err.empty()) return err;
  err = FinalizeDialogue(out);
  if (!err.empty()) return err;
  return FinalizeMochat(out);
}

ParseOutcome LoadConfig(int argc, const char* const* argv, const char* const* env,
                        ServerConfig* out) {
  // Pass 1: --help, --version and where the config file is (flag, then env).
  std::string config_file;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(HelpText().c_str(), stdout);
      return ParseOutcome::kExitOk;
    }
    if (a == "--version") {
      std::puts("ringcast " RINGCAST_VERSION);
      return ParseOutcome::kExitOk;
    }
    if (a == "--config" && i + 1 < argc) config_file = argv[i + 1];
    if (a.rfind("--config=", 0) == 0) config_file = a.substr(9);
  }
  if (config_file.empty() && env != nullptr) {
    for (const char* const* e = env; *e != nullptr; ++e) {
      if (std::strncmp(*e, "RINGCAST_CONFIG=", 16) == 0) config_file = *e + 16;
    }
  }
  if (!config_file.empty()) {
    std::string text;
    std::string err = ReadFile(config_file, &text);
    if (err.empty()) err = ApplyConfigJson(text, out);
    if (!err.empty()) {
      std::fprintf(stderr, "ringcast: %s: %s\n", config_file.c_str(), err.c_str());
      return ParseOutcome::kExitError;
    }
    out->config_file = config_file;
  }
  // Pass 2: environment.
  if (env != nullptr) {
    for (const char* const* e = env; *e != nullptr; ++e) {
      if (std::strncmp(*e, "REALTIME_SECRET=", 16) == 0) out->impulse.secret = *e + 16;
      if (std::strncmp(*e, "RINGCAST_", 9) != 0) continue;
      const char* eq = std::strchr(*e, '=');
      if (eq == nullptr) continue;
      std::string name(*e, eq);
      for (const Option& o : Options()) {
        if (EnvName(o.name) != name || std::strcmp(o.name, "config") == 0) continue;
        std::string err = o.set(out, eq + 1);
        if (!err.empty()) {
          std::fprintf(stderr, "ringcast: %s: %s\n", name.c_str(), err.c_str());
          return ParseOutcome::kExitError;
        }
      }
    }
  }
  // Pass 3: flags, "--name value" or "--name=value".
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) {
      std::fprintf(stderr, "ringcast: unexpected argument '%s' (see --help)\n", a.c_str());
      return ParseOutcome::kExitError;
    }
    std::string name = a.substr(2);
    std::string value;
    bool has_value = false;
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    const Option* o = FindOption(name);
    if (o == nullptr) {
      std::fprintf(stderr, "ringcast: unknown option '--%s' (see --help)\n", name.c_str());
      return ParseOutcome::kExitError;
    }
    if (!has_value) {
      if (name == "pin-cpus" && (i + 1 >= argc || std::strncmp(argv[i + 1], "--", 2) == 0)) {
        value = "auto";  // bare --pin-cpus
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        std::fprintf(stderr, "ringcast: option '--%s' needs a value\n", name.c_str());
        return ParseOutcome::kExitError;
      }
    }
    if (name == "config") continue;  // read in pass 1
    std::string err = o->set(out, value);
    if (!err.empty()) {
      std::fprintf(stderr, "ringcast: --%s: %s\n", name.c_str(), err.c_str());
      return ParseOutcome::kExitError;
    }
  }
  std::string err = Finalize(out);
  if (!err.empty()) {
    std::fprintf(stderr, "ringcast: %s\n", err.c_str());
    return ParseOutcome::kExitError;
  }
  return ParseOutcome::kRun;
}

}  // namespace ringcast::config
