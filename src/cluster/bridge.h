// Bridge: this node's two connections to Redis and what travels on them (docs/cluster.md, "The
// link", "Publishing", "Subscriptions"): the connect sequence (AUTH, SELECT, INFO server: Redis 7
// and later get sharded pub/sub, SSUBSCRIBE/SPUBLISH, older ones SUBSCRIBE/PUBLISH), reconnects
// with a capped backoff, the set of channels this node is subscribed to (resubscribed after a
// reconnect, confirmations tracked), publishes as envelopes, and the envelopes that arrive.
//
// It knows Redis and names, never engine types; the control plane maps (docs/cluster.md,
// src/server/control_cluster.cc, to come). A Redis pub/sub channel is `prefix + app id + ":c:" +
// channel`. Publish refuses (false: the caller answers 503) while not ready or past the outbound
// bound; nothing is queued then. Delivery is what arrives on the subscription connection, this
// node's own publishes included (its echo); TakeMessages hands those over in arrival order.
// Bounds: each Link's outbound buffer (max_outbound); at most kMaxMessagesPerPoll messages kept
// between two TakeMessages (more: the connection is dropped and resubscribed, counted); replies
// pending with none for command_timeout_ms: the connections are dropped (what waits fails).
// Thread rules: the thread that owns the ring (the control plane).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cluster/envelope.h"
#include "cluster/link.h"
#include "cluster/redis_url.h"
#include "runtime/ring.h"

namespace ringcast::cluster {

struct BridgeOptions {
  RedisUrl url;
  sockaddr_storage addr{};  // url's host, resolved at start-up
  socklen_t addr_len = 0;
  std::string node_key;  // the envelopes' origin
  std::string prefix = "ringcast:";
  uint32_t connect_timeout_ms = 2000;
  // A command connection with replies pending and none for this long is dropped (reconnect).
  uint32_t command_timeout_ms = 5000;
  uint32_t backoff_min_ms = 100;
  uint32_t backoff_max_ms = 2000;
  size_t max_outbound = size_t{64} << 20;
  size_t max_envelope = size_t{16} << 20;
};

// The outcome of one Publish: Redis replied success (ok), or an error / the connection was lost
// before the reply (not ok). Handed over in ticket order.
struct PublishAck {
  uint64_t ticket = 0;
  bool ok = false;
};

// The reply to one Call (ok: Redis answered, maybe with an error reply; not ok: the connection
// was lost before the reply, and the command may or may not have run).
struct CallReply {
  uint64_t ticket = 0;
  bool ok = false;
  RespValue reply;
};

struct BridgeStats {
  uint64_t connects = 0;
  uint64_t disconnects = 0;
  uint64_t published = 0;
  uint64_t received = 0;
  uint64_t refused = 0;  // Publish while not ready or full
  uint64_t dropped = 0;  // arrivals that were not envelopes
  uint64_t late = 0;     // arrivals on a channel unsubscribed meanwhile
  uint64_t command_errors = 0;
};

class Bridge : public Link::Handler {
 public:
  static constexpr size_t kMaxMessagesPerPoll = 65536;
  // The links' ids on the ring (Link::IdOf).
  static constexpr uint32_t kCmdLink = 0;
  static constexpr uint32_t kSubLink = 1;

  Bridge(runtime::Ring* ring, BridgeOptions options);

  // Connects (and, after a loss, reconnects when the backoff says). Call once per loop turn;
  // it also flushes what was queued this turn.
  void Poll(uint64_t now_ms);
  // ms until Poll has something to do (-1: nothing).
  int64_t WaitHintMs(uint64_t now_ms) const;
  // The wait before the next connect attempt after the last failure (0 once connected).
  uint32_t backoff_ms() const { return backoff_ms_; }
  static bool Owns(uint64_t user_data) { return Link::Owns(user_data); }
  void OnCompletion(const io_uring_cqe& cqe);

  bool ready() const { return ready_; }
  bool sharded() const { return sharded_; }
  const std::string& server_version() const { return version_; }

  // This node gained its first member of (app, channel) / lost its last one.
  void Subscribe(std::string_view app, std::string_view channel);
  void Unsubscribe(std::string_view app, std::string_view channel);
  // A pub/sub channel named as is (this node's RPC channels): subscribed like a channel, kept
  // across reconnects.
  void SubscribeRaw(const std::string& redis_channel);
  // This node is subscribed (or subscribing) to (app, channel).
  bool Subscribed(std::string_view app, std::string_view channel) const {
    return subs_.count(RedisChannel(app, channel)) > 0;
  }
  // Redis confirmed the subscription (since the last connect).
  bool Confirmed(std::string_view app, std::string_view channel) const;
  size_t subscriptions() const { return subs_.size(); }

  // One publication to every node subscribed to its channel (this one included). Returns its
  // ticket (increasing from 1; its PublishAck comes later), or 0: not sent (not ready, outbound
  // full, or a field too long), nothing queued.
  [[nodiscard]] uint64_t Publish(const EnvelopeView& e);
  // Whether Publish would take a small publication now (ready, outbound below half its bound).
  bool CanPublish() const;
  // The Redis pub/sub channel of (app, channel), as TakeConfirmed names it.
  std::string RedisChannel(std::string_view app, std::string_view channel) const;
  // The key `prefix app ":" kind ":" channel` (scripts.h names the kinds).
  std::string AppKey(std::string_view app, std::string_view kind, std::string_view channel) const;
  // This node's key `prefix "node:" node_key suffix`.
  std::string NodeKey(std::string_view suffix) const;
  const std::string& prefix() const { return o_.prefix; }
  const std::string& node_key() const { return o_.node_key; }
  // What scripts publish with: SPUBLISH with sharded pub/sub, else PUBLISH.
  const char* publish_command() const { return sharded_ ? "SPUBLISH" : "PUBLISH"; }

  // Lua scripts (cluster/scripts.h): added before the first Poll; loaded (SCRIPT LOAD) on every
  // connect, before the bridge is ready, and called with EVALSHA. A NOSCRIPT reply (Redis
  // restarted or flushed its scripts) drops the connection: the reconnect loads them again.
  size_t AddScript(std::string_view source);
  // EVALSHA of script `script` with `rest` = {numkeys, keys..., args...}: a Call (its reply in
  // TakeReplies) or, for a script that publishes, acknowledged like Publish (TakeAcks).
  [[nodiscard]] uint64_t CallScript(size_t script, const std::vector<std::string_view>& rest);
  [[nodiscard]] uint64_t PublishScript(size_t script, const std::vector<std::string_view>& rest);
  // Any command (a script, a read) on the command connection, in order with the publishes;
  // returns its ticket (from the same sequence as Publish's), 0 when not ready or full.
  [[nodiscard]] uint64_t Call(const std::vector<std::string_view>& args);
  // Call replies since the last call, in ticket order.
  std::vector<CallReply> TakeReplies();

  // Arrived envelopes (raw bytes, decode with DecodeEnvelope), oldest first.
  std::vector<std::string> TakeMessages();
  // Publish outcomes since the last call, in ticket order.
  std::vector<PublishAck> TakeAcks();
  // Redis channels whose subscription Redis confirmed since the last call.
  std::vector<std::string> TakeConfirmed();
  const BridgeStats& stats() const { return stats_; }

  void OnOpen(uint32_t link) override;
  void OnReply(uint32_t link, RespValue&& reply) override;
  void OnClosed(uint32_t link, const std::string& why) override;

 private:
  enum class Expect : uint8_t { kAuth, kSelect, kInfo, kScriptLoad, kPublish, kCall };
  struct Pending {
    Expect kind;
    uint64_t ticket = 0;  // kPublish, kCall; kScriptLoad: the script's index
  };
  void Lost(const std::string& why);
  void OnCmdReply(RespValue&& reply);
  void OnSubReply(RespValue&& reply);
  void AppendAuth(Link* link);
  void SendSubscribe(const std::string& redis_channel, bool subscribe);
  void MaybeReady();
  void ScheduleReconnect();

  BridgeOptions o_;
  Link cmd_;
  Link sub_;
  bool ready_ = false;
  bool sharded_ = false;
  bool info_done_ = false;
  std::string version_;
  std::deque<Pending> expect_;  // the cmd replies still to come, in command order
  uint64_t last_progress_ms_ = 0;  // the last cmd reply, or when the first pending was queued
  uint64_t next_ticket_ = 1;
  std::vector<PublishAck> acks_;
  std::vector<CallReply> replies_;
  struct Script {
    std::string source;
    std::string sha;  // from SCRIPT LOAD, this connection
  };
  std::vector<Script> scripts_;
  size_t loads_pending_ = 0;
  uint64_t Script(Expect kind, size_t script, const std::vector<std::string_view>& rest);
  void Expecting(Pending p);  // queues a pending reply (and starts its timeout if first)
  // Appends one command expecting `kind`'s reply: its ticket, or 0 (not ready, outbound full).
  uint64_t Queue(Expect kind, const std::vector<std::string_view>& args);
  std::vector<std::string> confirmed_;
  int sub_auth_pending_ = 0;
  uint64_t next_connect_ms_ = 0;
  bool reconnect_scheduled_ = false;
  uint32_t backoff_ms_ = 0;
  std::string last_error_;
  // Redis channel -> confirmed since the last connect.
  std::unordered_map<std::string, bool> subs_;
  std::vector<std::string> messages_;
  BridgeStats stats_;
};

}  // namespace ringcast::cluster
