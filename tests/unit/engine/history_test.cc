// engine::History: numbering with an epoch, per-channel size and TTL, prefix rules, the process
// byte budget, gaps, and the reference each kept event holds.
#include "engine/history.h"

#include <gtest/gtest.h>

#include "engine/publication.h"

namespace ringcast::engine {
namespace {

config::AppConfig App() {
  config::AppConfig a;
  a.id = "1";
  a.key = "k";
  a.secret = "s";
  a.history_size = 3;
  a.history_ttl_s = 10;
  a.history_rules = {{"none-", 0, 10}, {"big-", 50, 10}, {"big-x", 5, 10}};
  return a;
}

struct HistoryTest : ::testing::Test {
  AppRegistry apps{{App()}};
  History h{&apps, 1 << 20, 1000};

  void Publish(std::string_view channel, uint64_t now_ms) {
    History::Position p = h.Next(0, channel, now_ms);
    PublicationView pub;
    const std::string data = std::to_string(p.seq);  // outlives the view
    pub.channel = channel;
    pub.event = "e";
    pub.data = data;
    pub.sequence = p.seq;
    pub.epoch = p.epoch;
    h.Keep(0, channel, p.seq, BuildPublication(pub, 1), now_ms);
  }
  HistoryQuery::Channel Ask(std::string_view channel, bool resume, uint64_t epoch, uint64_t seq,
                            uint64_t now_ms) {
    HistoryQuery q;
    q.channels.resize(1);
    q.channels[0].name = std::string(channel);
    q.channels[0].resume = resume;
    q.channels[0].epoch = epoch;
    q.channels[0].seq = seq;
    h.Answer(&q, now_ms);
    HistoryQuery::Channel c = q.channels[0];
    std::vector<uint64_t> seqs;
    for (runtime::SharedBuf* b : c.events) seqs.push_back(ReadPublication(b).sequence);
    last_seqs = seqs;
    q.ReleaseEvents();
    return c;
  }
  std::vector<uint64_t> last_seqs;
};

TEST_F(HistoryTest, PolicyLongestPrefixWins) {
  EXPECT_EQ(h.PolicyFor(0, "a").size, 3u);
  EXPECT_EQ(h.PolicyFor(0, "none-1").size, 0u);
  EXPECT_EQ(h.PolicyFor(0, "big-1").size, 50u);
  EXPECT_EQ(h.PolicyFor(0, "big-xy").size, 5u);
}

TEST_F(HistoryTest, ResumeGivesWhatWasMissedAndGapsBeyondSize) {
  HistoryQuery::Channel head = Ask("c", false, 0, 0, 0);
  EXPECT_EQ(head.head_seq, 0u);
  uint64_t epoch = head.head_epoch;
  EXPECT_GE(epoch, 1000u);
  for (int i = 0; i < 5; ++i) Publish("c", 1);
  HistoryQuery::Channel c = Ask("c", true, epoch, 3, 2);
  EXPECT_FALSE(c.gap);
  EXPECT_EQ(last_seqs, (std::vector<uint64_t>{4, 5}));
  c = Ask("c", true, epoch, 1, 2);  // 2 was evicted (size 3 keeps 3..5)
  EXPECT_TRUE(c.gap);
  EXPECT_EQ(last_seqs, (std::vector<uint64_t>{3, 4, 5}));
  c = Ask("c", true, epoch + 7, 1, 2);  // another epoch
  EXPECT_TRUE(c.gap);
  c = Ask("c", true, epoch, 5, 2);
  EXPECT_FALSE(c.gap);
  EXPECT_TRUE(last_seqs.empty());
  EXPECT_EQ(h.stats().evicted_size, 2u);
  EXPECT_EQ(h.stats().events, 3u);
}

TEST_F(HistoryTest, TtlExpiresAndAnEmptyLogRestartsWithANewEpoch) {
  Publish("c", 0);
  uint64_t epoch = Ask("c", false, 0, 0, 0).head_epoch;
  HistoryQuery::Channel c = Ask("c", true, epoch, 0, 10000);  // expired at 10 s
  EXPECT_TRUE(c.gap);
  EXPECT_EQ(h.stats().evicted_ttl, 1u);
  h.Sweep(30000);  // empty and untouched for ttl: dropped
  EXPECT_EQ(h.stats().channels, 0u);
  Publish("c", 30001);
  c = Ask("c", false, 0, 0, 30001);
  EXPECT_GT(c.head_epoch, epoch);
  EXPECT_EQ(c.head_seq, 1u);
}

TEST_F(HistoryTest, ProcessBudgetEvictsOldestFirst) {
  History small{&apps, 600, 1};
  for (int i = 0; i < 20; ++i) {
    std::string ch = "ch" + std::to_string(i % 4);
    History::Position p = small.Next(0, ch, 0);
    PublicationView pub;
    const std::string data(50, 'x');  // outlives the view
    pub.channel = ch;
    pub.data = data;
    small.Keep(0, ch, p.seq, BuildPublication(pub, 1), 0);
    EXPECT_LE(small.stats().bytes, 600u);
  }
  EXPECT_GT(small.stats().evicted_budget, 0u);
}

TEST_F(HistoryTest, LogCountIsCappedByDroppingTheLeastRecentlyUsed) {
  History capped{&apps, 1 << 20, 1, /*max_logs=*/3};
  auto publish = [&](std::string_view ch) {
    History::Position p = capped.Next(0, ch, 0);
    PublicationView pub;
    pub.channel = ch;
    capped.Keep(0, ch, p.seq, BuildPublication(pub, 1), 0);
    return p;
  };
  History::Position a = publish("a");
  publish("b");
  publish("c");
  publish("a");  // "b" is now the least recently used
  EXPECT_EQ(capped.stats().channels, 3u);
  publish("d");  // drops "b" and its event
  EXPECT_EQ(capped.stats().channels, 3u);
  EXPECT_EQ(capped.stats().evicted_logs, 1u);
  EXPECT_EQ(capped.stats().events, 4u);  // a:2, c:1, d:1
  // "a" kept its epoch and numbering; "b" starts a new epoch (a resume there is a gap).
  EXPECT_EQ(publish("a").epoch, a.epoch);
  HistoryQuery q;
  q.channels.resize(1);
  q.channels[0].name = "b";
  q.channels[0].resume = true;
  q.channels[0].epoch = a.epoch + 1;
  q.channels[0].seq = 1;
  capped.Answer(&q, 0);
  EXPECT_TRUE(q.channels[0].gap);
  EXPECT_GT(q.channels[0].head_epoch, a.epoch + 3);
  EXPECT_EQ(capped.stats().channels, 3u);
  capped.Sweep(1000000);  // all empty and idle past their ttl
  EXPECT_EQ(capped.stats().channels, 0u);
  EXPECT_EQ(capped.stats().bytes, 0u);
}

TEST_F(HistoryTest, NoHistoryPolicyResumeIsAGap) {
  HistoryQuery::Channel c = Ask("none-1", true, 0, 4, 0);
  EXPECT_TRUE(c.gap);
  EXPECT_EQ(c.head_epoch, 0u);
}

}  // namespace
}  // namespace ringcast::engine
