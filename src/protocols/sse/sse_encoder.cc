#include "protocols/sse/sse_encoder.h"

#include <cstring>

#include "engine/channel_table.h"
#include "protocols/sse/sse_session.h"
#include "util/json_writer.h"

namespace ringcast::protocols::sse {

void AppendRecord(std::string* out, std::string_view channel, std::string_view event,
                  std::string_view data) {
  out->append("event: ");
  for (char ch : event) out->push_back(ch == '\r' || ch == '\n' ? ' ' : ch);
  out->append("\ndata: {\"channel\":");
  util::AppendJsonString(out, channel);
  out->append(",\"event\":");
  util::AppendJsonString(out, event);
  out->append(",\"data\":");
  util::AppendJsonString(out, data);
  out->append("}\n");
}

net::LocalFrame* SseEncoder::Encode(const engine::PublicationView& pub) {
  text_.clear();
  AppendRecord(&text_, pub.channel, pub.event, pub.data);
  return net::LocalFrame::Copy(text_);
}

bool SseEncoder::DeliverToMember(const engine::Member& member, net::LocalFrame* frame,
                                 const engine::PublicationView& pub) {
  return static_cast<SseSubscriber*>(member.sub)->session->DeliverLive(frame, pub, member.slot);
}

}  // namespace ringcast::protocols::sse
