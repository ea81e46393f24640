// ClientEventPublisher implementation: subscribing to every private channel of the plan,
// turning due events into masked client-event frames (one write per batch, the next write only
// after the previous one completed), and counting pusher:error refusals by code.
// Worker thread only; see client_event_publisher.h for the accounting rules.
#include "ringcast-bench/client_event_publisher.h"

#include "ringcast-bench/payload.h"
#include "ringcast-bench/worker.h"
#include "util/json_writer.h"
#include "ws/frame_encoder.h"

namespace ringcast::bench {

void ClientEventPublisher::Start() { Open(0); }

void ClientEventPublisher::GiveUp() {
  if (state_ == State::kReady || failed_) return;
  Fail("timeout: publisher not subscribed within --connect-timeout");
}

void ClientEventPublisher::OnEstablished(std::string_view socket_id) {
  pending_subscriptions_ = w_->plan().channel_count();
  for (uint32_t c = 0; c < w_->plan().channel_count(); ++c) {
    Subscribe(w_->plan().name(c), socket_id);
  }
}

void ClientEventPublisher::OnSubscriptionResult(std::string_view channel, bool ok,
                                                std::string_view why) {
  (void)channel;
  if (!ok) {
    Fail(std::string("publisher ") + std::string(why));
    return;
  }
  if (state_ != State::kOpen || pending_subscriptions_ == 0) return;
  if (--pending_subscriptions_ == 0) {
    state_ = State::kReady;
    Bump(w_->live().publishers_ready);
  }
}

void ClientEventPublisher::OnPusherError(int64_t code, std::string_view message) {
  (void)message;
  std::string kind = "publish: pusher:error " + std::to_string(code);
  if (state_ != State::kReady) {
    Fail(kind);
    return;
  }
  w_->stats().CountError(kind);
  Bump(w_->live().errors);
  Bump(w_->live().publish_errors);
}

void ClientEventPublisher::OnChannelEvent(const PusherMessage& msg) { (void)msg; }

void ClientEventPublisher::OnConnectionClosed(State before) {
  if (before != State::kReady) {
    failed_ = true;
    Bump(w_->live().publishers_failed);
    return;
  }
  MarkDone(w_->now_ns());
}

void ClientEventPublisher::OnWriteComplete() { Tick(w_->now_ns()); }

void ClientEventPublisher::Tick(uint64_t now_ns) {
  if (!publishing_ || done() || state_ != State::kReady) return;
  if (send_inflight || !queued.empty()) return;  // the socket has not taken the last batch yet
  events_.clear();
  if (TakeDue(now_ns, w_->options().batch, &events_) == 0) {
    if (schedule_.Over(now_ns)) MarkDone(now_ns);
    return;
  }
  const BenchOptions& o = w_->options();
  std::string& payload = w_->scratch();
  std::string json;
  frames_.clear();
  for (const PlannedEvent& e : events_) {
    payload.clear();
    AppendPayload(&payload, {index(), e.channel, e.sequence, e.sent_ns}, o.payload_bytes);
    json.clear();
    json.append("{\"event\":");
    util::AppendJsonString(&json, w_->event_name());
    json.append(",\"channel\":");
    util::AppendJsonString(&json, w_->plan().name(e.channel));
    json.append(",\"data\":");
    util::AppendJsonString(&json, payload);
    json.push_back('}');
    ws::AppendMaskedFrame(&frames_, ws::Opcode::kText, json,
                          static_cast<uint32_t>(w_->NextRandom()));
    w_->OnPublished(e.channel, e.sent_ns);
  }
  Bump(w_->live().requests);
  w_->Send(this, frames_);
}

uint64_t ClientEventPublisher::next_wake_ns() const {
  if (!publishing_ || done() || state_ != State::kReady) return UINT64_MAX;
  if (send_inflight || !queued.empty()) return UINT64_MAX;
  if (!schedule_.fixed()) return 0;
  return NextDue(w_->options().batch);
}

}  // namespace ringcast::bench
