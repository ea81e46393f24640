#include "server/shard.h"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "engine/publication.h"
#include "protocols/datonow/channel_session.h"
#include "protocols/datonow/token_session.h"
#include "protocols/echo/echo_session.h"
#include "protocols/socketio/dialogue_session.h"
#include "protocols/ws_session.h"
#include "server/http_front.h"
#include "util/log.h"

namespace ringcast::server {

namespace {
constexpr size_t kDrainBatch = 256;
constexpr uint64_t kShutdownSlackMs = 2000;
}  // namespace

Shard::Shard(uint32_t id, const config::ServerConfig* config, const engine::AppRegistry* apps,
             const engine::SocketIdCodec* ids, Mesh* mesh, int listen_fd, int cpu)
    : id_(id),
      config_(config),
      mesh_(mesh),
      listen_fd_(listen_fd),
      cpu_(cpu),
      env_(id, &loop_, apps, config, ids, this),
      outbox_(id, mesh->to_control[id].get()),
      eio_polls_(&env_, &dialogue_shared_,
                 [this](api::HttpCall* call) { outbox_.PushEioDone(call); }),
      metrics_(loop_.stats(), env_.counters()) {
  http_limits_.max_head_bytes = config->limits.max_header_bytes;
  http_limits_.max_body_bytes = config->limits.max_request_body_bytes;
  pusher_shared_.Register(&env_);
  sse_shared_.Register(&env_);
  datonow_shared_.Register(&env_);
  impulse_shared_.Register(&env_);
  dialogue_shared_.Register(&env_);
  realtime_shared_.Register(&env_);
  if (env_.config().mochat.socketio) dialogue_shared_.mochat = &mochat_sockets_;
}

Shard::~Shard() = default;  // the outbox frees what never left

void Shard::Start() { thread_ = std::thread([this] { ThreadMain(); }); }

int Shard::WaitReady() { return ready_.get_future().get(); }

void Shard::Join() {
  if (thread_.joinable()) thread_.join();
}

void Shard::ThreadMain() {
  char name[16];
  std::snprintf(name, sizeof name, "rc-shard-%u", id_);
  pthread_setname_np(pthread_self(), name);
  if (cpu_ >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu_, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) {
      RC_WARN("shard %u: could not pin to CPU %d", id_, cpu_);
    }
  }
  net::IoLoopOptions opts;
  opts.listen_fd = listen_fd_;
  opts.shard_id = id_;
  opts.max_connections = config_->limits.max_connections_per_shard;
  opts.read_buffers = config_->limits.read_buffers_per_shard;
  opts.read_buffer_size = config_->limits.read_buffer_bytes;
  opts.max_outbound_bytes = config_->limits.max_outbound_bytes;
  opts.max_queued_bytes = (size_t{config_->limits.max_outbound_total_mib} << 20) / config_->shards;
  opts.flush_hold_us = config_->limits.flush_hold_us;
  opts.tls = tls_;
  if (config_->direct_descriptors) {
    // Room for every connection the loop takes (the limit plus the refused slack), capped by
    // the open-file limit, which bounds a registered table too.
    rlimit nofile{};
    getrlimit(RLIMIT_NOFILE, &nofile);
    uint64_t want = uint64_t{opts.max_connections} + opts.capacity_slack;
    opts.direct_descriptors = static_cast<uint32_t>(std::min<uint64_t>(want, nofile.rlim_cur));
  }
  int rc = loop_.Init(opts, this, mesh_->shard_wakers[id_].get());
  ready_.set_value(rc);
  if (rc < 0) {
    RC_ERROR("shard %u: io_uring setup failed: %s", id_, std::strerror(-rc));
    // Count as done so that the control plane's shutdown does not wait for this shard.
    while (!mesh_->to_control[id_]->TryPush(ToControl::ShardDone(id_))) {
      std::this_thread::yield();
    }
    mesh_->control_waker.Signal();
    return;
  }
  loop_.Run();
}

net::Session* Shard::NewSession(net::Connection& c) {
  metrics_.ConnectionOpened(ConnProtocol::kHttp);
  return new HttpFrontSession(this, c);
}

void Shard::OnTurnEnd(uint64_t start_ns, uint64_t end_ns) {
  metrics_.TurnEnded(end_ns - start_ns);
  // Once per turn, after the turn's teardowns (they run after DrainInbound and can park notes in
  // the outbox's backlog when the ring is full): what could not go out, counts or parked notes,
  // is tried again in 1 ms instead of waiting for the shard's next I/O. What did go into the
  // ring wakes the control plane in InboundEmpty, or in the next turn's DrainInbound when this
  // one is busy.
  if (!eio_polls_.empty()) {
    eio_polls_.RunTimers(loop_.now_ms());
    if (!outbox_waiting_) loop_.set_max_wait_ms(IdleWaitCapMs());
  }
  bool counts_left = !env_.FlushSubscriptionCounts();
  if ((counts_left || !outbox_.empty()) && !outbox_waiting_) {
    outbox_waiting_ = true;
    loop_.set_max_wait_ms(1);
  }
}

void Shard::OnConnectionClosing(net::Connection& c) {
  net::Session* s = c.session();
  ConnProtocol p = ConnProtocol::kHttp;
  if (dynamic_cast<protocols::datonow::DatonowChannelSession*>(s) != nullptr ||
      dynamic_cast<protocols::datonow::DatonowTokenSession*>(s) != nullptr) {
    p = ConnProtocol::kDatonow;
  } else if (dynamic_cast<protocols::pusher::PusherSession*>(s) != nullptr) {
    p = ConnProtocol::kPusher;
  } else if (dynamic_cast<protocols::socketio::DialogueSession*>(s) != nullptr) {
    p = ConnProtocol::kSocketIo;
  } else if (dynamic_cast<protocols::EchoSession*>(s) != nullptr) {
    p = ConnProtocol::kEcho;
  } else if (dynamic_cast<protocols::sse::SseSession*>(s) != nullptr ||
             dynamic_cast<protocols::impulse::ImpulseSession*>(s) != nullptr) {
    p = ConnProtocol::kSse;
  }
  metrics_.ConnectionClosed(p);
}

bool Shard::InboundEmpty() {
  // Last call before the loop sleeps: wake the control plane for what this turn pushed after
  // DrainInbound (notes from teardown at the end of the turn).
  if (outbox_.TakeDirty()) mesh_->control_waker.WakeIfSleeping();
  return mesh_->to_shard[id_]->Empty();
}

bool Shard::ExpectMoreOutput() {
  return calls_out_ > 0 || (round_calls_ > 0 && round_calls_ < last_round_calls_);
}

void Shard::OnFlushed() {
  if (round_calls_ > 0) last_round_calls_ = round_calls_;
  round_calls_ = 0;
}

bool Shard::DrainInbound() {
  ToShard batch[kDrainBatch];
  size_t n = mesh_->to_shard[id_]->PopBatch(batch, kDrainBatch);
  for (size_t i = 0; i < n; ++i) Handle(batch[i]);
  outbox_.Flush();
  // The counts of this turn's subscribes go before this turn's writes confirm them.
  (void)env_.FlushSubscriptionCounts();
  if (outbox_.TakeDirty()) mesh_->control_waker.WakeIfSleeping();
  if (shutting_down_) CheckShutdown();
  // The control plane makes room in its queue without telling us: while messages wait, look
  // again every millisecond instead of spinning (or sleeping until other work comes).
  bool waiting = !outbox_.empty() || env_.subscription_counts_pending();
  if (waiting != outbox_waiting_) {
    outbox_waiting_ = waiting;
    loop_.set_max_wait_ms(waiting ? 1 : IdleWaitCapMs());
  }
  return n == kDrainBatch;
}

int64_t Shard::IdleWaitCapMs() const {
  // Long-polling sessions keep their timers here (server/eio_polls.h): a tick while any exist.
  return shutting_down_ || !eio_polls_.empty() ? static_cast<int64_t>(runtime::TimerWheel::kTickMs)
                                               : -1;
}

void Shard::Handle(const ToShard& m) {
  switch (m.kind) {
    case ToShard::Kind::kPublish: {
      last_delivered_ = env_.Deliver(engine::ReadPublication(m.publication));
      m.publication->Release();
      break;
    }
    case ToShard::Kind::kReply: {
      api::HttpCall* call = m.reply;
      if (calls_out_ > 0 && call->eio_shard == api::HttpCall::kNoShard) --calls_out_;
      net::Connection* c = loop_.Find(call->conn_index, call->conn_gen);
      auto* front = c != nullptr && c->open() ? dynamic_cast<HttpFrontSession*>(c->session())
                                              : nullptr;
      if (front != nullptr) {
        front->OnReply(call);
      } else {
        delete call;  // the client went away meanwhile
      }
      break;
    }
    case ToShard::Kind::kRoomSlot:
      dialogue_shared_.OnRoomSlot(*m.room_slot);
      delete m.room_slot;
      break;
    case ToShard::Kind::kRoomHistory:
      dialogue_shared_.OnRoomHistory(*m.room_history);
      delete m.room_history;
      break;
    case ToShard::Kind::kRoomChange:
      dialogue_shared_.OnRoomChange(*m.room_change);
      delete m.room_change;
      break;
    case ToShard::Kind::kHookAnswer:
      dialogue_shared_.OnHookAnswer(*m.hook);
      delete m.hook;
      break;
    case ToShard::Kind::kEioCall:
      eio_polls_.OnCall(m.reply);
      break;
    case ToShard::Kind::kCountQuery: {
      CountQuery* q = m.query;
      size_t n = q->channels.size();
      for (size_t i = 0; i < n; ++i) {
        engine::Channel* ch = env_.channels().Find(q->app, q->channels[i]);
        q->counts[id_ * n + i] = ch == nullptr ? 0 : ch->members.size();
      }
      if (q->deliveries && n == 1) q->counts[id_] = last_delivered_;
      if (q->direct && n == 1) {
        q->counts[id_] = dialogue_shared_.DirectSend(
            q->app, q->by_user, q->channels[0], q->direct_serial, q->direct_event, q->direct_data);
      }
      if (q->realtime_presence && n == 1 && id_ < q->participant_rows.size()) {
        realtime_shared_.ListMembers(q->app, q->channels[0], &q->participant_rows[id_]);
      }
      if (q->participants && n == 1 && id_ < q->participant_rows.size()) {
        dialogue_shared_.ListMembers(q->app, q->channels[0], &q->participant_rows[id_]);
      }
      outbox_.PushCountReply(q);
      break;
    }
    case ToShard::Kind::kShutdown:
      StartShutdown(m.grace_ms);
      break;
    case ToShard::Kind::kTerminate: {
      engine::PublicationView pub = engine::ReadPublication(m.publication);
      std::vector<net::Connection*> conns;
      if (engine::Channel* ch = env_.channels().Find(pub.app, pub.channel)) {
        for (const engine::Member& member : ch->members) conns.push_back(member.conn);
      }
      m.publication->Release();
      for (net::Connection* c : conns) {
        if (auto* s = dynamic_cast<protocols::pusher::PusherSession*>(c->session())) {
          s->TerminateByApp();
        }
      }
      break;
    }
    case ToShard::Kind::kPresenceAck: {
      engine::PresenceNote* note = m.presence;
      net::Connection* c = loop_.Find(note->conn_index, note->conn_gen);
      auto* session = c != nullptr && c->open()
                          ? dynamic_cast<protocols::pusher::PusherSession*>(c->session())
                          : nullptr;
      if (session != nullptr) session->OnPresenceAck(*note);
      delete note;
      break;
    }
    case ToShard::Kind::kWatchlist: {
      for (const engine::WatchlistDelivery& d : m.watchlist->deliveries) {
        net::Connection* c = loop_.Find(d.conn_index, d.conn_gen);
        auto* session = c != nullptr && c->open() && c->serial() == d.serial
                            ? dynamic_cast<protocols::pusher::PusherSession*>(c->session())
                            : nullptr;
        if (session != nullptr) session->OnWatchlistChanges(d.online, d.offline);
      }
      delete m.watchlist;
      break;
    }
    case ToShard::Kind::kHistory: {
      engine::HistoryQuery* q = m.history;
      net::Connection* c = loop_.Find(q->conn_index, q->conn_gen);
      net::Session* session = c != nullptr && c->open() ? c->session() : nullptr;
      if (auto* sse = dynamic_cast<protocols::sse::SseSession*>(session)) {
        sse->OnHistory(q);
      } else if (auto* impulse = dynamic_cast<protocols::impulse::ImpulseSession*>(session)) {
        impulse->OnHistory(q);  // cluster mode: the stream starts once subscribed
      }
      q->ReleaseEvents();
      delete q;
      break;
    }
  }
}

bool Shard::ForwardHttp(api::HttpCall* call) {
  if (!outbox_.PushRequest(call)) return false;
  // An Engine.IO poll may be held for a ping interval: not an answer the flush should wait for.
  if (call->eio_shard == api::HttpCall::kNoShard) {
    ++calls_out_;
    ++round_calls_;
  }
  return true;
}

bool Shard::NoteOccupied(uint32_t app, std::string_view name) {
  return outbox_.PushOccupied(app, name);
}

void Shard::NoteVacated(uint32_t app, std::string_view name) { outbox_.PushVacated(app, name); }

bool Shard::ForwardPublication(runtime::SharedBuf* buf) { return outbox_.PushClientEvent(buf); }

bool Shard::NoteRoomJoin(engine::RoomSlot* slot) {
  slot->shard = id_;
  return outbox_.PushRoomJoin(slot);
}

bool Shard::QueryRoomHistory(engine::RoomHistoryQuery* q) {
  q->shard = id_;
  return outbox_.PushRoomHistory(q);
}

bool Shard::RequestRoomChange(engine::RoomChange* c) {
  c->shard = id_;
  return outbox_.PushRoomChange(c);
}

bool Shard::CallHook(engine::HookCall* h) {
  h->shard = id_;
  return outbox_.PushHookCall(h);
}

void Shard::NoteRoomLeave(uint32_t app, std::string_view room) {
  auto* slot = new engine::RoomSlot();
  slot->app = app;
  slot->room = std::string(room);
  slot->shard = id_;
  slot->join = false;
  outbox_.PushRoomLeave(slot);
}

bool Shard::NotePresenceJoin(engine::PresenceNote* note) {
  note->shard = id_;
  return outbox_.PushPresenceJoin(note);
}

void Shard::NotePresenceLeave(uint32_t app, std::string_view channel, std::string_view user_id,
                              uint64_t serial) {
  outbox_.PushPresenceLeave(app, channel, user_id, serial);
}
bool Shard::QueryHistory(engine::HistoryQuery* q) { return outbox_.PushHistoryQuery(q); }
bool Shard::NoteSubscriptionCounts(engine::SubscriptionCountReport* report) {
  return outbox_.PushSubscriptionCounts(report);
}

void Shard::StartShutdown(uint64_t grace_ms) {
  if (shutting_down_) return;
  shutting_down_ = true;
  env_.set_shutting_down();
  eio_polls_.CloseAll();  // waiting polls get the close packet
  loop_.StopAccepting();
  uint64_t now = loop_.now_ms();
  std::vector<net::Connection*> conns;
  loop_.ForEachConnection([&](net::Connection& c) { conns.push_back(&c); });
  // pusher-js reconnects without jitter: spread the closes over the grace window.
  for (size_t i = 0; i < conns.size(); ++i) {
    net::Connection& c = *conns[i];
    if (dynamic_cast<protocols::WsSession*>(c.session()) != nullptr) {
      uint64_t at = now + (conns.size() > 1 ? grace_ms * i / (conns.size() - 1) : 0);
      loop_.ScheduleTimer(c, at, protocols::WsSession::kShutdownTimer);
    } else {
      loop_.CloseAfterFlush(c, 1000);
    }
  }
  shutdown_deadline_ms_ = now + grace_ms + kShutdownSlackMs;
  if (!outbox_waiting_) loop_.set_max_wait_ms(IdleWaitCapMs());
  CheckShutdown();
}

void Shard::CheckShutdown() {
  if (done_sent_) return;
  if (loop_.connection_count() > 0 && loop_.now_ms() >= shutdown_deadline_ms_) {
    loop_.ForEachConnection([&](net::Connection& c) { loop_.CloseNow(c); });
    return;  // the closes finish in the next turns
  }
  if (loop_.connection_count() > 0) return;
  if (outbox_.PushShardDone()) {
    done_sent_ = true;
    mesh_->control_waker.WakeIfSleeping();
    loop_.Stop();
  }
}

}  // namespace ringcast::server
