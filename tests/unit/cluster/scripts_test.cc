// The cluster's Lua scripts (cluster/scripts.h) run by a real redis-server (a child on a free
// port), driven with hiredis' blocking client: presence joins and leaves (one member per user
// over all nodes, the channel limit, member events published with the change), the reaper
// (a dead node's members and channels, a user still on another node kept), occupancy with the
// delayed vacate and its cancellation, the numbered history and its resume answers (gaps), the
// cache, the resync after a reconnect, and the watchlist scripts (a user online while signed in
// on any node; flips numbered and published once; the reaper and the resync).
#include "cluster/scripts.h"

#include <hiredis/hiredis.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cluster/envelope.h"
#include "cluster/store_ops.h"
#include "redis_child.h"

namespace ringcast::cluster {
namespace {

// A reply, flattened: strings and integers as text, arrays as elements.
struct Reply {
  int type = 0;
  std::string str;
  long long integer = 0;
  std::vector<Reply> elements;
};

Reply Convert(const redisReply* r) {
  Reply out;
  out.type = r->type;
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
      r->type == REDIS_REPLY_ERROR) {
    out.str.assign(r->str, r->len);
  }
  if (r->type == REDIS_REPLY_INTEGER) out.integer = r->integer;
  if (r->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
  }
  return out;
}

class ScriptsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = FreePort();
    redis_ = std::make_unique<RedisServer>(port_);
    ASSERT_TRUE(redis_->WaitUp()) << "redis-server did not start (tools/dev installs it)";
    cmd_ = redisConnect("127.0.0.1", port_);
    sub_ = redisConnect("127.0.0.1", port_);
    ASSERT_TRUE(cmd_ != nullptr && cmd_->err == 0);
    ASSERT_TRUE(sub_ != nullptr && sub_->err == 0);
  }
  void TearDown() override {
    if (cmd_ != nullptr) redisFree(cmd_);
    if (sub_ != nullptr) redisFree(sub_);
  }
  Reply Run(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(cmd_, static_cast<int>(args.size()), argv.data(), lens.data()));
    EXPECT_NE(r, nullptr);
    if (r == nullptr) return {};
    Reply out = Convert(r);
    freeReplyObject(r);
    EXPECT_NE(out.type, REDIS_REPLY_ERROR) << out.str;
    return out;
  }
  void Subscribe(const std::string& channel) {
    auto* r = static_cast<redisReply*>(
        redisCommand(sub_, "SUBSCRIBE %b", channel.data(), channel.size()));
    ASSERT_NE(r, nullptr);
    freeReplyObject(r);
  }
  // The next message on the subscription, decoded.
  bool NextMessage(EnvelopeView* e) {
    void* raw = nullptr;
    if (redisGetReply(sub_, &raw) != REDIS_OK || raw == nullptr) return false;
    Reply r = Convert(static_cast<redisReply*>(raw));
    freeReplyObject(raw);
    if (r.elements.size() != 3) return false;
    last_message_ = r.elements[2].str;
    return DecodeEnvelope(last_message_, 1 << 20, e);
  }
  std::string Join(const std::string& node, const std::string& user, const std::string& info,
                   int max, long long* n) {
    EnvelopeView e;
    e.origin = node;
    e.app = "app";
    e.channel = "presence-room";
    e.event = "pusher_internal:member_added";
    const std::string data = "{\"user_id\":\"" + user + "\"}";
    e.data = data;
    std::string env;
    EncodeEnvelope(e, &env);
    Reply r =
        Run({"EVAL", kPresenceJoinScript, "3", "t:app:pc:presence-room", "t:app:pm:presence-room",
             "t:node:" + node + ":p", user, info, PresenceField("app", "presence-room", user),
             "t:app:c:presence-room", env, std::to_string(max), "PUBLISH"});
    *n = r.elements.at(0).integer;
    std::string users;
    for (size_t i = 0; i < r.elements.at(1).elements.size(); i += 2) {
      users += r.elements[1].elements[i].str + ",";
    }
    return users;
  }
  long long Leave(const std::string& node, const std::string& user) {
    EnvelopeView e;
    e.origin = node;
    e.app = "app";
    e.channel = "presence-room";
    e.event = "pusher_internal:member_removed";
    std::string env;
    EncodeEnvelope(e, &env);
    return Run({"EVAL", kPresenceLeaveScript, "3", "t:app:pc:presence-room",
                "t:app:pm:presence-room", "t:node:" + node + ":p", user,
                PresenceField("app", "presence-room", user), "t:app:c:presence-room", env,
                "PUBLISH"})
        .integer;
  }
  Reply Heartbeat(const std::string& node, int timeout_ms, int delay_ms = 3000) {
    return Run({"EVAL", kHeartbeatScript, "2", "t:nodes", "t:due", node, std::to_string(timeout_ms),
                "t:", "PUBLISH", std::to_string(delay_ms)});
  }

  uint16_t port_ = 0;
  std::unique_ptr<RedisServer> redis_;
  redisContext* cmd_ = nullptr;
  redisContext* sub_ = nullptr;
  std::string last_message_;
};

TEST_F(ScriptsTest, PresenceIsOneMemberPerUserOverAllNodesWithEventsOnTheTransitions) {
  Subscribe("t:app:c:presence-room");
  long long n = 0;
  EXPECT_EQ(Join("n1", "u1", "{\"a\":1}", 0, &n), "u1,");
  EXPECT_EQ(n, 1);
  EnvelopeView e;
  ASSERT_TRUE(NextMessage(&e));
  EXPECT_EQ(e.event, "pusher_internal:member_added");
  // The same user on another node: no event, one member.
  EXPECT_EQ(Join("n2", "u1", "{\"a\":1}", 0, &n), "u1,");
  EXPECT_EQ(n, 2);
  EXPECT_EQ(Join("n2", "u2", "", 2, &n), "u1,u2,");  // HGETALL order: small hashes keep it
  ASSERT_TRUE(NextMessage(&e));
  EXPECT_EQ(e.data, "{\"user_id\":\"u2\"}");
  // Full at 2 users: a third is refused and nothing changes; a known user still joins.
  Join("n1", "u3", "", 2, &n);
  EXPECT_EQ(n, -1);
  EXPECT_EQ(Run({"HLEN", "t:app:pm:presence-room"}).integer, 2);
  Join("n1", "u2", "", 2, &n);
  EXPECT_EQ(n, 2);
  // Leaves: only the user's last connection anywhere removes it.
  EXPECT_EQ(Leave("n1", "u1"), 0);
  EXPECT_EQ(Leave("n2", "u1"), 1);
  ASSERT_TRUE(NextMessage(&e));
  EXPECT_EQ(e.event, "pusher_internal:member_removed");
  EXPECT_EQ(Run({"HEXISTS", "t:app:pm:presence-room", "u1"}).integer, 0);
  EXPECT_EQ(Run({"HEXISTS", "t:node:n1:p", PresenceField("app", "presence-room", "u1")}).integer,
            0);
}

TEST_F(ScriptsTest, TheReaperRemovesADeadNodesMembersAndChannelsOnce) {
  Subscribe("t:app:c:presence-room");
  long long n = 0;
  Join("dead", "gone", "", 0, &n);
  Join("dead", "both", "", 0, &n);
  Join("dead", "both", "", 0, &n);  // two tabs on the dead node
  Join("live", "both", "", 0, &n);
  EnvelopeView e;
  ASSERT_TRUE(NextMessage(&e));
  ASSERT_TRUE(NextMessage(&e));
  // The dead node occupied a channel alone, and one with the live node.
  for (const char* node : {"dead", "live"}) {
    for (const char* ch : {"alone", "shared"}) {
      if (std::string(node) == "live" && std::string(ch) == "alone") continue;
      Run({"EVAL", kOccupyScript, "4", std::string("t:app:n:") + ch, "t:app:chans",
           std::string("t:node:") + node + ":o", "t:due", node, ch, ChannelField("app", ch), "1"});
    }
  }
  Run({"ZADD", "t:nodes", "0", "dead"});  // silent since the epoch
  Reply r = Heartbeat("live", 1000, 0);
  ASSERT_EQ(r.elements.size(), 2u);
  ASSERT_EQ(r.elements[0].elements.size(), 3u);  // only "gone": "both" is still on live
  EXPECT_EQ(r.elements[0].elements[2].str, "gone");
  ASSERT_TRUE(NextMessage(&e));  // member_removed, built by the script, decodes
  EXPECT_EQ(e.event, "pusher_internal:member_removed");
  EXPECT_EQ(e.data, "{\"user_id\":\"gone\"}");
  EXPECT_EQ(e.origin, "live");
  EXPECT_EQ(e.seq, 0u);
  EXPECT_EQ(Run({"HGET", "t:app:pc:presence-room", "both"}).str, "1");
  EXPECT_EQ(Run({"EXISTS", "t:node:dead:p"}).integer, 0);
  EXPECT_EQ(Run({"ZSCORE", "t:nodes", "dead"}).type, REDIS_REPLY_NIL);
  // Its channels: "alone" vacated everywhere (due at once with delay 0), "shared" kept.
  std::vector<std::string> vacated;
  for (const Reply& f : r.elements[1].elements) vacated.push_back(f.str);
  if (vacated.empty()) {  // due in this same millisecond: the next heartbeat hands it out
    r = Heartbeat("live", 1000, 0);
    for (const Reply& f : r.elements[1].elements) vacated.push_back(f.str);
  }
  EXPECT_EQ(vacated, std::vector<std::string>{ChannelField("app", "alone")});
  EXPECT_EQ(Run({"ZSCORE", "t:app:chans", "shared"}).str, "0");
  EXPECT_EQ(Run({"ZSCORE", "t:app:chans", "alone"}).type, REDIS_REPLY_NIL);
  // Once: the next heartbeat finds nothing.
  r = Heartbeat("live", 1000, 0);
  EXPECT_TRUE(r.elements[0].elements.empty());
  EXPECT_TRUE(r.elements[1].elements.empty());
}

TEST_F(ScriptsTest, OccupancyOnceClusterWideAndAComebackCancelsTheDelayedVacate) {
  auto occupy = [&](const std::string& node) {
    return Run({"EVAL", kOccupyScript, "4", "t:app:n:room", "t:app:chans", "t:node:" + node + ":o",
                "t:due", node, "room", ChannelField("app", "room"), "1"})
        .integer;
  };
  auto vacate = [&](const std::string& node, int delay) {
    Run({"EVAL", kVacateScript, "4", "t:app:n:room", "t:app:chans", "t:node:" + node + ":o",
         "t:due", node, "room", ChannelField("app", "room"), "1", std::to_string(delay)});
  };
  EXPECT_EQ(occupy("n1"), 1);
  EXPECT_EQ(occupy("n2"), 0);
  EXPECT_EQ(occupy("n2"), 0);  // repeated: no transition
  vacate("n1", 60000);
  EXPECT_EQ(Run({"ZCARD", "t:due"}).integer, 0);  // n2 still has it
  vacate("n2", 60000);
  EXPECT_EQ(Run({"ZCARD", "t:due"}).integer, 1);
  // Back within the delay on another node: neither webhook.
  EXPECT_EQ(occupy("n3"), 0);
  EXPECT_EQ(Run({"ZCARD", "t:due"}).integer, 0);
  vacate("n3", 0);
  Reply r = Heartbeat("n3", 15000, 0);
  if (r.elements[1].elements.empty()) r = Heartbeat("n3", 15000, 0);
  ASSERT_EQ(r.elements[1].elements.size(), 1u);
  std::string_view app;
  std::string_view channel;
  ASSERT_TRUE(SplitChannelField(r.elements[1].elements[0].str, &app, &channel));
  EXPECT_EQ(app, "app");
  EXPECT_EQ(channel, "room");
  EXPECT_EQ(Run({"ZCARD", "t:due"}).integer, 0);
}

TEST_F(ScriptsTest, NumberedHistoryAndItsResumeAnswers) {
  Subscribe("t:app:c:feed");
  auto publish = [&](const std::string& data) {
    EnvelopeView e;
    e.origin = "n1";
    e.app = "app";
    e.channel = "feed";
    e.event = "ev";
    e.data = data;
    std::string env;
    EncodeEnvelope(e, &env);
    return Run({"EVAL", kPublishNumberedScript, "2", "t:app:h:feed", "t:app:hs:feed", "PUBLISH",
                "t:app:c:feed", env, "2", "60000"})
        .integer;
  };
  EXPECT_EQ(publish("a"), 1);
  EXPECT_EQ(publish("b"), 2);
  EXPECT_EQ(publish("c"), 3);
  EnvelopeView e;
  ASSERT_TRUE(NextMessage(&e));
  const uint64_t epoch = e.epoch;
  EXPECT_GT(epoch, 1000000000000000u);  // Redis TIME in microseconds
  EXPECT_EQ(e.seq, 1u);
  auto resume = [&](uint64_t ep, uint64_t seq) {
    return Run({"EVAL", kHistoryScript, "2", "t:app:h:feed", "t:app:hs:feed", "1",
                std::to_string(ep), std::to_string(seq), "60000"});
  };
  auto datas = [&](const Reply& r) {
    std::string out;
    for (const Reply& env : r.elements[3].elements) {
      EnvelopeView v;
      EXPECT_TRUE(DecodeEnvelope(env.str, 1 << 20, &v));
      out += std::string(v.data) + std::to_string(v.seq);
    }
    return out;
  };
  Reply r = resume(epoch, 1);  // kept: 2 and 3 (size 2)
  EXPECT_EQ(r.elements[0].str, std::to_string(epoch));
  EXPECT_EQ(r.elements[1].integer, 3);
  EXPECT_EQ(r.elements[2].integer, 0);
  EXPECT_EQ(datas(r), "b2c3");
  r = resume(epoch, 0);  // 1 was trimmed: a gap, and what is kept
  EXPECT_EQ(r.elements[2].integer, 1);
  EXPECT_EQ(datas(r), "b2c3");
  r = resume(epoch, 3);  // up to date
  EXPECT_EQ(r.elements[2].integer, 0);
  EXPECT_EQ(datas(r), "");
  r = resume(epoch + 1, 1);  // another epoch: unknown, a gap
  EXPECT_EQ(r.elements[2].integer, 1);
  r = resume(epoch, 9);  // past the head: a gap
  EXPECT_EQ(r.elements[2].integer, 1);
  // Without a position: the head alone; a channel never published gets a log at 0.
  r = Run({"EVAL", kHistoryScript, "2", "t:app:h:new", "t:app:hs:new", "0", "0", "0", "60000"});
  EXPECT_EQ(r.elements[1].integer, 0);
  EXPECT_FALSE(r.elements[0].str.empty());
}

TEST_F(ScriptsTest, CacheStoreGetAndOneMissPerTtl) {
  auto get = [&] {
    return Run({"EVAL", kCacheGetScript, "2", "t:app:cache:c", "t:app:cmiss:c", "60000", "1"});
  };
  Reply r = get();
  EXPECT_EQ(r.elements[0].integer, 0);
  EXPECT_EQ(r.elements[1].integer, 1);  // this caller sends the cache_miss webhook
  r = get();
  EXPECT_EQ(r.elements[1].integer, 0);  // told already
  Run({"EVAL", kCacheStoreScript, "2", "t:app:cache:c", "t:app:cmiss:c", "ENV", "60000"});
  r = get();
  EXPECT_EQ(r.elements[0].integer, 1);
  EXPECT_EQ(r.elements[1].str, "ENV");
  EXPECT_EQ(Run({"EXISTS", "t:app:cmiss:c"}).integer, 0);
}

TEST_F(ScriptsTest, ResyncMakesRedisMatchTheNodeAndTellsWhatChanged) {
  long long n = 0;
  Join("n1", "stale", "", 0, &n);  // left while Redis could not be told
  Join("n1", "kept", "", 0, &n);
  Run({"EVAL", kOccupyScript, "4", "t:app:n:old", "t:app:chans", "t:node:n1:o", "t:due", "n1",
       "old", ChannelField("app", "old"), "1"});
  // The node's state now: "kept" (2 connections), "fresh" (joined meanwhile), channel "new".
  Reply r = Run({"EVAL", kResyncScript, "2", "t:nodes", "t:due", "n1", "t:", "PUBLISH", "0", "c",
                 ChannelField("app", "new"), "p", PresenceField("app", "presence-room", "kept"),
                 "2", "", "p", PresenceField("app", "presence-room", "fresh"), "1", "{\"n\":1}"});
  ASSERT_EQ(r.elements.size(), 2u);
  ASSERT_EQ(r.elements[0].elements.size(), 3u);
  EXPECT_EQ(r.elements[0].elements[2].str, "fresh");
  ASSERT_EQ(r.elements[1].elements.size(), 3u);
  EXPECT_EQ(r.elements[1].elements[2].str, "stale");
  EXPECT_EQ(Run({"HGET", "t:app:pc:presence-room", "kept"}).str, "2");
  EXPECT_EQ(Run({"HGET", "t:app:pm:presence-room", "fresh"}).str, "{\"n\":1}");
  EXPECT_EQ(Run({"HEXISTS", "t:app:pm:presence-room", "stale"}).integer, 0);
  EXPECT_EQ(Run({"SISMEMBER", "t:node:n1:o", ChannelField("app", "new")}).integer, 1);
  EXPECT_EQ(Run({"SISMEMBER", "t:node:n1:o", ChannelField("app", "old")}).integer, 0);
  EXPECT_EQ(Run({"ZSCORE", "t:app:chans", "old"}).type, REDIS_REPLY_NIL);
  EXPECT_EQ(Run({"ZSCORE", "t:app:chans", "new"}).str, "0");
  EXPECT_EQ(Run({"ZCARD", "t:due"}).integer, 1);  // "old" is due for channel_vacated
  // Run again with the same state: nothing changes.
  r = Run({"EVAL", kResyncScript, "2", "t:nodes", "t:due", "n1", "t:", "PUBLISH", "0", "c",
           ChannelField("app", "new"), "p", PresenceField("app", "presence-room", "kept"), "2", "",
           "p", PresenceField("app", "presence-room", "fresh"), "1", "{\"n\":1}"});
  EXPECT_TRUE(r.elements[0].elements.empty());
  EXPECT_TRUE(r.elements[1].elements.empty());
}

// Watchlists: a user's first node and last node are the flips, numbered and published on P rpc
// (kind 5: channel the user, data "1"/"0", seq the version); the query answers the state and
// the version; the reaper takes a dead node's users offline; the resync makes a node's users
// match.
TEST_F(ScriptsTest, WatchFlipsOncePerUserOverAllNodes) {
  Subscribe("t:rpc");
  auto watch = [&](const std::string& node, const std::string& user, bool up) {
    Run({"EVAL", kWatchScript, "0", "t:", "PUBLISH", node, ChannelField("app", user), "app", user,
         up ? "1" : "0"});
  };
  auto query = [&](std::vector<std::string> users) {
    std::vector<std::string> args = {"EVAL", kWatchQueryScript, "0", "t:", "app"};
    args.insert(args.end(), users.begin(), users.end());
    return Run(args);
  };
  EnvelopeView e;
  watch("n1", "ann", true);
  ASSERT_TRUE(NextMessage(&e));
  EXPECT_EQ(e.kind, kEnvelopeWatchFlip);
  EXPECT_EQ(e.app, "app");
  EXPECT_EQ(e.channel, "ann");
  EXPECT_EQ(e.data, "1");
  const uint64_t v1 = e.seq;  // from Redis TIME in us: newer than any version before a data loss
  EXPECT_GT(v1, uint64_t{1'600'000'000'000'000});
  watch("n1", "ann", true);  // again from the same node: nothing
  watch("n2", "ann", true);  // a second node: nothing
  watch("n1", "ann", false);
  watch("n2", "bob", true);
  ASSERT_TRUE(NextMessage(&e));
  EXPECT_EQ(e.channel, "bob");  // ann's changes above published nothing
  EXPECT_EQ(e.seq, v1 + 1);
  Reply q = query({"ann", "bob", "nobody"});
  ASSERT_EQ(q.elements.size(), 2u);
  EXPECT_EQ(q.elements[0].integer, static_cast<long long>(v1 + 1));
  ASSERT_EQ(q.elements[1].elements.size(), 3u);
  EXPECT_EQ(q.elements[1].elements[0].integer, 1);
  EXPECT_EQ(q.elements[1].elements[1].integer, 1);
  EXPECT_EQ(q.elements[1].elements[2].integer, 0);
  // n2 dies (silent past the timeout): ann and bob go offline, each once.
  Heartbeat("n2", 1000);
  Run({"ZADD", "t:nodes", "1", "n2"});  // its last beat, long ago
  Heartbeat("n1", 1000);
  std::vector<std::string> offline;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(NextMessage(&e));
    EXPECT_EQ(e.data, "0");
    offline.emplace_back(e.channel);
  }
  std::sort(offline.begin(), offline.end());
  EXPECT_EQ(offline, (std::vector<std::string>{"ann", "bob"}));
  EXPECT_EQ(Run({"EXISTS", "t:node:n2:w"}).integer, 0);
  EXPECT_EQ(query({"ann"}).elements[1].elements[0].integer, 0);
  // n1's resync: carl signed in meanwhile, nobody else: carl online.
  Run({"EVAL", kResyncScript, "2", "t:nodes", "t:due", "n1", "t:", "PUBLISH", "0", "w",
       ChannelField("app", "carl")});
  ASSERT_TRUE(NextMessage(&e));
  EXPECT_EQ(e.channel, "carl");
  EXPECT_EQ(e.data, "1");
  // Its goodbye (an empty state): carl offline.
  Run({"EVAL", kResyncScript, "2", "t:nodes", "t:due", "n1", "t:", "PUBLISH", "0"});
  ASSERT_TRUE(NextMessage(&e));
  EXPECT_EQ(e.channel, "carl");
  EXPECT_EQ(e.data, "0");
  EXPECT_EQ(e.seq, v1 + 5);
  EXPECT_EQ(Run({"HLEN", "t:app:on"}).integer, 0);
  // Redis loses everything: the next version is still newer.
  Run({"FLUSHALL"});
  EXPECT_GT(query({"ann"}).elements[0].integer, static_cast<long long>(v1 + 5));
}

}  // namespace

// The Datonow store's scripts: seeding an empty hash, commits at a version (a stale one is
// refused and changes nothing), the batches a replica behind gets (cut at the budget), reload
// when they are gone or the epoch changed, the scan, and a commit told to every node.
TEST_F(ScriptsTest, StoreSyncCommitScanAndSeed) {
  const std::vector<std::string> keys = {"4", "t:dn", "t:dn:v", "t:dn:e", "t:dn:log"};
  auto run = [&](const std::string& script, std::vector<std::string> args) {
    std::vector<std::string> all = {"EVAL", script};
    all.insert(all.end(), keys.begin(), keys.end());
    all.insert(all.end(), args.begin(), args.end());
    return Run(all);
  };
  auto commit = [&](const std::string& epoch, long long base, const std::vector<StoreOp>& ops,
                    const std::string& cap = "3", std::vector<std::string> extra = {},
                    const std::string& node = "n1", const std::string& refusals = "0") {
    std::vector<std::string> args = {epoch,
                                     std::to_string(base),
                                     EncodeStoreOps(ops),
                                     cap,
                                     "PUBLISH",
                                     "t:rpc",
                                     node,
                                     std::to_string(ops.size()),
                                     refusals};
    for (const StoreOp& op : ops) args.insert(args.end(), {op.put ? "p" : "d", op.key, op.value});
    args.insert(args.end(), extra.begin(), extra.end());
    return run(kStoreCommitScript, args);
  };
  auto sync = [&](const std::string& epoch, long long mine, long long budget = 1 << 20) {
    return run(kStoreSyncScript, {epoch, std::to_string(mine), std::to_string(budget)});
  };
  Subscribe("t:rpc");
  Reply r = sync("", 0);
  EXPECT_EQ(r.elements.at(2).str, "empty");
  // A commit before anyone seeded: refused (no epoch).
  EXPECT_EQ(commit("", 0, {{true, "k1", "v"}}).elements.at(0).integer, 0);
  EXPECT_EQ(Run({"HLEN", "t:dn"}).integer, 0);
  r = run(kStoreSeedScript, {"E1", "ka", "1", "kb", "2"});
  ASSERT_EQ(r.elements.at(0).integer, 1);
  const long long v0 = r.elements.at(1).integer;
  EXPECT_EQ(r.elements.at(2).str, "E1");
  EXPECT_EQ(run(kStoreSeedScript, {"E2", "kc", "3"}).elements.at(0).integer, 0);  // not empty
  EXPECT_EQ(sync("E1", v0).elements.at(2).str, "ok");
  // Two nodes at v0: the first commit wins, the second is refused and changes nothing.
  r = commit("E1", v0, {{true, "ka", "10"}, {false, "kb", ""}});
  ASSERT_EQ(r.elements.at(0).integer, 1);
  EXPECT_EQ(r.elements.at(1).integer, v0 + 1);
  EnvelopeView e;
  ASSERT_TRUE(NextMessage(&e));
  EXPECT_EQ(e.kind, kEnvelopeStoreCommit);
  EXPECT_EQ(e.origin, "n1");
  EXPECT_EQ(e.seq, static_cast<uint64_t>(v0 + 1));
  // A refused commit publishes nothing it carries; an accepted one publishes it after its own
  // announcement.
  r = commit("E1", v0, {{true, "ka", "20"}}, "3", {"t:rpc", "refused"});
  EXPECT_EQ(r.elements.at(0).integer, 0);
  // The refusal carries the sync's answer for the committer's version: the batch it missed.
  ASSERT_EQ(r.elements.at(1).elements.size(), 5u);
  EXPECT_EQ(r.elements[1].elements[0].integer, v0 + 1);
  EXPECT_EQ(r.elements[1].elements[2].str, "ok");
  std::vector<StoreOp> missed;
  ASSERT_TRUE(DecodeStoreOps(r.elements[1].elements[4].str, &missed));
  ASSERT_EQ(missed.size(), 2u);
  EXPECT_EQ(missed[0].value, "10");
  EXPECT_EQ(Run({"HGET", "t:dn", "ka"}).str, "10");
  EXPECT_EQ(Run({"HEXISTS", "t:dn", "kb"}).integer, 0);
  r = commit("E0", v0 + 1, {{true, "ka", "20"}});  // another epoch: refused, reload
  EXPECT_EQ(r.elements.at(0).integer, 0);
  EXPECT_EQ(r.elements.at(1).elements.at(2).str, "reload");
  // A replica at v0 gets the batch; with a small budget, one batch at a time ("more").
  ASSERT_EQ(commit("E1", v0 + 1, {{true, "kc", std::string(100, 'x')}}, "3", {"t:rpc", "event"})
                .elements.at(0)
                .integer,
            1);
  ASSERT_TRUE(NextMessage(&e)) << last_message_;
  EXPECT_EQ(e.seq, static_cast<uint64_t>(v0 + 2));
  EXPECT_FALSE(NextMessage(&e));  // the carried message, not an envelope
  EXPECT_EQ(last_message_, "event");
  r = sync("E1", v0);
  ASSERT_EQ(r.elements.size(), 6u);
  EXPECT_EQ(r.elements[0].integer, v0 + 2);
  EXPECT_EQ(r.elements[2].str, "ok");
  std::vector<StoreOp> ops;
  ASSERT_TRUE(DecodeStoreOps(r.elements[4].str, &ops));
  ASSERT_TRUE(DecodeStoreOps(r.elements[5].str, &ops));
  ASSERT_EQ(ops.size(), 3u);
  EXPECT_TRUE(ops[0].put && ops[0].key == "ka" && ops[0].value == "10");
  EXPECT_TRUE(!ops[1].put && ops[1].key == "kb");
  EXPECT_EQ(ops[2].value, std::string(100, 'x'));
  r = sync("E1", v0, 10);
  ASSERT_EQ(r.elements.size(), 5u);
  EXPECT_EQ(r.elements[0].integer, v0 + 1);
  EXPECT_EQ(r.elements[2].str, "more");
  // The log keeps `cap` batches: a replica further behind reloads; so does another epoch.
  for (long long v = v0 + 2; v < v0 + 5; ++v) {
    ASSERT_EQ(commit("E1", v, {{true, "kd", std::to_string(v)}}).elements.at(0).integer, 1);
  }
  EXPECT_EQ(Run({"LLEN", "t:dn:log"}).integer, 3);
  EXPECT_EQ(sync("E1", v0 + 1).elements.at(2).str, "reload");
  EXPECT_EQ(sync("E1", v0 + 2).elements.at(2).str, "ok");
  r = sync("E0", v0 + 5);
  EXPECT_EQ(r.elements.at(2).str, "reload");
  EXPECT_EQ(r.elements.at(3).integer, 3);  // the hash's size
  // The scan: every pair, with the version and epoch.
  std::map<std::string, std::string> all;
  std::string cursor = "0";
  do {
    r = run(kStoreScanScript, {cursor, "1"});
    EXPECT_EQ(r.elements.at(0).integer, v0 + 5);
    EXPECT_EQ(r.elements.at(1).str, "E1");
    cursor = r.elements.at(2).str;
    for (size_t i = 0; i + 1 < r.elements.at(3).elements.size(); i += 2) {
      all[r.elements[3].elements[i].str] = r.elements[3].elements[i + 1].str;
    }
  } while (cursor != "0");
  EXPECT_EQ(all, (std::map<std::string, std::string>{
                     {"ka", "10"}, {"kc", std::string(100, 'x')}, {"kd", std::to_string(v0 + 4)}}));
  // Fairness: a node refused 3 times takes the turn; another node's commit is refused then,
  // even at the right version, until the holder commits.
  const long long v5 = v0 + 5;
  EXPECT_EQ(commit("E1", v5 - 1, {{true, "ke", "1"}}, "3", {}, "n2", "3").elements.at(0).integer,
            0);
  EXPECT_EQ(Run({"GET", "t:dn:log:t"}).str, "n2");
  EXPECT_EQ(commit("E1", v5, {{true, "ke", "2"}}, "3", {}, "n1", "0").elements.at(0).integer, 0);
  EXPECT_EQ(commit("E1", v5, {{true, "ke", "3"}}, "3", {}, "n2", "4").elements.at(0).integer, 1);
  EXPECT_EQ(Run({"EXISTS", "t:dn:log:t"}).integer, 0);
  EXPECT_EQ(Run({"HGET", "t:dn", "ke"}).str, "3");
  EXPECT_EQ(commit("E1", v5 + 1, {{false, "ke", ""}}, "3", {}, "n1", "0").elements.at(0).integer,
            1);
}

}  // namespace ringcast::cluster
