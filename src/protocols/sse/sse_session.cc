#include "protocols/sse/sse_session.h"

#include <charconv>

#include "auth/channel_auth.h"
#include "engine/app_registry.h"
#include "engine/channel_name.h"
#include "http/response.h"
#include "util/clock.h"
#include "util/json_writer.h"
#include "util/utf8_truncate.h"

namespace ringcast::protocols::sse {

SseSession::SseSession(engine::ShardEnv* env, SseShared* shared, net::Connection& conn)
    : env_(env), shared_(shared), conn_(&conn), sub_(&conn, shared->format, this) {}

void SseSession::Refuse(int status, std::string_view message) {
  std::string out;
  http::AppendJsonError(&out, status, message, /*keep_alive=*/false);
  env_->loop().SendCopy(*conn_, out);
  env_->loop().CloseAfterFlush(*conn_, 1000);
}

void SseSession::Start(uint32_t app, std::string_view query, std::string_view last_event_id) {
  const config::Limits& limits = env_->limits();
  if (app == engine::AppRegistry::kNone) return Refuse(404, "Unknown app key");
  if (!env_->apps().app(app).enabled) return Refuse(403, "Application disabled");
  if (conn_->over_capacity() || env_->shutting_down()) return Refuse(503, "Over capacity");
  SseRequest req;
  if (const char* err = ParseSseQuery(query, limits.max_subscriptions_per_connection, &req)) {
    return Refuse(400, err);
  }
  bool needs_auth = false;
  for (const std::string& name : req.channels) {
    if (const char* err = engine::GenericChannelNameError(name, limits.max_channel_name_length)) {
      return Refuse(400, std::string(err) + ": '" + util::Utf8Truncate(name, 200) + "'");
    }
    engine::ChannelKind kind = engine::KindOf(name);
    if (engine::NeedsAuth(kind) || kind == engine::ChannelKind::kPresence) needs_auth = true;
  }
  if (needs_auth) {
    const config::AppConfig& a = env_->apps().app(app);
    uint64_t expires = 0;
    auto [ptr, ec] =
        std::from_chars(req.expires.data(), req.expires.data() + req.expires.size(), expires);
    if (req.auth.empty()) return Refuse(401, "Private and presence channels need 'auth'");
    if (ec != std::errc() || ptr != req.expires.data() + req.expires.size() ||
        req.expires.empty()) {
      return Refuse(401, "'expires' must be a unix time in seconds");
    }
    if (expires < static_cast<uint64_t>(util::WallSeconds())) {
      return Refuse(401, "The signature has expired");
    }
    if (!auth::VerifyAuthToken(req.auth, a.key, a.secret,
                               SseStringToSign(req.expires, req.channels))) {
      return Refuse(401, "Invalid signature");
    }
  }
  if (!env_->apps().TryAcquireConnection(app)) {
    return Refuse(429, "Application is over connection quota");
  }
  app_ = app;
  counted_ = true;
  channels_ = std::move(req.channels);
  positions_.assign(channels_.size(), SsePosition{});
  if (last_event_id.empty()) last_event_id = req.last_event_id;
  std::vector<SsePosition> resume;
  if (!last_event_id.empty()) (void)ParseEventId(last_event_id, channels_.size(), &resume);
  for (const std::string& name : channels_) {
    if (env_->channels().Find(app_, name) == nullptr &&
        env_->channels().app_channel_count(app_) >= limits.max_channels_per_app_per_shard) {
      env_->UnsubscribeAll(&sub_);
      return Refuse(503, "Too many channels for this app on this shard");
    }
    if (env_->Subscribe(app_, name, &sub_).refused) {
      env_->UnsubscribeAll(&sub_);
      return Refuse(503, "Server busy, retry");
    }
  }
  auto* q = new engine::HistoryQuery();
  q->app = app_;
  q->shard = env_->shard_id();
  q->conn_index = conn_->index();
  q->conn_gen = conn_->generation();
  q->channels.resize(channels_.size());
  for (size_t i = 0; i < channels_.size(); ++i) {
    engine::HistoryQuery::Channel& c = q->channels[i];
    c.name = channels_[i];
    // A token that does not parse (or names another channel list) resumes from nothing known:
    // every channel reports a gap.
    c.resume = !last_event_id.empty();
    if (!resume.empty()) {
      c.epoch = resume[i].epoch;
      c.seq = resume[i].seq;
    }
  }
  if (!env_->control().QueryHistory(q)) {
    delete q;
    env_->UnsubscribeAll(&sub_);
    return Refuse(503, "Server busy, retry");
  }
}

void SseSession::SendHeaders() {
  std::string out =
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: text/event-stream; charset=utf-8\r\n"
      "Cache-Control: no-cache, no-transform\r\n"
      "X-Accel-Buffering: no\r\n"
      "Connection: close\r\n";
  out += "X-Ringcast-Shard: " + std::to_string(env_->shard_id()) + "\r\n";
  const std::string& cors = env_->config().sse_cors_origin;
  if (!cors.empty()) {
    out += "Access-Control-Allow-Origin: " + cors + "\r\n";
    out += "Access-Control-Expose-Headers: X-Ringcast-Shard\r\n";
    if (cors != "*") out += "Vary: Origin\r\nAccess-Control-Allow-Credentials: true\r\n";
  }
  out += "\r\n";
  out += "retry: " + std::to_string(env_->limits().sse_retry_ms) + "\n\n";
  env_->loop().SendCopy(*conn_, out);
}

// The replay is queued in one turn: past max_outbound_bytes the stream would be cut as a slow
// consumer before it starts, and its client, resuming from the same id, cut again every time.
// So it keeps to half the limit: the oldest missed events past that are left out (taken from
// the channel with the most bytes to replay first) and their channels reported as a gap.
// Returns, per channel, how many of the answer's events are left out.
std::vector<size_t> SseSession::ReplayCuts(const engine::HistoryQuery& q) const {
  size_t n = channels_.size();
  std::vector<size_t> cut(n, 0);
  std::vector<std::vector<size_t>> cost(n);
  std::vector<size_t> left(n, 0);
  size_t id_bytes = 24 * n + 8;  // "id: " + epoch.seq per channel + "\n\n", about
  size_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    for (runtime::SharedBuf* buf : q.channels[i].events) {
      engine::PublicationView pub = engine::ReadPublication(buf);
      // The record (sse_encoder.cc): fixed text, the channel, the event twice, the data; JSON
      // escaping may add to it, hence the factor on the data.
      size_t bytes = 64 + pub.channel.size() + 2 * pub.event.size() + pub.data.size() +
                     pub.data.size() / 4 + id_bytes;
      cost[i].push_back(bytes);
      left[i] += bytes;
      total += bytes;
    }
  }
  const size_t budget = env_->limits().max_outbound_bytes / 2;
  while (total > budget) {
    size_t most = 0;
    for (size_t i = 1; i < n; ++i) {
      if (left[i] > left[most]) most = i;
    }
    if (left[most] == 0) break;
    size_t bytes = cost[most][cut[most]++];
    left[most] -= bytes;
    total -= bytes;
  }
  return cut;
}

void SseSession::OnHistory(engine::HistoryQuery* q) {
  if (streaming_ || !conn_->open() || q->channels.size() != channels_.size()) return;
  std::vector<size_t> cut = ReplayCuts(*q);
  std::vector<std::string_view> gaps;
  for (size_t i = 0; i < channels_.size(); ++i) {
    const engine::HistoryQuery::Channel& c = q->channels[i];
    SsePosition& pos = positions_[i];
    if (c.resume && !c.gap) {
      pos = {c.epoch, c.seq};
    } else {
      pos = {c.head_epoch, c.events.empty() ? c.head_seq : c.head_seq - c.events.size()};
    }
    if (cut[i] > 0) {
      // Past the events left out: a later resume does not ask for them again.
      pos = {c.head_epoch, engine::ReadPublication(c.events[cut[i] - 1]).sequence};
    }
    if (c.gap || cut[i] > 0) gaps.push_back(channels_[i]);
  }
  SendHeaders();
  // The starting position, as a `ringcast:open` event: the client's last event id is set, so a
  // stream cut before its first event still resumes from here. (An id without data would do
  // per the SSE spec, but the `eventsource` npm parser ignores events without data.)
  env_->loop().SendCopy(*conn_, "event: ringcast:open\ndata: {}\n");
  SendId();
  if (!gaps.empty()) {
    scratch_.assign("event: ringcast:gap\ndata: {\"channels\":[");
    for (size_t i = 0; i < gaps.size(); ++i) {
      if (i > 0) scratch_.push_back(',');
      util::AppendJsonString(&scratch_, gaps[i]);
    }
    scratch_.append("]}\n");
    env_->loop().SendCopy(*conn_, scratch_);
    SendId();
  }
  for (size_t i = 0; i < channels_.size(); ++i) {
    const std::vector<runtime::SharedBuf*>& events = q->channels[i].events;
    for (size_t k = cut[i]; k < events.size(); ++k) {
      engine::PublicationView pub = engine::ReadPublication(events[k]);
      if (pub.epoch == positions_[i].epoch && pub.sequence <= positions_[i].seq) continue;
      positions_[i] = {pub.epoch, pub.sequence};
      scratch_.clear();
      AppendRecord(&scratch_, pub.channel, pub.event, pub.data);
      env_->loop().SendCopy(*conn_, scratch_);
      SendId();
      if (!conn_->open()) return;
    }
  }
  streaming_ = true;
  ArmHeartbeat();
}

void SseSession::ArmHeartbeat() {
  uint32_t every = env_->limits().sse_heartbeat_ms;
  if (every == 0) return;
  env_->loop().ScheduleTimer(*conn_, env_->loop().now_ms() + every, kHeartbeatTimer);
}

void SseSession::OnData(net::Connection& c, char* data, size_t len) {
  // The client has nothing to say after its request: ignored (never buffered).
  (void)c;
  (void)data;
  (void)len;
}

void SseSession::OnTimer(net::Connection& c, uint8_t kind) {
  if (kind != kHeartbeatTimer || !streaming_ || !c.open()) return;
  env_->loop().SendCopy(c, ":\n\n");
  ArmHeartbeat();
}

void SseSession::OnOverflow(net::Connection& c) {
  // Nothing more is queued: a partial event (record without its blank line) is discarded by
  // the client at end of stream, so the client resumes from the last complete event.
  streaming_ = false;
  env_->loop().CloseAfterFlush(c, kOverflowFlushMs);
}

void SseSession::OnClosed(net::Connection& c) {
  (void)c;
  streaming_ = false;
  if (counted_) env_->apps().ReleaseConnection(app_);
  counted_ = false;
  env_->UnsubscribeAll(&sub_);
}

bool SseSession::DeliverLive(net::LocalFrame* frame, const engine::PublicationView& pub,
                             uint32_t slot) {
  if (!streaming_) return false;
  // The stream subscribes to channels_ in order and never drops one alone, so the member's slot
  // is the channel's index; the scan is only a safety net.
  size_t i = slot;
  if (i >= channels_.size() || channels_[i] != pub.channel) {
    i = 0;
    while (i < channels_.size() && channels_[i] != pub.channel) ++i;
    if (i == channels_.size()) return false;
  }
  SsePosition& pos = positions_[i];
  if (pub.sequence == 0) {
    // No sequence (a client event): the shared record, then this stream's unchanged id.
    frame->Ref();
    env_->loop().Send(*conn_, frame);
    SendId();
    return true;
  }
  // Already delivered (from history): same epoch, not newer.
  if (pub.epoch == pos.epoch && pub.sequence <= pos.seq) return false;
  pos = {pub.epoch, pub.sequence};
  if (channels_.size() == 1) {
    // The shared frame ends with this stream's id: its one position is the publication's.
    frame->Ref();
    env_->loop().Send(*conn_, frame);
    return true;
  }
  // Several channels: the record and this stream's own id, as one frame of its own.
  scratch_.assign(SharedRecord(*frame, pub));
  scratch_.append("id: ");
  AppendEventId(&scratch_, positions_);
  scratch_.append("\n\n");
  env_->loop().SendCopy(*conn_, scratch_);
  return true;
}

void SseSession::SendId() {
  scratch_.assign("id: ");
  AppendEventId(&scratch_, positions_);
  scratch_.append("\n\n");
  env_->loop().SendCopy(*conn_, scratch_);
}

}  // namespace ringcast::protocols::sse
