// ControlPlane: Dialogue's backend hooks (control_plane.h; docs/protocols/dialogue.md "Hooks").
// The calls run on webhooks::HookClient (this thread's ring); their answers are applied at the
// top of a turn (RunHookAnswers), never from inside the ring's completion loop.
#include "protocols/socketio/dialogue_encoder.h"
#include "server/control_plane.h"
#include "util/clock.h"
#include "util/json_writer.h"
#include "util/log.h"

namespace ringcast::server {
namespace {

// The calls about one socket are made one at a time, in order (HookClient's order key).
uint64_t SocketKey(uint32_t shard, uint64_t serial) {
  return (serial << 8) | (shard & 0xff) | (uint64_t{1} << 63);
}

}  // namespace

void ControlPlane::NotifyHook(std::string_view hook, std::string_view body, uint64_t order_key) {
  if (hooks_.Has(hook)) (void)hooks_.Call(hook, body, nullptr, order_key);
}

void ControlPlane::HandleHookCall(engine::HookCall* h) {
  using Kind = engine::HookCall::Kind;
  if (h->kind == Kind::kApp) {
    HandleMochatCall(h);  // the one Socket.IO application other than Dialogue
    return;
  }
  if (h->kind == Kind::kNotify) {
    NotifyHook(h->hook, h->body, SocketKey(h->shard, h->serial));
    delete h;
    return;
  }
  if (h->kind == Kind::kTrigger && !UserMayTrigger(h->user_id)) {
    // The user's triggers over the node (cheap, before any hook is asked).
    h->code = "RATE_LIMITED";
    h->message = "Too many events from this user; slow down";
    SendToShard(h->shard, ToShard::HookAnswer(h));
    return;
  }
  if (h->kind == Kind::kTrigger && !h->before_each) {
    PublishHookedTrigger(h);
    return;
  }
  auto answered = [this, h](const webhooks::HookResponse& r) { hook_answers_.push_back({h, r}); };
  if (!hooks_.Call(h->hook, h->body, answered, SocketKey(h->shard, h->serial))) {
    webhooks::HookResponse r;
    r.error = "too many hook calls waiting";
    DecideHookCall(h, r);
  }
}

bool ControlPlane::UserMayTrigger(std::string_view user_id) {
  const uint32_t limit = config_->dialogue.UserEventsPerSecond(config_->limits);
  if (limit == 0) return true;
  const uint64_t now = util::MonotonicMs();
  if (user_windows_.size() >= kMaxUserWindows && now >= user_windows_swept_ms_ + 1000) {
    // Windows older than a second count nothing: they go (at most one sweep a second).
    std::erase_if(user_windows_,
                  [now](const auto& kv) { return now >= kv.second.start_ms + 1000; });
    user_windows_swept_ms_ = now;
  }
  // Dialogue serves one app (dialogue.app): the user id alone is the key, looked up without
  // building a string (one is made only for a user's first window).
  auto it = user_windows_.find(user_id);
  if (it == user_windows_.end()) {
    if (user_windows_.size() >= kMaxUserWindows) {
      user_limit_untracked_.Add();  // every window is live: not tracked (counted), let through
      return true;
    }
    it = user_windows_.emplace(std::string(user_id), UserWindow{now, 0}).first;
  }
  UserWindow& w = it->second;
  if (now >= w.start_ms + 1000) {
    w.start_ms = now;
    w.count = 0;
  }
  if (w.count >= limit) return false;
  ++w.count;
  return true;
}

void ControlPlane::RunHookAnswers() {
  // Swapped out first: deciding may publish, and a publication never re-enters here.
  std::vector<HookAnswer> answers;
  answers.swap(hook_answers_);
  for (HookAnswer& a : answers) DecideHookCall(a.call, a.response);
}

void ControlPlane::DecideHookCall(engine::HookCall* h, const webhooks::HookResponse& r) {
  webhooks::HookDecision d = webhooks::DecideHook(r);
  if (d.failed) {
    h->failed = true;
    h->allowed = !config_->dialogue.hooks.Rejects(h->hook);
    h->message = h->hook + " hook failed: " + d.message;
    RC_DEBUG("dialogue hooks: %s (%s)", h->message.c_str(), h->allowed ? "allowed" : "refused");
  } else {
    h->allowed = d.allowed;
    h->message = std::move(d.message);
    h->answer_user_id = std::move(d.user_id);
    h->claims = std::move(d.claims);
    if (d.has_data && h->kind == engine::HookCall::Kind::kTrigger) h->data = std::move(d.data);
  }
  if (h->kind == engine::HookCall::Kind::kTrigger) {
    if (h->allowed) {
      PublishHookedTrigger(h);
      return;
    }
    h->code = "VALIDATION_FAILED";  // as Dialogue answers a beforeEach refusal
  }
  SendToShard(h->shard, ToShard::HookAnswer(h));
}

void ControlPlane::PublishHookedTrigger(engine::HookCall* h) {
  if (h->data.size() > config_->limits.max_event_data_bytes) {  // a transformation grew it
    h->code = "PAYLOAD_TOO_LARGE";
    h->message = "Event data is too large";
    SendToShard(h->shard, ToShard::HookAnswer(h));
    return;
  }
  engine::PublicationView pub;
  pub.app = h->app;
  pub.channel = h->room;
  pub.event = h->event;
  pub.data = h->data;
  pub.user_id = h->user_id;
  pub.meta = h->meta;
  const uint64_t stamp_before = last_stamp_us_;
  const bool held = PublishClientEvent(engine::BuildPublication(pub, /*refs=*/1));
  if (hooks_.Has("afterEach")) {
    // recipientCount: the room's members on this node's shards, counted behind the publication.
    const uint64_t stamp = last_stamp_us_ != stamp_before
                               ? last_stamp_us_
                               : static_cast<uint64_t>(util::WallMs()) * 1000;
    std::string message;
    std::string padded;
    simdjson::dom::parser parser;
    protocols::socketio::AppendEventMessage(&message, h->event, h->room, h->data, h->user_id, stamp,
                                            &padded, &parser, h->meta);
    CountSubscriptions(h->app, {h->room},
                       [this, room = h->room, message = std::move(message),
                        key = SocketKey(h->shard, h->serial)](std::vector<uint64_t> n) {
                         std::string body = "{\"roomId\":";
                         util::AppendJsonString(&body, room);
                         body += ",\"message\":";
                         body += message;
                         body += ",\"recipientCount\":";
                         util::AppendInt(&body, static_cast<int64_t>(n.empty() ? 0 : n[0]));
                         body += '}';
                         NotifyHook("afterEach", body, key);
                       });
  }
  if (held) {
    // A room keeping history: the trigger is acknowledged once its record is durable, behind
    // its delivery (ReleaseHeld publishes before it answers). A failed commit still delivers
    // it (the store reports itself read-only): acknowledged all the same.
    held_.push_back({nullptr, [this, h](bool) { SendToShard(h->shard, ToShard::HookAnswer(h)); }});
    return;
  }
  SendToShard(h->shard, ToShard::HookAnswer(h));
}

}  // namespace ringcast::server
