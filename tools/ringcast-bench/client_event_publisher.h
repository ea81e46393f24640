// ClientEventPublisher: publishes client-* events over its own Pusher WebSocket connection.
//
// Client events are allowed only on private- (and presence-) channels the sender has joined,
// so it subscribes to every channel of the plan (auth signed with the app secret, as an auth
// endpoint would) and is ready once all subscriptions succeeded. It then writes events as
// masked text frames {"event":"client-<name>","channel":..,"data":"<payload>"}: at a fixed
// rate when due (up to --batch frames per write), at max rate whenever the previous write has
// completed. There is no acknowledgement in the protocol, so an event counts as published
// when it is handed to the socket; a refusal (pusher:error, e.g. 4301 rate limit) is counted
// by code and its deliveries then show as lost. Events from other publishers on the joined
// channels are ignored. A lost connection ends this publisher (no reconnect).
// Single-threaded: the owning worker.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ringcast-bench/publisher.h"
#include "ringcast-bench/pusher_client.h"

namespace ringcast::bench {

class ClientEventPublisher final : public PusherClient, public Publisher {
 public:
  ClientEventPublisher(Worker* worker, uint32_t index)
      : PusherClient(worker, WireProtocol::kPusher), Publisher(worker, index) {}

  void Start() override;
  bool ready() const override { return state_ == State::kReady; }
  bool failed() const override { return failed_; }
  void GiveUp() override;
  void Tick(uint64_t now_ns) override;
  uint64_t next_wake_ns() const override;

 private:
  void OnEstablished(std::string_view socket_id) override;
  void OnSubscriptionResult(std::string_view channel, bool ok, std::string_view why) override;
  void OnPusherError(int64_t code, std::string_view message) override;
  void OnChannelEvent(const PusherMessage& msg) override;
  void OnConnectionClosed(State before) override;
  void OnWriteComplete() override;

  std::vector<PlannedEvent> events_;
  std::string frames_;
  uint32_t pending_subscriptions_ = 0;
  bool failed_ = false;
};

}  // namespace ringcast::bench
