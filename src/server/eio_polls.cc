#include "server/eio_polls.h"

#include <algorithm>
#include <utility>

#include "config/config.h"
#include "http/response.h"
#include "protocols/socketio/packet.h"
#include "ws/frame_encoder.h"

namespace ringcast::server {

namespace sio = protocols::socketio;

namespace {
constexpr std::string_view kPayloadType = "text/plain; charset=UTF-8";
}  // namespace

struct EioPolls::Poll : sio::DialogueTransport {
  EioPolls* owner = nullptr;
  std::string sid;
  std::unique_ptr<sio::DialogueSocket> socket;
  std::vector<std::string> queue;  // packets for the next poll
  size_t queued_bytes = 0;
  api::HttpCall* waiting = nullptr;  // the poll held until a packet comes
  bool upgrading = false;            // a WebSocket of the sid probed
  bool ended = false;                // closed or upgraded: erased at the next RunTimers
  bool overflowed = false;           // the queue went over its cap: closing

  void SendPacket(std::string_view packet) override {
    if (ended || overflowed) return;
    if (queued_bytes + packet.size() + 1 > owner->env_->limits().max_outbound_bytes) {
      // Closed at a safe point (this may run inside a fan-out).
      overflowed = true;
      queue.clear();
      queued_bytes = 0;
      owner->Schedule(0, kOverflowTimer, sid);
      return;
    }
    queue.emplace_back(packet);
    queued_bytes += packet.size() + 1;
    owner->Flush(this);
  }

  void SendPacketFrame(net::LocalFrame* frame) override {
    // The fan-out's WebSocket text frame: its payload is the packet.
    std::string_view packet = ws::ServerFramePayload({frame->data(), frame->size()});
    if (!packet.empty()) SendPacket(packet);
  }

  void CloseTransport(uint16_t code, std::string_view reason) override {
    (void)code;
    (void)reason;
    if (ended) return;
    // engine.io sends the close packet to the waiting poll; without one, the client's next
    // poll learns it from "Session ID unknown" (the session is erased at the turn's end).
    queue.emplace_back("1");
    owner->Flush(this);
    owner->Reap(this);
  }

  void ScheduleSocketTimer(uint64_t deadline_ms, uint8_t kind) override {
    owner->Schedule(deadline_ms, kind, sid);
  }
};

EioPolls::EioPolls(engine::ShardEnv* env, sio::DialogueShared* shared,
                   std::function<void(api::HttpCall*)> done)
    : env_(env), shared_(shared), done_(std::move(done)) {}

EioPolls::~EioPolls() {
  // Polls still held go home answered (the call belongs to the shard holding its connection).
  for (auto& [sid, poll] : polls_) {
    if (poll->waiting != nullptr) Answer(poll->waiting, 200, kPayloadType, "1");
    poll->waiting = nullptr;
  }
}

EioPolls::Poll* EioPolls::Find(std::string_view sid) {
  auto it = polls_.find(sid);
  return it == polls_.end() ? nullptr : it->second.get();
}

void EioPolls::Schedule(uint64_t deadline_ms, uint8_t kind, const std::string& sid) {
  timers_.push(Timer{deadline_ms, kind, sid});
}

void EioPolls::Reap(Poll* poll) {
  if (poll->ended) return;
  poll->ended = true;
  dead_.push_back(poll->sid);
}

void EioPolls::Answer(api::HttpCall* call, int status, std::string_view content_type,
                      std::string_view body) {
  // The shard that read the request (the session's may be another).
  call->response.clear();
  http::AppendResponse(&call->response, status, content_type, body, call->keep_alive,
                       Headers(call->shard));
  done_(call);
}

std::string EioPolls::Headers(uint32_t shard) const {
  // X-Ringcast-Shard: the shard that read the request (as SSE streams say it).
  std::string h = "X-Ringcast-Shard: " + std::to_string(shard) + "\r\n";
  const std::vector<std::string>& origins = env_->config().dialogue.cors_origins;
  if (std::find(origins.begin(), origins.end(), "*") != origins.end()) {
    h += "Access-Control-Allow-Origin: *\r\nAccess-Control-Expose-Headers: X-Ringcast-Shard\r\n";
  }
  return h;
}

void EioPolls::Flush(Poll* poll) {
  if (poll->waiting == nullptr || poll->queue.empty()) return;
  std::string body;
  body.reserve(poll->queued_bytes);
  for (const std::string& packet : poll->queue) {
    if (!body.empty()) body += sio::kEioSeparator;
    body += packet;
  }
  poll->queue.clear();
  poll->queued_bytes = 0;
  api::HttpCall* call = std::exchange(poll->waiting, nullptr);
  Answer(call, 200, kPayloadType, body);
}

void EioPolls::Handshake(std::string* out, bool keep_alive, sio::SioApp* app) {
  if (polls_.size() >= env_->limits().max_connections_per_shard || env_->shutting_down()) {
    http::AppendJsonError(out, 503, "Over capacity", keep_alive);
    return;
  }
  auto poll = std::make_unique<Poll>();
  poll->owner = this;
  poll->socket =
      std::make_unique<sio::DialogueSocket>(env_, shared_, env_->loop().NewSerial(), app);
  uint16_t code = 0;
  if (const char* refused = poll->socket->Acquire(&code)) {
    http::AppendJsonError(out, code == 4003 ? 403 : 503, refused, keep_alive);
    return;
  }
  poll->sid = poll->socket->sid();
  std::string body = "0" + poll->socket->OpenData(/*upgrades=*/true);
  Poll* p = poll.get();
  polls_.emplace(p->sid, std::move(poll));
  p->socket->Attach(p);
  http::AppendResponse(out, 200, kPayloadType, body, keep_alive, Headers(env_->shard_id()));
}

void EioPolls::OnCall(api::HttpCall* call) {
  Poll* poll = Find(call->eio_sid);
  auto refuse = [&](sio::EioError error) {
    call->response.clear();
    sio::AppendEioErrorResponse(&call->response, error, call->keep_alive);
    done_(call);
  };
  if (poll == nullptr || poll->ended || !poll->socket) {
    return refuse(sio::EioError::kSessionIdUnknown);
  }
  if (call->method == "GET") {
    if (poll->waiting != nullptr) {
      // engine.io: "overlap from client" ends the session.
      refuse(sio::EioError::kBadRequest);
      poll->socket->Close(1002, "poll overlap");
      return;
    }
    poll->waiting = call;
    if (!poll->queue.empty()) {
      Flush(poll);
    } else if (poll->upgrading) {
      // The client pauses polling to upgrade: a poll must not hold it up.
      poll->waiting = nullptr;
      Answer(call, 200, kPayloadType, "6");
    }
    return;
  }
  if (call->method != "POST") return refuse(sio::EioError::kBadRequest);
  for (std::string_view packet : sio::SplitEioPayload(call->body)) {
    if (poll->ended) break;
    if (!packet.empty() && packet[0] == 'b') {
      (void)poll->socket->OnEioBinary();
    } else {
      (void)poll->socket->OnEioText(packet);
    }
  }
  Answer(call, 200, "text/html", "ok");
}

void EioPolls::RunTimers(uint64_t now_ms) {
  while (!timers_.empty() && timers_.top().deadline_ms <= now_ms) {
    Timer t = timers_.top();
    timers_.pop();
    Poll* poll = Find(t.sid);
    if (poll == nullptr || poll->ended || !poll->socket) continue;
    if (t.kind == kOverflowTimer) {
      poll->overflowed = false;  // the close packet goes out
      poll->socket->Close(1008, "slow consumer");
    } else {
      poll->socket->OnTimer(t.kind);
    }
  }
  for (const std::string& sid : dead_) polls_.erase(sid);
  dead_.clear();
}

void EioPolls::CloseAll() {
  for (auto& [sid, poll] : polls_) {
    if (!poll->ended && poll->socket) poll->socket->Close(1001, "server shutting down");
  }
}

bool EioPolls::OnProbe(std::string_view sid) {
  Poll* poll = Find(sid);
  if (poll == nullptr || poll->ended || !poll->socket) return false;
  poll->upgrading = true;
  if (poll->waiting != nullptr && poll->queue.empty()) {
    Answer(std::exchange(poll->waiting, nullptr), 200, kPayloadType, "6");
  }
  return true;
}

std::unique_ptr<sio::DialogueSocket> EioPolls::TakeForUpgrade(std::string_view sid,
                                                              std::vector<std::string>* held) {
  Poll* poll = Find(sid);
  if (poll == nullptr || poll->ended || !poll->socket) return nullptr;
  *held = std::move(poll->queue);
  poll->queue.clear();
  poll->queued_bytes = 0;
  if (poll->waiting != nullptr)
    Answer(std::exchange(poll->waiting, nullptr), 200, kPayloadType, "6");
  Reap(poll);
  return std::move(poll->socket);
}

void EioPolls::OnProbeAbandoned(std::string_view sid) {
  if (Poll* poll = Find(sid)) poll->upgrading = false;
}

}  // namespace ringcast::server
