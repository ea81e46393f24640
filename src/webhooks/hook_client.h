// HookClient: the control plane's client for Dialogue's backend hooks (config "dialogue.hooks",
// docs/protocols/dialogue.md "Hooks"). Each call is one signed HTTP/1.1 POST of a JSON body to
// the hooks URL, run on the control plane's ring (webhooks/outbound_request.h): never on a
// shard, never blocking. Up to kMaxConnections requests run at once, each slot keeping its
// connection alive for the next call (https: with its TLS session).
// Calls wait in a FIFO of at most kMaxQueued; a call past its deadline (`timeout_ms` from when
// it was queued, waiting included) fails as "timed out", whether it waits or runs (its request
// is cancelled). Calls with the same non-zero order key (one socket's) run one at a time, in
// the order they were queued: a free slot takes the oldest call whose key is not running. A caller
// that waits for an answer hears exactly once (`done`), a failure included; a notification (no
// `done`) is sent at most once, never retried. When the queue is full, Call refuses (counted; the
// caller applies the hook's failure policy). The request: POST <url's path>, Content-Type
// application/json, X-Pusher-Key (the app's key), X-Pusher-Signature (lower-case hex HMAC-SHA256 of
// the body with the app's secret: the pusher SDKs' webhook check verifies it), X-Dialogue-Hook (the
// hook's name). The body is the caller's JSON object with "hook" and "time_ms" (wall clock) put
// first. Addresses: an IP address, localhost, or a name resolved once at construction (the main
// thread, at start-up; a name that does not resolve fails every call, logged once).
// user_data: kUserDataTag | kHookBit | slot << 32 | generation (Owns); the cancel adds
// OutboundRequest::kCancelBit. Dispatcher::Owns leaves kHookBit's values alone.
// Thread rules: the control-plane thread; stats() from any thread.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "config/config.h"
#include "runtime/ring.h"

namespace ringcast::tls {
class TlsContext;
}

namespace ringcast::webhooks {

class OutboundRequest;

// What a hook call came back with: an HTTP status (0: none) and its body, or why it failed.
struct HookResponse {
  int status = 0;
  std::string body;
  bool truncated = false;  // the body was longer than kMaxAnswerBytes
  std::string error;       // "" when a response came
};

// How the backend decided (DecideHook).
struct HookDecision {
  bool failed = false;    // no usable answer: the failure policy applies
  bool allowed = false;   // when not failed
  std::string message;    // the refusal's message, or the failure's
  std::string user_id;    // authenticate: "userId" (or "jwt"."sub"); "" when none
  std::string claims;     // authenticate: "claims" (or "jwt") object, minified; "" when none
  bool has_data = false;  // beforeEach: "data" (or "message"."data") replaces the event's data
  std::string data;       // minified JSON
};

// Reads a hook's answer (docs/protocols/dialogue.md, "Hooks"): a 2xx with an empty body or a
// JSON object allows (`{"error": "..."}` refuses, with that message); anything else fails.
// Pure.
HookDecision DecideHook(const HookResponse& r);

struct HookStats {
  uint64_t sent = 0;       // answered 2xx
  uint64_t failed = 0;     // timed out, refused connection, non-2xx, bad answer
  uint64_t refused = 0;    // not queued: the queue was full
  uint64_t in_flight = 0;  // running or queued now
};

class HookClient {
 public:
  static constexpr uint64_t kUserDataTag = 1ull << 63;  // shared with Dispatcher's
  static constexpr uint64_t kHookBit = 1ull << 60;
  static constexpr size_t kMaxConnections = 16;
  static constexpr size_t kMaxQueued = 8192;
  static constexpr size_t kMaxAnswerBytes = 1 << 20;

  // `cfg.url` empty: disabled (Call refuses). `app`: whose key and secret sign the calls.
  HookClient(const config::DialogueHooksConfig& cfg, const config::AppConfig* app,
             const std::string& ca_file = "");
  ~HookClient();
  HookClient(const HookClient&) = delete;
  HookClient& operator=(const HookClient&) = delete;

  void Attach(runtime::Ring* ring) { ring_ = ring; }
  bool enabled() const { return !slots_.empty(); }
  bool Has(std::string_view hook) const { return enabled() && cfg_->Has(hook); }

  // Queues a POST of hook `hook` with `body` (a JSON object). `done` (may be empty: a
  // notification) runs once, on this thread, from Poll or a completion. `order_key` (0: none):
  // the calls of one key are sent one after the other, in this order. False: refused (queue
  // full or disabled); `done` is not called then.
  bool Call(std::string_view hook, std::string_view body,
            std::function<void(const HookResponse&)> done, uint64_t order_key = 0);

  void Poll();
  static bool Owns(uint64_t user_data) {
    return (user_data & kUserDataTag) != 0 && (user_data & kHookBit) != 0;
  }
  void OnCompletion(const io_uring_cqe& cqe);
  // Milliseconds until Poll has work (0: now), -1 when only a completion can bring any.
  int64_t WaitHintMs() const;
  void Shutdown();  // logs what is dropped

  HookStats stats() const;

 private:
  struct Pending {
    std::string request;  // the whole HTTP request
    uint64_t deadline_ms = 0;
    uint64_t key = 0;  // order key (0: none)
    std::function<void(const HookResponse&)> done;
  };
  struct Slot;
  void Finish(Pending* p, const HookResponse& r);
  // Whether a queued call may start now: no key, or its key not running.
  bool Startable(const Pending& p) const;

  const config::DialogueHooksConfig* cfg_;
  const config::AppConfig* app_;
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
  bool tls_ = false;
  std::string host_;
  std::string resolve_error_;  // the URL's host name could not be resolved at start-up
  std::string head_prefix_;    // request line .. X-Pusher-Key
  std::unique_ptr<tls::TlsContext> tls_ctx_;
  std::string tls_error_;
  runtime::Ring* ring_ = nullptr;
  std::deque<Pending> queue_;
  std::unordered_set<uint64_t> running_keys_;  // the order keys of the calls in slots
  std::vector<std::unique_ptr<Slot>> slots_;
  size_t busy_ = 0;
  std::atomic<uint64_t> sent_{0}, failed_{0}, refused_{0}, in_flight_{0};
};

}  // namespace ringcast::webhooks
