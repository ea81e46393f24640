#include "protocols/impulse/impulse_push.h"

#include "config/config.h"

namespace ringcast::protocols::impulse {

bool ImpulsePush::Matches(std::string_view path) const {
  return wire::IsEndpoint(config_->impulse, path);
}

std::optional<engine::PublishRequest> ImpulsePush::Handle(std::string_view method,
                                                          std::string_view body, bool keep_alive,
                                                          std::string* response) {
  response->clear();
  if (method != "POST") {
    wire::AppendError(response, 405, wire::kBadMethod, keep_alive);
    return std::nullopt;
  }
  PushParse r = parser_.Parse(body, config_->limits.max_channel_name_length, &req_, &details_);
  if (r != PushParse::kOk) {
    if (r == PushParse::kBadJson) {
      wire::AppendError(response, 400, wire::kBadJson, keep_alive);
    } else {
      wire::AppendError(response, 400, wire::kBadBody, keep_alive, details_);
    }
    return std::nullopt;
  }
  engine::PublishRequest pub;
  pub.app = config_->impulse.app;
  // What Pusher and SSE subscribers of the channel see as the event name (pushes without an
  // audience reach them too).
  pub.event = "message";
  pub.data = std::move(req_.payload);
  pub.channels.push_back(std::move(req_.channel));
  pub.audience = wire::EncodeAudience(req_.audience);
  return pub;
}

void ImpulsePush::AnswerSent(std::string* response, bool keep_alive, uint64_t sent) {
  response->clear();
  wire::AppendSent(response, sent, keep_alive);
}

}  // namespace ringcast::protocols::impulse
