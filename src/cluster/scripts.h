// Scripts: the Lua that makes cluster-wide presence transitions atomic in Redis
// (docs/cluster.md, "Presence" and "Node failure"), and the names of the keys they use. Every
// script runs as one EVAL on the command connection, so each transition (a user's first
// connection anywhere, its last one, a dead node's members) is seen by exactly one node, which
// sends the webhook; the member event is published by the script itself, atomically with the
// change, so member lists and member events stay in one order.
//
// Keys (P: the prefix, A: P + app id + ":", C: the channel):
//   A pc:C          hash  user id -> connections over all nodes
//   A pm:C          hash  user id -> user info (JSON text, "" for none)
//   P node:<nk>:p   hash  PresenceField(app, C, user) -> this node's connections
//   P nodes         zset  node key -> its last heartbeat (ms of Redis TIME)
// Thread rules: pure data and functions.
#pragma once

#include <string>
#include <string_view>

namespace ringcast::cluster {

// KEYS: pc, pm, node index. ARGV: user, info, field, pub/sub channel, member_added envelope,
// max members (0: none), publish command. Returns {n, {user, info, ...}}: n the user's
// connections after this one (1: a new member, member_added published), -1 when the channel is
// full (nothing changed).
extern const char* const kPresenceJoinScript;
// KEYS: pc, pm, node index. ARGV: user, field, pub/sub channel, member_removed envelope, publish
// command. Returns 1 when that was the user's last connection anywhere (member_removed
// published), else 0.
extern const char* const kPresenceLeaveScript;
// KEYS: P nodes. ARGV: node key, node timeout ms, prefix, publish command. Records this node's
// heartbeat, then removes the presence of up to 8 nodes silent for longer than the timeout
// (member_removed published for each user gone from a channel). Returns {app, channel, user, ...}
// of those removals (the caller sends their webhooks).
extern const char* const kHeartbeatScript;

// A field of a node's presence index: u16 LE length + app, u16 LE length + channel, user.
std::string PresenceField(std::string_view app, std::string_view channel, std::string_view user);

}  // namespace ringcast::cluster
