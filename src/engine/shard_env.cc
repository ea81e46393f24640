#include "engine/shard_env.h"

#include <algorithm>

#include "engine/channel_name.h"
#include "util/log.h"

namespace ringcast::engine {

FormatId ShardEnv::RegisterFormat(PublicationEncoder* encoder) {
  RC_CHECK(format_count_ < kMaxFormats);
  encoders_[format_count_] = encoder;
  member_step_[format_count_] = encoder->HasMemberStep();
  takes_audience_[format_count_] = encoder->TakesAudience();
  RC_CHECK(!takes_audience_[format_count_] || member_step_[format_count_]);
  return format_count_++;
}

ShardEnv::SubscribeResult ShardEnv::Subscribe(uint32_t app, std::string_view name, Subscriber* sub,
                                              bool held) {
  RC_CHECK(sub->format() < format_count_);
  ChannelTable::SubscribeResult r = channels_.Subscribe(app, name, sub, held);
  if (r.created && !control_->NoteOccupied(app, name)) {
    // The control plane never heard of this channel: drop it again without a note.
    channels_.Unsubscribe(sub, r.channel, [](const Channel&) {});
    return {nullptr, false, false, true};
  }
  if (!r.already) ++counters_.subscriptions;
  if (r.created) ++counters_.channels;
  if (!r.already && CountsSubscriptions(app, name)) MarkCount(r.channel, true);
  return {r.channel, r.created, r.already, false};
}

bool ShardEnv::Unsubscribe(Subscriber* sub, Channel* channel) {
  bool was_member = sub->IsSubscribed(channel);
  const bool counted = was_member && CountsSubscriptions(channel->app, channel->name);
  bool vacated = false;
  channels_.Unsubscribe(sub, channel, [this, &vacated](const Channel& ch) {
    --counters_.channels;
    UnmarkCount(ch);
    vacated = true;
    control_->NoteVacated(ch.app, ch.name);
  });
  if (was_member) --counters_.subscriptions;
  if (counted && !vacated) MarkCount(channel, false);
  return was_member;
}

void ShardEnv::UnsubscribeAll(Subscriber* sub) {
  counters_.subscriptions -= sub->count();
  // Marked first (a channel this empties is unmarked again as it goes).
  sub->ForEachChannel([this](Channel& ch) {
    if (CountsSubscriptions(ch.app, ch.name)) MarkCount(&ch, false);
  });
  channels_.UnsubscribeAll(sub, [this](const Channel& ch) {
    --counters_.channels;
    UnmarkCount(ch);
    control_->NoteVacated(ch.app, ch.name);
  });
}

bool ShardEnv::CountsSubscriptions(uint32_t app, std::string_view name) const {
  if (!apps_->app(app).enable_subscription_count) return false;
  ChannelKind kind = KindOf(name);
  return kind != ChannelKind::kPresence && kind != ChannelKind::kServerToUser;
}

void ShardEnv::MarkCount(Channel* channel, bool joined) {
  channel->count_joined = channel->count_joined || joined;
  if (channel->count_mark != Channel::kNotMarked) return;
  channel->count_mark = static_cast<uint32_t>(count_marks_.size());
  count_marks_.push_back(channel);
}

void ShardEnv::UnmarkCount(const Channel& channel) {
  uint32_t at = channel.count_mark;
  if (at == Channel::kNotMarked) return;
  Channel* last = count_marks_.back();
  count_marks_[at] = last;
  last->count_mark = at;
  count_marks_.pop_back();
}

bool ShardEnv::FlushSubscriptionCounts() {
  if (count_marks_.empty()) return true;
  size_t n = std::min(count_marks_.size(), kMaxCountRows);
  auto* report = new SubscriptionCountReport();
  report->rows.reserve(n);
  for (size_t i = count_marks_.size() - n; i < count_marks_.size(); ++i) {
    const Channel* ch = count_marks_[i];
    report->rows.push_back({ch->app, static_cast<uint32_t>(ch->members.size()),
                            ch->count_joined, ch->name});
  }
  if (!control_->NoteSubscriptionCounts(report)) {
    delete report;
    return false;
  }
  for (size_t i = 0; i < n; ++i) {
    Channel* ch = count_marks_.back();
    ch->count_mark = Channel::kNotMarked;
    ch->count_joined = false;
    count_marks_.pop_back();
  }
  return count_marks_.empty();
}

uint64_t ShardEnv::Deliver(const PublicationView& pub) {
  ++counters_.publications;
  Channel* channel = channels_.Find(pub.app, pub.channel);
  if (channel == nullptr) return 0;
  // One slot per format: filled by the first member of that format, shared by the rest.
  net::LocalFrame* frames[kMaxFormats] = {};
  bool exclude = pub.exclude_shard == shard_id_;
  uint64_t delivered = 0;
  for (const Member& m : channel->members) {
    if (m.held || (exclude && m.conn->serial() == pub.exclude_serial)) continue;
    if (!pub.audience.empty() && !takes_audience_[m.format]) continue;
    net::LocalFrame*& frame = frames[m.format];
    if (frame == nullptr) {
      RC_CHECK(m.format < format_count_);
      frame = encoders_[m.format]->Encode(pub);
      ++counters_.encodes;
    }
    if (member_step_[m.format]) {
      if (encoders_[m.format]->DeliverToMember(m, frame, pub)) ++delivered;
      continue;
    }
    frame->Ref();
    loop_->Send(*m.conn, frame);
    ++delivered;
  }
  counters_.deliveries += delivered;
  std::atomic<uint64_t>& app = app_deliveries_[pub.app];
  app.store(app.load(std::memory_order_relaxed) + delivered, std::memory_order_relaxed);
  for (net::LocalFrame* frame : frames) {
    if (frame != nullptr) frame->Unref();  // the encoder's reference
  }
  return delivered;
}

}  // namespace ringcast::engine
