// See bridge.h.
#include "cluster/bridge.h"

#include <algorithm>
#include <utility>

#include "util/clock.h"
#include "util/log.h"

namespace ringcast::cluster {
namespace {

// "redis_version:7.0.15" in an INFO reply -> 7 (0 when absent).
int MajorVersion(std::string_view info, std::string* version) {
  constexpr std::string_view kKey = "redis_version:";
  size_t at = info.find(kKey);
  if (at == std::string_view::npos) return 0;
  std::string_view v = info.substr(at + kKey.size());
  v = v.substr(0, v.find_first_of("\r\n"));
  *version = std::string(v);
  int major = 0;
  for (char c : v) {
    if (c < '0' || c > '9') break;
    major = major * 10 + (c - '0');
  }
  return major;
}

}  // namespace

Bridge::Bridge(runtime::Ring* ring, BridgeOptions options)
    : o_(std::move(options)),
      cmd_(ring, kCmdLink, this, o_.max_outbound),
      sub_(ring, kSubLink, this, o_.max_outbound) {}

std::string Bridge::RedisChannel(std::string_view app, std::string_view channel) const {
  std::string name = o_.prefix;
  name.append(app).append(":c:").append(channel);
  return name;
}

std::string Bridge::AppKey(std::string_view app, std::string_view kind,
                           std::string_view channel) const {
  std::string key = o_.prefix;
  key.append(app).append(":").append(kind).append(":").append(channel);
  return key;
}

std::string Bridge::NodeKey(std::string_view suffix) const {
  std::string key = o_.prefix;
  key.append("node:").append(o_.node_key).append(suffix);
  return key;
}

void Bridge::Poll(uint64_t now_ms) {
  if (!expect_.empty() && cmd_.state() == Link::State::kOpen &&
      now_ms >= last_progress_ms_ + o_.command_timeout_ms) {
    // Connected but silent (a stopped or overloaded server): fail what waits, reconnect.
    Lost("no reply from Redis in " + std::to_string(o_.command_timeout_ms) + " ms");
  }
  if (cmd_.state() == Link::State::kIdle && sub_.state() == Link::State::kIdle &&
      now_ms >= next_connect_ms_) {
    reconnect_scheduled_ = false;
    std::string error;
    if (!cmd_.Connect(o_.addr, o_.addr_len, o_.connect_timeout_ms, &error) ||
        !sub_.Connect(o_.addr, o_.addr_len, o_.connect_timeout_ms, &error)) {
      Lost(error);
    }
  }
  cmd_.Flush();
  sub_.Flush();
}

int64_t Bridge::WaitHintMs(uint64_t now_ms) const {
  if (!expect_.empty() && cmd_.state() == Link::State::kOpen) {
    const uint64_t due = last_progress_ms_ + o_.command_timeout_ms;
    return due > now_ms ? static_cast<int64_t>(due - now_ms) : 0;
  }
  if (cmd_.state() != Link::State::kIdle || sub_.state() != Link::State::kIdle) return -1;
  return next_connect_ms_ > now_ms ? static_cast<int64_t>(next_connect_ms_ - now_ms) : 0;
}

void Bridge::OnCompletion(const io_uring_cqe& cqe) {
  (Link::IdOf(cqe.user_data) == kCmdLink ? cmd_ : sub_).OnCompletion(cqe);
}

void Bridge::AppendAuth(Link* link) {
  if (o_.url.password.empty()) return;
  if (o_.url.user.empty()) {
    AppendCommand(link->outbound(), {"AUTH", o_.url.password});
  } else {
    AppendCommand(link->outbound(), {"AUTH", o_.url.user, o_.url.password});
  }
}

void Bridge::OnOpen(uint32_t link) {
  if (link == kCmdLink) {
    AppendAuth(&cmd_);
    if (!o_.url.password.empty()) Expecting({Expect::kAuth});
    if (o_.url.db != 0) {
      AppendCommand(cmd_.outbound(), {"SELECT", std::to_string(o_.url.db)});
      Expecting({Expect::kSelect});
    }
    AppendCommand(cmd_.outbound(), {"INFO", "server"});
    Expecting({Expect::kInfo});
    loads_pending_ = scripts_.size();
    for (size_t i = 0; i < scripts_.size(); ++i) {
      AppendCommand(cmd_.outbound(), {"SCRIPT", "LOAD", scripts_[i].source});
      Expecting({Expect::kScriptLoad, i});
    }
  } else {
    AppendAuth(&sub_);
    sub_auth_pending_ = o_.url.password.empty() ? 0 : 1;
    MaybeReady();  // INFO may have come back before this connection opened
  }
}

void Bridge::OnReply(uint32_t link, RespValue&& reply) {
  if (link == kCmdLink) {
    OnCmdReply(std::move(reply));
  } else {
    OnSubReply(std::move(reply));
  }
}

void Bridge::Expecting(Pending p) {
  if (expect_.empty()) last_progress_ms_ = util::MonotonicMs();
  expect_.push_back(p);
}

void Bridge::OnCmdReply(RespValue&& reply) {
  last_progress_ms_ = util::MonotonicMs();
  if (expect_.empty()) {
    Lost("a reply nobody asked for");
    return;
  }
  const Pending p = expect_.front();
  const Expect e = p.kind;
  expect_.pop_front();
  switch (e) {
    case Expect::kAuth:
    case Expect::kSelect:
      if (reply.IsError()) Lost((e == Expect::kAuth ? "AUTH: " : "SELECT: ") + reply.str);
      return;
    case Expect::kInfo:
      if (reply.type != RespValue::Type::kString) {
        Lost("INFO: " + reply.str);
        return;
      }
      sharded_ = MajorVersion(reply.str, &version_) >= 7;
      info_done_ = true;
      MaybeReady();
      return;
    case Expect::kScriptLoad:
      if (reply.type != RespValue::Type::kString) {
        Lost("SCRIPT LOAD: " + reply.str);
        return;
      }
      scripts_[p.ticket].sha = std::move(reply.str);
      --loads_pending_;
      MaybeReady();
      return;
    case Expect::kPublish:
    case Expect::kCall:
      if (reply.IsError()) {
        ++stats_.command_errors;
        if (reply.str.rfind("NOSCRIPT", 0) == 0) {
          // Redis lost its scripts (a restart, SCRIPT FLUSH): not run; reconnect and reload.
          if (e == Expect::kPublish) acks_.push_back({p.ticket, false});
          if (e == Expect::kCall) replies_.push_back({p.ticket, false, {}});
          Lost("NOSCRIPT: Redis lost the scripts");
          return;
        }
      }
      if (e == Expect::kPublish) {
        acks_.push_back({p.ticket, !reply.IsError()});
      } else {
        replies_.push_back({p.ticket, true, std::move(reply)});
      }
      return;
  }
}

void Bridge::OnSubReply(RespValue&& reply) {
  if (sub_auth_pending_ > 0) {
    --sub_auth_pending_;
    if (reply.IsError()) {
      Lost("AUTH: " + reply.str);
      return;
    }
    MaybeReady();
    return;
  }
  if (reply.type != RespValue::Type::kArray || reply.elements.size() < 3) {
    Lost("unexpected reply on the subscription connection");
    return;
  }
  const std::string& kind = reply.elements[0].str;
  const std::string& channel = reply.elements[1].str;
  if (kind == "smessage" || kind == "message") {
    // Unsubscribed meanwhile (the unsubscribe and a publish travel on two connections): this
    // node has nobody left on the channel.
    if (subs_.find(channel) == subs_.end()) {
      ++stats_.late;
      return;
    }
    RespValue& payload = reply.elements[2];
    EnvelopeView view;
    if (payload.type != RespValue::Type::kString ||
        !DecodeEnvelope(payload.str, o_.max_envelope, &view)) {
      ++stats_.dropped;
      return;
    }
    if (messages_.size() >= kMaxMessagesPerPoll) {
      Lost("arrivals not taken in time");
      return;
    }
    ++stats_.received;
    messages_.push_back(std::move(payload.str));
  } else if (kind == "ssubscribe" || kind == "subscribe") {
    auto it = subs_.find(channel);
    if (it != subs_.end() && !it->second) {
      it->second = true;
      confirmed_.push_back(channel);
    }
  }
  // (s)unsubscribe confirmations: nothing to do.
}

void Bridge::MaybeReady() {
  if (ready_ || !info_done_ || loads_pending_ > 0 || sub_.state() != Link::State::kOpen ||
      sub_auth_pending_ > 0 || cmd_.state() != Link::State::kOpen) {
    return;
  }
  ready_ = true;
  backoff_ms_ = 0;
  ++stats_.connects;
  RC_INFO("cluster: connected to Redis %s at %s:%u (%s pub/sub, %zu channels to resubscribe)",
          version_.c_str(), o_.url.host.c_str(), o_.url.port, sharded_ ? "sharded" : "classic",
          subs_.size());
  for (auto& [name, confirmed] : subs_) {
    confirmed = false;
    SendSubscribe(name, true);
  }
}

void Bridge::SendSubscribe(const std::string& redis_channel, bool subscribe) {
  const char* verb = sharded_ ? (subscribe ? "SSUBSCRIBE" : "SUNSUBSCRIBE")
                              : (subscribe ? "SUBSCRIBE" : "UNSUBSCRIBE");
  std::string command;
  AppendCommand(&command, {verb, redis_channel});
  if (!sub_.Append(command)) Lost("subscription commands over the outbound bound");
}

void Bridge::Subscribe(std::string_view app, std::string_view channel) {
  auto [it, added] = subs_.emplace(RedisChannel(app, channel), false);
  if (added && ready_) SendSubscribe(it->first, true);
}

void Bridge::SubscribeRaw(const std::string& redis_channel) {
  auto [it, added] = subs_.emplace(redis_channel, false);
  if (added && ready_) SendSubscribe(it->first, true);
}

void Bridge::Unsubscribe(std::string_view app, std::string_view channel) {
  auto it = subs_.find(RedisChannel(app, channel));
  if (it == subs_.end()) return;
  const std::string name = it->first;
  subs_.erase(it);
  if (ready_) SendSubscribe(name, false);
}

bool Bridge::Confirmed(std::string_view app, std::string_view channel) const {
  auto it = subs_.find(RedisChannel(app, channel));
  return it != subs_.end() && it->second;
}

bool Bridge::CanPublish() const { return ready_ && cmd_.room() > o_.max_outbound / 2; }

uint64_t Bridge::Publish(const EnvelopeView& e) {
  std::string envelope;
  if (ready_ && !EncodeEnvelope(e, &envelope)) return 0;
  return Queue(Expect::kPublish,
               {sharded_ ? "SPUBLISH" : "PUBLISH", RedisChannel(e.app, e.channel), envelope});
}

uint64_t Bridge::Queue(Expect kind, const std::vector<std::string_view>& args) {
  const bool publish = kind == Expect::kPublish;
  std::string command;
  if (ready_) AppendCommand(&command, args);
  if (!ready_ || !cmd_.Append(command)) {
    if (publish) ++stats_.refused;
    return 0;
  }
  const uint64_t ticket = next_ticket_++;
  Expecting({kind, ticket});
  if (publish) ++stats_.published;
  return ticket;
}

size_t Bridge::AddScript(std::string_view source) {
  scripts_.push_back({std::string(source), {}});
  return scripts_.size() - 1;
}

uint64_t Bridge::Script(Expect kind, size_t script, const std::vector<std::string_view>& rest) {
  if (script >= scripts_.size()) return 0;
  std::vector<std::string_view> args;
  args.reserve(rest.size() + 2);
  args.push_back("EVALSHA");
  args.push_back(scripts_[script].sha);
  args.insert(args.end(), rest.begin(), rest.end());
  return Queue(kind, args);
}

uint64_t Bridge::CallScript(size_t script, const std::vector<std::string_view>& rest) {
  return Script(Expect::kCall, script, rest);
}

uint64_t Bridge::PublishScript(size_t script, const std::vector<std::string_view>& rest) {
  return Script(Expect::kPublish, script, rest);
}

uint64_t Bridge::Call(const std::vector<std::string_view>& args) {
  return Queue(Expect::kCall, args);
}

std::vector<CallReply> Bridge::TakeReplies() {
  std::vector<CallReply> out;
  out.swap(replies_);
  return out;
}

std::vector<PublishAck> Bridge::TakeAcks() {
  std::vector<PublishAck> out;
  out.swap(acks_);
  return out;
}

std::vector<std::string> Bridge::TakeConfirmed() {
  std::vector<std::string> out;
  out.swap(confirmed_);
  return out;
}

std::vector<std::string> Bridge::TakeMessages() {
  std::vector<std::string> out;
  out.swap(messages_);
  return out;
}

void Bridge::Lost(const std::string& why) {
  if (ready_) {
    ++stats_.disconnects;
    RC_WARN("cluster: lost Redis at %s:%u: %s; publishes are refused until it is back",
            o_.url.host.c_str(), o_.url.port, why.c_str());
  } else if (why != last_error_) {
    RC_WARN("cluster: cannot reach Redis at %s:%u: %s", o_.url.host.c_str(), o_.url.port,
            why.c_str());
  }
  last_error_ = why;
  ready_ = false;
  info_done_ = false;
  loads_pending_ = 0;
  sub_auth_pending_ = 0;
  // Publishes whose reply did not come: not acknowledged (the caller answers 503).
  for (const Pending& p : expect_) {
    if (p.kind == Expect::kPublish) acks_.push_back({p.ticket, false});
    if (p.kind == Expect::kCall) replies_.push_back({p.ticket, false, {}});
  }
  expect_.clear();
  for (auto& [name, confirmed] : subs_) confirmed = false;
  cmd_.Close(why);  // each may call OnClosed at once
  sub_.Close(why);
  ScheduleReconnect();
}

void Bridge::OnClosed(uint32_t /*link*/, const std::string& why) {
  // One connection went: both go (a reconnect starts both again).
  if (ready_ || info_done_ ||
      (cmd_.state() != Link::State::kIdle) != (sub_.state() != Link::State::kIdle)) {
    Lost(why);
    return;
  }
  ScheduleReconnect();
}

void Bridge::ScheduleReconnect() {
  if (reconnect_scheduled_ || cmd_.state() != Link::State::kIdle ||
      sub_.state() != Link::State::kIdle) {
    return;
  }
  reconnect_scheduled_ = true;
  backoff_ms_ = backoff_ms_ == 0 ? o_.backoff_min_ms : std::min(backoff_ms_ * 2, o_.backoff_max_ms);
  next_connect_ms_ = util::MonotonicMs() + backoff_ms_;
}

}  // namespace ringcast::cluster
