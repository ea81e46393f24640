#include "server/control_plane.h"

#include <pthread.h>

#include <bit>
#include <cstring>
#include <utility>

#include "http/response.h"
#include "runtime/wait_for_work.h"
#include "util/clock.h"
#include "util/log.h"

namespace ringcast::server {

namespace {
constexpr size_t kDrainBatch = 256;
constexpr uint64_t kWakeUserData = 1;
}  // namespace

ControlPlane::ControlPlane(const config::ServerConfig* config, const engine::AppRegistry* apps,
                           const engine::SocketIdCodec* ids, Mesh* mesh)
    : config_(config),
      mesh_(mesh),
      shard_count_(mesh->to_shard.size()),
      occupancy_(apps->size()),
      history_(apps, uint64_t{config->limits.history_max_mib} << 20,
               static_cast<uint64_t>(util::WallMs()) * 1000),
      pusher_api_(apps, config, ids, &occupancy_),
      stalled_(shard_count_),
      shard_dirty_(shard_count_, false) {}

ControlPlane::~ControlPlane() {
  for (auto& q : stalled_) {
    for (const ToShard& m : q) {
      if (m.kind == ToShard::Kind::kPublish) m.publication->Release();
      if (m.kind == ToShard::Kind::kReply) delete m.reply;
      if (m.kind == ToShard::Kind::kHistory) {
        m.history->ReleaseEvents();
        delete m.history;
      }
      // kCountQuery: one query may wait for several shards; left to the process exit.
    }
  }
}

void ControlPlane::Start() { thread_ = std::thread([this] { Run(); }); }

void ControlPlane::Join() {
  if (thread_.joinable()) thread_.join();
}

void ControlPlane::RequestShutdown() {
  shutdown_requested_.store(true);
  mesh_->control_waker.Signal();
}

ControlStats ControlPlane::stats() const {
  ControlStats s;
  for (const auto& q : mesh_->to_shard) s.ring_full += q->full_count();
  s.stalled_spills = stalled_spills_.Get();
  s.stalled = stalled_now_.Get();
  s.stalled_peak = stalled_peak_.Get();
  s.paused_turns = paused_turns_.Get();
  return s;
}

void ControlPlane::Run() {
  pthread_setname_np(pthread_self(), "rc-control");
  int rc = ring_.Init(64);
  RC_CHECK(rc == 0);
  auto arm_wake = [this] {
    runtime::ArmWakeRead(ring_, mesh_->control_waker, &wake_buf_, kWakeUserData);
  };
  arm_wake();

  // Requests and client events popped in an earlier pass than the last one (their notes are
  // applied: they may be handled), and those popped in the last pass (they wait for one more).
  std::deque<ToControl> ready;
  std::deque<ToControl> fresh;
  while (true) {
    bool clear = FlushStalled();
    bool paused = stalled_total_ >= kMaxStalled;
    if (!paused) {
      // The pass below comes after `fresh` was popped: they may be handled after it.
      ready.insert(ready.end(), fresh.begin(), fresh.end());
      fresh.clear();
      DrainPass(&fresh);
    } else {
      paused_turns_.Add();
    }
    while (!ready.empty() && stalled_total_ < kMaxStalled) {
      HandleRequest(ready.front());
      ready.pop_front();
    }
    if (shutdown_requested_.load() && !shutdown_sent_) {
      for (uint32_t s = 0; s < shard_count_; ++s) {
        SendToShard(s, ToShard::Shutdown(config_->limits.shutdown_grace_ms));
      }
      shutdown_sent_ = true;
    }
    WakeShards();
    if (shutdown_sent_ && shards_done_ == shard_count_) break;

    paused = stalled_total_ >= kMaxStalled;
    bool busy = !paused && (!ready.empty() || !fresh.empty());
    // With messages stalled, shards make room without telling us: look again in 1 ms.
    runtime::WaitForWork(ring_, mesh_->control_waker, busy, clear ? -1 : 1, [&] {
      // While paused, new input is not taken, so it is no reason to stay awake.
      return paused || (QueuesEmpty() && (!shutdown_requested_.load() || shutdown_sent_));
    });
    ring_.ForEachCqe([&](const io_uring_cqe& cqe) {
      if (cqe.user_data == kWakeUserData) arm_wake();
    });
  }
}

bool ControlPlane::QueuesEmpty() const {
  for (const auto& q : mesh_->to_control) {
    if (!q->Empty()) return false;
  }
  return true;
}

void ControlPlane::DrainPass(std::deque<ToControl>* out) {
  ToControl batch[kDrainBatch];
  for (uint32_t s = 0; s < shard_count_; ++s) {
    size_t n;
    do {
      n = mesh_->to_control[s]->PopBatch(batch, kDrainBatch);
      for (size_t i = 0; i < n; ++i) {
        const ToControl& m = batch[i];
        switch (m.kind) {
          case ToControl::Kind::kNote:
            ApplyNote(m.shard, m.note);
            break;
          case ToControl::Kind::kRequest:
          case ToControl::Kind::kClientEvent:
          case ToControl::Kind::kHistoryQuery:
            out->push_back(m);
            break;
          case ToControl::Kind::kShardDone:
            ++shards_done_;
            break;
          case ToControl::Kind::kCountReply:
            OnCountReply(m.query);
            break;
        }
      }
    } while (n == kDrainBatch);
  }
}

void ControlPlane::ApplyNote(uint32_t shard, ChannelNote* note) {
  occupancy_.Apply(note->app, shard, note->name, note->occupied);
  delete note;
}

void ControlPlane::HandleRequest(const ToControl& m) {
  uint64_t now_ms = util::MonotonicMs();
  if (now_ms >= history_swept_ms_ + 1000) {
    history_.Sweep(now_ms);
    history_swept_ms_ = now_ms;
  }
  if (m.kind == ToControl::Kind::kHistoryQuery) {
    history_.Answer(m.history, now_ms);
    SendToShard(m.history->shard, ToShard::History(m.history));
    return;
  }
  if (m.kind == ToControl::Kind::kClientEvent) {
    runtime::SharedBuf* buf = m.client_event;
    engine::PublicationView pub = engine::ReadPublication(buf);
    engine::Occupancy::Route route = occupancy_.Next(pub.app, pub.channel);
    bool keep = history_.PolicyFor(pub.app, pub.channel).size > 0;
    if (route.mask == 0 && !keep) {
      buf->Release();
      return;
    }
    auto shards = static_cast<uint32_t>(std::popcount(route.mask));
    // Ours alone until it is sent: stamp, then one reference per shard (and the history's).
    if (keep) {
      engine::History::Position pos = history_.Next(pub.app, pub.channel, now_ms);
      engine::SetSequence(buf, pos.seq);
      engine::SetEpoch(buf, pos.epoch);
      if (shards > 0) buf->AddRefs(shards);
      std::string channel(pub.channel);  // the view dies with the history's reference
      history_.Keep(pub.app, channel, pos.seq, buf, now_ms);
    } else {
      engine::SetSequence(buf, route.sequence);
      buf->AddRefs(shards - 1);
    }
    if (route.mask != 0) SendPublication(buf, route.mask);
    return;
  }
  api::HttpCall* call = m.request;
  if (!api::PusherApi::Matches(call->path)) {
    call->response.clear();
    http::AppendJsonError(&call->response, 404, "Not found", call->keep_alive);
    Answer(call);
    return;
  }
  api::ApiResult result = pusher_api_.Handle(call, util::WallSeconds());
  for (const engine::PublishRequest& req : result.publications) Publish(req);
  if (!result.count) {
    Answer(call);
    return;
  }
  // Counted behind the publishes above (the queries follow them in each shard's queue).
  CountSubscriptions(result.count->app, std::move(result.count->channels),
                     [this, call, finish = std::move(result.count->finish)](
                         std::vector<uint64_t> counts) {
                       finish(counts);
                       Answer(call);
                     });
}

void ControlPlane::Publish(const engine::PublishRequest& req) {
  uint64_t now_ms = util::MonotonicMs();
  for (const std::string& channel : req.channels) {
    engine::Occupancy::Route route = occupancy_.Next(req.app, channel);
    // A channel with history is numbered and kept even while nobody subscribes (a client that
    // reconnects resumes from it).
    bool keep = history_.PolicyFor(req.app, channel).size > 0;
    if (route.mask == 0 && !keep) continue;
    engine::PublicationView pub;
    pub.app = req.app;
    pub.channel = channel;
    pub.event = req.event;
    pub.data = req.data;
    pub.exclude_shard = req.exclude_shard;
    pub.exclude_serial = req.exclude_serial;
    pub.sequence = route.sequence;
    auto refs = static_cast<uint32_t>(std::popcount(route.mask));
    if (keep) {
      engine::History::Position pos = history_.Next(req.app, channel, now_ms);
      pub.sequence = pos.seq;
      pub.epoch = pos.epoch;
      ++refs;
    }
    runtime::SharedBuf* buf = engine::BuildPublication(pub, refs);
    if (keep) history_.Keep(req.app, channel, pub.sequence, buf, now_ms);
    if (route.mask != 0) SendPublication(buf, route.mask);
  }
}

void ControlPlane::Answer(api::HttpCall* call) {
  SendToShard(call->shard, ToShard::Reply(call));
}

void ControlPlane::CountSubscriptions(uint32_t app, std::vector<std::string> channels,
                                      std::function<void(std::vector<uint64_t>)> done) {
  uint64_t mask = 0;
  for (const std::string& c : channels) mask |= occupancy_.Mask(app, c);
  if (mask == 0) {
    done(std::vector<uint64_t>(channels.size(), 0));
    return;
  }
  auto* q = new CountQuery();
  q->app = app;
  q->counts.assign(shard_count_ * channels.size(), 0);
  q->channels = std::move(channels);
  q->pending = static_cast<uint32_t>(std::popcount(mask));
  q->done = std::move(done);
  while (mask != 0) {
    auto shard = static_cast<uint32_t>(std::countr_zero(mask));
    mask &= mask - 1;
    SendToShard(shard, ToShard::Count(q));
  }
}

void ControlPlane::OnCountReply(CountQuery* q) {
  if (--q->pending > 0) return;
  size_t n = q->channels.size();
  std::vector<uint64_t> totals(n, 0);
  for (size_t s = 0; s < shard_count_; ++s) {
    for (size_t i = 0; i < n; ++i) totals[i] += q->counts[s * n + i];
  }
  auto done = std::move(q->done);
  delete q;
  done(std::move(totals));
}

void ControlPlane::SendPublication(runtime::SharedBuf* buf, uint64_t mask) {
  while (mask != 0) {
    auto shard = static_cast<uint32_t>(std::countr_zero(mask));
    mask &= mask - 1;
    SendToShard(shard, ToShard::Publish(buf));
  }
}

void ControlPlane::SendToShard(uint32_t shard, const ToShard& m) {
  shard_dirty_[shard] = true;
  if (stalled_[shard].empty() && mesh_->to_shard[shard]->TryPush(m)) return;
  stalled_[shard].push_back(m);
  ++stalled_total_;
  stalled_spills_.Add();
  stalled_now_.Set(stalled_total_);
  stalled_peak_.Max(stalled_total_);
}

bool ControlPlane::FlushStalled() {
  if (stalled_total_ == 0) return true;
  bool clear = true;
  for (uint32_t s = 0; s < shard_count_; ++s) {
    auto& q = stalled_[s];
    while (!q.empty() && mesh_->to_shard[s]->TryPush(q.front())) {
      q.pop_front();
      --stalled_total_;
      shard_dirty_[s] = true;
    }
    if (!q.empty()) clear = false;
  }
  stalled_now_.Set(stalled_total_);
  return clear;
}

void ControlPlane::WakeShards() {
  for (uint32_t s = 0; s < shard_count_; ++s) {
    if (!shard_dirty_[s]) continue;
    shard_dirty_[s] = false;
    mesh_->shard_wakers[s]->WakeIfSleeping();
  }
}

}  // namespace ringcast::server
