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
//   A n:C           hash  node key -> 1 while that node has members of C
//   A chans         zset  occupied channel names (scores 0)
//   P node:<nk>:o   set   ChannelField(app, C) of the channels this node occupies
//   P due           zset  ChannelField(app, C) -> when its channel_vacated is due (channels
//                         vacated everywhere; a comeback before then removes the entry, and
//                         neither webhook is sent)
//   A on            hash  user id -> the nodes it is signed in on (watchlists)
//   P node:<nk>:w   set   ChannelField(app, user) of the users signed in on this node
//   P wv            string  the last watch flip's version (flips go to P rpc, envelope kind 5;
//                           made from Redis TIME in microseconds when missing)
//   P dn, P dn:v, P dn:e, P dn:log  the Datonow store (below)
// Thread rules: pure data and functions.
#pragma once

#include <string>
#include <string_view>

namespace ringcast::cluster {

// KEYS: pc, pm, node index. ARGV: user, info, field, pub/sub channel, member_added envelope,
// max members (0: none), publish command. Returns {n, {user, info, ...}}: n the user's
// connections after this one (1: a new member, member_added published), -1 when the channel is
// full (nothing changed).
extern const std::string kPresenceJoinScript;
// KEYS: pc, pm, node index. ARGV: user, field, pub/sub channel, member_removed envelope, publish
// command. Returns 1 when that was the user's last connection anywhere (member_removed
// published), else 0.
extern const std::string kPresenceLeaveScript;
// KEYS: P nodes, P due. ARGV: node key, node timeout ms, prefix, publish command, vacate delay
// ms. Records this node's heartbeat, then removes up to 8 nodes silent for longer than the
// timeout: their presence (member_removed published for each user gone from a channel), their
// signed-in users (watch flips published for users then offline everywhere) and their channels (a
// channel left empty everywhere becomes due for channel_vacated). Then takes up to 256 due vacates.
// Returns {{app, channel, user, ...} removed members, {ChannelField, ...} vacated channels}: the
// caller sends their webhooks.
extern const std::string kHeartbeatScript;

// KEYS: n:C, chans, node channel index, due. ARGV: node key, channel, ChannelField, hooks
// ("1": the app has webhook targets). Returns 1 when the channel became occupied cluster-wide
// (send channel_occupied), 0 otherwise (another node has it, or a comeback within the delay).
extern const std::string kOccupyScript;
// KEYS: n:C, chans, node channel index, due. ARGV: node key, channel, ChannelField, hooks,
// delay ms. When the channel is then empty everywhere, its channel_vacated becomes due after
// the delay (the heartbeat script hands it out). Returns 0.
extern const std::string kVacateScript;

// After a (re)connect. KEYS: P nodes, P due. ARGV: node key, prefix, publish command, vacate
// delay ms, then this node's state: "c" ChannelField for each occupied channel, "p"
// PresenceField, connections, user info for each presence member, and "w" ChannelField(app,
// user) for each user signed in (watchlists: flips published for the differences). Makes the node's
// indexes, the channels' node hashes and the presence counts match that state: members new to a
// channel get member_added, members gone from it member_removed (published); channels left empty
// anywhere become due for channel_vacated; a channel newly occupied sends no webhook (it may
// have been occupied before Redis lost it). Returns {{app, channel, user, ...} added,
// {app, channel, user, ...} removed}.
extern const std::string kResyncScript;
// Watchlists. ARGV: prefix, publish command, node key, ChannelField(app, user), app, user, "1"
// (the user's first connection on this node) or "0" (its last). A flip of the user's state
// cluster-wide (its first node, its last) is numbered and published to every node. Returns 0.
extern const std::string kWatchScript;
// ARGV: prefix, app, user ids (at most a few thousand). Returns {version, {1/0 online, ...}}:
// the state of each user cluster-wide as of flip `version`.
extern const std::string kWatchQueryScript;

// The REST channel queries. ARGV: "list" / "one" / "users", the app's key base (P app ":"), the
// prefix (list) or channel. list: {name, user count (presence channels, else 0), ...} of the
// occupied channels starting with the prefix; one: {occupied 0/1, user count}; users: the
// presence channel's user ids.
extern const std::string kQueryScript;

// History (docs/cluster.md "History"): A h:C hash {e: epoch, s: last seq}, A hs:C stream of
// envelopes (id "<seq>-0", field "e"), both expiring ttl after the last publish. An epoch is the
// Redis TIME in microseconds when the log was (re)created.
// KEYS: h:C, hs:C. ARGV: publish command, pub/sub channel, envelope (its last 16 bytes are
// overwritten with the epoch and seq), size, ttl ms. Numbers the publication, keeps it (the
// stream trimmed to `size`), publishes it. Returns the seq.
extern const std::string kPublishNumberedScript;
// KEYS: h:C, hs:C. ARGV: resume ("1"/"0"), the client's epoch and seq, ttl ms. Creates the log
// when there is none. Returns {epoch (text), head seq, gap 0/1, {envelope, ...}}: the events
// after the client's position (everything kept, with gap 1, when its epoch is not the log's or
// its position is past the head; gap 1 too when events after it were trimmed or expired).
extern const std::string kHistoryScript;

// Cache channels: A cache:C holds the last event's envelope (expiring after cache_ttl_s), A
// cmiss:C marks a cache_miss webhook sent (until an event is cached or the ttl passes).
// KEYS: cache:C, cmiss:C. ARGV: envelope, ttl ms. Stores the event.
extern const std::string kCacheStoreScript;
// KEYS: cache:C, cmiss:C. ARGV: ttl ms, hooks ("1": the app has webhook targets). Returns
// {1, envelope} on a hit, {0, 1} on a miss whose cache_miss webhook this node sends, {0, 0} on
// a miss already told.
extern const std::string kCacheGetScript;

// The Datonow store (docs/cluster.md, "The Datonow store"). KEYS: P dn (hash: the replicated
// keys, docs/store.md's layout), P dn:v (the version: commits so far), P dn:e (the epoch: made
// by the node that seeded the keyspace; a new one means replicas reload), P dn:log (list: the
// last commits' StoreOps batches, cluster/store_ops.h, the newest last; at most `log cap` of
// them and 32 MiB, the byte count in P dn:log:b).
// ARGV: the replica's epoch and version, a byte budget. Returns {version, epoch, status, hash
// size, batch...}: "empty" (no epoch: seed it), "reload" (another epoch, or the batches after
// the replica's version are gone: scan it all), "ok" (the batches after the replica's version,
// and version = the replica's plus their count) or "more" (likewise, cut at the budget).
extern const std::string kStoreSyncScript;
// ARGV: epoch, base version, the StoreOps batch, log cap, publish command, the P rpc channel,
// node key, the number of ops, the refusals this batch met so far, per op "p"/"d", key, value
// ("" for a delete), then pairs of a pub/sub channel and an envelope. Fairness: a batch refused
// 3 times or more takes the turn (P dn:log:t = its node key, for 500 ms, when no other node
// holds it); while a node holds the turn every other node's commit is refused. Only when the epoch
// and version are still those: applied, logged, told to every node (envelope kind 6, seq the new
// version), and the envelopes published (with the change: a trigger's requestId record and its
// event), {1, new version}; else {0, {the sync script's answer for that epoch and version}},
// nothing changed and nothing published.
extern const std::string kStoreCommitScript;
// ARGV: HSCAN cursor, count. Returns {version, epoch, next cursor, {key, value, ...}}.
extern const std::string kStoreScanScript;
// ARGV: a new epoch, then key, value, ... Only into an empty hash: sets the pairs and the epoch,
// empties the log and bumps the version (every other replica reloads). Returns {1, version,
// epoch}, or {0} when the hash holds something (reload instead).
extern const std::string kStoreSeedScript;

// A channel's field in the node index and the due set: u16 LE length + app, channel.
std::string ChannelField(std::string_view app, std::string_view channel);
// Splits a ChannelField; false when it is not one.
bool SplitChannelField(std::string_view field, std::string_view* app, std::string_view* channel);

// A field of a node's presence index: u16 LE length + app, u16 LE length + channel, user.
std::string PresenceField(std::string_view app, std::string_view channel, std::string_view user);

}  // namespace ringcast::cluster
