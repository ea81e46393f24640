// RestPublisher implementation: keeping the keep-alive connection (reconnect after 100 ms),
// building and signing /events or /batch_events requests (up to --pipeline in flight),
// reading answers in order, and counting accepted events (expected deliveries), refusals by
// status and unknown outcomes.
// Worker thread only; see rest_publisher.h.
#include "ringcast-bench/rest_publisher.h"

#include "auth/request_signature.h"
#include "ringcast-bench/payload.h"
#include "ringcast-bench/worker.h"
#include "util/clock.h"
#include "util/json_writer.h"

namespace ringcast::bench {
namespace {

constexpr uint64_t kReconnectDelayNs = 100'000'000;

// A short single-line sample of a response body for the error kind.
std::string BodySample(std::string_view body) {
  std::string s;
  for (char ch : body.substr(0, 80)) s.push_back(ch == '\n' || ch == '\r' ? ' ' : ch);
  return s;
}

}  // namespace

void RestPublisher::Start() { Connect(); }

void RestPublisher::Connect() {
  int rc = worker_->Connect(this, 0);
  if (rc == 0) return;
  Error("publish: socket: " + Worker::ErrnoName(rc));
  if (!ever_connected_) {
    failed_ = true;
    Bump(worker_->live().publishers_failed);
  } else {
    reconnect_at_ns_ = worker_->now_ns() + kReconnectDelayNs;
  }
}

void RestPublisher::GiveUp() {
  if (ever_connected_ || failed_) return;
  failed_ = true;
  Bump(worker_->live().publishers_failed);
  Error("timeout: publisher not connected within --connect-timeout");
  worker_->Close(this);
}

void RestPublisher::Error(const std::string& kind) {
  worker_->stats().CountError(kind);
  Bump(worker_->live().errors);
}

void RestPublisher::OnConnect(int res, uint64_t now_ns) {
  if (res < 0) {
    Error("publish: connect: " + Worker::ErrnoName(res));
    worker_->Close(this);
    return;
  }
  open_ = true;
  if (!ever_connected_ && !failed_) {
    ever_connected_ = true;
    Bump(worker_->live().publishers_ready);
  }
  worker_->ArmRecv(this);
  Tick(now_ns);
}

void RestPublisher::Tick(uint64_t now_ns) {
  if (!publishing_ || done()) return;
  if (!open_) {
    if (fd >= 0 || closing) return;  // connecting, or closing
    if (schedule_.Over(now_ns)) {
      MarkDone(now_ns);
    } else if (reconnect_at_ns_ != 0 && now_ns >= reconnect_at_ns_) {
      reconnect_at_ns_ = 0;
      Connect();
    }
    return;
  }
  const BenchOptions& o = worker_->options();
  while (inflight_.size() < o.pipeline) {
    InFlight req;
    if (TakeDue(now_ns, o.batch, &req.events) == 0) {
      MaybeDone(now_ns);
      return;
    }
    req.sent_at_ns = now_ns;
    BuildRequest(req.events);
    inflight_.push_back(std::move(req));
    Bump(worker_->live().requests);
    worker_->Send(this, request_);
  }
}

void RestPublisher::MaybeDone(uint64_t now_ns) {
  if (inflight_.empty() && schedule_.Over(now_ns)) MarkDone(now_ns);
}

uint64_t RestPublisher::next_wake_ns() const {
  if (!publishing_ || done()) return UINT64_MAX;
  if (!open_) return reconnect_at_ns_ != 0 ? reconnect_at_ns_ : worker_->end_ns();
  if (inflight_.size() >= worker_->options().pipeline) return UINT64_MAX;
  if (!schedule_.fixed()) return 0;
  return NextDue(worker_->options().batch);
}

void RestPublisher::BuildRequest(const std::vector<PlannedEvent>& events) {
  const BenchOptions& o = worker_->options();
  bool batch = o.batch > 1;
  std::string path = "/apps/" + o.app_id + (batch ? "/batch_events" : "/events");
  std::string& payload = worker_->scratch();
  body_.clear();
  body_.append(batch ? "{\"batch\":[" : "");
  for (size_t i = 0; i < events.size(); ++i) {
    const PlannedEvent& e = events[i];
    payload.clear();
    AppendPayload(&payload, {index(), e.channel, e.sequence, e.sent_ns}, o.payload_bytes);
    if (i > 0) body_.push_back(',');
    body_.append("{\"name\":");
    util::AppendJsonString(&body_, worker_->event_name());
    body_.append(batch ? ",\"channel\":" : ",\"channels\":[");
    util::AppendJsonString(&body_, worker_->plan().name(e.channel));
    body_.append(batch ? ",\"data\":" : "],\"data\":");
    util::AppendJsonString(&body_, payload);
    body_.push_back('}');
  }
  body_.append(batch ? "]}" : "");
  std::string query =
      auth::SignedQuery("POST", path, {}, body_, o.app_key, o.app_secret, util::WallSeconds());
  request_.clear();
  request_.append("POST ").append(path).append("?").append(query).append(" HTTP/1.1\r\nHost: ");
  request_.append(worker_->endpoint().targets[target].host_header);
  request_.append("\r\nContent-Type: application/json\r\nContent-Length: ");
  request_.append(std::to_string(body_.size())).append("\r\n\r\n").append(body_);
}

void RestPublisher::OnData(const char* data, size_t len, uint64_t now_ns) {
  size_t pos = 0;
  while (pos < len) {
    if (inflight_.empty()) {
      Error("publish: bytes from the server with no request in flight");
      worker_->Close(this);
      return;
    }
    http::ResponseReader::Result r = reader_.Feed(data + pos, len - pos);
    pos += r.consumed;
    if (r.state == http::ResponseReader::State::kNeedMore) return;
    if (r.state == http::ResponseReader::State::kError) {
      Error(std::string("publish: ") + reader_.error());
      worker_->Close(this);
      return;
    }
    bool closes = reader_.closes();
    OnResponse(now_ns);
    reader_.Reset();
    if (closes) {
      worker_->Close(this);
      return;
    }
  }
  Tick(now_ns);
}

void RestPublisher::OnResponse(uint64_t now_ns) {
  InFlight req = std::move(inflight_.front());
  inflight_.pop_front();
  worker_->stats().ack_latency.Record(now_ns - req.sent_at_ns);
  int status = reader_.status();
  if (status == 200) {
    for (const PlannedEvent& e : req.events) worker_->OnPublished(e.channel, e.sent_ns);
  } else {
    Error("publish: HTTP " + std::to_string(status) + " " + BodySample(reader_.body()));
    Bump(worker_->live().publish_errors, req.events.size());
  }
}

void RestPublisher::OnReadEnd(int res) {
  if (res < 0) {
    Error("publish: recv: " + Worker::ErrnoName(res));
  } else if (!inflight_.empty()) {
    Error("publish: connection closed by server with a request in flight");
  }
  worker_->Close(this);
}

void RestPublisher::OnSendError(int res) {
  Error("publish: send: " + Worker::ErrnoName(res));
  worker_->Close(this);
}

void RestPublisher::OnClosed() {
  open_ = false;
  reader_.Reset();
  for (const InFlight& req : inflight_) {
    worker_->stats().publish_unknown += req.events.size();
    Bump(worker_->live().publish_errors, req.events.size());
  }
  inflight_.clear();
  if (!ever_connected_) {
    if (!failed_) {
      failed_ = true;
      Bump(worker_->live().publishers_failed);
    }
    return;
  }
  if (worker_->phase() != Phase::kStop) reconnect_at_ns_ = worker_->now_ns() + kReconnectDelayNs;
}

}  // namespace ringcast::bench
