#include "protocols/sse/sse_encoder.h"

#include <charconv>
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

namespace {

// "id: <epoch>.<sequence>\n\n" (AppendEventId's form for one channel) into buf (>= 48 bytes);
// returns its length.
size_t OneChannelIdLine(const engine::PublicationView& pub, char* buf) {
  char* p = buf;
  std::memcpy(p, "id: ", 4);
  p += 4;
  p = std::to_chars(p, buf + 48, pub.epoch).ptr;
  *p++ = '.';
  p = std::to_chars(p, buf + 48, pub.sequence).ptr;
  *p++ = '\n';
  *p++ = '\n';
  return static_cast<size_t>(p - buf);
}

}  // namespace

net::LocalFrame* SseEncoder::Encode(const engine::PublicationView& pub) {
  text_.clear();
  AppendRecord(&text_, pub.channel, pub.event, pub.data);
  if (pub.sequence != 0) {
    char id[48];
    text_.append(id, OneChannelIdLine(pub, id));
  }
  return net::LocalFrame::Copy(text_);
}

std::string_view SharedRecord(const net::LocalFrame& frame, const engine::PublicationView& pub) {
  size_t id_len = 0;
  if (pub.sequence != 0) {
    char id[48];
    id_len = OneChannelIdLine(pub, id);
  }
  return std::string_view(frame.data(), frame.size() - id_len);
}

bool SseEncoder::DeliverToMember(const engine::Member& member, net::LocalFrame* frame,
                                 const engine::PublicationView& pub) {
  return static_cast<SseSubscriber*>(member.sub)->session->DeliverLive(frame, pub, member.slot);
}

}  // namespace ringcast::protocols::sse
