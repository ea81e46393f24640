#include "server/server.h"

#include <netdb.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include "auth/crypto.h"
#include "cluster/bridge.h"
#include "cluster/redis_url.h"
#include "engine/app_registry.h"
#include "engine/socket_id.h"
#include "net/listener.h"
#include "server/control_plane.h"
#include "server/mesh.h"
#include "server/metrics_endpoint.h"
#include "server/server_metrics.h"
#include "server/shard.h"
#include "server/store_metrics.h"
#include "store/wal.h"
#include "tls/ktls.h"
#include "tls/tls_context.h"
#include "util/log.h"

namespace ringcast::server {

namespace {

// The exit code of a setting the server cannot run with (as config::LoadConfig's errors): here
// a host:port it cannot listen on, most often one that another process already serves.
constexpr int kExitBadSetting = 2;

// Cluster mode's bridge options from the config: the URL parsed, its host resolved (here, on the
// main thread, before any loop runs), the node key made. False with the error logged.
bool ClusterOptions(const config::ClusterConfig& c, cluster::BridgeOptions* o) {
  std::string error;
  if (!cluster::ParseRedisUrl(c.redis_url, &o->url, &error)) {
    RC_ERROR("%s", error.c_str());
    return false;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(o->url.port);
  int rc = ::getaddrinfo(o->url.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    RC_ERROR("redis url: cannot resolve host '%s': %s", o->url.host.c_str(), gai_strerror(rc));
    return false;
  }
  std::memcpy(&o->addr, found->ai_addr, found->ai_addrlen);
  o->addr_len = found->ai_addrlen;
  ::freeaddrinfo(found);
  std::string node_id = c.node_id;
  if (node_id.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "node");
    for (char* p = host; *p != '\0'; ++p) {
      if (!std::isalnum(static_cast<unsigned char>(*p)) && *p != '.' && *p != '-') *p = '_';
    }
    node_id = std::string(host).substr(0, 48) + "-" + std::to_string(::getpid());
  }
  // The incarnation: a restart, or two processes given one id, never share state in Redis.
  char incarnation[16];
  std::snprintf(incarnation, sizeof incarnation, "%08x",
                static_cast<unsigned>(auth::RandomU64() & 0xffffffffu));
  o->node_key = node_id + "." + incarnation;
  o->prefix = c.prefix;
  return true;
}

// CPUs for --pin-cpus: "auto" = the allowed CPUs in order; else a comma-separated list.
bool PinList(const std::string& spec, std::vector<int>* cpus) {
  if (spec.empty()) return true;
  if (spec == "auto") {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return false;
    for (int i = 0; i < CPU_SETSIZE; ++i) {
      if (CPU_ISSET(i, &set)) cpus->push_back(i);
    }
    return !cpus->empty();
  }
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v < 0 || v >= CPU_SETSIZE) return false;
    cpus->push_back(static_cast<int>(v));
  }
  return !cpus->empty();
}

bool MakeDirs(const std::string& path) {
  std::string cur;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      if (!cur.empty() && mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) return false;
    }
    if (i < path.size()) cur.push_back(path[i]);
  }
  return true;
}

// Raises the soft open-file limit to the hard one (an edge server holds many sockets) and says
// when the connection limits ask for more descriptors than it allows.
void RaiseFileLimit(const config::ServerConfig& cfg, uint32_t shards) {
  rlimit nofile{};
  if (getrlimit(RLIMIT_NOFILE, &nofile) != 0) return;
  if (nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &nofile) != 0) getrlimit(RLIMIT_NOFILE, &nofile);
  }
  // Regular descriptors share the process's table; direct ones get a table per shard.
  uint64_t per_table = uint64_t{cfg.limits.max_connections_per_shard} *
                       (cfg.direct_descriptors ? 1 : shards);
  if (per_table + 64 > nofile.rlim_cur) {
    RC_WARN("the open-file limit (%llu) holds fewer connections than the limits allow (%llu %s); "
            "raise it (ulimit -n) or lower max_connections_per_shard%s",
            static_cast<unsigned long long>(nofile.rlim_cur),
            static_cast<unsigned long long>(per_table),
            cfg.direct_descriptors ? "per shard" : "in all",
            cfg.direct_descriptors ? "" : "; --descriptors direct gives each shard its own table");
  }
}

}  // namespace

Server::Server(const config::ServerConfig& config) : config_(config) {}

QueueStats Server::queue_stats() const {
  QueueStats s;
  for (const auto& shard : shards_) s.shards.push_back(shard->outbox_stats());
  if (control_) s.control = control_->stats();
  return s;
}

Server::~Server() {
  if (started_) {
    Shutdown();
    Wait();
  }
}

const ShardMetrics& Server::shard_metrics(size_t shard) const {
  return shards_[shard]->metrics();
}

bool Server::ready() const {
  if (shutting_down_.load(std::memory_order_relaxed)) return false;
  for (const metrics::ReadinessCheck* c : checks_) {
    if (!c->Ready()) return false;
  }
  return true;
}

uint64_t Server::messages_published() const { return control_ ? control_->published() : 0; }

uint64_t Server::app_deliveries(size_t shard, uint32_t app) const {
  return shards_[shard]->app_deliveries(app);
}

uint64_t Server::app_channels(uint32_t app) const { return control_->app_channels(app); }

uint64_t Server::app_published(uint32_t app) const { return control_->app_published(app); }

webhooks::WebhookStats Server::webhook_stats() const {
  return control_ ? control_->webhook_stats() : webhooks::WebhookStats();
}

int Server::Start() {
  std::vector<int> cpus;
  if (!PinList(config_.pin_cpus, &cpus)) {
    RC_ERROR("invalid --pin-cpus '%s'", config_.pin_cpus.c_str());
    return -EINVAL;
  }
  cluster::BridgeOptions cluster_options;
  if (config_.cluster.enabled() && !ClusterOptions(config_.cluster, &cluster_options)) {
    listen_failed_ = true;  // a setting it cannot run with: exit 2
    return -EINVAL;
  }
  if (!MakeDirs(config_.data_dir)) {
    int err = errno;
    RC_ERROR("cannot create data directory '%s': %s", config_.data_dir.c_str(), strerror(err));
    return -err;
  }
  {
    // The store is replayed before anything listens: a store that cannot start stops the server.
    store::WalOptions wo;
    wo.dir = config_.data_dir + "/store";
    wo.recover = config_.store_recover == "skip" ? store::RecoverMode::kSkip
                                                 : store::RecoverMode::kFail;
    RC_CHECK(store::ParseSyncPolicy(config_.store_sync, &wo.sync));  // validated by config
    store_metrics_ = std::make_unique<StoreMetrics>();
    wo.observer = store_metrics_->observer();
    std::string error;
    wal_ = store::Wal::Open(wo, &error);
    if (!wal_) {
      RC_ERROR("cannot open the store: %s", error.c_str());
      return -EIO;
    }
  }
  if (!config_.tls_cert.empty()) {
    tls_ = std::make_unique<tls::ContextSlot>();
    if (!ReloadTls()) return -EINVAL;
    RC_INFO("%s", tls::DetectKtls().log_line.c_str());
  }
  const uint32_t shards = config_.shards;
  RaiseFileLimit(config_, shards);
  std::vector<int> listeners;
  port_ = config_.port;
  for (uint32_t i = 0; i < shards; ++i) {
    // The first shard's socket must be alone on the port; the others join it.
    int fd = net::CreateListener(config_.host, port_, 4096,
                                 i == 0 ? net::ListenerRole::kFirst : net::ListenerRole::kJoin);
    if (fd < 0) {
      if (fd == -EADDRINUSE && i == 0) {
        RC_ERROR("cannot listen on %s:%u: the port is already in use by another process "
                 "(another ringcast?); stop it or choose another --port",
                 config_.host.c_str(), port_);
      } else {
        RC_ERROR("cannot listen on %s:%u: %s", config_.host.c_str(), port_, strerror(-fd));
      }
      for (int l : listeners) close(l);
      listen_failed_ = true;
      return fd;
    }
    if (port_ == 0) port_ = static_cast<uint16_t>(net::BoundPort(fd));
    listeners.push_back(fd);
  }
  apps_ = std::make_unique<engine::AppRegistry>(config_.apps);
  ids_ = std::make_unique<engine::SocketIdCodec>(auth::RandomU64(), config_.cluster.enabled());
  mesh_ = std::make_unique<Mesh>(shards);
  control_ = std::make_unique<ControlPlane>(&config_, apps_.get(), ids_.get(), mesh_.get(),
                                            wal_.get());
  control_->SetWsLimiter(&ws_limiter_);
  if (config_.cluster.enabled()) {
    RC_INFO("cluster mode: node %s, Redis at %s:%u, prefix '%s'", cluster_options.node_key.c_str(),
            cluster_options.url.host.c_str(), cluster_options.url.port,
            cluster_options.prefix.c_str());
    control_->EnableCluster(std::move(cluster_options));
    AddReadinessCheck(control_->cluster_readiness());
  }
  for (uint32_t i = 0; i < shards; ++i) {
    int cpu = cpus.empty() ? -1 : cpus[i % cpus.size()];
    shards_.push_back(std::make_unique<Shard>(i, &config_, apps_.get(), ids_.get(), mesh_.get(),
                                              listeners[i], cpu));
    shards_.back()->datonow_shared().ws_limiter = &ws_limiter_;
  }
  // Metrics: the server's own families first; subsystems add theirs (metrics_registry()).
  collector_ = std::make_unique<ServerCollector>(this);
  registry_.Add(collector_.get());
  registry_.Add(store_metrics_.get());
  if (config_.metrics_port != 0) {
    metrics_endpoint_ =
        std::make_unique<MetricsEndpoint>(&registry_, [this] { return ready(); });
    int rc = metrics_endpoint_->Start(config_.host, config_.metrics_port);
    if (rc < 0) {
      for (int l : listeners) close(l);  // the shards never started: their loops do not own them
      listen_failed_ = true;
      return rc;
    }
  } else {
    for (auto& s : shards_) s->set_metrics_registry(&registry_);
  }
  for (auto& s : shards_) s->set_server(this);
  for (auto& s : shards_) s->set_tls(tls_.get());
  control_->Start();
  for (auto& s : shards_) s->Start();
  started_ = true;
  int failed = 0;
  for (auto& s : shards_) {
    int rc = s->WaitReady();
    if (rc < 0) failed = rc;
  }
  if (failed < 0) {
    RC_ERROR("start-up failed: %s", strerror(-failed));
    Shutdown();
    Wait();
    return failed;
  }
  return 0;
}

bool Server::ReloadTls() {
  if (!tls_) {
    RC_INFO("SIGHUP: no TLS configured, nothing to reload");
    return true;
  }
  std::string error;
  auto ctx = tls::TlsContext::Load({config_.tls_cert, config_.tls_key, config_.tls_ciphers},
                                   &error);
  if (!ctx) {
    RC_ERROR("%s%s", error.c_str(),
             tls_->generation() > 0 ? " (keeping the certificate in use)" : "");
    return false;
  }
  tls_->Publish(*ctx);  // the slot and the connections hold their own references
  RC_INFO("TLS certificate %s: %s", tls_->generation() > 1 ? "reloaded" : "loaded",
          ctx->description().c_str());
  return true;
}

void Server::Shutdown() {
  shutting_down_.store(true, std::memory_order_relaxed);
  if (control_) control_->RequestShutdown();
}

void Server::Wait() {
  if (!started_) return;
  control_->Join();
  for (auto& s : shards_) s->Join();
  if (metrics_endpoint_) metrics_endpoint_->Stop();
  started_ = false;
}

int RunServer(const config::ServerConfig& config) {
  util::LogLevel level;
  if (util::ParseLogLevel(config.log_level.c_str(), &level)) util::SetLogLevel(level);
  util::LogFormat format;
  if (util::ParseLogFormat(config.log_format.c_str(), &format)) util::SetLogFormat(format);

  // Every thread inherits this mask; the main thread takes the signals with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Server server(config);
  if (server.Start() < 0) return server.listen_failed() ? kExitBadSetting : 1;
  if (config.dev_app) {
    RC_WARN("no app configured: using the embedded DEV app (id=%s key=%s secret=%s); "
            "do not use it in production",
            config::kDevAppId, config::kDevAppKey, config::kDevAppSecret);
  }
  std::printf("ringcast %s listening on %s:%u (%u shards, %zu apps)\n", RINGCAST_VERSION,
              config.host.c_str(), server.port(), config.shards, config.apps.size());
  if (config.metrics_port != 0) {
    std::printf("metrics on %s:%u\n", config.host.c_str(), config.metrics_port);
  }
  std::fflush(stdout);

  int sig = 0;
  while (sigwait(&signals, &sig) == 0 && sig == SIGHUP) server.ReloadTls();
  RC_INFO("received %s: closing clients and stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  server.Shutdown();

  // Watchdog: the grace window plus a margin, then exit regardless.
  std::atomic<bool> finished{false};
  uint64_t limit_ms = config.limits.shutdown_grace_ms + 5000;
  std::thread watchdog([&finished, limit_ms] {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms);
    while (!finished.load() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!finished.load()) {
      RC_ERROR("shutdown did not finish in %llu ms; exiting", (unsigned long long)limit_ms);
      _exit(1);
    }
  });
  server.Wait();
  finished.store(true);
  watchdog.join();
  RC_INFO("stopped");
  return 0;
}

}  // namespace ringcast::server
