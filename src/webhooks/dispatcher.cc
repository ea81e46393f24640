// Dispatcher: WebhookQueue in, OutboundRequests out, on the control plane's ring (see
// dispatcher.h). user_data of a request's operations: kUserDataTag | slot << 32 | generation.
#include "webhooks/dispatcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "http/url.h"
#include "tls/tls_context.h"
#include "util/clock.h"
#include "util/log.h"
#include "webhooks/outbound_request.h"

namespace ringcast::webhooks {

struct Dispatcher::Slot {
  OutboundRequest request;
  std::unique_ptr<Delivery> delivery;
  uint32_t generation = 0;
};

namespace {

uint64_t Tag(size_t slot, uint32_t generation) {
  return Dispatcher::kUserDataTag | (static_cast<uint64_t>(slot) << 32) | generation;
}

}  // namespace

Dispatcher::Dispatcher(const std::vector<config::AppConfig>* apps, QueueLimits limits,
                       const std::string& ca_file)
    : targets_(apps->size()),
      attempt_timeout_ms_(limits.attempt_timeout_ms),
      queue_(apps, WebhookQueue::HeadsFor(*apps), limits) {
  for (size_t a = 0; a < apps->size(); ++a) {
    for (const config::WebhookConfig& w : (*apps)[a].webhooks) {
      http::HttpUrl url;
      RC_CHECK(http::ParseHttpUrl(w.url, &url).empty());
      Target t;
      t.tls = url.tls;
      t.host = url.host;
      std::string host = url.host == "localhost" ? "127.0.0.1" : url.host;
      if (url.ipv6) {
        auto* sa = reinterpret_cast<sockaddr_in6*>(&t.addr);
        sa->sin6_family = AF_INET6;
        sa->sin6_port = htons(url.port);
        RC_CHECK(inet_pton(AF_INET6, host.c_str(), &sa->sin6_addr) == 1);  // checked at load
        t.addr_len = sizeof(sockaddr_in6);
      } else {
        auto* sa = reinterpret_cast<sockaddr_in*>(&t.addr);
        sa->sin_family = AF_INET;
        sa->sin_port = htons(url.port);
        RC_CHECK(inet_pton(AF_INET, host.c_str(), &sa->sin_addr) == 1);
        t.addr_len = sizeof(sockaddr_in);
      }
      targets_[a].push_back(t);
    }
  }
  bool any_tls = false;
  for (const auto& app : targets_) {
    for (const Target& t : app) any_tls = any_tls || t.tls;
  }
  if (any_tls) {
    tls_ctx_ = tls::TlsContext::LoadVerifyingClient(ca_file, &tls_error_);
    if (tls_ctx_) {
      RC_INFO("webhooks: https targets %s", tls_ctx_->description().c_str());
    } else {
      RC_ERROR("webhooks: https targets will fail: %s", tls_error_.c_str());
    }
  }
  // No target anywhere: no slots, so Poll and WaitHintMs have nothing to walk.
  bool any = std::any_of(targets_.begin(), targets_.end(), [](const auto& t) { return !t.empty(); });
  for (size_t i = 0; any && i < kMaxInFlight; ++i) slots_.push_back(std::make_unique<Slot>());
}

Dispatcher::~Dispatcher() = default;

void Dispatcher::Emit(uint32_t app, WebhookEvent ev) {
  queue_.Emit(app, std::move(ev), util::MonotonicMs());
}

void Dispatcher::Poll() {
  uint64_t now = util::MonotonicMs();
  if (queue_.NextDeadlineMs() <= now) queue_.Advance(now, util::WallMs());
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& s = *slots_[i];
    if (s.delivery) {
      s.request.CancelIfLate(ring_, now);
      continue;
    }
    std::unique_ptr<Delivery> d = queue_.TakeDue(now);
    if (!d) continue;
    ++s.generation;
    const Target& t = targets_[d->app][d->target];
    if (t.tls && !tls_ctx_) {
      d->last_error = "TLS: " + tls_error_;
      queue_.Finished(std::move(d), false, now);
      continue;
    }
    if (!s.request.Start(ring_, t.addr, t.addr_len, &d->request, now + attempt_timeout_ms_,
                         Tag(i, s.generation), t.tls ? tls_ctx_->raw() : nullptr, &t.host)) {
      d->last_error = s.request.error();
      queue_.Finished(std::move(d), false, now);
      continue;
    }
    s.delivery = std::move(d);
    ++busy_;
  }
}

void Dispatcher::OnCompletion(const io_uring_cqe& cqe) {
  if ((cqe.user_data & OutboundRequest::kCancelBit) != 0) return;
  size_t i = (cqe.user_data >> 32) & 0xffff;
  auto gen = static_cast<uint32_t>(cqe.user_data);
  RC_CHECK(i < slots_.size());
  Slot& s = *slots_[i];
  RC_CHECK(s.delivery && s.generation == gen);  // one operation in flight per request
  if (!s.request.OnCompletion(ring_, cqe.res)) return;
  std::unique_ptr<Delivery> d = std::move(s.delivery);
  --busy_;
  bool ok = s.request.status() >= 200 && s.request.status() < 300;
  if (!ok) {
    d->last_error = s.request.error();
    Target& t = targets_[d->app][d->target];
    if (s.request.tls_failed() && !t.tls_warned) {
      // A bad certificate or TLS setup does not fix itself: say so once, louder than debug.
      t.tls_warned = true;
      RC_WARN("webhooks: https target %u of app %u failed in TLS (retried; logged once): %s",
              d->target, d->app, d->last_error.c_str());
    }
    RC_DEBUG("webhooks: delivery to app %u target %u failed (attempt %u): %s", d->app, d->target,
             d->failures + 1, d->last_error.c_str());
  }
  queue_.Finished(std::move(d), ok, util::MonotonicMs());
}

int64_t Dispatcher::WaitHintMs() const {
  uint64_t now = util::MonotonicMs();
  // With every slot busy, a ready delivery waits for a completion, not for time.
  uint64_t next = queue_.NextDeadlineMs(/*ready_counts=*/busy_ < slots_.size());
  for (const auto& s : slots_) {
    if (s->request.awaits_deadline()) next = std::min(next, s->request.deadline_ms());
  }
  if (next == UINT64_MAX) return -1;
  return next <= now ? 0 : static_cast<int64_t>(next - now);
}

void Dispatcher::Shutdown() {
  WebhookStats st = queue_.stats();
  size_t pending = queue_.pending_events();
  if (st.queued > 0 || pending > 0) {
    RC_WARN(
        "webhooks: shutting down with %llu deliveries undelivered (queued or in flight) and "
        "%zu events not yet batched (delayed or in an open batch): dropped",
        static_cast<unsigned long long>(st.queued), pending);
  }
}

}  // namespace ringcast::webhooks
