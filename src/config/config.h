// ServerConfig: everything an operator can set, with defaults, and how it is read.
//
// Precedence, lowest first: built-in defaults < the JSON config file (--config) < environment
// variables RINGCAST_<FLAG NAME> (upper case, '-' as '_') < command-line flags. With no app
// configured anywhere, the embedded dev app is used and the server binds loopback only.
// Loaded once on the main thread before any other thread starts; read-only afterwards, so every
// thread may read it without locks.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringcast::config {

// One webhook target of an app, in soketi's shape (docs/operations.md, "Webhooks"). Checked at
// load: an http:// URL whose host is an IP address or "localhost" (no resolver on the control
// plane yet; https comes with TLS), known event types, header names that are tokens.
struct WebhookConfig {
  std::string url;
  std::vector<std::string> event_types;  // empty: every kind
  std::string channel_name_starts_with;  // filter; "" matches every channel
  std::string channel_name_ends_with;
  std::vector<std::pair<std::string, std::string>> headers;  // sent with every request
};

// Channel history of the channels whose names start with `prefix` (the longest matching prefix
// of an app wins; engine/history.h). size 0: no history.
struct HistoryRule {
  std::string prefix;
  uint32_t size = 100;
  uint32_t ttl_s = 300;
};

struct AppConfig {
  std::string id;
  std::string key;
  std::string secret;
  std::string name;
  bool enabled = true;
  uint32_t max_connections = 0;  // 0: no per-app limit
  bool enable_client_events = true;
  std::vector<WebhookConfig> webhooks;
  // Connections of this app that do not sign in (pusher:signin) within
  // user_authentication_timeout_ms are closed (4009). Sign-in works either way.
  bool enable_user_authentication = false;
  // pusher_internal:subscription_count events (and the subscription_count webhook) for
  // non-presence channels (engine/subscription_counts.h). REST info=subscription_count works
  // either way.
  bool enable_subscription_count = false;
  // Presence (Pusher's limits): distinct users per channel, user_info JSON bytes, user id bytes.
  uint32_t max_presence_members_per_channel = 100;
  uint32_t max_presence_user_info_bytes = 1024;
  uint32_t max_presence_user_id_length = 128;
  uint32_t history_size = 100;   // events kept per channel (0: no history)
  uint32_t history_ttl_s = 300;  // how long an event stays in history
  std::vector<HistoryRule> history_rules;  // per channel-name prefix, overriding the two above
  // Datonow rate limits of this app; unset: the server-wide Limits value (0: no limit).
  std::optional<uint32_t> datonow_api_requests_per_minute;
  std::optional<uint32_t> datonow_ws_connections_per_second;
};

struct Limits {
  uint32_t max_connections_per_shard = 100000;
  uint32_t max_header_bytes = 16 * 1024;
  uint32_t max_request_body_bytes = 1024 * 1024;
  uint32_t max_ws_message_bytes = 64 * 1024;
  uint32_t max_ws_fragments = 1024;
  uint32_t max_outbound_bytes = 4 * 1024 * 1024;  // per connection: a slow consumer past it is cut
  // Process-wide budget for queued outbound frames (MiB), split evenly between the shards: the
  // connection whose send leaves its shard over its share is cut as a slow consumer.
  uint32_t max_outbound_total_mib = 1024;
  uint32_t max_event_data_bytes = 10 * 1024;
  uint32_t max_channels_per_event = 100;
  uint32_t max_batch_events = 10;
  uint32_t max_channel_name_length = 164;
  uint32_t max_event_name_length = 200;
  uint32_t max_subscriptions_per_connection = 1000;
  // Channels of one app that one shard holds (a channel with subscribers on k shards counts on
  // each of them); a subscription that would create one more is refused (4009).
  uint32_t max_channels_per_app_per_shard = 1000000;
  uint32_t subscribes_per_second = 1000;  // per connection; excess refused with 4301
  uint32_t client_events_per_second = 10;  // per connection; excess answered with 4301
  uint32_t client_messages_per_second = 2000;  // all messages of one connection; excess dropped
  uint32_t handshake_timeout_ms = 10000;  // TCP accept to a complete HTTP request
  uint32_t max_pipelined_requests = 16;   // REST requests of one connection with the control plane
  uint32_t flush_hold_us = 1000;  // longest a shard holds its writes for output on its way
  uint32_t user_authentication_timeout_ms = 30000;  // see AppConfig::enable_user_authentication
  uint32_t cache_ttl_s = 1800;            // cache channels keep their last event this long
  uint32_t activity_timeout_s = 120;      // sent to clients; server pings after this idle time
  uint32_t pong_timeout_s = 30;           // then closes 4201 if nothing arrives
  uint32_t shutdown_grace_ms = 2000;      // window over which closes are spread on SIGTERM
  // Datonow REST (/api/...) requests per minute per app; 0: no limit. Excess: 429 + Retry-After.
  uint32_t datonow_api_requests_per_minute = 600;
  // New Datonow sockets (/ws) per second per IP and app; 0: no limit. Excess: close 4429.
  uint32_t datonow_ws_connections_per_second = 10;
  // How long POST /api/trigger remembers a requestId (a repeat answers the first result).
  uint32_t datonow_trigger_request_id_window_s = 600;
  // MoChat's anonymous POST /api/claw/agents/selfRegister per minute per app; 0: no limit.
  // Excess: 429 + Retry-After (agents are bounded per app: this keeps one client from taking all).
  uint32_t mochat_registrations_per_minute = 60;
  uint32_t read_buffers_per_shard = 512;  // provided buffers (power of two)
  uint32_t read_buffer_bytes = 8192;
  uint32_t history_max_mib = 64;  // bytes of channel history in the whole process
  uint32_t sse_heartbeat_ms = 15000;  // SSE comment line interval (0: none)
  uint32_t sse_retry_ms = 2000;       // the SSE `retry:` sent at stream start
  // (watched user id, signed-in connection) pairs of Pusher watchlists in the whole process;
  // ids beyond are not watched (pusher:error 4302 to the signing-in connection).
  uint32_t max_watchlist_entries = 1000000;
};

// The Impulse broker API (docs/protocols/impulse.md): on when `secret` is set (the config's
// "impulse" object, or the REALTIME_SECRET environment variable, the broker's own name).
struct ImpulseConfig {
  std::string prefix = "/impulse";  // GET/POST/OPTIONS {prefix} (and {prefix}/)
  std::string secret;               // Bearer token of POST; "": the endpoints are off
  std::string app_id;               // the app served ("": the only app)
  std::string cors_origin = "*";    // Access-Control-Allow-Origin (the broker's CORS_ORIGIN)
  bool cors_credentials = false;    // Access-Control-Allow-Credentials: true (CORS_CREDENTIALS)
  uint32_t heartbeat_ms = 30000;    // ": heartbeat" comment interval of a stream (0: none)
  uint32_t app = 0;                 // index of the app served (set by Finalize)
  bool enabled() const { return !secret.empty(); }
};

// Dialogue rooms on the Socket.IO endpoint (docs/protocols/dialogue.md): the "dialogue" object of
// the config file, read by config/dialogue_config.h. Off unless the file has the section.
class JsonSchema;  // config/json_schema.h

struct DialogueEventConfig {
  std::string name;         // "*": any event (no validation)
  std::string schema_json;  // the JSON Schema subset, minified ("": none)
  std::shared_ptr<const JsonSchema> schema;  // compiled by Finalize (null: none)
  bool history = false;     // kept in the room's history
  uint32_t history_limit = 100;
};

struct DialogueRoomConfig {
  std::string id;
  std::string name;
  std::string description;
  uint32_t max_size = 0;  // 0: unbounded
  std::vector<std::string> default_subscriptions;
  // syncHistoryOnJoin: 0 off, kAll (true) every kept event, N the newest N per event name.
  static constexpr uint32_t kAll = UINT32_MAX;
  uint32_t sync_history_on_join = 0;
  std::vector<DialogueEventConfig> events;  // empty: read-only for clients
  // Created at run time (createRoom; api/dialogue_rooms.h): any event, no history, no default
  // subscriptions; `created_by` (a user id) may delete it (or the backend: by_backend).
  bool dynamic = false;
  std::string created_by;
  bool by_backend = false;  // created through the REST API: no creator, only the backend deletes
  // The definition of event `name`, else the room's "*" one, else nullptr.
  const DialogueEventConfig* FindEvent(std::string_view name) const;
};

// Dialogue's backend hooks (docs/protocols/dialogue.md, "Hooks"): signed POSTs to `url`.
struct DialogueHooksConfig {
  // Every hook name `on` may list: the deciding hooks, then the lifecycle notifications.
  static constexpr const char* kNames[] = {
      "authenticate", "beforeJoin", "beforeEach", "afterEach",   "connected",
      "disconnected", "joined",     "left",       "roomCreated", "roomDeleted"};
  std::string url;              // "": no hooks
  std::vector<std::string> on;  // names from kNames
  uint32_t timeout_ms = 500;
  // "on_failure": "reject" (default) or "allow" for every hook, or an object naming the policy
  // per hook (those it leaves out: reject).
  bool reject_on_failure = true;
  std::vector<std::string> allow_on_failure;  // hooks whose policy differs: "allow"
  std::vector<std::string> reject_listed;     // hooks an object names "reject"
  bool Has(std::string_view hook) const {
    for (const std::string& h : on) {
      if (h == hook) return true;
    }
    return false;
  }
  // A hook that did not answer usably (timeout, error status, bad answer) refuses what it
  // guards (true) or lets it through (false).
  bool Rejects(std::string_view hook) const {
    for (const std::string& h : allow_on_failure) {
      if (h == hook) return false;
    }
    for (const std::string& h : reject_listed) {
      if (h == hook) return true;
    }
    return reject_on_failure;
  }
};

// MoChat (docs/protocols/mochat.md): on by default for every app; its Socket.IO endpoint is at
// `path` unless the "dialogue" section takes the same path. The "mochat" object of the config
// file: {"enabled": bool, "path": "/socket.io"}.
struct MochatConfig {
  bool enabled = true;
  std::string path = "/socket.io";
  bool socketio = false;  // set by FinalizeMochat: the endpoint at `path` serves MoChat
};

struct DialogueConfig {
  bool enabled = false;  // the file has a "dialogue" section
  std::string app_id;    // the app served ("": the only app)
  std::string path = "/socket.io";
  bool allow_client_rooms = true;
  std::string jwt_secret;  // "": auth.userId (or the socket id) is the user id
  std::vector<std::string> cors_origins = {"*"};
  bool cors_credentials = false;
  std::vector<DialogueRoomConfig> rooms;
  DialogueHooksConfig hooks;
  // Engine.IO: the server pings every ping_interval_ms and closes a client whose pong has not
  // come ping_timeout_ms later. (The handshake's maxPayload is limits.max_ws_message_bytes.)
  uint32_t ping_interval_ms = 25000;
  uint32_t ping_timeout_ms = 20000;
  // History records kept in the store per (room, event) (api/dialogue_history.h); the newest
  // `history.limit` of them also stay in memory. 0: memory only (nothing survives a restart).
  uint32_t history_store_limit = 10000;
  // Client triggers per user id per second over the node (the seed's rate limiter, keyed by
  // user); beyond, RATE_LIMITED. -1 (default): limits.client_events_per_second; 0: off.
  int64_t user_events_per_second = -1;
  uint32_t UserEventsPerSecond(const Limits& limits) const {
    return user_events_per_second < 0 ? limits.client_events_per_second
                                      : static_cast<uint32_t>(user_events_per_second);
  }
  uint32_t app = 0;  // index of the app served (set by Finalize)
};

// Cluster mode (docs/cluster.md): several nodes on one Redis. Off while redis_url is empty.
struct ClusterConfig {
  std::string redis_url;  // redis://[user:pass@]HOST:PORT[/DB]; checked at start-up (exit 2)
  std::string node_id;    // "": <hostname>-<pid>
  std::string prefix = "ringcast:";  // of every Redis key and pub/sub channel
  // From a node's death (its last heartbeat) to its presence members being removed.
  uint32_t node_timeout_ms = 15000;
  bool enabled() const { return !redis_url.empty(); }
};

struct ServerConfig {
  std::string host = "0.0.0.0";
  uint16_t port = 6001;
  uint32_t shards = 0;        // 0: one per online CPU
  std::string pin_cpus;       // "": no pinning; "auto": shard i on the i-th allowed CPU; "0,2,4"
  std::string config_file;
  std::string data_dir = "./ringcast-data";
  // The store (docs/store.md): "always", "interval:MS" or "none"; and "fail" or "skip" for
  // corruption in the middle of the log at start-up.
  std::string store_sync = "always";
  std::string store_recover = "fail";
  std::string sse_cors_origin = "*";  // Access-Control-Allow-Origin of SSE streams ("": none)
  std::string echo_path;      // test aid: a WebSocket echo endpoint (off when empty)
  // Client sockets as io_uring direct descriptors (a table per shard, not the process's file
  // table): each shard may then hold up to RLIMIT_NOFILE connections.
  bool direct_descriptors = false;
  std::string log_level = "info";
  std::string log_format = "text";  // "text" or "json" (JSON lines, util/log.h)
  // > 0: /metrics (and /health, /ready) on this port only, not on the main port.
  uint16_t metrics_port = 0;
  // Bearer token for /dashboard and its API ("": the dashboard is off).
  std::string admin_token;
  // TLS on the main port when both are set (PEM files; reloaded on SIGHUP): docs/operations.md.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ciphers;  // TLS 1.2 cipher list ("": BoringSSL's modern defaults)
  // PEM CA file for https webhook targets ("": the system CA store; webhooks/dispatcher.h).
  std::string webhook_ca_file;
  std::vector<AppConfig> apps;
  Limits limits;
  ImpulseConfig impulse;
  DialogueConfig dialogue;
  MochatConfig mochat;
  ClusterConfig cluster;
  bool dev_app = false;       // true when the embedded dev app is in use
  bool host_set = false;      // --host/RINGCAST_HOST/config "host" given explicitly
};

enum class ParseOutcome { kRun, kExitOk, kExitError };

// Reads defaults, the config file, the environment and argv into `out`. On --help/--version it
// prints and returns kExitOk; on a bad value it prints the error to stderr and returns
// kExitError. `env` is the process environment (environ), injectable for tests.
ParseOutcome LoadConfig(int argc, const char* const* argv, const char* const* env,
                        ServerConfig* out);

// Applies one JSON config document (the file's contents). Returns "" or an error message.
std::string ApplyConfigJson(const std::string& json, ServerConfig* out);

// Checks cross-field rules and fills in the dev app when no app is configured.
// Returns "" or an error message.
std::string Finalize(ServerConfig* out);

// The --help text.
std::string HelpText();

// The dev app's credentials (public, printed at start-up with a warning).
inline constexpr const char* kDevAppId = "app-id";
inline constexpr const char* kDevAppKey = "app-key";
inline constexpr const char* kDevAppSecret = "app-secret";

}  // namespace ringcast::config
