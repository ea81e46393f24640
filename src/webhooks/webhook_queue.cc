// WebhookQueue: delay and cancel, batching per target, bounded deliveries with retries (the
// flow is described in webhook_queue.h).
#include "webhooks/webhook_queue.h"

#include <algorithm>

#include "http/url.h"
#include "util/clock.h"
#include "util/log.h"
#include "webhooks/payload.h"

namespace ringcast::webhooks {
namespace {

void Bump(std::atomic<uint64_t>& c, uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }

}  // namespace

WebhookQueue::WebhookQueue(const std::vector<config::AppConfig>* apps,
                           std::vector<std::vector<std::string>> heads, QueueLimits limits)
    : apps_(apps), heads_(std::move(heads)), limits_(limits), batches_(apps->size()) {
  for (size_t a = 0; a < apps->size(); ++a) batches_[a].resize((*apps)[a].webhooks.size());
}

std::vector<std::vector<std::string>> WebhookQueue::HeadsFor(
    const std::vector<config::AppConfig>& apps) {
  std::vector<std::vector<std::string>> heads(apps.size());
  for (size_t a = 0; a < apps.size(); ++a) {
    for (const config::WebhookConfig& w : apps[a].webhooks) {
      http::HttpUrl url;
      std::string err = http::ParseHttpUrl(w.url, &url);
      RC_CHECK(err.empty());  // checked at config load
      heads[a].push_back(BuildHeadPrefix(apps[a], w, url.target, url.authority));
    }
  }
  return heads;
}

uint64_t WebhookQueue::RetryDelayMs(uint32_t failures, const QueueLimits& limits) {
  uint64_t d = limits.first_retry_ms;
  for (uint32_t i = 1; i < failures && d < limits.max_retry_ms; ++i) d *= 2;
  return std::min(d, limits.max_retry_ms);
}

std::string WebhookQueue::DelayKey(uint32_t app, const WebhookEvent& ev) {
  bool member = ev.kind == EventKind::kMemberAdded || ev.kind == EventKind::kMemberRemoved;
  std::string key = std::to_string(app);
  key.push_back(member ? 'm' : 'c');
  key.append(std::to_string(ev.channel.size())).push_back(':');
  key.append(ev.channel);
  if (member) key.append(ev.user_id);
  return key;
}

void WebhookQueue::Emit(uint32_t app, WebhookEvent ev, uint64_t now_ms) {
  if (!HasTargets(app)) return;
  Bump(c_.emitted);
  switch (ev.undelayed ? EventKind::kClientEvent : ev.kind) {  // client_event: no delay rule
    case EventKind::kChannelOccupied:
    case EventKind::kMemberAdded: {
      auto it = delayed_.find(DelayKey(app, ev));
      if (it != delayed_.end()) {
        // Came back in time: neither the waiting vacate/remove nor this event is sent.
        delayed_.erase(it);
        Bump(c_.cancelled, 2);
        return;
      }
      break;
    }
    case EventKind::kChannelVacated:
    case EventKind::kMemberRemoved: {
      // Tickets, not delayed_: a cancelled event's ticket waits out its delay, so a channel
      // vacated and reoccupied in a loop would otherwise grow delay_order_ without bound.
      if (delay_order_.size() >= limits_.max_delayed) {
        Bump(c_.undelayed);
        break;
      }
      std::string key = DelayKey(app, ev);
      uint64_t id = next_delay_id_++;
      delay_order_.push_back({now_ms + limits_.delay_ms, id, app, key});
      delayed_[key] = Delayed{id, std::move(ev)};
      return;
    }
    default:
      break;
  }
  Fan(app, ev, now_ms);
}

void WebhookQueue::Fan(uint32_t app, const WebhookEvent& ev, uint64_t now_ms) {
  const auto& targets = (*apps_)[app].webhooks;
  for (uint32_t t = 0; t < targets.size(); ++t) {
    if (!Matches(targets[t], ev)) continue;
    Batch& b = batches_[app][t];
    if (b.events.empty()) {
      b.opened_ms = now_ms;
      ++open_batches_;
    }
    b.events.push_back(ev);
    Bump(c_.batched);
    if (b.events.size() >= limits_.max_batch_events) Close(app, t, util::WallMs());
  }
}

void WebhookQueue::Close(uint32_t app, uint32_t target, int64_t wall_ms) {
  Batch& b = batches_[app][target];
  if (b.events.empty()) return;
  const config::AppConfig& cfg = (*apps_)[app];
  std::string body = BuildBody(wall_ms, b.events);
  size_t n = b.events.size();
  b.events.clear();
  --open_batches_;
  if (held_ >= limits_.max_deliveries || held_bytes_ + body.size() > limits_.max_queued_bytes) {
    Bump(c_.dropped, n);
    if (wall_ms - last_drop_log_ms_ >= 1000) {
      last_drop_log_ms_ = wall_ms;
      RC_WARN(
          "webhooks: queue full (%zu deliveries, %zu bytes): dropped %zu events for app %s "
          "(%llu dropped so far)",
          held_, held_bytes_, n, cfg.id.c_str(),
          static_cast<unsigned long long>(c_.dropped.load(std::memory_order_relaxed)));
    }
    return;
  }
  auto d = std::make_unique<Delivery>();
  d->app = app;
  d->target = target;
  d->events = n;
  d->request = BuildRequest(heads_[app][target], cfg.secret, body);
  ++held_;
  held_bytes_ += d->request.size();
  c_.queued.store(held_, std::memory_order_relaxed);
  c_.queued_bytes.store(held_bytes_, std::memory_order_relaxed);
  ready_.push_back(std::move(d));
}

void WebhookQueue::Advance(uint64_t now_ms, int64_t wall_ms) {
  while (!delay_order_.empty() && delay_order_.front().due_ms <= now_ms) {
    DelayTicket t = std::move(delay_order_.front());
    delay_order_.pop_front();
    auto it = delayed_.find(t.key);
    if (it == delayed_.end() || it->second.id != t.id) continue;  // cancelled
    WebhookEvent ev = std::move(it->second.ev);
    delayed_.erase(it);
    Fan(t.app, ev, t.due_ms);  // in the batch window of its due time
  }
  for (uint32_t a = 0; a < batches_.size() && open_batches_ > 0; ++a) {
    for (uint32_t t = 0; t < batches_[a].size(); ++t) {
      const Batch& b = batches_[a][t];
      if (!b.events.empty() && b.opened_ms + limits_.window_ms <= now_ms) Close(a, t, wall_ms);
    }
  }
  while (!retry_.empty() && retry_.begin()->first <= now_ms) {
    ready_.push_back(std::move(retry_.begin()->second));
    retry_.erase(retry_.begin());
  }
}

std::unique_ptr<Delivery> WebhookQueue::TakeDue(uint64_t now_ms) {
  if (ready_.empty()) return nullptr;
  std::unique_ptr<Delivery> d = std::move(ready_.front());
  ready_.pop_front();
  if (d->failures == 0) d->first_try_ms = now_ms;
  Bump(c_.attempts);
  return d;
}

void WebhookQueue::Release(const Delivery& d) {
  --held_;
  held_bytes_ -= d.request.size();
  c_.queued.store(held_, std::memory_order_relaxed);
  c_.queued_bytes.store(held_bytes_, std::memory_order_relaxed);
}

void WebhookQueue::Finished(std::unique_ptr<Delivery> d, bool ok, uint64_t now_ms) {
  if (ok) {
    Bump(c_.delivered);
    Release(*d);
    return;
  }
  Bump(c_.failures);
  ++d->failures;
  uint64_t due = now_ms + RetryDelayMs(d->failures, limits_);
  if (due > d->first_try_ms + limits_.give_up_ms) {
    Bump(c_.gave_up);
    Bump(c_.gave_up_events, d->events);
    RC_WARN("webhooks: gave up on a delivery of %zu events to %s (app %s) after %u attempts: %s",
            d->events, (*apps_)[d->app].webhooks[d->target].url.c_str(),
            (*apps_)[d->app].id.c_str(), d->failures, d->last_error.c_str());
    Release(*d);
    return;
  }
  retry_.emplace(due, std::move(d));
}

uint64_t WebhookQueue::NextDeadlineMs(bool ready_counts) const {
  uint64_t next = UINT64_MAX;
  if (ready_counts && !ready_.empty()) return 0;
  if (!delay_order_.empty()) next = std::min(next, delay_order_.front().due_ms);
  if (!retry_.empty()) next = std::min(next, retry_.begin()->first);
  for (size_t a = 0; a < batches_.size() && open_batches_ > 0; ++a) {
    for (const Batch& b : batches_[a]) {
      if (!b.events.empty()) next = std::min(next, b.opened_ms + limits_.window_ms);
    }
  }
  return next;
}

size_t WebhookQueue::pending_events() const {
  size_t n = delayed_.size();
  for (size_t a = 0; a < batches_.size() && open_batches_ > 0; ++a) {
    for (const Batch& b : batches_[a]) n += b.events.size();
  }
  return n;
}

WebhookStats WebhookQueue::stats() const {
  auto g = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  WebhookStats s;
  s.events_emitted = g(c_.emitted);
  s.events_cancelled = g(c_.cancelled);
  s.undelayed = g(c_.undelayed);
  s.events_batched = g(c_.batched);
  s.dropped_events = g(c_.dropped);
  s.attempts = g(c_.attempts);
  s.delivered = g(c_.delivered);
  s.failures = g(c_.failures);
  s.gave_up = g(c_.gave_up);
  s.gave_up_events = g(c_.gave_up_events);
  s.queued = g(c_.queued);
  s.queued_bytes = g(c_.queued_bytes);
  return s;
}

}  // namespace ringcast::webhooks
