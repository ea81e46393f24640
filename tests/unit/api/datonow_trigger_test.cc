// DatonowTrigger against a real store in a temp directory: the requestId window (a repeat
// answers the first answer and publishes nothing; it survives reopening the store and a
// compaction; it expires; it is bounded with a 429), the check order (signature before the
// body), socketId exclusion, and the r<app>\0<requestId> record's round trip through the log.
#include "api/datonow_trigger.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "auth/crypto.h"
#include "store/wal.h"

namespace ringcast::api {
namespace {

class DatonowTriggerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rc_trigger_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    limits_.datonow_trigger_request_id_window_s = 60;
    Reopen();
  }
  void TearDown() override {
    trigger_.reset();
    wal_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    trigger_.reset();
    wal_.reset();
    store::WalOptions o;
    o.dir = dir_;
    std::string error;
    wal_ = store::Wal::Open(o, &error);
    ASSERT_TRUE(wal_) << error;
    limiter_ = std::make_unique<AppRateLimiter>(std::vector<uint32_t>{0});
    trigger_ = std::make_unique<DatonowTrigger>(&apps_, &limits_, &ids_, wal_.get(), limiter_.get());
  }
  HttpCall Signed(const std::string& fields, const std::string& secret = "secret7") {
    HttpCall c;
    c.method = "POST";
    c.path = "/api/trigger";
    c.body = R"({"appKey":"key7",)" + fields + "}";
    c.datonow_signature = "sha256=" + auth::HmacSha256Hex(secret, c.body);
    return c;
  }
  static std::string Body(const HttpCall& c) { return c.response.substr(c.response.find("\r\n\r\n") + 4); }
  static std::vector<config::AppConfig> Apps() {
    std::vector<config::AppConfig> apps(1);
    apps[0].id = "7";
    apps[0].key = "key7";
    apps[0].secret = "secret7";
    return apps;
  }

  std::string dir_;
  engine::AppRegistry apps_{Apps()};
  config::Limits limits_;
  engine::SocketIdCodec ids_{12345};
  std::unique_ptr<store::Wal> wal_;
  std::unique_ptr<AppRateLimiter> limiter_;
  std::unique_ptr<DatonowTrigger> trigger_;
};

constexpr int64_t kT0 = 1'800'000'000'000;
const std::string kEvent = R"("channel":["a","b"],"event":"e","data":{"x":1},"requestId":"r-1")";

TEST_F(DatonowTriggerTest, FirstPublishesAndWritesRepeatAnswersTheFirst) {
  HttpCall one = Signed(kEvent);
  TriggerResult r = trigger_->Handle(&one, kT0);
  ASSERT_EQ(one.response.rfind("HTTP/1.1 200", 0), 0u) << one.response;
  EXPECT_TRUE(r.wrote);
  ASSERT_EQ(r.publications.size(), 1u);
  EXPECT_EQ(r.publications[0].data, R"({"x":1})");
  EXPECT_EQ(r.publications[0].channels, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Body(one),
            R"({"ok":true,"event":"e","channels":["a","b"],"requestId":"r-1","publishedAt":"2027-01-15T08:00:00.000Z"})");
  ASSERT_TRUE(wal_->Commit());
  HttpCall two = Signed(kEvent);
  r = trigger_->Handle(&two, kT0 + 1000);
  EXPECT_FALSE(r.wrote);
  EXPECT_TRUE(r.publications.empty());
  EXPECT_EQ(Body(two), Body(one));
  EXPECT_NE(two.response.find("X-Datonow-Replayed: true\r\n"), std::string::npos);
  EXPECT_EQ(trigger_->replayed(), 1u);
  EXPECT_EQ(trigger_->remembered(0), 1u);
}

// Cluster mode: records another node wrote (applied to the store as they are) count once the
// trigger is reindexed: a repeat of one is a replay, and the window holds them; a record taken
// away (an undo) leaves the window.
TEST_F(DatonowTriggerTest, ReindexTakesRecordsWrittenUnderIt) {
  HttpCall one = Signed(kEvent);
  TriggerResult r = trigger_->Handle(&one, kT0);
  ASSERT_FALSE(r.request_key.empty());
  EXPECT_EQ(r.request_key, std::string("r7") + '\0' + "r-1");
  const std::string value = std::string(wal_->live().find(r.request_key)->second);
  ASSERT_TRUE(wal_->Delete(r.request_key));  // the undo of a refused commit
  trigger_->Reindex();
  EXPECT_EQ(trigger_->remembered(0), 0u);
  const std::string other = std::string("r7") + '\0' + "r-2";
  ASSERT_TRUE(wal_->Put(other, value));  // another node's first, replicated
  trigger_->Reindex();
  EXPECT_EQ(trigger_->remembered(0), 1u);
  HttpCall two = Signed(R"("channel":["a","b"],"event":"e","data":{"x":1},"requestId":"r-2")");
  r = trigger_->Handle(&two, kT0 + 1000);
  EXPECT_TRUE(r.publications.empty());
  EXPECT_NE(two.response.find("X-Datonow-Replayed: true\r\n"), std::string::npos);
  HttpCall three = Signed(kEvent);  // r-1 was taken back: a first again
  r = trigger_->Handle(&three, kT0 + 1000);
  EXPECT_EQ(r.publications.size(), 1u);
  EXPECT_EQ(three.response.find("X-Datonow-Replayed"), std::string::npos);
  HttpCall plain = Signed(R"("channel":"a","event":"e","data":1)");
  EXPECT_TRUE(trigger_->Handle(&plain, kT0).request_key.empty());
}

TEST_F(DatonowTriggerTest, RecordRoundTripsThroughReplayAndCompaction) {
  HttpCall one = Signed(kEvent);
  (void)trigger_->Handle(&one, kT0);
  ASSERT_TRUE(wal_->Commit());
  const std::string key = std::string("r7") + '\0' + "r-1";
  ASSERT_EQ(wal_->live().count(key), 1u);
  const std::string value = std::string(wal_->live().find(key)->second);
  EXPECT_EQ(value, std::to_string(kT0) + "\n" + Body(one));
  Reopen();  // replayed from the segment
  EXPECT_EQ(std::string(wal_->live().find(key)->second), value);
  EXPECT_EQ(trigger_->remembered(0), 1u);
  HttpCall two = Signed(kEvent);
  TriggerResult r = trigger_->Handle(&two, kT0 + 5000);
  EXPECT_TRUE(r.publications.empty());
  EXPECT_EQ(Body(two), Body(one));
  ASSERT_TRUE(wal_->Compact());
  Reopen();  // loaded from the snapshot
  EXPECT_EQ(wal_->recovery().snapshot_records, 1u);
  EXPECT_EQ(std::string(wal_->live().find(key)->second), value);
  HttpCall three = Signed(kEvent);
  r = trigger_->Handle(&three, kT0 + 6000);
  EXPECT_TRUE(r.publications.empty());
  EXPECT_EQ(Body(three), Body(one));
}

TEST_F(DatonowTriggerTest, WindowExpiresAndIsPurged) {
  HttpCall one = Signed(kEvent);
  (void)trigger_->Handle(&one, kT0);
  HttpCall other = Signed(R"("channel":"a","event":"e","data":"d","requestId":"r-2")");
  (void)trigger_->Handle(&other, kT0 + 30'000);
  ASSERT_TRUE(wal_->Commit());
  // r-1's window (60 s) is over: a new first trigger, which replaces the record.
  HttpCall again = Signed(kEvent);
  TriggerResult r = trigger_->Handle(&again, kT0 + 60'000);
  EXPECT_EQ(r.publications.size(), 1u);
  EXPECT_TRUE(r.wrote);
  EXPECT_NE(Body(again), Body(one));
  ASSERT_TRUE(wal_->Commit());
  // r-2 expires and is deleted by a later trigger (one without a requestId does not purge).
  HttpCall third = Signed(R"("channel":"a","event":"e","data":"d","requestId":"r-3")");
  r = trigger_->Handle(&third, kT0 + 95'000);
  EXPECT_TRUE(r.wrote);
  ASSERT_TRUE(wal_->Commit());
  EXPECT_EQ(wal_->live().count(std::string("r7") + '\0' + "r-2"), 0u);
  EXPECT_EQ(wal_->live().count(std::string("r7") + '\0' + "r-1"), 1u);
  EXPECT_EQ(trigger_->remembered(0), 2u);
}

TEST_F(DatonowTriggerTest, WindowIsBounded) {
  for (size_t i = 0; i < DatonowTrigger::kMaxRequestIdsPerApp; ++i) {
    HttpCall c = Signed(R"("channel":"a","event":"e","data":"d","requestId":"id)" +
                        std::to_string(i) + "\"");
    (void)trigger_->Handle(&c, kT0 + static_cast<int64_t>(i));
    ASSERT_EQ(c.response.rfind("HTTP/1.1 200", 0), 0u) << i;
  }
  ASSERT_TRUE(wal_->Commit());
  HttpCall full = Signed(R"("channel":"a","event":"e","data":"d","requestId":"one-more")");
  TriggerResult r = trigger_->Handle(&full, kT0 + 20'000);
  EXPECT_EQ(full.response.rfind("HTTP/1.1 429", 0), 0u) << full.response;
  EXPECT_NE(full.response.find("Retry-After: 40\r\n"), std::string::npos) << full.response;
  EXPECT_TRUE(r.publications.empty());
  EXPECT_EQ(trigger_->refused_full(), 1u);
  // A repeat of a remembered id still answers; a trigger without a requestId still publishes.
  HttpCall repeat = Signed(R"("channel":"a","event":"e","data":"d","requestId":"id5")");
  (void)trigger_->Handle(&repeat, kT0 + 20'000);
  EXPECT_EQ(repeat.response.rfind("HTTP/1.1 200", 0), 0u);
  HttpCall plain = Signed(R"("channel":"a","event":"e","data":"d")");
  EXPECT_EQ(trigger_->Handle(&plain, kT0 + 20'000).publications.size(), 1u);
}

TEST_F(DatonowTriggerTest, SignatureIsCheckedBeforeTheBody) {
  HttpCall bad = Signed(R"("channel":"a","event":"e","data":"d")", "wrong");
  EXPECT_TRUE(trigger_->Handle(&bad, kT0).publications.empty());
  EXPECT_EQ(bad.response.rfind("HTTP/1.1 403", 0), 0u);
  // An invalid body under a wrong signature is a 403, not a 400: nothing is parsed first.
  HttpCall invalid = Signed(R"("channel":5)", "wrong");
  (void)trigger_->Handle(&invalid, kT0);
  EXPECT_EQ(invalid.response.rfind("HTTP/1.1 403", 0), 0u);
  HttpCall missing = Signed(R"("channel":"a","event":"e","data":"d")");
  missing.datonow_signature.clear();
  (void)trigger_->Handle(&missing, kT0);
  EXPECT_EQ(missing.response.rfind("HTTP/1.1 401", 0), 0u);
  HttpCall upper = Signed(R"("channel":"a","event":"e","data":"d")");
  for (size_t i = 7; i < upper.datonow_signature.size(); ++i) {
    upper.datonow_signature[i] = static_cast<char>(std::toupper(upper.datonow_signature[i]));
  }
  EXPECT_EQ(trigger_->Handle(&upper, kT0).publications.size(), 1u);
}

TEST_F(DatonowTriggerTest, SocketIdExcludesThatSocket) {
  const std::string sid = ids_.Format(1, 42);
  HttpCall c = Signed(R"("channel":"a","event":"e","data":"d","socketId":")" + sid + "\"");
  TriggerResult r = trigger_->Handle(&c, kT0);
  ASSERT_EQ(r.publications.size(), 1u);
  EXPECT_EQ(r.publications[0].exclude_shard, 1u);
  EXPECT_EQ(r.publications[0].exclude_serial, 42u);
}

TEST_F(DatonowTriggerTest, RateLimitCountsBeforeTheSignature) {
  limiter_ = std::make_unique<AppRateLimiter>(std::vector<uint32_t>{2});
  trigger_ = std::make_unique<DatonowTrigger>(&apps_, &limits_, &ids_, wal_.get(), limiter_.get());
  HttpCall a = Signed(R"("channel":"a","event":"e","data":"d")", "wrong");
  HttpCall b = Signed(R"("channel":"a","event":"e","data":"d")");
  HttpCall c = Signed(R"("channel":"a","event":"e","data":"d")");
  (void)trigger_->Handle(&a, kT0);
  EXPECT_EQ(trigger_->Handle(&b, kT0).publications.size(), 1u);
  EXPECT_TRUE(trigger_->Handle(&c, kT0).publications.empty());
  EXPECT_EQ(c.response.rfind("HTTP/1.1 429", 0), 0u);
  EXPECT_NE(c.response.find("Retry-After: 30\r\n"), std::string::npos);
}

}  // namespace
}  // namespace ringcast::api
