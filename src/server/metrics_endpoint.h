// MetricsEndpoint: the separate scrape port (--metrics-port): GET /metrics, /health and /ready
// on their own listening socket, off the shards.
//
// One thread of its own, blocking sockets: it accepts one connection at a time, reads one
// request head (at most 8 KiB, within 2 s), answers it with Connection: close and closes. It
// reads the registry (single-writer atomics) and Server::ready(); it never touches a shard's
// loop, so a scrape neither waits on nor slows the message path. It is meant for a Prometheus
// server and a load balancer's probes on an internal address, not for the public.
// Thread rules: Start/Stop from the main thread (Server); its own thread does the rest.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "metrics/registry.h"

namespace ringcast::server {

// The method and the path (the target without its query) of a request head's first line
// ("GET /metrics?x HTTP/1.1\r\n..." -> "GET", "/metrics"); false when it has no two spaces
// before its first CRLF. Views into `head`. Pure (fuzzed: tests/fuzz/edge_request_fuzz.cc).
bool ParseRequestLine(std::string_view head, std::string_view* method, std::string_view* path);

class MetricsEndpoint {
 public:
  MetricsEndpoint(const metrics::Registry* registry, std::function<bool()> ready)
      : registry_(registry), ready_(std::move(ready)) {}
  ~MetricsEndpoint();

  // Listens on host:port; returns 0 or -errno (logged).
  int Start(const std::string& host, uint16_t port);
  uint16_t port() const { return port_; }
  void Stop();

 private:
  void Run();
  void Serve(int fd);

  const metrics::Registry* registry_;
  std::function<bool()> ready_;
  int listen_fd_ = -1;
  int stop_fd_ = -1;  // eventfd: Stop() wakes the poll
  uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace ringcast::server
