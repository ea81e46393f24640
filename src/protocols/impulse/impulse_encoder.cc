#include "protocols/impulse/impulse_encoder.h"

#include "engine/channel_table.h"
#include "protocols/impulse/impulse_session.h"
#include "protocols/impulse/push_request.h"
#include "util/json_writer.h"

namespace ringcast::protocols::impulse {

namespace {
constexpr std::string_view kForeignInternalPrefix = "pusher_internal:";
}  // namespace

net::LocalFrame* ImpulseEncoder::Encode(const engine::PublicationView& pub) {
  audience_of_ = pub.audience.data();
  audience_ok_ = wire::DecodeAudience(pub.audience, &audience_);
  std::string payload;
  if (!audience_.payload_absent) {
    padded_.assign(pub.data);
    padded_.resize(pub.data.size() + simdjson::SIMDJSON_PADDING);
    simdjson::dom::element value;
    if (parser_.parse(padded_.data(), pub.data.size(), false).get(value) == simdjson::SUCCESS) {
      AppendMinified(&payload, value);
    } else {
      util::AppendJsonString(&payload, pub.data);
    }
  }
  text_.clear();
  wire::AppendRecord(&text_, pub.channel, payload, audience_.payload_absent);
  return net::LocalFrame::Copy(text_);
}

bool ImpulseEncoder::DeliverToMember(const engine::Member& member, net::LocalFrame* frame,
                                     const engine::PublicationView& pub) {
  // Encode ran for this publication before its first member (engine/wire_format.h).
  if (!audience_ok_ || audience_of_ != pub.audience.data()) return false;
  // Another protocol's own events on a shared channel (Pusher's subscription counts) are not
  // the app's payloads: a broker stream carries payloads only.
  if (pub.event.starts_with(kForeignInternalPrefix)) return false;
  auto* session = static_cast<ImpulseSubscriber*>(member.sub)->session;
  if (!wire::Matches(audience_, session->topic(), session->token())) return false;
  return session->Deliver(frame);
}

}  // namespace ringcast::protocols::impulse
