#include "engine/shard_env.h"

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
  return {r.channel, r.created, r.already, false};
}

bool ShardEnv::Unsubscribe(Subscriber* sub, Channel* channel) {
  bool was_member = sub->IsSubscribed(channel);
  channels_.Unsubscribe(sub, channel, [this](const Channel& ch) {
    --counters_.channels;
    control_->NoteVacated(ch.app, ch.name);
  });
  if (was_member) --counters_.subscriptions;
  return was_member;
}

void ShardEnv::UnsubscribeAll(Subscriber* sub) {
  counters_.subscriptions -= sub->count();
  channels_.UnsubscribeAll(sub, [this](const Channel& ch) {
    --counters_.channels;
    control_->NoteVacated(ch.app, ch.name);
  });
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
