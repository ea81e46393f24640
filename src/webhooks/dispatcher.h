// Dispatcher: the control plane's webhook sender. It owns the WebhookQueue (delay and cancel,
// batching, bounded deliveries, retries; webhook_queue.h) and up to kMaxInFlight
// OutboundRequests that run on the control plane's own io_uring (outbound_request.h), so that
// a slow, dead or refusing receiver never blocks the loop. Without a target in any app it holds
// no request slots and Poll does nothing.
//
// Loop contract (server/control_plane.cc): Attach the ring on the control-plane thread before
// anything else; Emit any time on that thread; Poll once per loop turn (fires due timers,
// starts due deliveries, cancels late requests); pass every completion whose user_data Owns()
// to OnCompletion; sleep no longer than WaitHintMs(). Each attempt has attempt_timeout_ms
// (10 s) from connect to a complete response.
// Addresses: a target's host is an IP address or "localhost" (127.0.0.1), checked at config
// load (config/webhook_config.h); nothing is resolved at run time, so no DNS lookup can block.
// https targets: one client TLS context for all of them, built at construction when any target
// is https, verified against `ca_file` (--webhook-ca-file, env RINGCAST_WEBHOOK_CA_FILE) or the
// system CA store; SNI and hostname (or IP) verification use the URL's host. A TLS failure (a
// bad certificate included) is a failed attempt, retried and counted like a connection error,
// and logged as a warning once per target. A CA that cannot be loaded fails every https attempt
// with that error (logged once at start-up).
// At shutdown, deliveries still queued or in flight and events still delayed or batched are
// dropped (logged with their counts).
// Thread rules: the control-plane thread; stats() from any thread.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "runtime/ring.h"
#include "webhooks/webhook_event.h"
#include "webhooks/webhook_queue.h"

namespace ringcast::webhooks {

class OutboundRequest;
}  // namespace ringcast::webhooks

namespace ringcast::tls {
class TlsContext;
}

namespace ringcast::webhooks {

class Dispatcher {
 public:
  static constexpr uint64_t kUserDataTag = 1ull << 63;
  static constexpr size_t kMaxInFlight = 32;

  explicit Dispatcher(const std::vector<config::AppConfig>* apps, QueueLimits limits = {},
                      const std::string& ca_file = "");
  ~Dispatcher();

  void Attach(runtime::Ring* ring) { ring_ = ring; }

  // Cheap: whether building an event for `app` is worth it.
  bool HasTargets(uint32_t app) const { return queue_.HasTargets(app); }
  void Emit(uint32_t app, WebhookEvent ev);

  void Poll();
  // HookClient's requests share the tag, with its bit (1 << 60) set.
  static bool Owns(uint64_t user_data) {
    return (user_data & kUserDataTag) != 0 && (user_data & (1ull << 60)) == 0;
  }
  void OnCompletion(const io_uring_cqe& cqe);
  // Milliseconds until Poll has work (0: now), or -1 when only a completion can bring any.
  int64_t WaitHintMs() const;

  // Logs what is dropped at exit (deliveries queued or in flight, events delayed or batched).
  void Shutdown();

  WebhookStats stats() const { return queue_.stats(); }

 private:
  struct Target {
    sockaddr_storage addr{};
    socklen_t addr_len = 0;
    bool tls = false;
    std::string host;  // for SNI and certificate verification (https)
    bool tls_warned = false;
  };
  struct Slot;

  std::vector<std::vector<Target>> targets_;  // [app][target]
  std::unique_ptr<tls::TlsContext> tls_ctx_;  // null without https targets (or when not loaded)
  std::string tls_error_;                     // why tls_ctx_ could not be built
  uint64_t attempt_timeout_ms_;
  WebhookQueue queue_;
  runtime::Ring* ring_ = nullptr;
  std::vector<std::unique_ptr<Slot>> slots_;
  size_t busy_ = 0;
};

}  // namespace ringcast::webhooks
