// Subscriber: a PusherClient (any --protocol) that joins one channel and checks every bench event
// it receives: sequence (lost, out of order, duplicate, per publisher), channel, and
// publish-to-receive latency for events sent inside the measured window.
//
// Resolution: a subscriber counts once as `subscribed` (subscription_succeeded for its
// channel) or once as `failed` (anything that ends it before that, including the connect
// phase running out); a subscribed connection that closes before the end counts as `dropped`
// (its missing deliveries then show as lost). Per-connection memory: the PusherClient state
// plus 16 bytes per publisher for the sequence tracker, allocated on subscription.
// Single-threaded: the owning worker.
#pragma once

#include <cstdint>

#include "ringcast-bench/pusher_client.h"
#include "ringcast-bench/sequence_tracker.h"

namespace ringcast::bench {

class Subscriber final : public PusherClient {
 public:
  // Speaks --protocol (Pusher, Socket.IO or SSE).
  Subscriber(Worker* worker, uint32_t index, uint32_t channel);

  void Start();
  bool started() const { return state_ != State::kIdle; }
  bool resolved() const { return resolved_; }
  // The connect phase is over: an unresolved subscriber fails (timeout or never started).
  void GiveUp();

 private:
  void OnEstablished(std::string_view socket_id) override;
  void OnSubscriptionResult(std::string_view channel, bool ok, std::string_view why) override;
  void OnPusherError(int64_t code, std::string_view message) override;
  void OnChannelEvent(const PusherMessage& msg) override;
  void OnConnectionClosed(State before) override;
  std::string_view StreamChannel() const override;

  void Resolve(bool ok);

  SequenceTracker tracker_;
  uint32_t index_;
  uint32_t channel_;
  bool resolved_ = false;
};

}  // namespace ringcast::bench
