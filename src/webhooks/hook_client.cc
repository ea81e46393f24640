// HookClient: a FIFO of signed POSTs, kMaxConnections keep-alive slots (see hook_client.h).
#include "webhooks/hook_client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <simdjson.h>

#include <algorithm>
#include <cstring>

#include "http/url.h"
#include "tls/tls_context.h"
#include "util/clock.h"
#include "util/json_writer.h"
#include "util/log.h"
#include "webhooks/outbound_request.h"
#include "webhooks/payload.h"

namespace ringcast::webhooks {

struct HookClient::Slot {
  OutboundRequest request;
  Pending call;
  bool busy = false;
  uint32_t generation = 0;
};

namespace {

uint64_t Tag(size_t slot, uint32_t generation) {
  return HookClient::kUserDataTag | HookClient::kHookBit | (static_cast<uint64_t>(slot) << 32) |
         generation;
}

bool StringField(simdjson::dom::object obj, std::string_view key, std::string* out) {
  std::string_view v;
  if (obj[key].get_string().get(v) != simdjson::SUCCESS) return false;
  *out = std::string(v);
  return true;
}

}  // namespace

HookDecision DecideHook(const HookResponse& r) {
  HookDecision d;
  if (!r.error.empty() || r.status < 200 || r.status >= 300) {
    d.failed = true;
    d.message = !r.error.empty() ? r.error : "HTTP status " + std::to_string(r.status);
    return d;
  }
  if (r.truncated) {
    d.failed = true;
    d.message = "the answer is too large";
    return d;
  }
  size_t first = r.body.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {  // no body: allowed, nothing changed
    d.allowed = true;
    return d;
  }
  simdjson::dom::parser parser;
  simdjson::padded_string padded(r.body);
  simdjson::dom::object obj;
  if (parser.parse(padded).get_object().get(obj) != simdjson::SUCCESS) {
    d.failed = true;
    d.message = "the answer is not a JSON object";
    return d;
  }
  simdjson::dom::element e;
  if (obj["error"].get(e) == simdjson::SUCCESS && !e.is_null()) {
    std::string_view msg;
    simdjson::dom::object eo;
    if (e.get_string().get(msg) == simdjson::SUCCESS) {
      d.message = std::string(msg);
    } else if (e.get_object().get(eo) == simdjson::SUCCESS &&
               eo["message"].get_string().get(msg) == simdjson::SUCCESS) {
      d.message = std::string(msg);
    } else {
      d.message = "refused";
    }
    if (d.message.empty()) d.message = "refused";
    return d;
  }
  d.allowed = true;
  // authenticate: Dialogue's AuthData ({jwt: {sub, ...}}) or {userId, claims}.
  simdjson::dom::object jwt;
  if (obj["jwt"].get_object().get(jwt) == simdjson::SUCCESS) {
    (void)StringField(jwt, "sub", &d.user_id);
    d.claims = std::string(simdjson::minify(jwt));
  }
  (void)StringField(obj, "userId", &d.user_id);
  simdjson::dom::object claims;
  if (obj["claims"].get_object().get(claims) == simdjson::SUCCESS) {
    d.claims = std::string(simdjson::minify(claims));
  }
  // beforeEach: Dialogue's transformed EventMessage ({message: {data, ...}}) or {data}.
  simdjson::dom::object message;
  if (obj["message"].get_object().get(message) == simdjson::SUCCESS &&
      message["data"].get(e) == simdjson::SUCCESS) {
    d.has_data = true;
    d.data = std::string(simdjson::minify(e));
  }
  if (obj["data"].get(e) == simdjson::SUCCESS) {
    d.has_data = true;
    d.data = std::string(simdjson::minify(e));
  }
  return d;
}

HookClient::HookClient(const config::DialogueHooksConfig& cfg, const config::AppConfig* app,
                       const std::string& ca_file)
    : cfg_(&cfg), app_(app) {
  if (cfg.url.empty() || cfg.on.empty() || app == nullptr) return;
  http::HttpUrl url;
  RC_CHECK(http::ParseHttpUrl(cfg.url, &url).empty());  // checked at load
  tls_ = url.tls;
  host_ = url.host;
  std::string host = url.host == "localhost" ? "127.0.0.1" : url.host;
  if (url.ipv6) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&addr_);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(url.port);
    RC_CHECK(inet_pton(AF_INET6, host.c_str(), &sa->sin6_addr) == 1);
    addr_len_ = sizeof(sockaddr_in6);
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&addr_);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(url.port);
    if (inet_pton(AF_INET, host.c_str(), &sa->sin_addr) == 1) {
      addr_len_ = sizeof(sockaddr_in);
    } else {
      // A name: resolved here, once (the main thread, at start-up); never on the loop.
      addrinfo hints{};
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* res = nullptr;
      int rc = getaddrinfo(host.c_str(), std::to_string(url.port).c_str(), &hints, &res);
      if (rc == 0 && res != nullptr && res->ai_addrlen <= sizeof(addr_)) {
        std::memcpy(&addr_, res->ai_addr, res->ai_addrlen);
        addr_len_ = static_cast<socklen_t>(res->ai_addrlen);
      } else {
        resolve_error_ = "cannot resolve " + host + ": " + gai_strerror(rc);
        RC_WARN("dialogue hooks: %s (every call fails: the failure policy applies)",
                resolve_error_.c_str());
      }
      if (res != nullptr) freeaddrinfo(res);
    }
  }
  head_prefix_ = "POST " + url.target + " HTTP/1.1\r\nHost: " + url.authority +
                 "\r\nUser-Agent: ringcast/" RINGCAST_VERSION
                 "\r\nContent-Type: application/json\r\nX-Pusher-Key: " +
                 app->key + "\r\n";
  if (tls_) {
    tls_ctx_ = tls::TlsContext::LoadVerifyingClient(ca_file, &tls_error_);
    if (!tls_ctx_) RC_ERROR("dialogue hooks: https calls will fail: %s", tls_error_.c_str());
  }
  for (size_t i = 0; i < kMaxConnections; ++i) {
    slots_.push_back(std::make_unique<Slot>());
    slots_.back()->request.set_max_kept_body(kMaxAnswerBytes);
  }
}

HookClient::~HookClient() = default;

bool HookClient::Call(std::string_view hook, std::string_view body,
                      std::function<void(const HookResponse&)> done, uint64_t order_key) {
  if (!enabled() || queue_.size() >= kMaxQueued) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  // {"hook":"<name>","time_ms":<wall ms>, <the caller's fields>}
  std::string full = "{\"hook\":";
  util::AppendJsonString(&full, hook);
  full += ",\"time_ms\":";
  util::AppendInt(&full, static_cast<int64_t>(util::WallMs()));
  std::string_view rest = body;
  if (rest.size() >= 2 && rest.front() == '{') rest.remove_prefix(1);
  if (rest != "}") full += ',';
  full.append(rest);
  Pending p;
  p.request.reserve(head_prefix_.size() + full.size() + 200);
  p.request.append(head_prefix_);
  p.request.append("X-Dialogue-Hook: ").append(hook);
  p.request.append("\r\nX-Pusher-Signature: ").append(Sign(app_->secret, full));
  p.request.append("\r\nContent-Length: ").append(std::to_string(full.size()));
  p.request.append("\r\n\r\n");
  p.request.append(full);
  p.deadline_ms = util::MonotonicMs() + cfg_->timeout_ms;
  p.key = order_key;
  p.done = std::move(done);
  queue_.push_back(std::move(p));
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool HookClient::Startable(const Pending& p) const {
  return p.key == 0 || !running_keys_.contains(p.key);
}

void HookClient::Finish(Pending* p, const HookResponse& r) {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  const bool ok = r.error.empty() && r.status >= 200 && r.status < 300;
  (ok ? sent_ : failed_).fetch_add(1, std::memory_order_relaxed);
  if (!ok)
    RC_DEBUG("dialogue hooks: a call failed: %s", r.error.empty() ? "status" : r.error.c_str());
  auto done = std::move(p->done);
  p->done = nullptr;
  p->request.clear();
  if (done) done(r);
}

void HookClient::Poll() {
  if (!enabled()) return;
  const uint64_t now = util::MonotonicMs();
  // Calls that waited past their deadline fail without being sent.
  while (!queue_.empty() && queue_.front().deadline_ms <= now) {
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    HookResponse r;
    r.error = "timed out";
    Finish(&p, r);
  }
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& s = *slots_[i];
    if (s.busy) {
      s.request.CancelIfLate(ring_, now);
      continue;
    }
    // The oldest call whose key is free (deadlines grow along the queue: one taken from the
    // middle leaves the expired ones a prefix).
    auto next = std::find_if(queue_.begin(), queue_.end(),
                             [this](const Pending& p) { return Startable(p); });
    if (next == queue_.end()) continue;
    s.call = std::move(*next);
    queue_.erase(next);
    ++s.generation;
    HookResponse fail;
    if (!resolve_error_.empty()) {
      fail.error = resolve_error_;
      Finish(&s.call, fail);
      continue;
    }
    if (tls_ && !tls_ctx_) {
      fail.error = "TLS: " + tls_error_;
      Finish(&s.call, fail);
      continue;
    }
    if (!s.request.Start(ring_, addr_, addr_len_, &s.call.request, s.call.deadline_ms,
                         Tag(i, s.generation), tls_ ? tls_ctx_->raw() : nullptr, &host_,
                         /*keep_alive=*/true)) {
      fail.error = s.request.error();
      Finish(&s.call, fail);
      continue;
    }
    if (s.call.key != 0) running_keys_.insert(s.call.key);
    s.busy = true;
    ++busy_;
  }
}

void HookClient::OnCompletion(const io_uring_cqe& cqe) {
  if ((cqe.user_data & OutboundRequest::kCancelBit) != 0) return;
  size_t i = (cqe.user_data >> 32) & 0xffff;
  auto gen = static_cast<uint32_t>(cqe.user_data);
  RC_CHECK(i < slots_.size());
  Slot& s = *slots_[i];
  RC_CHECK(s.busy && s.generation == gen);  // one operation in flight per request
  if (!s.request.OnCompletion(ring_, cqe.res)) return;
  s.busy = false;
  --busy_;
  if (s.call.key != 0) running_keys_.erase(s.call.key);
  HookResponse r;
  r.status = s.request.status();
  if (r.status == 0) r.error = s.request.error();
  r.body = std::string(s.request.body());
  r.truncated = s.request.body_truncated();
  Finish(&s.call, r);
  Poll();  // the next queued call takes the slot now
}

int64_t HookClient::WaitHintMs() const {
  if (!enabled()) return -1;
  uint64_t next = UINT64_MAX;
  if (!queue_.empty()) {
    // A free slot takes a startable call now; else the front's deadline (it fails then).
    next = queue_.front().deadline_ms;
    if (busy_ < slots_.size() && std::any_of(queue_.begin(), queue_.end(),
                                             [this](const Pending& p) { return Startable(p); })) {
      next = 0;
    }
  }
  for (const auto& s : slots_) {
    if (s->busy && s->request.awaits_deadline()) next = std::min(next, s->request.deadline_ms());
  }
  if (next == UINT64_MAX) return -1;
  const uint64_t now = util::MonotonicMs();
  return next <= now ? 0 : static_cast<int64_t>(next - now);
}

void HookClient::Shutdown() {
  const uint64_t left = in_flight_.load(std::memory_order_relaxed);
  if (left > 0)
    RC_WARN("dialogue hooks: shutting down with %llu calls unanswered: dropped",
            static_cast<unsigned long long>(left));
}

HookStats HookClient::stats() const {
  HookStats s;
  s.sent = sent_.load(std::memory_order_relaxed);
  s.failed = failed_.load(std::memory_order_relaxed);
  s.refused = refused_.load(std::memory_order_relaxed);
  s.in_flight = in_flight_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace ringcast::webhooks
