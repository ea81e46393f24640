// HookCall: one call of Dialogue's backend hooks (docs/protocols/dialogue.md, "Hooks"), as a
// shard and the control plane trade it. The shard builds the signed request's JSON body (it
// knows the socket: id, user, claims, room) and sends it (ToControl::kHookCall); the control
// plane's webhooks::HookClient POSTs it to the hooks URL over a keep-alive connection, never on
// a shard. A call the socket waits for (authenticate, beforeJoin, a trigger) comes back with
// the decision (ToShard::kHookAnswer) and is freed there; a notification (afterEach, lifecycle)
// is freed by the control plane once sent (or dropped, counted, when the queue is full).
// A trigger (kTrigger) carries its publication: the control plane asks beforeEach when it is
// on, publishes (the hook's data when it transformed it), notifies afterEach when it is on, and
// then answers the socket. kApp carries a Socket.IO application's calls the same way.
#pragma once

#include <cstdint>
#include <string>

namespace ringcast::engine {

struct HookCall {
  enum class Kind : uint8_t {
    kAuthenticate,  // answer: allowed, user_id, claims
    kBeforeJoin,    // answer: allowed
    kTrigger,       // a client trigger: beforeEach (when on), publish, afterEach (when on)
    kNotify,        // lifecycle or afterEach: nobody waits
    // A call of a Socket.IO application's socket (protocols/socketio/sio_app.h, e.g. MoChat) to
    // its control-plane side: `hook` names the operation, the fields carry what it needs, and
    // the answer comes back as the others do (has_tag: the socket waits for it).
    kApp,
  };
  Kind kind = Kind::kNotify;
  uint32_t app = 0;
  uint32_t shard = 0;   // the asking shard
  uint64_t serial = 0;  // the asking socket
  std::string hook;     // the hook's name ("authenticate", "beforeJoin", "connected", ...)
  std::string body;     // the JSON body, without time_ms (added when sent)
  uint64_t tag = 0;     // the asker's ack id, returned as given
  bool has_tag = false;
  // kBeforeJoin: the room; kTrigger: the publication (room, event, JSON data, sender).
  std::string room;
  std::string event;
  std::string data;
  std::string user_id;
  std::string meta;          // kTrigger: the event's meta (a JSON object's text, or empty)
  bool before_each = false;  // kTrigger: ask beforeEach first
  // out (answers):
  bool allowed = false;
  bool failed = false;         // the hook did not answer usably (timeout, status, bad JSON)
  std::string message;         // why it was refused, or how it failed
  std::string answer_user_id;  // authenticate: the user id it returned ("": keep the default)
  std::string claims;          // authenticate: its claims (JSON object text), "" when none
  std::string code;            // kTrigger: a Dialogue error code when not published
};

}  // namespace ringcast::engine
