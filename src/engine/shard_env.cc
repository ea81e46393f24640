#include "engine/shard_env.h"

namespace ringcast::engine {

ChannelTable::SubscribeResult ShardEnv::Subscribe(uint32_t app, std::string_view name,
                                                  Subscriber* sub) {
  ChannelTable::SubscribeResult r = channels_.Subscribe(app, name, sub);
  if (r.created) control_->NoteChannel(app, name, true);
  return r;
}

bool ShardEnv::Unsubscribe(Subscriber* sub, Channel* channel) {
  bool was_member = sub->IsSubscribed(channel);
  channels_.Unsubscribe(sub, channel, [this](const Channel& ch) {
    control_->NoteChannel(ch.app, ch.name, false);
  });
  return was_member;
}

void ShardEnv::UnsubscribeAll(Subscriber* sub) {
  channels_.UnsubscribeAll(sub, [this](const Channel& ch) {
    control_->NoteChannel(ch.app, ch.name, false);
  });
}

void ShardEnv::Deliver(const PublicationView& pub, net::LocalFrame* frame) {
  ++counters_.publications;
  Channel* channel = channels_.Find(pub.app, pub.channel);
  if (channel != nullptr) {
    bool exclude = pub.exclude_shard == shard_id_;
    for (const Member& m : channel->members) {
      if (exclude && m.conn->serial() == pub.exclude_serial) continue;
      frame->Ref();
      loop_->Send(*m.conn, frame);
      ++counters_.deliveries;
    }
  }
  frame->Unref();
}

}  // namespace ringcast::engine
