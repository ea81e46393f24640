// ImpulseSession: one client reading the Impulse broker's event stream (GET {prefix}?channel=
// &token=&topic=, docs/protocols/impulse.md).
//
// Life of a session:
//   start     -> the query is read as the broker reads it (the first `channel`, `token` and
//                `topic`; an empty token or topic is none). No channel: 400 {"error": ...} and
//                the connection closes; so do a channel name ringcast refuses (400), the app
//                disabled (403), the app over max_connections (429) and a full shard or a
//                busy control plane (503). Otherwise it subscribes to the one channel and sends
//                200 text/event-stream, the CORS headers, and the comment
//                `: Connected to channel: C`; in cluster mode only once the control plane
//                answers a position query (engine::HistoryQuery, no resume) for the channel,
//                which it does when this node's Redis subscription to it is confirmed, so a push
//                made after the client saw the comment reaches it from any node;
//   events    -> each publication on the channel whose audience matches (impulse_encoder.h) is
//                the shard's shared record `data: {...}\n\n`;
//   liveness  -> `: heartbeat` every impulse.heartbeat_ms (the broker's 30 s);
//   closing   -> as an SSE stream: a slow consumer (past max_outbound_bytes) is dropped (its
//                queued output discarded, the connection closed); on shutdown the stream ends
//                after what is queued is written. Bytes the client sends are ignored.
// Thread rules: the owning shard's thread.
#pragma once

#include <cstdint>
#include <string>

#include "engine/channel_table.h"
#include "engine/history.h"
#include "engine/shard_env.h"
#include "net/connection.h"
#include "protocols/impulse/impulse_encoder.h"

namespace ringcast::protocols::impulse {

class ImpulseSession;

// The engine member of an Impulse stream (the encoder finds the session through it).
struct ImpulseSubscriber : engine::Subscriber {
  ImpulseSubscriber(net::Connection* conn, engine::FormatId format, ImpulseSession* s)
      : engine::Subscriber(conn, format), session(s) {}
  ImpulseSession* session;
};

// Per-shard state shared by the shard's Impulse streams: the encoder and its format id.
struct ImpulseShared {
  void Register(engine::ShardEnv* env) { format = env->RegisterFormat(&encoder); }
  ImpulseEncoder encoder;
  engine::FormatId format = 0;
};

class ImpulseSession : public net::Session {
 public:
  static constexpr uint8_t kHeartbeatTimer = 10;
  static constexpr uint64_t kOverflowFlushMs = 10000;

  ImpulseSession(engine::ShardEnv* env, ImpulseShared* shared, net::Connection& conn);

  // Checks the request (`query`: the raw text after '?') and starts the stream, or answers the
  // refusal and closes.
  void Start(std::string_view query);

  void OnData(net::Connection& c, char* data, size_t len) override;
  void OnTimer(net::Connection& c, uint8_t kind) override;
  void OnOverflow(net::Connection& c) override;
  void OnClosed(net::Connection& c) override;

  const std::string& topic() const { return topic_; }
  const std::string& token() const { return token_; }
  // Queues the shared record (ImpulseEncoder::DeliverToMember); false when not streaming.
  bool Deliver(net::LocalFrame* frame);
  // Cluster mode: the answer to the query Start sent; starts the stream.
  void OnHistory(engine::HistoryQuery* q);

 private:
  void Refuse(int status, std::string_view message);
  void StartStream();
  void ArmHeartbeat();

  engine::ShardEnv* env_;
  net::Connection* conn_;
  ImpulseSubscriber sub_;
  uint32_t app_ = 0;
  bool counted_ = false;    // holds one of the app's max_connections
  bool streaming_ = false;  // the head was sent
  std::string channel_;
  std::string topic_;
  std::string token_;
};

}  // namespace ringcast::protocols::impulse
