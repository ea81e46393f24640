#include "protocols/sse/sse_session.h"

#include "engine/app_registry.h"
#include "engine/channel_name.h"
#include "http/response.h"
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

void SseSession::Start(uint32_t app, std::string_view query, std::string_view last_event_id,
                       std::string_view origin) {
  (void)origin;
  const config::Limits& limits = env_->limits();
  if (app == engine::AppRegistry::kNone) return Refuse(404, "Unknown app key");
  if (!env_->apps().app(app).enabled) return Refuse(403, "Application disabled");
  if (conn_->over_capacity() || env_->shutting_down()) return Refuse(503, "Over capacity");
  SseRequest req;
  if (const char* err = ParseSseQuery(query, limits.max_subscriptions_per_connection, &req)) {
    return Refuse(400, err);
  }
  for (const std::string& name : req.channels) {
    if (const char* err = engine::ChannelNameError(name, limits.max_channel_name_length,
                                                   /*allow_internal=*/false)) {
      return Refuse(400, std::string(err) + ": '" + util::Utf8Truncate(name, 200) + "'");
    }
    engine::ChannelKind kind = engine::KindOf(name);
    if (engine::NeedsAuth(kind) || kind == engine::ChannelKind::kPresence) {
      return Refuse(403, "Private and presence channels are not supported on SSE yet");
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
  if (!resume.empty()) positions_ = resume;
  for (const std::string& name : channels_) {
    if (env_->Subscribe(app_, name, &sub_).refused) {
      env_->UnsubscribeAll(&sub_);
      return Refuse(503, "Server busy, retry");
    }
  }
  std::string out =
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: text/event-stream; charset=utf-8\r\n"
      "Cache-Control: no-cache, no-transform\r\n"
      "X-Accel-Buffering: no\r\n"
      "Connection: close\r\n";
  const std::string& cors = env_->config().sse_cors_origin;
  if (!cors.empty()) {
    out += "Access-Control-Allow-Origin: " + cors + "\r\n";
    if (cors != "*") out += "Vary: Origin\r\nAccess-Control-Allow-Credentials: true\r\n";
  }
  out += "\r\n";
  out += "retry: " + std::to_string(limits.sse_retry_ms) + "\n\n";
  env_->loop().SendCopy(*conn_, out);
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

bool SseSession::DeliverLive(net::LocalFrame* frame, const engine::PublicationView& pub) {
  if (!streaming_) return false;
  size_t i = 0;
  while (i < channels_.size() && channels_[i] != pub.channel) ++i;
  if (i == channels_.size()) return false;
  SsePosition& pos = positions_[i];
  if (pub.sequence != 0) {
    if (pub.sequence <= pos.seq) return false;  // already delivered (history replay)
    pos.seq = pub.sequence;
  }
  frame->Ref();
  env_->loop().Send(*conn_, frame);
  SendId();
  return true;
}

void SseSession::SendId() {
  scratch_.assign("id: ");
  AppendEventId(&scratch_, positions_);
  scratch_.append("\n\n");
  env_->loop().SendCopy(*conn_, scratch_);
}

}  // namespace ringcast::protocols::sse
