// ImpulsePush: POST {prefix} (the Impulse broker's push) on the control plane. The shard has
// already checked the Bearer secret (wire::CheckBearer, answered 401/403 there, before the body
// is read); this parses the body (push_request.h) and says what to publish. The control plane
// publishes it, counts the streams it was queued to on every shard, and answers {"sent": N}
// (AnswerSent). Lives with the protocol, not in api/, because the audience it encodes is the
// Impulse wire's (impulse_wire.h), which the shards' encoder decodes.
// Thread rules: the control-plane thread only.
#pragma once

#include <cstdint>
#include <optional>

#include <string>
#include <string_view>
#include "engine/publication.h"
#include "protocols/impulse/push_request.h"

namespace ringcast::config {
struct ServerConfig;
}  // namespace ringcast::config

namespace ringcast::protocols::impulse {

class ImpulsePush {
 public:
  explicit ImpulsePush(const config::ServerConfig* config) : config_(config) {}

  bool Matches(std::string_view path) const;

  // The publication to make, or nothing when `*response` holds the answer (400, 405).
  std::optional<engine::PublishRequest> Handle(std::string_view method, std::string_view body,
                                               bool keep_alive, std::string* response);

  // The answer: 200 {"sent": N}.
  static void AnswerSent(std::string* response, bool keep_alive, uint64_t sent);

 private:
  const config::ServerConfig* config_;
  PushParser parser_;
  PushRequest req_;
  std::string details_;
};

}  // namespace ringcast::protocols::impulse
