// ControlPlane: the Datonow REST API and token sockets, and in cluster mode their store shared
// through Redis (docs/cluster.md, "The Datonow store"). See control_plane.h.
//
// Each node keeps a replica of the store in its Wal's live map (the map DatonowApi reads and
// writes). Calls run one at a time: a sync (the batches other nodes committed since the
// replica's version) covers every call queued when it was sent; a covered call runs against
// the replica with the Wal recording its changes; a call that changed nothing is answered,
// one that changed something commits its batch to Redis at the replica's version and is
// answered after Redis took it. A commit that meets another node's (the version moved on) is
// undone, and the call runs again after a sync.
#include <algorithm>
#include <utility>

#include "cluster/scripts.h"
#include "cluster/store_ops.h"
#include "http/response.h"
#include "server/control_plane.h"
#include "store/wal.h"
#include "util/clock.h"
#include "util/log.h"

namespace ringcast::server {
namespace {

void AnswerStoreUnavailable(api::HttpCall* call) {
  call->response.clear();
  http::AppendJsonError(&call->response, 503,
                        "The cluster's Redis cannot be reached: the Datonow store takes no "
                        "writes until it is back (retry)",
                        call->keep_alive);
}

bool IsArray(const cluster::CallReply& r, size_t at_least) {
  return r.ok && r.reply.type == cluster::RespValue::Type::kArray &&
         r.reply.elements.size() >= at_least;
}

}  // namespace

bool ControlPlane::RunDatonow(api::HttpCall* call) {
  call->socket_app = 0;  // a run again after a store conflict decides afresh
  call->socket_token = 0;
  call->ws_retry_after_s = 0;
  const bool wrote = call->path == "/ws"
                         ? datonow_api_.ConnectToken(call, util::WallMs(),
                                                     static_cast<int64_t>(util::MonotonicMs()))
                         : datonow_api_.Handle(call, util::WallMs());
  datonow_api_refused_.Set(datonow_api_.rate_limiter()->refused());
  return wrote;
}

void ControlPlane::FinishTrigger(api::HttpCall* call, api::TriggerResult r) {
  if (bridge_ && !r.publications.empty()) {
    // Published now through Redis, answered after its replies (503 when it is down) and, when
    // the store changed, after the local commit too.
    if (!ClusterAccepts(call)) return;
    uint64_t first = 0;
    uint64_t last = 0;
    bool ok = true;
    for (const engine::PublishRequest& req : r.publications) {
      ok = PublishToCluster(req, &first, &last) && ok;
    }
    if (!r.wrote && wal_ != nullptr && wal_->durable()) {
      HoldForCluster(call, first, last, !ok, [this, call] { Answer(call); });
      return;
    }
    held_.push_back({call, [this, call, first, last, ok](bool durable) {
                       if (!durable) {
                         AnswerReadOnly(call);
                         Answer(call);
                         return;
                       }
                       HoldForCluster(call, first, last, !ok, [this, call] { Answer(call); });
                     }});
    return;
  }
  // Single node (or nothing left to publish). Without a requestId: published now. With one, the
  // id's record is committed first: the event is published after the sync, just before the
  // answer, and not at all if the sync fails (503), so a 2xx and a delivery never outrun the
  // record that makes a retry a replay. A repeat's answer waits until the store is durable.
  for (engine::PublishRequest& req : r.publications) {
    if (r.wrote) {
      held_pubs_.push_back(std::move(req));
    } else {
      Publish(req);
    }
  }
  if (r.wrote || (wal_ != nullptr && !wal_->durable())) {
    AnswerAfterCommit(call);
  } else {
    Answer(call);
  }
}

void ControlPlane::FinishStored(api::HttpCall* call, bool wrote,
                                std::vector<engine::PublishRequest> pubs) {
  for (engine::PublishRequest& p : pubs) held_pubs_.push_back(std::move(p));
  // A read while a write is not yet durable may show it: it waits for the commit too.
  if (wrote || (wal_ != nullptr && !wal_->durable())) {
    AnswerAfterCommit(call);
  } else {
    Answer(call);
  }
}

bool ControlPlane::StoreReplicated(std::string_view key) {
  // docs/store.md: messages and their counter, trigger request ids, per-token state, tokens
  // and theirs.
  return !key.empty() && std::string_view("ckmrst").find(key[0]) != std::string_view::npos;
}

std::vector<std::string_view> ControlPlane::StoreKeys() const {
  return {"4", store_.keys[0], store_.keys[1], store_.keys[2], store_.keys[3]};
}

void ControlPlane::StoreEnqueue(api::HttpCall* call) {
  if (store_.queue.size() >= StoreSyncState::kMaxQueue) {
    call->response.clear();
    http::AppendJsonError(&call->response, 503,
                          "Too many Datonow requests waiting for the cluster's store (retry)",
                          call->keep_alive);
    Answer(call);
    return;
  }
  store_.queue.push_back(call);
  StorePump();
}

void ControlPlane::StoreNotified(uint64_t version) {
  if (wal_ == nullptr) return;
  store_.notified = std::max(store_.notified, version);
  StorePump();
}

void ControlPlane::StoreTrigger(api::HttpCall* call) {
  std::vector<store::RecordedChange> changes;
  wal_->set_recorder(&changes);
  api::TriggerResult r = datonow_trigger_.Handle(call, util::WallMs());
  wal_->set_recorder(nullptr);
  datonow_api_refused_.Set(datonow_api_.rate_limiter()->refused());
  if (changes.empty()) {
    FinishTrigger(call, std::move(r));
    return;
  }
  // Only request-id keys changed: taken back, and the window reindexed (not the API's indexes:
  // a call waiting for its commit keeps its publications there).
  TakeBack(changes);
  datonow_trigger_.Reindex();
  StoreEnqueue(call);
}

void ControlPlane::StorePump() {
  StoreSyncState& s = store_;
  if (!s.busy && s.queue.empty() && bridge_->ready() && (s.sync_due || s.notified > s.version)) {
    // Nothing waits, but the replica is behind (another node committed) or was never synced
    // since the connect: brought up to date now, so that it is fresh when Redis goes away.
    s.sync_due = false;
    StoreSendSync();
  }
  while (!s.busy && !s.queue.empty()) {
    if (!bridge_->ready()) {
      s.covered = 0;
      StoreRunOffline(s.queue.front());
      s.queue.pop_front();
      continue;
    }
    if (s.covered == 0) {
      StoreSendSync();
      continue;  // busy, or every waiting call was answered offline
    }
    // The covered calls as one batch, recorded; committed together (one round trip for all,
    // and one conflict at most per batch when nodes write at once).
    s.batch.clear();
    s.changes.clear();
    wal_->set_recorder(&s.changes);
    size_t bytes = 0;
    for (size_t i = 0; i < s.covered && s.changes.size() < StoreSyncState::kMaxBatchChanges &&
                       bytes < StoreSyncState::kMaxBatchBytes;
         ++i) {
      const size_t from = s.changes.size();
      s.batch.push_back(RunStoreCall(s.queue[i]));
      for (size_t c = from; c < s.changes.size(); ++c) {
        bytes += s.changes[c].key.size() + s.changes[c].after.size();
      }
    }
    wal_->set_recorder(nullptr);
    if (s.changes.empty()) {
      StoreEndBatch(false);
      continue;
    }
    if (!StoreSendCommit()) {
      RC_WARN("cluster: a Datonow store commit could not be sent to Redis; answered 503");
      StoreUndo();
      StoreEndBatch(true);
    }
  }
}

ControlPlane::StoreRan ControlPlane::RunStoreCall(api::HttpCall* call) {
  StoreRan ran;
  ran.call = call;
  if (api::DatonowTrigger::Matches(call->path)) {
    ran.trigger = datonow_trigger_.Handle(call, util::WallMs());
    datonow_api_refused_.Set(datonow_api_.rate_limiter()->refused());
    ran.wrote = ran.trigger->wrote;
    return ran;
  }
  ran.wrote = RunDatonow(call);
  ran.pubs = datonow_api_.TakePublications();
  return ran;
}

void ControlPlane::StoreFinish(StoreRan ran) {
  if (ran.trigger) {
    FinishTrigger(ran.call, std::move(*ran.trigger));
  } else {
    FinishStored(ran.call, ran.wrote, std::move(ran.pubs));
  }
}

void ControlPlane::StoreEndBatch(bool refuse) {
  StoreSyncState& s = store_;
  std::vector<StoreRan> batch = std::move(s.batch);
  s.batch.clear();
  s.tries = 0;
  for (StoreRan& ran : batch) {
    s.queue.pop_front();  // ran.call
    if (s.covered > 0) --s.covered;
    if (!refuse) {
      StoreFinish(std::move(ran));
      continue;
    }
    if (ran.call->path == "/ws" && ran.call->socket_token != 0) {
      // A token socket's one write is its lastSeenAt (taken back with the batch): the socket
      // is let in, the stamp not stored, as when Redis is away (StoreRunOffline).
      FinishStored(ran.call, false, {});
      continue;
    }
    AnswerStoreUnavailable(ran.call);
    Answer(ran.call);
  }
}

void ControlPlane::StoreRunOffline(api::HttpCall* call) {
  // Redis is away: the replica answers reads; a write is taken back and refused, except a
  // token socket's lastSeenAt (the socket is let in; the stamp is not stored).
  store_.changes.clear();
  wal_->set_recorder(&store_.changes);
  StoreRan ran = RunStoreCall(call);
  wal_->set_recorder(nullptr);
  if (store_.changes.empty()) {
    StoreFinish(std::move(ran));  // a read, a replay, or a trigger's publish refused there
    return;
  }
  const bool socket = call->path == "/ws" && call->socket_token != 0;
  StoreUndo();
  if (socket) {
    FinishStored(call, false, {});
    return;
  }
  AnswerStoreUnavailable(call);
  Answer(call);
}

void ControlPlane::StoreReindex() {
  datonow_api_.Reindex();
  datonow_trigger_.Reindex();
}

void ControlPlane::TakeBack(const std::vector<store::RecordedChange>& changes) {
  for (auto it = changes.rbegin(); it != changes.rend(); ++it) {
    const bool ok = it->had ? wal_->Put(it->key, it->before) : wal_->Delete(it->key);
    if (!ok) break;  // poisoned: every answer from here on is 503
  }
}

void ControlPlane::StoreUndo() {
  TakeBack(store_.changes);
  store_.changes.clear();
  StoreReindex();
}

bool ControlPlane::StoreApply(std::string_view batch) {
  std::vector<cluster::StoreOp> ops;
  if (!cluster::DecodeStoreOps(batch, &ops)) return false;
  for (const cluster::StoreOp& op : ops) {
    if (!(op.put ? wal_->Put(op.key, op.value) : wal_->Delete(op.key))) break;
  }
  return true;
}

void ControlPlane::StoreCoveredOffline() {
  for (; store_.covered > 0; --store_.covered) {
    StoreRunOffline(store_.queue.front());
    store_.queue.pop_front();
  }
}

void ControlPlane::StoreSendSync() {
  StoreSyncState& s = store_;
  s.covered = s.queue.size();
  std::vector<std::string_view> args = StoreKeys();
  const std::string version = std::to_string(s.version);
  const std::string budget = std::to_string(StoreSyncState::kSyncBudget);
  args.insert(args.end(), {s.epoch, version, budget});
  s.busy = ClusterCall(scripts_.store_sync, args, [this](cluster::CallReply& r) {
    store_.busy = false;
    StoreOnSync(r);
    StorePump();
  });
  if (!s.busy) {
    // Not sent (Redis just went away, or the outbound buffer is full): answered as offline.
    StoreCoveredOffline();
  }
}

void ControlPlane::StoreOnSync(cluster::CallReply& r) {
  StoreSyncState& s = store_;
  if (!IsArray(r, 4)) {
    RC_WARN("cluster: the Datonow store's sync failed; answering from this node's replica");
    s.notified = s.version;  // no background retry until the next commit or connect
    StoreCoveredOffline();
    return;
  }
  const auto& e = r.reply.elements;
  const std::string& status = e[2].str;
  const auto replica_empty = [this] {
    return std::none_of(wal_->live().begin(), wal_->live().end(),
                        [](const auto& kv) { return StoreReplicated(kv.first); });
  };
  if (status == "empty" || (status == "reload" && e[3].integer == 0 && !replica_empty())) {
    // Redis has no store (new, or it lost its data): this node's replica becomes it.
    StoreSeed();
    return;
  }
  if (status == "reload") {
    if (++s.reloads > StoreSyncState::kMaxReloads) {
      RC_WARN(
          "cluster: the Datonow store kept changing during reloads; refusing the waiting "
          "calls");
      s.reloads = 0;
      for (; s.covered > 0; --s.covered) {
        AnswerStoreUnavailable(s.queue.front());
        Answer(s.queue.front());
        s.queue.pop_front();
      }
      return;
    }
    s.scanned.clear();
    s.scan_epoch.clear();
    StoreScan("0");
    return;
  }
  bool applied = false;
  for (size_t i = 4; i < e.size(); ++i) {
    if (!StoreApply(e[i].str)) {
      RC_WARN("cluster: a Datonow store batch in Redis is not one; reloading the store");
      s.epoch.clear();  // the next sync says reload
      s.covered = 0;
      StoreReindex();
      return;
    }
    applied = true;
  }
  s.reloads = 0;
  s.version = static_cast<uint64_t>(e[0].integer);
  s.epoch = e[1].str;
  if (applied) StoreReindex();
  if (status == "more") s.covered = 0;  // sync again before running anything
}

void ControlPlane::StoreScan(const std::string& cursor) {
  std::vector<std::string_view> args = StoreKeys();
  // A page of about 32 pairs: under the reply bound (64 MiB) with values up to the 1 MiB body.
  args.insert(args.end(), {cursor, "32"});
  store_.busy = ClusterCall(scripts_.store_scan, args, [this](cluster::CallReply& r) {
    StoreSyncState& s = store_;
    s.busy = false;
    if (!IsArray(r, 4) || r.reply.elements[3].type != cluster::RespValue::Type::kArray) {
      s.scanned.clear();
      StoreOnSync(r);  // answered offline
      StorePump();
      return;
    }
    const auto& e = r.reply.elements;
    if (s.scan_epoch.empty()) {
      s.scan_version = static_cast<uint64_t>(e[0].integer);
      s.scan_epoch = e[1].str;
    } else if (e[1].str != s.scan_epoch) {
      s.scan_epoch.clear();  // seeded again meanwhile: start over
      s.scanned.clear();
      StoreScan("0");
      return;
    }
    const auto& pairs = e[3].elements;
    for (size_t i = 0; i + 1 < pairs.size(); i += 2) s.scanned[pairs[i].str] = pairs[i + 1].str;
    if (e[2].str != "0") {
      StoreScan(e[2].str);
      return;
    }
    // The whole hash as of somewhere after scan_version: the replica made equal to it, then
    // the next sync replays the batches after scan_version over it (puts and deletes in order
    // end where Redis is).
    std::vector<std::string> gone;
    for (const auto& [key, value] : wal_->live()) {
      if (StoreReplicated(key) && s.scanned.count(std::string(key)) == 0) gone.emplace_back(key);
    }
    for (const std::string& key : gone) (void)wal_->Delete(key);
    for (const auto& [key, value] : s.scanned) {
      if (!StoreReplicated(key)) continue;
      auto it = wal_->live().find(key);
      if (it == wal_->live().end() || std::string_view(it->second) != value) {
        (void)wal_->Put(key, value);
      }
    }
    s.scanned.clear();
    s.version = s.scan_version;
    s.epoch = s.scan_epoch;
    StoreReindex();
    RC_INFO("cluster: the Datonow store was loaded from Redis (version %llu)",
            static_cast<unsigned long long>(s.version));
    s.covered = 0;  // sync from scan_version
    StorePump();
  });
  if (!store_.busy) {
    store_.scanned.clear();
    cluster::CallReply none;
    StoreOnSync(none);  // answered offline
  }
}

void ControlPlane::StoreSeed() {
  StoreSyncState& s = store_;
  std::vector<std::string_view> args = StoreKeys();
  std::string epoch = node_key_ + "-" + std::to_string(util::WallMs());
  args.push_back(epoch);
  for (const auto& [key, value] : wal_->live()) {
    if (!StoreReplicated(key)) continue;
    args.emplace_back(key);
    args.emplace_back(value);
  }
  s.busy = ClusterCall(scripts_.store_seed, args, [this](cluster::CallReply& r) {
    StoreSyncState& s = store_;
    s.busy = false;
    if (IsArray(r, 3) && r.reply.elements[0].integer == 1) {
      s.version = static_cast<uint64_t>(r.reply.elements[1].integer);
      s.epoch = r.reply.elements[2].str;
      RC_INFO("cluster: Redis had no Datonow store; seeded it from this node's replica");
    } else if (IsArray(r, 1)) {
      s.epoch.clear();  // another node seeded it first: reload
      s.covered = 0;
    } else {
      StoreOnSync(r);  // answered offline
    }
    StorePump();
  });
  if (!s.busy) {
    cluster::CallReply none;
    StoreOnSync(none);
  }
}

bool ControlPlane::StoreSendCommit() {
  StoreSyncState& s = store_;
  std::vector<cluster::StoreOp> ops;
  ops.reserve(s.changes.size());
  for (const store::RecordedChange& c : s.changes) {
    ops.push_back({c.put, c.key, c.put ? c.after : std::string()});
  }
  const std::string batch = cluster::EncodeStoreOps(ops);
  const std::string version = std::to_string(s.version);
  const std::string cap = std::to_string(StoreSyncState::kLogCap);
  const std::string count = std::to_string(ops.size());
  const std::string tries = std::to_string(s.tries);
  std::vector<std::string_view> args = StoreKeys();
  args.insert(args.end(), {s.epoch, version, batch, cap, bridge_->publish_command(), rpc_channel_,
                           node_key_, count, tries});
  for (const cluster::StoreOp& op : ops) {
    args.insert(args.end(), {op.put ? "p" : "d", op.key, op.value});
  }
  // A first requestId: its event goes out with its record, in the same script, so that a
  // record in Redis always means a published event (and a retry on any node is a replay).
  // Channels Redis numbers (history) or keeps (cache) are published after, by FinishTrigger.
  std::vector<std::string> carried;  // pairs: pub/sub channel, envelope
  for (StoreRan& ran : s.batch) {
    if (!ran.trigger || ran.trigger->request_key.empty()) continue;
    for (engine::PublishRequest& req : ran.trigger->publications) {
      std::vector<std::string> rest;
      for (const std::string& channel : req.channels) {
        std::string envelope;
        if (!ClusterPlain(req, channel) || !ClusterEnvelope(req, channel, &envelope)) {
          rest.push_back(channel);
          continue;
        }
        carried.push_back(bridge_->RedisChannel(apps_->app(req.app).id, channel));
        carried.push_back(std::move(envelope));
      }
      req.channels = std::move(rest);
    }
    std::erase_if(ran.trigger->publications,
                  [](const engine::PublishRequest& req) { return req.channels.empty(); });
  }
  for (const std::string& c : carried) args.emplace_back(c);
  s.busy = ClusterCall(scripts_.store_commit, args, [this](cluster::CallReply& r) {
    store_.busy = false;
    StoreOnCommit(r);
    StorePump();
  });
  if (s.busy) cluster_published_.Add(carried.size() / 2);
  return s.busy;
}

void ControlPlane::StoreOnCommit(cluster::CallReply& r) {
  StoreSyncState& s = store_;
  if (IsArray(r, 2) && r.reply.elements[0].integer == 1) {
    s.version = static_cast<uint64_t>(r.reply.elements[1].integer);
    s.changes.clear();
    StoreEndBatch(false);
    return;
  }
  StoreUndo();
  const bool conflict =
      IsArray(r, 2) && r.reply.elements[1].type == cluster::RespValue::Type::kArray;
  if (conflict && ++s.tries < StoreSyncState::kMaxTries) {
    // Another node committed first: its batches came with the refusal (the sync script's
    // answer), so the batch runs again at once against the replica brought up to date.
    s.batch.clear();
    cluster::CallReply sync;
    sync.ok = true;
    sync.reply = std::move(r.reply.elements[1]);
    StoreOnSync(sync);
    return;
  }
  // The connection was lost before the reply (the batch may or may not be in Redis: the next
  // sync brings it back if it is), or conflicts kept coming: refused, never acknowledged.
  RC_WARN("cluster: a Datonow store commit was refused (%s); answered 503",
          conflict ? "conflicts kept coming" : "no reply from Redis");
  StoreEndBatch(true);
  s.covered = 0;  // sync before anything runs again
}

}  // namespace ringcast::server
