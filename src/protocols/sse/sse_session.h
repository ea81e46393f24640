// SseSession: one client reading a Server-Sent Events stream (GET /sse/{app_key}?channels=...).
//
// Life of a session:
//   start     -> the request is checked (app known and enabled, the shard and the app under
//                their connection limits, channel names valid for SSE, the signature of private
//                and presence channels); a refusal is an HTTP error with a JSON body and the
//                connection closes. Otherwise it subscribes to every channel, then asks the
//                control plane's history (engine/history.h) for each channel's position and,
//                when resuming (Last-Event-ID header or last_event_id query), the events after
//                the client's position. Live publications that reach the session before the
//                answer are dropped: they are in the answer (the query went out behind the
//                stream's occupancy notes and the answer comes back on the same queue as the
//                publications, after every one it includes). With the answer it sends 200
//                text/event-stream with proxy-friendly headers (Cache-Control: no-cache,
//                X-Accel-Buffering: no), `retry:`, CORS headers when configured, then a
//                `ringcast:gap` event naming the channels whose missed events are no longer
//                all in history (or more than half of max_outbound_bytes: the oldest are left
//                out), then the missed events in order, then goes live;
//   events    -> each publication on a subscribed channel is the shard's shared record
//                (sse_encoder.h) followed by this subscriber's `id:` (its position in every
//                channel, sse_request.h) and the blank line: for a one-channel stream the
//                shared frame as it is (its id line is this stream's), otherwise a frame of
//                the stream's own; an event whose sequence this stream already delivered is
//                skipped (dedupe by sequence);
//   liveness  -> a comment line (":\n\n") every sse_heartbeat_ms keeps proxies and clients from
//                timing the stream out;
//   closing   -> a slow consumer (past max_outbound_bytes) is dropped: queued output is
//                discarded and the connection closed (the client's EventSource reconnects
//                with its Last-Event-ID); on shutdown the shard closes the stream after what is
//                queued is written. Bytes the client sends are ignored.
// Thread rules: the owning shard's thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/channel_table.h"
#include "engine/shard_env.h"
#include "net/connection.h"
#include "protocols/sse/sse_encoder.h"
#include "protocols/sse/sse_request.h"

namespace ringcast::protocols::sse {

class SseSession;

// The engine member of an SSE session (the encoder finds the session through it).
struct SseSubscriber : engine::Subscriber {
  SseSubscriber(net::Connection* conn, engine::FormatId format, SseSession* s)
      : engine::Subscriber(conn, format), session(s) {}
  SseSession* session;
};

// Per-shard state shared by the shard's SSE sessions: the fan-out encoder and its format id.
struct SseShared {
  void Register(engine::ShardEnv* env) { format = env->RegisterFormat(&encoder); }
  SseEncoder encoder;
  engine::FormatId format = 0;
};

class SseSession : public net::Session {
 public:
  static constexpr uint8_t kHeartbeatTimer = 10;
  static constexpr uint64_t kOverflowFlushMs = 10000;

  SseSession(engine::ShardEnv* env, SseShared* shared, net::Connection& conn);

  // Checks the request and starts the stream (or answers the refusal and closes). `app` is the
  // index of the app named in the path or AppRegistry::kNone; `last_event_id` the header value.
  void Start(uint32_t app, std::string_view query, std::string_view last_event_id);

  void OnData(net::Connection& c, char* data, size_t len) override;
  void OnTimer(net::Connection& c, uint8_t kind) override;
  void OnOverflow(net::Connection& c) override;
  void OnClosed(net::Connection& c) override;

  // A live publication on one of the stream's channels (SseEncoder::DeliverToMember): queues
  // `frame` and this stream's id; false when skipped (already delivered). `slot`: the member's
  // slot (engine::Member), the index of the channel in the stream's list.
  bool DeliverLive(net::LocalFrame* frame, const engine::PublicationView& pub, uint32_t slot);
  // The control plane answered the stream's history query: starts the stream (headers, a gap
  // event when history no longer holds what was missed, the missed events), then live.
  void OnHistory(engine::HistoryQuery* q);

 private:
  void Refuse(int status, std::string_view message);
  std::vector<size_t> ReplayCuts(const engine::HistoryQuery& q) const;
  void ArmHeartbeat();
  void SendId();
  void SendHeaders();

  engine::ShardEnv* env_;
  SseShared* shared_;
  net::Connection* conn_;
  SseSubscriber sub_;
  uint32_t app_ = 0;
  bool counted_ = false;    // holds one of the app's max_connections
  bool streaming_ = false;  // live: the history answer was sent
  std::vector<std::string> channels_;
  std::vector<SsePosition> positions_;  // aligned with channels_
  std::string scratch_;
};

}  // namespace ringcast::protocols::sse
