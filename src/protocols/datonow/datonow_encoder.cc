#include "protocols/datonow/datonow_encoder.h"

#include "engine/channel_table.h"
#include "engine/datonow_channels.h"
#include "protocols/datonow/channel_session.h"
#include "protocols/datonow/token_session.h"
#include "protocols/datonow/wire.h"
#include "protocols/ws_session.h"

namespace ringcast::protocols::datonow {

net::LocalFrame* DatonowEncoder::Encode(const engine::PublicationView& pub) {
  json_.clear();
  wire::AppendFrame(&json_, pub.event, pub.channel, pub.data, pub.user_id, &validator_);
  return TextFrame(json_);
}

bool DatonowEncoder::DeliverToMember(const engine::Member& member, net::LocalFrame* frame,
                                     const engine::PublicationView& pub) {
  namespace names = engine::datonow;
  if (pub.channel.substr(0, names::kChannelPrefix.size()) == names::kChannelPrefix &&
      pub.event.substr(0, 17) == "datonow_internal:") {
    net::Session* s = member.conn->session();
    if (pub.event == names::kTokenDeletedEvent) {
      if (auto* t = dynamic_cast<DatonowTokenSession*>(s)) t->OnTokenDeleted();
    } else if (pub.event == names::kSocketCommandEvent) {
      if (auto* c = dynamic_cast<DatonowChannelSession*>(s)) c->QueueCommand(pub.data);
    }
    return false;
  }
  frame->Ref();
  loop_->Send(*member.conn, frame);
  return true;
}

}  // namespace ringcast::protocols::datonow
