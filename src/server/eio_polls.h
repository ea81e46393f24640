// EioPolls: one shard's Engine.IO long-polling sessions of Dialogue sockets
// (docs/protocols/socketio.md, "Long-polling across shards").
//
// A handshake (GET {path}/?EIO=4&transport=polling, no sid) makes a session on the shard that
// read it; the sid names that shard (engine::SocketIdCodec: "<shard>.<serial>"). Every later
// request of the session (GET: a poll; POST: packets from the client) may arrive on any shard:
// that shard reads it as an api::HttpCall and hands it to the control plane, which passes it to
// the session's shard (ToShard::kEioCall); the answer goes back the same way (kEioDone, then
// kReply to the shard holding the connection). So one session has one place where its packets
// queue and one order, whichever shards its requests land on:
//   - a POST's packets run in order, and it is answered "ok" only after they ran; the client
//     sends its next POST after that answer, so posts never overtake each other;
//   - a GET takes every queued packet (joined by 0x1e) at once, or waits until one is queued;
//     packets leave the queue only into an answer, so nothing is lost or sent twice between
//     polls (a poll whose connection is gone when its answer arrives ends the client's session
//     anyway: engine.io-client closes on a failed poll, and the ping timeout closes ours);
//   - a second GET while one waits is engine.io's "overlap" error: 400 and the session closes.
// The server's pings travel in polls; a session whose pong has not come ping_timeout_ms after a
// ping is closed (a client that stops polling never sees the ping). The queue is bounded by
// limits.max_outbound_bytes: past it the session closes (slow consumer; the waiting or next
// poll gets the close packet).
// Upgrade: a WebSocket with the sid on this shard probes ("2probe"); the waiting poll is then
// answered with a noop, and on "5" the socket moves to the WebSocket (DialogueSession) with the
// packets still queued. A WebSocket probe that lands on another shard is refused (400 "Bad
// request"): the client stays on polling.
// Timers: the sockets' ping timers live in a heap here, run from the shard's loop turns (the
// shard caps its sleep at TimerWheel::kTickMs while sessions exist).
// Closing a socket (or taking it for an upgrade) may happen inside its own calls or inside a
// fan-out: the session is only marked, and erased at the next RunTimers.
// Thread rules: the owning shard's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_call.h"
#include "engine/shard_env.h"
#include "protocols/socketio/dialogue_session.h"
#include "protocols/socketio/dialogue_shared.h"
#include "protocols/socketio/dialogue_socket.h"
#include "util/string_map.h"

namespace ringcast::server {

class EioPolls : public protocols::socketio::DialogueUpgradeSource {
 public:
  // `done` sends an answered call home (through the control plane).
  EioPolls(engine::ShardEnv* env, protocols::socketio::DialogueShared* shared,
           std::function<void(api::HttpCall*)> done);
  ~EioPolls() override;

  // GET without sid: a new session; `out` gets the whole HTTP answer (the open packet, or a
  // refusal).
  void Handshake(std::string* out, bool keep_alive, protocols::socketio::SioApp* app = nullptr);
  // A GET or POST of a session of this shard (call->eio_sid); answered now or later.
  void OnCall(api::HttpCall* call);
  // Runs the due timers and erases the ended sessions (a safe point of the shard's turn).
  void RunTimers(uint64_t now_ms);
  // Closes every session (shutdown): waiting polls get the close packet.
  void CloseAll();
  bool empty() const { return polls_.empty(); }
  size_t size() const { return polls_.size(); }

  bool OnProbe(std::string_view sid) override;
  std::unique_ptr<protocols::socketio::DialogueSocket> TakeForUpgrade(
      std::string_view sid, std::vector<std::string>* held) override;
  void OnProbeAbandoned(std::string_view sid) override;

 private:
  struct Poll;
  struct Timer {
    uint64_t deadline_ms;
    uint8_t kind;
    std::string sid;
    bool operator>(const Timer& o) const { return deadline_ms > o.deadline_ms; }
  };
  static constexpr uint8_t kOverflowTimer = 200;  // not a socket kind: the queue went over

  Poll* Find(std::string_view sid);
  void Answer(api::HttpCall* call, int status, std::string_view content_type,
              std::string_view body);
  void Flush(Poll* poll);
  // The answers' extra headers (X-Ringcast-Shard of `shard`, CORS).
  std::string Headers(uint32_t shard) const;
  void Schedule(uint64_t deadline_ms, uint8_t kind, const std::string& sid);
  void Reap(Poll* poll);

  engine::ShardEnv* env_;
  protocols::socketio::DialogueShared* shared_;
  std::function<void(api::HttpCall*)> done_;
  util::StringMap<std::unique_ptr<Poll>> polls_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::vector<std::string> dead_;  // sids to erase at the next RunTimers
};

}  // namespace ringcast::server
