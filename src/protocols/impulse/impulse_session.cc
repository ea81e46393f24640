#include "protocols/impulse/impulse_session.h"

#include <vector>

#include "engine/app_registry.h"
#include "engine/channel_name.h"
#include "http/query.h"
#include "protocols/impulse/impulse_wire.h"

namespace ringcast::protocols::impulse {

ImpulseSession::ImpulseSession(engine::ShardEnv* env, ImpulseShared* shared, net::Connection& conn)
    : env_(env), conn_(&conn), sub_(&conn, shared->format, this) {}

void ImpulseSession::Refuse(int status, std::string_view message) {
  std::string out;
  wire::AppendError(&out, status, message, /*keep_alive=*/false);
  env_->loop().SendCopy(*conn_, out);
  env_->loop().CloseAfterFlush(*conn_, 1000);
}

void ImpulseSession::Start(std::string_view query) {
  const config::ImpulseConfig& cfg = env_->config().impulse;
  // URLSearchParams.get: the first value of each name, '+' as space.
  std::vector<http::QueryParam> params;
  if (!http::ParseQuery(query, &params, /*plus_as_space=*/true)) {
    return Refuse(400, "Malformed percent-escape in the query");
  }
  bool has_channel = false, has_token = false, has_topic = false;
  for (http::QueryParam& p : params) {
    if (p.key == "channel" && !has_channel) {
      channel_ = std::move(p.value);
      has_channel = true;
    } else if (p.key == "token" && !has_token) {
      token_ = std::move(p.value);
      has_token = true;
    } else if (p.key == "topic" && !has_topic) {
      topic_ = std::move(p.value);
      has_topic = true;
    }
  }
  if (channel_.empty()) return Refuse(400, wire::kNoChannel);
  const config::Limits& limits = env_->limits();
  if (const char* err = engine::GenericChannelNameError(channel_, limits.max_channel_name_length)) {
    return Refuse(400, err);
  }
  // The stream carries no channel auth: Pusher's private, encrypted and presence channels of
  // the app (which Pusher and SSE clients open only with a signature) are not open to it.
  if (engine::NeedsAuth(engine::KindOf(channel_))) {
    return Refuse(403, "Private and presence channels need channel auth, which this API lacks");
  }
  uint32_t app = cfg.app;
  if (!env_->apps().app(app).enabled) return Refuse(403, "Application disabled");
  if (conn_->over_capacity() || env_->shutting_down()) return Refuse(503, "Over capacity");
  if (!env_->apps().TryAcquireConnection(app)) {
    return Refuse(429, "Application is over connection quota");
  }
  app_ = app;
  counted_ = true;
  if (env_->channels().Find(app_, channel_) == nullptr &&
      env_->channels().app_channel_count(app_) >= limits.max_channels_per_app_per_shard) {
    return Refuse(503, "Too many channels for this app on this shard");
  }
  // The occupancy note is pushed before the head goes out: a push made after the client saw
  // the connect comment reaches this stream (server/control_plane.h, causality).
  if (env_->Subscribe(app_, channel_, &sub_).refused) return Refuse(503, "Server busy, retry");
  if (env_->config().cluster.enabled()) {
    // The head waits until this node receives the channel's publications from every node.
    auto* q = new engine::HistoryQuery();
    q->app = app_;
    q->shard = env_->shard_id();
    q->conn_index = conn_->index();
    q->conn_gen = conn_->generation();
    q->channels.resize(1);
    q->channels[0].name = channel_;
    if (!env_->control().QueryHistory(q)) {
      delete q;
      return Refuse(503, "Server busy, retry");
    }
    return;
  }
  StartStream();
}

void ImpulseSession::OnHistory(engine::HistoryQuery* q) {
  (void)q;  // no resume: only its arrival matters
  if (streaming_ || !conn_->open()) return;
  StartStream();
}

void ImpulseSession::StartStream() {
  std::string out;
  wire::AppendStreamStart(&out, env_->config().impulse, channel_);
  env_->loop().SendCopy(*conn_, out);
  streaming_ = true;
  ArmHeartbeat();
}

void ImpulseSession::ArmHeartbeat() {
  uint32_t every = env_->config().impulse.heartbeat_ms;
  if (every == 0) return;
  env_->loop().ScheduleTimer(*conn_, env_->loop().now_ms() + every, kHeartbeatTimer);
}

void ImpulseSession::OnData(net::Connection& c, char* data, size_t len) {
  // The client has nothing to say after its request: ignored (never buffered).
  (void)c;
  (void)data;
  (void)len;
}

void ImpulseSession::OnTimer(net::Connection& c, uint8_t kind) {
  if (kind != kHeartbeatTimer || !streaming_ || !c.open()) return;
  env_->loop().SendCopy(c, wire::kHeartbeat);
  ArmHeartbeat();
}

void ImpulseSession::OnOverflow(net::Connection& c) {
  // Nothing more is queued; a partial record is discarded by the client at end of stream.
  streaming_ = false;
  env_->loop().CloseAfterFlush(c, kOverflowFlushMs);
}

void ImpulseSession::OnClosed(net::Connection& c) {
  (void)c;
  streaming_ = false;
  if (counted_) env_->apps().ReleaseConnection(app_);
  counted_ = false;
  env_->UnsubscribeAll(&sub_);
}

bool ImpulseSession::Deliver(net::LocalFrame* frame) {
  if (!streaming_) return false;
  frame->Ref();
  env_->loop().Send(*conn_, frame);
  return true;
}

}  // namespace ringcast::protocols::impulse
