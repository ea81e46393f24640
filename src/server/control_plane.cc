#include "server/control_plane.h"

#include <pthread.h>

#include <bit>
#include <cstring>

#include "engine/publication.h"
#include "http/response.h"
#include "util/clock.h"
#include "util/log.h"

namespace ringcast::server {

namespace {
constexpr size_t kDrainBatch = 256;
// Messages waiting for full shard queues before the control plane stops taking requests.
constexpr size_t kMaxStalled = 65536;
constexpr uint64_t kWakeUserData = 1;
}  // namespace

ControlPlane::ControlPlane(const config::ServerConfig* config, const engine::AppRegistry* apps,
                           const engine::SocketIdCodec* ids, Mesh* mesh)
    : config_(config),
      mesh_(mesh),
      shard_count_(mesh->to_shard.size()),
      pusher_api_(apps, config, ids, this),
      occupancy_(apps->size()),
      stalled_(shard_count_),
      shard_dirty_(shard_count_, false) {}

ControlPlane::~ControlPlane() {
  for (auto& q : stalled_) {
    for (const engine::Message& m : q) {
      if (m.type == engine::MsgType::kPublish) static_cast<runtime::SharedBuf*>(m.ptr)->Release();
      if (m.type == engine::MsgType::kHttpReply) delete static_cast<engine::HttpCall*>(m.ptr);
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

void ControlPlane::Run() {
  pthread_setname_np(pthread_self(), "rc-control");
  int rc = ring_.Init(64);
  RC_CHECK(rc == 0);
  auto arm_wake = [this] {
    io_uring_sqe* sqe = ring_.Sqe();
    io_uring_prep_read(sqe, mesh_->control_waker.fd(), &wake_buf_, sizeof wake_buf_, 0);
    io_uring_sqe_set_data64(sqe, kWakeUserData);
  };
  arm_wake();

  // Requests popped in the previous pass: handled after the next pass has applied the notes
  // that may have raced with them.
  std::vector<engine::Message> pending;
  std::vector<engine::Message> next;
  size_t stalled = 0;
  while (true) {
    bool clear = FlushStalled();
    stalled = 0;
    for (const auto& q : stalled_) stalled += q.size();
    if (stalled < kMaxStalled) {
      next.clear();
      DrainPass(&next);
      for (const engine::Message& m : pending) HandleRequest(m);
      pending.swap(next);
    }
    if (shutdown_requested_.load() && !shutdown_sent_) {
      for (uint32_t s = 0; s < shard_count_; ++s) {
        SendToShard(s, {engine::MsgType::kShutdown, s, config_->limits.shutdown_grace_ms, nullptr});
      }
      shutdown_sent_ = true;
    }
    WakeShards();
    if (shutdown_sent_ && shards_done_ == shard_count_) break;

    int64_t wait_ms;
    if (!pending.empty()) {
      wait_ms = 0;
    } else if (!clear) {
      wait_ms = 1;  // shards make room without telling us
    } else {
      mesh_->control_waker.AnnounceSleep();
      bool idle = QueuesEmpty() && (!shutdown_requested_.load() || shutdown_sent_);
      if (!idle) mesh_->control_waker.CancelSleep();
      wait_ms = idle ? -1 : 0;
    }
    ring_.SubmitAndWait(1, wait_ms);
    mesh_->control_waker.CancelSleep();
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

void ControlPlane::DrainPass(std::vector<engine::Message>* requests) {
  engine::Message batch[kDrainBatch];
  for (uint32_t s = 0; s < shard_count_; ++s) {
    size_t n;
    do {
      n = mesh_->to_control[s]->PopBatch(batch, kDrainBatch);
      for (size_t i = 0; i < n; ++i) {
        const engine::Message& m = batch[i];
        switch (m.type) {
          case engine::MsgType::kChannelNote:
            ApplyNote(m.shard, static_cast<engine::ChannelNote*>(m.ptr));
            break;
          case engine::MsgType::kHttpRequest:
          case engine::MsgType::kClientEvent:
            requests->push_back(m);
            break;
          case engine::MsgType::kShardDone:
            ++shards_done_;
            break;
          case engine::MsgType::kCountReply:
            OnCountReply(static_cast<engine::CountQuery*>(m.ptr));
            break;
          default:
            RC_ERROR("control: unexpected message type %d", static_cast<int>(m.type));
            break;
        }
      }
    } while (n == kDrainBatch);
  }
}

void ControlPlane::ApplyNote(uint32_t shard, engine::ChannelNote* note) {
  occupancy_.Apply(note->app, shard, note->name, note->occupied);
  delete note;
}

void ControlPlane::HandleRequest(const engine::Message& m) {
  if (m.type == engine::MsgType::kClientEvent) {
    auto* buf = static_cast<runtime::SharedBuf*>(m.ptr);
    engine::PublicationView pub = engine::ReadPublication(buf);
    uint64_t mask = occupancy_.Mask(pub.app, pub.channel);
    if (mask == 0) {
      buf->Release();
      return;
    }
    buf->AddRefs(static_cast<uint32_t>(std::popcount(mask)) - 1);
    SendPublication(buf, mask);
    return;
  }
  auto* call = static_cast<engine::HttpCall*>(m.ptr);
  if (api::PusherApi::Matches(call->path)) {
    if (!pusher_api_.Handle(call, util::WallSeconds())) return;  // answered later
  } else {
    call->response.clear();
    http::AppendJsonError(&call->response, 404, "Not found", call->keep_alive);
  }
  Answer(call);
}

void ControlPlane::Answer(engine::HttpCall* call) {
  SendToShard(call->shard, {engine::MsgType::kHttpReply, call->shard, 0, call});
}

void ControlPlane::CountSubscriptions(uint32_t app, std::vector<std::string> channels,
                                      std::function<void(std::vector<uint64_t>)> done) {
  uint64_t mask = 0;
  for (const std::string& c : channels) mask |= occupancy_.Mask(app, c);
  if (mask == 0) {
    done(std::vector<uint64_t>(channels.size(), 0));
    return;
  }
  auto* q = new engine::CountQuery();
  q->app = app;
  q->counts.assign(shard_count_ * channels.size(), 0);
  q->channels = std::move(channels);
  q->pending = static_cast<uint32_t>(std::popcount(mask));
  q->done = std::move(done);
  while (mask != 0) {
    auto shard = static_cast<uint32_t>(std::countr_zero(mask));
    mask &= mask - 1;
    SendToShard(shard, {engine::MsgType::kCountQuery, shard, 0, q});
  }
}

void ControlPlane::OnCountReply(engine::CountQuery* q) {
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

void ControlPlane::Publish(uint32_t app, std::string_view channel, std::string_view event_json,
                           uint32_t exclude_shard, uint64_t exclude_serial) {
  uint64_t mask = occupancy_.Mask(app, channel);
  if (mask == 0) return;
  auto refs = static_cast<uint32_t>(std::popcount(mask));
  SendPublication(
      engine::BuildPublication(app, channel, event_json, exclude_shard, exclude_serial, refs),
      mask);
}

void ControlPlane::SendPublication(runtime::SharedBuf* buf, uint64_t mask) {
  while (mask != 0) {
    auto shard = static_cast<uint32_t>(std::countr_zero(mask));
    mask &= mask - 1;
    SendToShard(shard, {engine::MsgType::kPublish, shard, 0, buf});
  }
}

bool ControlPlane::IsOccupied(uint32_t app, std::string_view channel) const {
  return occupancy_.IsOccupied(app, channel);
}

void ControlPlane::ListOccupied(uint32_t app, std::string_view prefix,
                                std::vector<std::string>* out) const {
  occupancy_.List(app, prefix, out);
}

void ControlPlane::SendToShard(uint32_t shard, const engine::Message& m) {
  shard_dirty_[shard] = true;
  if (stalled_[shard].empty() && mesh_->to_shard[shard]->TryPush(m)) return;
  stalled_[shard].push_back(m);
}

bool ControlPlane::FlushStalled() {
  bool clear = true;
  for (uint32_t s = 0; s < shard_count_; ++s) {
    auto& q = stalled_[s];
    while (!q.empty() && mesh_->to_shard[s]->TryPush(q.front())) {
      q.pop_front();
      shard_dirty_[s] = true;
    }
    if (!q.empty()) clear = false;
  }
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
