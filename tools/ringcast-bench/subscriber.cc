// Subscriber implementation: joining its channel, resolving once (subscribed or failed), and
// checking every bench event: payload, channel, publisher, sequence verdict, and latency for
// events sent in the measured window.
// Worker thread only; see subscriber.h.
#include "ringcast-bench/subscriber.h"

#include "ringcast-bench/payload.h"
#include "ringcast-bench/worker.h"

namespace ringcast::bench {

Subscriber::Subscriber(Worker* worker, uint32_t index, uint32_t channel)
    : PusherClient(worker, worker->options().protocol), index_(index), channel_(channel) {
  target = 1 + index % static_cast<uint32_t>(worker->endpoint().targets.size() - 1);
}

void Subscriber::Start() {
  uint32_t sources = static_cast<uint32_t>(w_->endpoint().sources.size());
  Open(sources > 1 ? index_ % sources : 0);
}

void Subscriber::GiveUp() {
  if (resolved_) return;
  if (state_ == State::kIdle) {
    w_->stats().CountError("timeout: not started in the connect phase");
    Bump(w_->live().errors);
    state_ = State::kClosed;
    Resolve(false);
    return;
  }
  Fail("timeout: not subscribed within --connect-timeout");
}

void Subscriber::Resolve(bool ok) {
  if (resolved_) return;
  resolved_ = true;
  if (ok) {
    Bump(w_->live().subscribed);
  } else {
    Bump(w_->live().failed);
  }
}

void Subscriber::OnEstablished(std::string_view socket_id) {
  Subscribe(w_->plan().name(channel_), socket_id);
}

void Subscriber::OnSubscriptionResult(std::string_view channel, bool ok, std::string_view why) {
  if (channel != w_->plan().name(channel_)) return;
  if (!ok) {
    Fail(why);
    return;
  }
  if (state_ != State::kOpen) return;  // a repeated answer
  state_ = State::kReady;
  tracker_.Init(w_->options().publishers);
  WorkerStats& st = w_->stats();
  st.subscribe_latency.Record(w_->now_ns() - connect_start_ns_);
  st.subscribed_per_channel[channel_] += 1;
  st.last_subscribed_ns = w_->now_ns();
  Resolve(true);
}

void Subscriber::OnPusherError(int64_t code, std::string_view message) {
  (void)message;
  std::string kind = "pusher:error " + std::to_string(code);
  if (state_ != State::kReady) {
    Fail(kind);  // e.g. a refused subscription (some servers answer with pusher:error)
    return;
  }
  w_->stats().CountError(kind);
  Bump(w_->live().errors);
}

void Subscriber::OnChannelEvent(const PusherMessage& msg) {
  WorkerStats& st = w_->stats();
  if (msg.event != w_->event_name()) {
    ++st.other_events;
    return;
  }
  PayloadHeader h;
  if (!msg.data_is_string || !ParsePayload(msg.data, &h)) {
    st.CountError("payload: not a ringcast-bench payload");
    Bump(w_->live().errors);
    return;
  }
  if (state_ != State::kReady || h.channel != channel_ || h.publisher >= tracker_.streams()) {
    ++st.foreign;
    st.CountError("payload: for another channel or publisher");
    Bump(w_->live().errors);
    return;
  }
  LiveCounters& live = w_->live();
  Bump(live.received);
  SeqObservation obs = tracker_.Observe(h.publisher, h.sequence);
  switch (obs.verdict) {
    case SeqVerdict::kInOrder:
      Bump(live.unique);
      break;
    case SeqVerdict::kAhead:
      Bump(live.unique);
      Bump(live.gaps);
      break;
    case SeqVerdict::kLate:
    case SeqVerdict::kTooOld:
      Bump(live.unique);
      Bump(live.out_of_order);
      break;
    case SeqVerdict::kDuplicate:
      Bump(live.duplicates);
      return;  // not a delivery: no latency
  }
  uint64_t now = w_->now_ns();
  uint64_t latency = now > h.sent_ns ? now - h.sent_ns : 0;
  if (latency > Read(live.interval_max_ns)) {
    live.interval_max_ns.store(latency, std::memory_order_relaxed);  // progress line only
  }
  if (h.sent_ns >= w_->measure_start_ns() && h.sent_ns < w_->end_ns()) {
    st.latency.Record(latency);
    Bump(live.measured);
  }
}

std::string_view Subscriber::StreamChannel() const { return w_->plan().name(channel_); }

void Subscriber::OnConnectionClosed(State before) {
  if (before == State::kReady) {
    Bump(w_->live().dropped);
  } else {
    Resolve(false);
  }
}

}  // namespace ringcast::bench
