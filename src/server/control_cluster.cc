// ControlPlane's cluster mode (docs/cluster.md): the glue between cluster::Bridge, which knows
// Redis and names, and the engine's types and queue messages. See control_plane.h.
#include <algorithm>
#include <bit>
#include <cstdlib>
#include <map>
#include <memory>
#include <utility>

#include "cluster/scripts.h"
#include "engine/channel_name.h"
#include "engine/datonow_channels.h"
#include "http/response.h"
#include "protocols/pusher/wire.h"
#include "server/control_plane.h"
#include "util/clock.h"
#include "util/log.h"

namespace ringcast::server {
namespace {

// The cluster's state for one channel query, as the query script returned it.
class SnapshotView : public api::ChannelView {
 public:
  bool IsOccupied(uint32_t, std::string_view channel) const override {
    return one_ ? occupied_ : counts_.count(std::string(channel)) > 0;
  }
  void List(uint32_t, std::string_view, std::vector<std::string>* out) const override {
    for (const auto& [name, users] : counts_) out->push_back(name);
  }
  size_t UserCount(uint32_t, std::string_view channel) const override {
    if (one_) return users_;
    auto it = counts_.find(std::string(channel));
    return it == counts_.end() ? 0 : it->second;
  }
  void ForEachUser(uint32_t, std::string_view,
                   const std::function<void(std::string_view)>& f) const override {
    for (const std::string& id : ids_) f(id);
  }
  // False when the reply does not have the kind's shape.
  bool Fill(api::ApiResult::ClusterQuery::Kind kind, const cluster::RespValue& v) {
    using Kind = api::ApiResult::ClusterQuery::Kind;
    using Type = cluster::RespValue::Type;
    if (v.type != Type::kArray) return false;
    const std::vector<cluster::RespValue>& e = v.elements;
    switch (kind) {
      case Kind::kUsers:
        for (const cluster::RespValue& id : e) ids_.push_back(id.str);
        return true;
      case Kind::kChannel:
        if (e.size() != 2 || e[0].type != Type::kInteger || e[1].type != Type::kInteger) {
          return false;
        }
        one_ = true;
        occupied_ = e[0].integer > 0;
        users_ = static_cast<size_t>(std::max<int64_t>(e[1].integer, 0));
        return true;
      case Kind::kList:
        for (size_t i = 0; i + 1 < e.size(); i += 2) {
          counts_[e[i].str] = static_cast<size_t>(std::max<int64_t>(e[i + 1].integer, 0));
        }
        return true;
    }
    return false;
  }

 private:
  bool one_ = false;
  bool occupied_ = false;
  size_t users_ = 0;
  std::map<std::string, size_t> counts_;
  std::vector<std::string> ids_;
};

// channel_vacated waits this long for a comeback anywhere (webhooks::QueueLimits::delay_ms).
constexpr uint32_t kVacateDelayMs = 3000;
}  // namespace

void ControlPlane::EnableCluster(cluster::BridgeOptions options) {
  node_key_ = options.node_key;
  bridge_ = std::make_unique<cluster::Bridge>(&ring_, std::move(options));
  scripts_.presence_join = bridge_->AddScript(cluster::kPresenceJoinScript);
  scripts_.presence_leave = bridge_->AddScript(cluster::kPresenceLeaveScript);
  scripts_.heartbeat = bridge_->AddScript(cluster::kHeartbeatScript);
  scripts_.occupy = bridge_->AddScript(cluster::kOccupyScript);
  scripts_.vacate = bridge_->AddScript(cluster::kVacateScript);
  scripts_.resync = bridge_->AddScript(cluster::kResyncScript);
  scripts_.query = bridge_->AddScript(cluster::kQueryScript);
  scripts_.publish_numbered = bridge_->AddScript(cluster::kPublishNumberedScript);
  scripts_.history = bridge_->AddScript(cluster::kHistoryScript);
  scripts_.cache_store = bridge_->AddScript(cluster::kCacheStoreScript);
  scripts_.cache_get = bridge_->AddScript(cluster::kCacheGetScript);
  scripts_.watch = bridge_->AddScript(cluster::kWatchScript);
  scripts_.watch_query = bridge_->AddScript(cluster::kWatchQueryScript);
  scripts_.store_sync = bridge_->AddScript(cluster::kStoreSyncScript);
  scripts_.store_commit = bridge_->AddScript(cluster::kStoreCommitScript);
  scripts_.store_scan = bridge_->AddScript(cluster::kStoreScanScript);
  scripts_.store_seed = bridge_->AddScript(cluster::kStoreSeedScript);
  const std::string dn = bridge_->prefix() + "dn";
  store_.keys[0] = dn;
  store_.keys[1] = dn + ":v";
  store_.keys[2] = dn + ":e";
  store_.keys[3] = dn + ":log";
  pusher_api_.EnableClusterQueries();
  rpc_channel_ = bridge_->prefix() + "rpc";
  node_channel_ = bridge_->prefix() + "n:" + node_key_;
  bridge_->SubscribeRaw(rpc_channel_);
  bridge_->SubscribeRaw(node_channel_);
}

void ControlPlane::CountEverywhere(uint32_t app, std::vector<std::string> channels,
                                   std::function<void(std::vector<uint64_t>)> done) {
  if (!bridge_ || !bridge_->ready()) {
    CountSubscriptions(app, std::move(channels), std::move(done));
    return;
  }
  std::string names;
  for (const std::string& c : channels) {
    if (!names.empty()) names.push_back('\n');
    names.append(c);
  }
  const uint64_t id = next_count_id_++;
  const uint64_t ticket = AskEveryNode(cluster::kEnvelopeCountRequest, app, names, id);
  if (ticket == 0) {
    CountSubscriptions(app, std::move(channels), std::move(done));
    return;
  }
  PendingCount& p = cluster_counts_[id];
  p.totals.assign(channels.size(), 0);
  p.deadline_ms = util::MonotonicMs() + kCountDeadlineMs;
  p.done = std::move(done);
  AwaitNodes(ticket, id);
}

uint64_t ControlPlane::AskEveryNode(uint8_t kind, uint32_t app, std::string_view channel,
                                    uint64_t id) {
  const std::string id_text = std::to_string(id);
  cluster::EnvelopeView e;
  e.kind = kind;
  e.origin = node_key_;
  e.app = apps_->app(app).id;
  e.channel = channel;
  e.event = id_text;
  std::string envelope;
  return cluster::EncodeEnvelope(e, &envelope)
             ? bridge_->Call({bridge_->publish_command(), rpc_channel_, envelope})
             : 0;
}

void ControlPlane::ReplyToNode(uint8_t kind, const NodeAsker& asker, std::string_view data) {
  cluster::EnvelopeView r;
  r.kind = kind;
  r.origin = node_key_;
  r.app = asker.app;
  r.event = asker.id;
  r.data = data;
  std::string envelope;
  if (!bridge_->ready() || !cluster::EncodeEnvelope(r, &envelope)) return;
  (void)bridge_->Call(
      {bridge_->publish_command(), bridge_->prefix() + "n:" + asker.origin, envelope});
}

void ControlPlane::AwaitNodes(uint64_t ticket, uint64_t id) {
  // The publish's reply is how many nodes got the request (this one included).
  cluster_calls_.emplace(ticket, [this, id](cluster::CallReply& r) {
    auto it = cluster_counts_.find(id);
    if (it == cluster_counts_.end()) return;
    it->second.expected = r.ok && r.reply.type == cluster::RespValue::Type::kInteger
                              ? r.reply.integer
                              : it->second.got;
    FinishCount(id, false);
  });
}

void ControlPlane::RealtimeMembersEverywhere(uint32_t app, const std::string& channel,
                                             std::function<void(MemberRows)> done) {
  if (!bridge_ || !bridge_->ready()) {
    RealtimeMembers(app, channel, std::move(done));
    return;
  }
  const uint64_t id = next_count_id_++;
  const uint64_t ticket = AskEveryNode(cluster::kEnvelopePresenceRequest, app, channel, id);
  if (ticket == 0) {
    RealtimeMembers(app, channel, std::move(done));
    return;
  }
  PendingCount& p = cluster_counts_[id];
  p.deadline_ms = util::MonotonicMs() + kCountDeadlineMs;
  p.done_rows = std::move(done);
  AwaitNodes(ticket, id);
}

void ControlPlane::OnPresenceRequest(const cluster::EnvelopeView& e, uint32_t app) {
  RealtimeMembers(app, std::string(e.channel), [this, asker = NodeAsker::Of(e)](MemberRows rows) {
    std::string data;
    for (const auto& [member, identity] : rows) {
      (void)cluster::AppendPresenceRow(&data, member, identity);
    }
    ReplyToNode(cluster::kEnvelopePresenceReply, asker, data);
  });
}

void ControlPlane::OnPresenceReply(const cluster::EnvelopeView& e) {
  auto it = cluster_counts_.find(std::strtoull(std::string(e.event).c_str(), nullptr, 10));
  if (it == cluster_counts_.end() || !it->second.done_rows) return;  // answered (deadline)
  (void)cluster::ReadPresenceRows(e.data, &it->second.rows);
  ++it->second.got;
  FinishCount(it->first, false);
}

void ControlPlane::OnCountRequest(const cluster::EnvelopeView& e, uint32_t app) {
  std::vector<std::string> channels;
  std::string_view rest = e.channel;
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    channels.emplace_back(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
  CountSubscriptions(app, std::move(channels),
                     [this, asker = NodeAsker::Of(e)](std::vector<uint64_t> counts) {
                       std::string data;
                       for (uint64_t n : counts) {
                         if (!data.empty()) data.push_back(',');
                         data.append(std::to_string(n));
                       }
                       ReplyToNode(cluster::kEnvelopeCountReply, asker, data);
                     });
}

void ControlPlane::OnCountReply(const cluster::EnvelopeView& e) {
  auto it = cluster_counts_.find(std::strtoull(std::string(e.event).c_str(), nullptr, 10));
  if (it == cluster_counts_.end()) return;  // answered already (deadline)
  PendingCount& p = it->second;
  std::string_view rest = e.data;
  for (size_t i = 0; i < p.totals.size() && !rest.empty(); ++i) {
    const size_t comma = rest.find(',');
    p.totals[i] += std::strtoull(std::string(rest.substr(0, comma)).c_str(), nullptr, 10);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  ++p.got;
  FinishCount(it->first, false);
}

void ControlPlane::FinishCount(uint64_t id, bool force) {
  auto it = cluster_counts_.find(id);
  if (it == cluster_counts_.end()) return;
  PendingCount& p = it->second;
  if (!force && (p.expected < 0 || p.got < p.expected)) return;
  if (p.done_rows) {
    auto done_rows = std::move(p.done_rows);
    MemberRows rows = std::move(p.rows);
    cluster_counts_.erase(it);
    done_rows(std::move(rows));
    return;
  }
  auto done = std::move(p.done);
  std::vector<uint64_t> totals = std::move(p.totals);
  cluster_counts_.erase(it);
  done(std::move(totals));
}

void ControlPlane::AnswerUnavailable(api::HttpCall* call) {
  call->response.clear();
  http::AppendJsonError(&call->response, 503,
                        "The cluster's Redis cannot be reached: nothing was published (retry)",
                        call->keep_alive);
}

bool ControlPlane::ClusterAccepts(api::HttpCall* call) {
  if (bridge_->CanPublish()) return true;
  cluster_refused_.Add();
  AnswerUnavailable(call);
  Answer(call);
  return false;
}

bool ControlPlane::ClusterPlain(const engine::PublishRequest& req, const std::string& channel) {
  if (engine::IsCacheChannel(channel) && req.event.substr(0, 16) != "pusher_internal:")
    return false;
  return !req.audience.empty() || engine::IsRoutingChannel(channel) ||
         history_.PolicyFor(req.app, channel).size == 0;
}

std::string ControlPlane::ClusterExclude(const engine::PublishRequest& req) const {
  if (!req.exclude_socket_id.empty() || req.exclude_shard == engine::kNoShard) {
    return req.exclude_socket_id;
  }
  return ids_->Format(req.exclude_shard, req.exclude_serial);
}

cluster::EnvelopeView ControlPlane::ClusterEnvelopeView(const engine::PublishRequest& req,
                                                        std::string_view channel,
                                                        std::string_view exclude) const {
  cluster::EnvelopeView e;
  e.origin = node_key_;
  e.app = apps_->app(req.app).id;
  e.channel = channel;
  e.event = req.event;
  e.data = req.data;
  e.exclude = exclude;
  e.audience = req.audience;
  e.user_id = req.user_id;
  e.meta = req.meta;
  return e;
}

bool ControlPlane::ClusterEnvelope(const engine::PublishRequest& req, const std::string& channel,
                                   std::string* out) const {
  const std::string exclude = ClusterExclude(req);
  return cluster::EncodeEnvelope(ClusterEnvelopeView(req, channel, exclude), out);
}

bool ControlPlane::PublishToCluster(const engine::PublishRequest& req, uint64_t* first,
                                    uint64_t* last, std::vector<std::string>* refused) {
  const std::string& app_id = apps_->app(req.app).id;
  const std::string exclude = ClusterExclude(req);
  bool all = true;
  for (const std::string& channel : req.channels) {
    const cluster::EnvelopeView e = ClusterEnvelopeView(req, channel, exclude);
    if (engine::IsCacheChannel(channel) && req.event.substr(0, 16) != "pusher_internal:") {
      // Cache channels: the last event for later subscribers on any node (before the publish,
      // on the same connection).
      std::string envelope;
      if (cluster::EncodeEnvelope(e, &envelope)) {
        const std::string key = bridge_->AppKey(app_id, "cache", channel);
        const std::string miss = bridge_->AppKey(app_id, "cmiss", channel);
        const std::string ttl =
            std::to_string(std::max<uint64_t>(config_->limits.cache_ttl_s, 1) * 1000);
        (void)ClusterCall(scripts_.cache_store, {"2", key, miss, envelope, ttl},
                          [](cluster::CallReply&) {});
      }
    }
    uint64_t ticket;
    // A channel with history is numbered and kept in Redis (as PublishLocal would here).
    const engine::HistoryPolicy policy = history_.PolicyFor(req.app, channel);
    if (req.audience.empty() && !engine::IsRoutingChannel(channel) && policy.size > 0) {
      std::string envelope;
      ticket = 0;
      if (cluster::EncodeEnvelope(e, &envelope)) {
        const std::string log = bridge_->AppKey(app_id, "h", channel);
        const std::string stream = bridge_->AppKey(app_id, "hs", channel);
        const std::string size = std::to_string(policy.size);
        const std::string ttl = std::to_string(std::max<uint64_t>(policy.ttl_s, 1) * 1000);
        ticket =
            bridge_->PublishScript(scripts_.publish_numbered,
                                   {"2", log, stream, bridge_->publish_command(),
                                    bridge_->RedisChannel(app_id, channel), envelope, size, ttl});
      }
    } else {
      ticket = bridge_->Publish(e);
    }
    if (ticket == 0) {
      cluster_refused_.Add();
      all = false;
      if (refused != nullptr) refused->push_back(channel);
      continue;
    }
    cluster_published_.Add();
    if (*first == 0) *first = ticket;
    *last = ticket;
  }
  return all;
}

void ControlPlane::HoldForCluster(api::HttpCall* call, uint64_t first, uint64_t last, bool failed,
                                  std::function<void()> then, std::function<void()> otherwise) {
  if (first == 0) {  // nothing went to Redis (no channel): nothing to wait for
    if (!failed) {
      then();
    } else if (otherwise) {
      otherwise();
    } else {
      AnswerUnavailable(call);
      Answer(call);
    }
    return;
  }
  cluster_held_.push_back({call, first, last, failed, std::move(then), std::move(otherwise)});
}

bool ControlPlane::HoldJoinForCluster(engine::PresenceNote* note) {
  if (!bridge_->ready()) return false;
  const std::string& app_id = apps_->app(note->app).id;
  // Confirmed, or no longer subscribed (the joiner left meanwhile): nothing to wait for.
  if (bridge_->Confirmed(app_id, note->channel) || !bridge_->Subscribed(app_id, note->channel)) {
    return false;
  }
  held_joins_[bridge_->RedisChannel(app_id, note->channel)].push_back(note);
  return true;
}

void ControlPlane::ReleaseHeldJoins(std::vector<engine::PresenceNote*>* joins) {
  for (engine::PresenceNote* note : *joins) SendToShard(note->shard, ToShard::PresenceAck(note));
  joins->clear();
}

void ControlPlane::TerminateLocal(uint32_t app, const std::string& channel) {
  uint64_t mask = occupancy_.Mask(app, channel);
  if (mask == 0) return;
  engine::PublicationView pub;
  pub.app = app;
  pub.channel = channel;
  runtime::SharedBuf* buf =
      engine::BuildPublication(pub, static_cast<uint32_t>(std::popcount(mask)));
  while (mask != 0) {
    auto shard = static_cast<uint32_t>(std::countr_zero(mask));
    mask &= mask - 1;
    SendToShard(shard, ToShard::Terminate(buf));
  }
}

bool ControlPlane::ClusterCall(size_t script, const std::vector<std::string_view>& args,
                               std::function<void(cluster::CallReply&)> done) {
  const uint64_t ticket = bridge_->CallScript(script, args);
  if (ticket == 0) return false;
  cluster_calls_.emplace(ticket, std::move(done));
  return true;
}

void ControlPlane::ClusterWatch(uint32_t app, std::string_view user_id, bool online) {
  if (!bridge_->ready()) return;  // the resync on reconnect tells Redis
  const std::string& app_id = apps_->app(app).id;
  const std::string field = cluster::ChannelField(app_id, user_id);
  (void)ClusterCall(scripts_.watch,
                    {"0", bridge_->prefix(), bridge_->publish_command(), bridge_->node_key(), field,
                     app_id, user_id, online ? "1" : "0"},
                    [](cluster::CallReply&) {});
}

void ControlPlane::ClusterWatchQuery(uint32_t app, std::vector<std::string> ids,
                                     std::function<void()> done) {
  std::vector<std::string_view> args = {"0", bridge_->prefix(), apps_->app(app).id};
  for (const std::string& id : ids) args.emplace_back(id);
  const bool sent =
      bridge_->ready() &&
      ClusterCall(scripts_.watch_query, args,
                  [this, app, ids = std::move(ids), done](cluster::CallReply& r) {
                    if (r.ok && r.reply.type == cluster::RespValue::Type::kArray &&
                        r.reply.elements.size() == 2 &&
                        r.reply.elements[1].elements.size() == ids.size()) {
                      const auto version = static_cast<uint64_t>(r.reply.elements[0].integer);
                      for (size_t i = 0; i < ids.size(); ++i) {
                        watchlist_.SetRemote(app, ids[i],
                                             r.reply.elements[1].elements[i].integer == 1, version);
                      }
                    }
                    done();
                  });
  if (!sent) done();
}

void ControlPlane::ClusterWatchRequery() {
  std::vector<std::vector<std::string>> ids(apps_->size());
  watchlist_.ForEachWatchedElsewhere(
      [&](uint32_t app, std::string_view id) { ids[app].emplace_back(id); });
  for (uint32_t app = 0; app < apps_->size(); ++app) {
    for (size_t i = 0; i < ids[app].size(); i += kWatchQueryBatch) {
      const size_t end = std::min(ids[app].size(), i + kWatchQueryBatch);
      ClusterWatchQuery(app,
                        std::vector<std::string>(ids[app].begin() + static_cast<ptrdiff_t>(i),
                                                 ids[app].begin() + static_cast<ptrdiff_t>(end)),
                        [] {});
    }
  }
}

bool ControlPlane::ClusterPresenceJoin(engine::PresenceNote* note) {
  namespace wire = protocols::pusher::wire;
  const std::string& app_id = apps_->app(note->app).id;
  std::string data;
  wire::AppendMemberAdded(&data, note->user_id, note->user_info);
  const std::string exclude = ids_->Format(note->shard, note->serial);
  cluster::EnvelopeView e;
  e.origin = node_key_;
  e.app = app_id;
  e.channel = note->channel;
  e.event = wire::kMemberAdded;
  e.data = data;
  e.exclude = exclude;
  std::string envelope;
  if (!cluster::EncodeEnvelope(e, &envelope)) return false;
  const std::string pc = bridge_->AppKey(app_id, "pc", note->channel);
  const std::string pm = bridge_->AppKey(app_id, "pm", note->channel);
  const std::string index = bridge_->NodeKey(":p");
  const std::string field = cluster::PresenceField(app_id, note->channel, note->user_id);
  const std::string pubsub = bridge_->RedisChannel(app_id, note->channel);
  const std::string max = std::to_string(apps_->app(note->app).max_presence_members_per_channel);
  return ClusterCall(
      scripts_.presence_join,
      {"3", pc, pm, index, note->user_id, note->user_info, field, pubsub, envelope, max,
       bridge_->publish_command()},
      [this, note](cluster::CallReply& r) {
        const cluster::RespValue& v = r.reply;
        const bool shaped = r.ok && v.type == cluster::RespValue::Type::kArray &&
                            v.elements.size() == 2 &&
                            v.elements[0].type == cluster::RespValue::Type::kInteger &&
                            v.elements[1].type == cluster::RespValue::Type::kArray;
        if (!shaped) {
          // Lost before the reply, or an error (e.g. Redis out of memory): the member list is
          // this node's own; reconciled when the link is back.
          if (r.ok) RC_WARN("cluster: presence join script failed: %s", v.str.c_str());
          presence_.ForEachMember(note->app, note->channel,
                                  [note](std::string_view id, std::string_view info) {
                                    note->members.emplace_back(std::string(id), std::string(info));
                                  });
          AnswerJoin(note);
          return;
        }
        if (v.elements[0].integer < 0) {  // full over all nodes
          presence_.Leave(note->app, note->channel, note->user_id, {note->shard, note->serial});
          note->refused = true;
          SendToShard(note->shard, ToShard::PresenceAck(note));
          return;
        }
        if (v.elements[0].integer == 1) {
          EmitMemberWebhook(note->app, webhooks::EventKind::kMemberAdded, note->channel,
                            note->user_id);
        }
        const std::vector<cluster::RespValue>& flat = v.elements[1].elements;
        note->members.reserve(flat.size() / 2);
        for (size_t i = 0; i + 1 < flat.size(); i += 2) {
          note->members.emplace_back(flat[i].str, flat[i + 1].str);
        }
        AnswerJoin(note);
      });
}

bool ControlPlane::ClusterPresenceLeave(const engine::PresenceNote& note) {
  namespace wire = protocols::pusher::wire;
  const std::string& app_id = apps_->app(note.app).id;
  std::string data;
  wire::AppendMemberRemoved(&data, note.user_id);
  cluster::EnvelopeView e;
  e.origin = node_key_;
  e.app = app_id;
  e.channel = note.channel;
  e.event = wire::kMemberRemoved;
  e.data = data;
  std::string envelope;
  if (!cluster::EncodeEnvelope(e, &envelope)) return false;
  const std::string pc = bridge_->AppKey(app_id, "pc", note.channel);
  const std::string pm = bridge_->AppKey(app_id, "pm", note.channel);
  const std::string index = bridge_->NodeKey(":p");
  const std::string field = cluster::PresenceField(app_id, note.channel, note.user_id);
  const std::string pubsub = bridge_->RedisChannel(app_id, note.channel);
  return ClusterCall(
      scripts_.presence_leave,
      {"3", pc, pm, index, note.user_id, field, pubsub, envelope, bridge_->publish_command()},
      [this, app = note.app, channel = note.channel, user = note.user_id](cluster::CallReply& r) {
        if (r.ok && r.reply.type == cluster::RespValue::Type::kInteger && r.reply.integer == 1) {
          EmitMemberWebhook(app, webhooks::EventKind::kMemberRemoved, channel, user);
        }
      });
}

void ControlPlane::ClusterChannelQuery(api::HttpCall* call, api::ApiResult::ClusterQuery q) {
  using Kind = api::ApiResult::ClusterQuery::Kind;
  if (!bridge_->ready()) {
    cluster_refused_.Add();
    AnswerUnavailable(call);
    Answer(call);
    return;
  }
  const char* mode = q.kind == Kind::kList ? "list" : q.kind == Kind::kChannel ? "one" : "users";
  std::string base = bridge_->prefix();
  base.append(apps_->app(q.app).id).push_back(':');
  const std::string name = q.name;
  const bool sent = ClusterCall(
      scripts_.query, {"0", mode, base, name},
      [this, call, q = std::move(q)](cluster::CallReply& r) {
        SnapshotView view;
        if (!r.ok || !view.Fill(q.kind, r.reply)) {
          AnswerUnavailable(call);
          Answer(call);
          return;
        }
        api::ApiResult result = q.finish(view);
        if (!result.count) {
          Answer(call);
          return;
        }
        // subscription_count: every node's subscribers.
        CountEverywhere(
            result.count->app, std::move(result.count->channels),
            [this, call, finish = std::move(result.count->finish)](std::vector<uint64_t> counts) {
              finish(counts);
              Answer(call);
            });
      });
  if (!sent) {
    AnswerUnavailable(call);
    Answer(call);
  }
}

bool ControlPlane::ClusterCacheLookup(engine::PresenceNote* note) {
  const std::string& app_id = apps_->app(note->app).id;
  const std::string key = bridge_->AppKey(app_id, "cache", note->channel);
  const std::string miss = bridge_->AppKey(app_id, "cmiss", note->channel);
  const std::string ttl = std::to_string(std::max<uint64_t>(config_->limits.cache_ttl_s, 1) * 1000);
  return ClusterCall(
      scripts_.cache_get, {"2", key, miss, ttl, webhooks_.HasTargets(note->app) ? "1" : "0"},
      [this, note](cluster::CallReply& r) {
        const cluster::RespValue& v = r.reply;
        using Type = cluster::RespValue::Type;
        if (!r.ok || v.type != Type::kArray || v.elements.size() != 2) {
          ApplyPresence(note);  // not answered: this node's cache (cache_checked still false)
          return;
        }
        note->cache_checked = true;
        cluster::EnvelopeView e;
        if (v.elements[0].integer == 1 &&
            cluster::DecodeEnvelope(v.elements[1].str, size_t{16} << 20, &e)) {
          note->cache_hit = true;
          note->cache_event = std::string(e.event);
          note->cache_data = std::string(e.data);
        } else if (v.elements[1].type == Type::kInteger && v.elements[1].integer == 1) {
          webhooks::WebhookEvent ev;
          ev.kind = webhooks::EventKind::kCacheMiss;
          ev.channel = note->channel;
          webhooks_.Emit(note->app, std::move(ev));
        }
        ApplyPresence(note);
      });
}

bool ControlPlane::ClusterHistory(engine::HistoryQuery* q) {
  if (!bridge_->ready()) return false;
  const std::string& app_id = apps_->app(q->app).id;
  // The script must run after this node's subscription took effect, or a publish between the
  // two would be neither in the answer nor delivered; and a stream starts only once it
  // receives the channel from every node: held until Redis confirmed it.
  for (const engine::HistoryQuery::Channel& c : q->channels) {
    if (bridge_->Subscribed(app_id, c.name) && !bridge_->Confirmed(app_id, c.name)) {
      held_history_.push_back(q);
      return true;
    }
  }
  struct Pending {
    engine::HistoryQuery* q;
    size_t left = 0;
    std::vector<std::string> keys;  // the channels whose arrivals wait for the answer
  };
  auto pending = std::make_shared<Pending>();
  pending->q = q;
  auto finish = [this](Pending* p) {
    if (--p->left > 0) return;
    SendToShard(p->q->shard, ToShard::History(p->q));
    // What arrived for these channels meanwhile follows the answer in the shard's queue (the
    // session skips what the answer held already).
    for (const std::string& key : p->keys) {
      auto it = history_waits_.find(key);
      if (it == history_waits_.end() || --it->second.queries > 0) continue;
      std::vector<std::string> arrivals = std::move(it->second.arrivals);
      history_waits_.erase(it);
      for (const std::string& bytes : arrivals) DeliverArrival(bytes);
    }
  };
  pending->left = q->channels.size() + 1;  // +1: released below, after every call is sent
  for (size_t i = 0; i < q->channels.size(); ++i) {
    engine::HistoryQuery::Channel& c = q->channels[i];
    const engine::HistoryPolicy policy = history_.PolicyFor(q->app, c.name);
    if (policy.size == 0) {
      // No history: nothing to resume from (as History::Answer).
      c.head_epoch = 0;
      c.head_seq = 0;
      c.gap = c.resume;
      finish(pending.get());
      continue;
    }
    const std::string log = bridge_->AppKey(app_id, "h", c.name);
    const std::string stream = bridge_->AppKey(app_id, "hs", c.name);
    pending->keys.push_back(bridge_->RedisChannel(app_id, c.name));
    ++history_waits_[pending->keys.back()].queries;
    const std::string epoch = std::to_string(c.epoch);
    const std::string seq = std::to_string(c.seq);
    const std::string ttl = std::to_string(std::max<uint64_t>(policy.ttl_s, 1) * 1000);
    const bool sent = ClusterCall(
        scripts_.history, {"2", log, stream, c.resume ? "1" : "0", epoch, seq, ttl},
        [this, pending, i, finish](cluster::CallReply& r) {
          engine::HistoryQuery::Channel& ch = pending->q->channels[i];
          const cluster::RespValue& v = r.reply;
          using Type = cluster::RespValue::Type;
          if (!r.ok || v.type != Type::kArray || v.elements.size() != 4 ||
              v.elements[3].type != Type::kArray) {
            ch.gap = ch.resume;  // unknown: what was missed cannot be told
            finish(pending.get());
            return;
          }
          ch.head_epoch = std::strtoull(v.elements[0].str.c_str(), nullptr, 10);
          ch.head_seq = static_cast<uint64_t>(std::max<int64_t>(v.elements[1].integer, 0));
          ch.gap = v.elements[2].integer != 0;
          for (const cluster::RespValue& env : v.elements[3].elements) {
            cluster::EnvelopeView e;
            if (!cluster::DecodeEnvelope(env.str, size_t{16} << 20, &e)) {
              ch.gap = true;
              continue;
            }
            engine::PublicationView pub;
            pub.app = pending->q->app;
            pub.channel = ch.name;
            pub.event = e.event;
            pub.data = e.data;
            pub.user_id = e.user_id;
            pub.meta = e.meta;
            pub.sequence = e.seq;
            pub.epoch = e.epoch;
            LocalExclude(e.exclude, &pub.exclude_shard, &pub.exclude_serial);
            ch.events.push_back(engine::BuildPublication(pub, 1));
          }
          finish(pending.get());
        });
    if (!sent) {
      c.gap = c.resume;
      finish(pending.get());
    }
  }
  finish(pending.get());
  return true;
}

void ControlPlane::ClusterOccupancy(uint32_t app, const std::string& channel, bool occupied) {
  if (!bridge_->ready() || engine::KindOf(channel) == engine::ChannelKind::kServerToUser) return;
  const std::string& app_id = apps_->app(app).id;
  const std::string n = bridge_->AppKey(app_id, "n", channel);
  std::string chans = bridge_->prefix();
  chans.append(app_id).append(":chans");
  const std::string index = bridge_->NodeKey(":o");
  const std::string due = bridge_->prefix() + "due";
  const std::string field = cluster::ChannelField(app_id, channel);
  const char* hooks = webhooks_.HasTargets(app) ? "1" : "0";
  if (occupied) {
    (void)ClusterCall(
        scripts_.occupy, {"4", n, chans, index, due, bridge_->node_key(), channel, field, hooks},
        [this, app, channel](cluster::CallReply& r) {
          if (!r.ok || r.reply.type != cluster::RespValue::Type::kInteger || r.reply.integer != 1) {
            return;
          }
          webhooks::WebhookEvent ev;
          ev.kind = webhooks::EventKind::kChannelOccupied;
          ev.channel = channel;
          ev.undelayed = true;
          webhooks_.Emit(app, std::move(ev));
        });
  } else {
    const std::string delay = std::to_string(kVacateDelayMs);
    (void)ClusterCall(
        scripts_.vacate,
        {"4", n, chans, index, due, bridge_->node_key(), channel, field, hooks, delay},
        [](cluster::CallReply&) {});
  }
}

void ControlPlane::ClusterResync() {
  cluster_synced_connects_ = bridge_->stats().connects;
  std::vector<std::string> args = {"2",
                                   bridge_->prefix() + "nodes",
                                   bridge_->prefix() + "due",
                                   bridge_->node_key(),
                                   bridge_->prefix(),
                                   bridge_->publish_command(),
                                   std::to_string(kVacateDelayMs)};
  std::vector<std::string> channels;
  for (uint32_t app = 0; app < apps_->size(); ++app) {
    const std::string& app_id = apps_->app(app).id;
    channels.clear();
    occupancy_.List(app, "", &channels);
    for (const std::string& channel : channels) {
      if (engine::IsRoutingChannel(channel) ||
          engine::KindOf(channel) == engine::ChannelKind::kServerToUser) {
        continue;
      }
      args.emplace_back("c");
      args.push_back(cluster::ChannelField(app_id, channel));
    }
    presence_.ForEachEntry(app, [&](std::string_view channel, std::string_view user,
                                    std::string_view info, uint32_t conns) {
      args.emplace_back("p");
      args.push_back(cluster::PresenceField(app_id, channel, user));
      args.push_back(std::to_string(conns));
      args.emplace_back(info);
    });
  }
  watchlist_.ForEachLocal([&](uint32_t app, std::string_view user) {
    args.emplace_back("w");
    args.push_back(cluster::ChannelField(apps_->app(app).id, user));
  });
  std::vector<std::string_view> views(args.begin(), args.end());
  const bool sent = ClusterCall(scripts_.resync, views, [this](cluster::CallReply& r) {
    if (!r.ok) return;  // lost again: the next connect resyncs
    if (r.reply.type != cluster::RespValue::Type::kArray || r.reply.elements.size() != 2) {
      RC_WARN("cluster: resync script failed: %s", r.reply.str.c_str());
      return;
    }
    size_t changed = 0;
    for (int k = 0; k < 2; ++k) {
      const std::vector<cluster::RespValue>& list = r.reply.elements[k].elements;
      for (size_t i = 0; i + 2 < list.size(); i += 3) {
        const uint32_t app = apps_->IndexById(list[i].str);
        if (app >= apps_->size()) continue;
        EmitMemberWebhook(
            app, k == 0 ? webhooks::EventKind::kMemberAdded : webhooks::EventKind::kMemberRemoved,
            list[i + 1].str, list[i + 2].str);
        ++changed;
      }
    }
    if (changed > 0) RC_INFO("cluster: resync changed %zu presence members in Redis", changed);
    ClusterWatchRequery();  // watch flips sent while this node was away were missed
  });
  if (!sent) cluster_synced_connects_ = 0;  // try again next turn
}

bool ControlPlane::ClusterGoodbyeDone() {
  const uint64_t now = util::MonotonicMs();
  if (!goodbye_.sent) {
    goodbye_.sent = true;
    goodbye_.deadline_ms = now + 1000;
    // The shards' last leaves went out before (same connection, in order).
    const std::string nodes = bridge_->prefix() + "nodes";
    const bool sent =
        bridge_->ready() &&
        ClusterCall(scripts_.resync,
                    {"2", nodes, bridge_->prefix() + "due", bridge_->node_key(), bridge_->prefix(),
                     bridge_->publish_command(), std::to_string(kVacateDelayMs)},
                    [this](cluster::CallReply&) { goodbye_.done = true; }) &&
        bridge_->Call({"ZREM", nodes, bridge_->node_key()}) != 0;
    if (!sent) return true;
    bridge_->Poll(now);  // sent now: the loop may not come back to ClusterTurn
    RC_INFO("cluster: leaving: this node's presence members and channels removed from Redis");
  }
  if (!goodbye_.done && now < goodbye_.deadline_ms && bridge_->ready()) {
    bridge_->Poll(now);
    return false;
  }
  return true;
}

void ControlPlane::ClusterHeartbeat(uint64_t now_ms) {
  if (heartbeat_in_flight_ || now_ms < next_heartbeat_ms_ || !bridge_->ready() || goodbye_.sent) {
    return;
  }
  // A node is reaped when silent for the timeout less one heartbeat interval, so that its
  // members are gone within the timeout (the next beat of a live node is at most an interval
  // away); a live node still misses at least two beats first (timeout >= 3000 ms).
  const uint32_t timeout = config_->cluster.node_timeout_ms;
  const uint32_t interval = std::min<uint32_t>(timeout / 5, 1000);
  const std::string nodes = bridge_->prefix() + "nodes";
  const std::string due = bridge_->prefix() + "due";
  const std::string timeout_text = std::to_string(timeout - interval);
  const std::string delay = std::to_string(kVacateDelayMs);
  heartbeat_in_flight_ = ClusterCall(
      scripts_.heartbeat,
      {"2", nodes, due, bridge_->node_key(), timeout_text, bridge_->prefix(),
       bridge_->publish_command(), delay},
      [this](cluster::CallReply& r) {
        heartbeat_in_flight_ = false;
        if (!r.ok) return;
        if (r.reply.type != cluster::RespValue::Type::kArray || r.reply.elements.size() != 2) {
          RC_WARN("cluster: heartbeat script failed: %s", r.reply.str.c_str());
          return;
        }
        for (const cluster::RespValue& f : r.reply.elements[1].elements) {
          std::string_view app_id;
          std::string_view channel;
          if (!cluster::SplitChannelField(f.str, &app_id, &channel)) continue;
          const uint32_t app = apps_->IndexById(app_id);
          if (app >= apps_->size()) continue;
          webhooks::WebhookEvent ev;
          ev.kind = webhooks::EventKind::kChannelVacated;
          ev.channel = std::string(channel);
          ev.undelayed = true;  // Redis delayed it, and a comeback anywhere cancelled it there
          webhooks_.Emit(app, std::move(ev));
        }
        const std::vector<cluster::RespValue>& removed = r.reply.elements[0].elements;
        for (size_t i = 0; i + 2 < removed.size(); i += 3) {
          const uint32_t app = apps_->IndexById(removed[i].str);
          if (app >= apps_->size()) continue;
          EmitMemberWebhook(app, webhooks::EventKind::kMemberRemoved, removed[i + 1].str,
                            removed[i + 2].str);
        }
        if (!removed.empty()) {
          RC_INFO("cluster: removed %zu presence members of dead nodes", removed.size() / 3);
        }
      });
  // A fifth of the timeout, and at most a second: due channel_vacated webhooks are handed out
  // by the heartbeats.
  next_heartbeat_ms_ = now_ms + interval;
}

void ControlPlane::LocalExclude(std::string_view socket_id, uint32_t* shard,
                                uint64_t* serial) const {
  uint32_t sh;
  uint64_t se;
  if (!socket_id.empty() && ids_->Parse(socket_id, &sh, &se)) {
    *shard = sh;
    *serial = se;
  }
}

void ControlPlane::DeliverArrival(const std::string& bytes) {
  cluster::EnvelopeView e;
  if (!cluster::DecodeEnvelope(bytes, size_t{16} << 20, &e)) return;  // the bridge checked it
  if (!history_waits_.empty()) {
    auto it = history_waits_.find(bridge_->RedisChannel(e.app, e.channel));
    if (it != history_waits_.end()) {  // after the resume answer (ClusterHistory)
      it->second.arrivals.push_back(bytes);
      return;
    }
  }
  if (e.kind == cluster::kEnvelopeStoreCommit) {  // not an app's: the Datonow store moved on
    cluster_received_.Add();
    StoreNotified(e.seq);
    return;
  }
  const uint32_t app = apps_->IndexById(e.app);
  if (app >= apps_->size()) {
    // Another node serves an app this one does not (docs/cluster.md: every node runs the same
    // apps); it has no subscribers of it here either.
    ++cluster_unknown_app_;
    return;
  }
  cluster_received_.Add();
  if (e.kind == cluster::kEnvelopeCountRequest) {
    OnCountRequest(e, app);
    return;
  }
  if (e.kind == cluster::kEnvelopeCountReply) {
    OnCountReply(e);
    return;
  }
  if (e.kind == cluster::kEnvelopePresenceRequest) {
    OnPresenceRequest(e, app);
    return;
  }
  if (e.kind == cluster::kEnvelopePresenceReply) {
    OnPresenceReply(e);
    return;
  }
  if (e.kind == cluster::kEnvelopeTerminate) {
    TerminateLocal(app, std::string(e.channel));
    return;
  }
  if (e.kind == cluster::kEnvelopeWatchFlip) {
    watchlist_.SetRemote(app, e.channel, e.data == "1", e.seq);
    return;
  }
  engine::PublishRequest req;
  req.app = app;
  req.channels.emplace_back(e.channel);
  req.event = std::string(e.event);
  req.data = std::string(e.data);
  req.audience = std::string(e.audience);
  req.user_id = std::string(e.user_id);
  req.meta = std::string(e.meta);
  req.epoch = e.epoch;  // numbered in Redis (a history channel), or 0
  req.seq = e.seq;
  LocalExclude(e.exclude, &req.exclude_shard, &req.exclude_serial);
  PublishLocal(req);
}

void ControlPlane::ClusterTurn() {
  // Joins first: a confirmation arrived before any message on its channel, so the joiners'
  // answers go to their shards ahead of what arrives after it.
  for (const std::string& channel : bridge_->TakeConfirmed()) {
    auto it = held_joins_.find(channel);
    if (it == held_joins_.end()) continue;
    ReleaseHeldJoins(&it->second);
    held_joins_.erase(it);
  }
  if (!bridge_->ready() && !held_joins_.empty()) {
    // Redis is down: local service goes on; the subscriptions are made on reconnect.
    for (auto& [channel, joins] : held_joins_) ReleaseHeldJoins(&joins);
    held_joins_.clear();
  }
  for (const cluster::PublishAck& ack : bridge_->TakeAcks()) {
    cluster_acked_ = ack.ticket;
    if (ack.ok) continue;
    for (ClusterHeld& h : cluster_held_) {
      if (h.first <= ack.ticket && ack.ticket <= h.last) {
        h.failed = true;
        break;
      }
    }
  }
  while (!cluster_held_.empty() && cluster_held_.front().last <= cluster_acked_) {
    ClusterHeld h = std::move(cluster_held_.front());
    cluster_held_.pop_front();
    if (h.failed && h.otherwise) {
      h.otherwise();
    } else if (h.failed) {
      AnswerUnavailable(h.call);
      Answer(h.call);
    } else {
      h.then();
    }
  }
  if (!held_history_.empty()) {
    std::vector<engine::HistoryQuery*> held;
    held.swap(held_history_);
    for (engine::HistoryQuery* q : held) {
      if (!ClusterHistory(q)) {  // Redis is down: this node's history answers
        history_.Answer(q, util::MonotonicMs());
        SendToShard(q->shard, ToShard::History(q));
      }
    }
  }
  for (cluster::CallReply& r : bridge_->TakeReplies()) {
    auto it = cluster_calls_.find(r.ticket);
    if (it == cluster_calls_.end()) continue;
    auto done = std::move(it->second);
    cluster_calls_.erase(it);
    done(r);
  }
  for (const std::string& bytes : bridge_->TakeMessages()) DeliverArrival(bytes);
  const uint64_t now_ms = util::MonotonicMs();
  if (!cluster_counts_.empty()) {
    std::vector<uint64_t> late;
    for (const auto& [id, p] : cluster_counts_) {
      if (now_ms >= p.deadline_ms) late.push_back(id);
    }
    for (uint64_t id : late) FinishCount(id, true);  // a node that did not answer in time
  }
  if (bridge_->ready() && bridge_->stats().connects != cluster_synced_connects_) {
    ClusterResync();
    if (wal_ != nullptr) {
      store_.sync_due = true;
      StorePump();
    }
  }
  ClusterHeartbeat(now_ms);
  bridge_->Poll(now_ms);
  cluster_ready_.ready.store(bridge_->ready(), std::memory_order_relaxed);
  cluster_connects_.Set(bridge_->stats().connects);
  cluster_dropped_.Set(bridge_->stats().dropped + cluster_unknown_app_);
  cluster_channels_.Set(bridge_->subscriptions());
}

}  // namespace ringcast::server
