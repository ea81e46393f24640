#include "apps/dontcode/realtime_shared.h"

#include "apps/dontcode/realtime_session.h"
#include "apps/dontcode/realtime_wire.h"
#include "engine/channel_table.h"
#include "protocols/socketio/dialogue_encoder.h"
#include "util/json_writer.h"

namespace ringcast::apps::dontcode {

net::LocalFrame* RealtimeEncoder::Encode(const engine::PublicationView& pub) {
  text_.clear();
  skip_ = false;
  if (pub.channel.starts_with(wire::kPresencePrefix)) {
    // data: the member object the joining or leaving session wrote (realtime_session.cc).
    text_ += "{\"type\":\"presence\",\"channel\":";
    util::AppendJsonString(&text_, pub.channel.substr(wire::kPresencePrefix.size()));
    text_ += ",\"action\":";
    util::AppendJsonString(&text_, pub.event);
    text_ += ",\"member\":";
    text_ += pub.data;
    text_ += '}';
  } else if (pub.event.starts_with("pusher:") || pub.event.starts_with("pusher_internal:")) {
    skip_ = true;  // Pusher's own events on a shared channel (subscription counts)
  } else {
    text_ += "{\"type\":\"message\",\"channel\":";
    util::AppendJsonString(&text_, pub.channel);
    text_ += ",\"event\":";
    util::AppendJsonString(&text_, pub.event);
    text_ += ",\"data\":";
    protocols::socketio::AppendJsonValue(&text_, pub.data, &padded_, &parser_);
    text_ += '}';
  }
  return protocols::TextFrame(text_);
}

bool RealtimeEncoder::DeliverToMember(const engine::Member& member, net::LocalFrame* frame,
                                      const engine::PublicationView& pub) {
  (void)pub;
  if (skip_) return false;
  return static_cast<RealtimeSubscriber*>(member.sub)->session->Deliver(frame);
}

void RealtimeShared::ListMembers(uint32_t app, std::string_view channel,
                                 std::vector<std::pair<std::string, std::string>>* out) const {
  if (env == nullptr) return;
  // Only realtime sockets join the presence channel, each once.
  engine::Channel* ch = env->channels().Find(app, wire::PresenceChannel(channel));
  if (ch == nullptr) return;
  for (const engine::Member& m : ch->members) {
    if (m.format != format) continue;
    const RealtimeSession* s = static_cast<RealtimeSubscriber*>(m.sub)->session;
    out->emplace_back(s->id(), s->identity());
  }
}

}  // namespace ringcast::apps::dontcode
