// DialogueHistory against a real store in a temp directory: pages newest first from memory and
// past it from the store, the unreleased left out, the join's sync merged by stamp, the store
// trimmed to history_store_limit, the log cap per room, everything read back after reopening
// (numbering and stamps go on), and malformed records skipped.
#include "api/dialogue_history.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "store/wal.h"

namespace ringcast::api {
namespace {

config::DialogueEventConfig Event(std::string name, bool history, uint32_t limit = 3) {
  config::DialogueEventConfig e;
  e.name = std::move(name);
  e.history = history;
  e.history_limit = limit;
  return e;
}

class DialogueHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rc_dialogue_history_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    cfg_.enabled = true;
    cfg_.app = 0;
    cfg_.history_store_limit = 8;
    config::DialogueRoomConfig chat;
    chat.id = "chat";
    chat.events = {Event("message", true), Event("typing", false)};
    config::DialogueRoomConfig any;
    any.id = "any";
    any.events = {Event("*", true, 2)};
    config::DialogueRoomConfig plain;
    plain.id = "plain";
    plain.events = {Event("message", false)};
    cfg_.rooms = {chat, any, plain};
    Reopen();
  }
  void TearDown() override {
    h_.reset();
    wal_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    h_.reset();
    if (wal_) {
      ASSERT_TRUE(wal_->Commit());
    }
    wal_.reset();
    store::WalOptions o;
    o.dir = dir_;
    std::string error;
    wal_ = store::Wal::Open(o, &error);
    ASSERT_TRUE(wal_) << error;
    h_ = std::make_unique<DialogueHistory>(&cfg_, "app1", wal_.get());
  }
  // Keeps "message" #i of chat (stamp 1000 + i) and releases it.
  void Message(int i, bool release = true) {
    const std::string data = "{\"i\":" + std::to_string(i) + "}";
    EXPECT_TRUE(h_->Keep(0, "chat", "message", "u", data, {}, 1000 + i));
    if (release) h_->Released(1000 + i);
  }
  std::vector<std::string> Page(std::string room, std::string event, uint32_t start, uint32_t end) {
    engine::RoomHistoryQuery q;
    q.room = std::move(room);
    q.event = std::move(event);
    q.start = start;
    q.end = end;
    h_->Answer(&q);
    std::vector<std::string> out;
    for (const auto& item : q.items) out.push_back(item.event + item.data);
    return out;
  }
  std::vector<std::string> Sync(std::string room, uint32_t count) {
    engine::RoomHistoryQuery q;
    q.room = std::move(room);
    q.sync = true;
    q.count = count;
    h_->Answer(&q);
    std::vector<std::string> out;
    for (const auto& item : q.items) out.push_back(item.event + item.data);
    return out;
  }

  std::string dir_;
  config::DialogueConfig cfg_;
  std::unique_ptr<store::Wal> wal_;
  std::unique_ptr<DialogueHistory> h_;
};

TEST_F(DialogueHistoryTest, KeepsOnlyRoomsAndEventsWithHistory) {
  EXPECT_TRUE(h_->KeepsRoom(0, "chat"));
  EXPECT_TRUE(h_->KeepsRoom(0, "any"));
  EXPECT_FALSE(h_->KeepsRoom(0, "plain"));
  EXPECT_FALSE(h_->KeepsRoom(1, "chat"));  // another app
  EXPECT_FALSE(h_->Keep(0, "chat", "typing", "u", "1", {}, 5));
  EXPECT_FALSE(h_->Keep(0, "plain", "message", "u", "1", {}, 6));
  EXPECT_FALSE(h_->Keep(0, "nope", "message", "u", "1", {}, 7));
  EXPECT_TRUE(Page("chat", "typing", 0, 10).empty());
}

TEST_F(DialogueHistoryTest, PagesNewestFirstFromMemoryThenTheStore) {
  for (int i = 1; i <= 6; ++i) Message(i);  // memory holds 3 (limit), the store all 6
  EXPECT_EQ(Page("chat", "message", 0, 2),
            (std::vector<std::string>{"message{\"i\":6}", "message{\"i\":5}"}));
  EXPECT_EQ(Page("chat", "message", 2, 5),
            (std::vector<std::string>{"message{\"i\":4}", "message{\"i\":3}", "message{\"i\":2}"}));
  EXPECT_EQ(Page("chat", "message", 5, 50), (std::vector<std::string>{"message{\"i\":1}"}));
  EXPECT_TRUE(Page("chat", "message", 6, 50).empty());
  EXPECT_TRUE(Page("chat", "message", 3, 3).empty());
  EXPECT_EQ(h_->stats().kept.Get(), 6u);
}

TEST_F(DialogueHistoryTest, LeavesOutWhatIsNotReleasedYet) {
  Message(1);
  Message(2);
  Message(3, /*release=*/false);
  Message(4, /*release=*/false);
  EXPECT_EQ(Page("chat", "message", 0, 10),
            (std::vector<std::string>{"message{\"i\":2}", "message{\"i\":1}"}));
  EXPECT_EQ(Sync("chat", 0), (std::vector<std::string>{"message{\"i\":2}", "message{\"i\":1}"}));
  h_->Released(1004);
  EXPECT_EQ(Page("chat", "message", 0, 1), (std::vector<std::string>{"message{\"i\":4}"}));
}

TEST_F(DialogueHistoryTest, SyncMergesEveryKeptNameByStamp) {
  EXPECT_TRUE(h_->Keep(0, "any", "x", "", "1", {}, 10));
  EXPECT_TRUE(h_->Keep(0, "any", "y", "", "2", {}, 11));
  EXPECT_TRUE(h_->Keep(0, "any", "x", "", "3", {}, 12));
  EXPECT_TRUE(h_->Keep(0, "any", "x", "", "4", {}, 13));
  h_->Released(13);
  // count 0: what memory holds (limit 2 per name); count N: the newest N of each name.
  EXPECT_EQ(Sync("any", 0), (std::vector<std::string>{"x4", "x3", "y2"}));
  EXPECT_EQ(Sync("any", 1), (std::vector<std::string>{"x4", "y2"}));
  EXPECT_EQ(Sync("any", 5), (std::vector<std::string>{"x4", "x3", "y2", "x1"}));
}

TEST_F(DialogueHistoryTest, TrimsTheStoreToItsLimit) {
  for (int i = 1; i <= 12; ++i) Message(i);
  EXPECT_EQ(h_->stats().trimmed.Get(), 4u);
  EXPECT_EQ(Page("chat", "message", 0, 50).size(), 8u);
  size_t records = 0;
  for (const auto& kv : wal_->live()) records += kv.first.starts_with("happ1") ? 1 : 0;
  EXPECT_EQ(records, 8u);
}

TEST_F(DialogueHistoryTest, BoundsTheNamesOfARoom) {
  for (uint32_t i = 0; i < DialogueHistory::kMaxLogsPerRoom; ++i) {
    EXPECT_TRUE(h_->Keep(0, "any", "e" + std::to_string(i), "", "1", {}, 10 + i));
  }
  EXPECT_FALSE(h_->Keep(0, "any", "one-too-many", "", "1", {}, 100000));
  EXPECT_EQ(h_->stats().refused.Get(), 1u);
  EXPECT_TRUE(h_->Keep(0, "any", "e0", "", "2", {}, 100001));  // a known name still is
}

TEST_F(DialogueHistoryTest, ReadsEverythingBackAfterReopening) {
  for (int i = 1; i <= 5; ++i) Message(i);
  Reopen();
  EXPECT_EQ(h_->last_stamp_us(), 1005u);
  EXPECT_EQ(Page("chat", "message", 0, 50).size(), 5u);
  EXPECT_EQ(Page("chat", "message", 0, 1), (std::vector<std::string>{"message{\"i\":5}"}));
  Message(6);  // numbering goes on after the records read back
  EXPECT_EQ(Page("chat", "message", 0, 2),
            (std::vector<std::string>{"message{\"i\":6}", "message{\"i\":5}"}));
  Reopen();
  EXPECT_EQ(Page("chat", "message", 0, 50).size(), 6u);
}

TEST_F(DialogueHistoryTest, KeepsMetaInMemoryAndInTheStore) {
  // "message" keeps 3 in memory: #1 and #2 are paged from the store, #5 from memory.
  for (int i = 1; i <= 5; ++i) {
    const std::string meta = "{\"m\":" + std::to_string(i) + "}";
    EXPECT_TRUE(h_->Keep(0, "chat", "message", "u", "d", i % 2 == 1 ? meta : "", 1000 + i));
    h_->Released(1000 + i);
  }
  auto metas = [&] {
    engine::RoomHistoryQuery q;
    q.room = "chat";
    q.event = "message";
    q.end = 10;
    h_->Answer(&q);
    std::vector<std::string> out;
    for (const auto& item : q.items) out.push_back(item.meta + "|" + item.data);
    return out;
  };
  const std::vector<std::string> want{"{\"m\":5}|d", "|d", "{\"m\":3}|d", "|d", "{\"m\":1}|d"};
  EXPECT_EQ(metas(), want);
  Reopen();
  EXPECT_EQ(metas(), want);
}

TEST_F(DialogueHistoryTest, RecordValuesWithAndWithoutMeta) {
  engine::RoomHistoryQuery::Item item;
  ASSERT_TRUE(DialogueHistory::DecodeValue(
      DialogueHistory::EncodeValue(9, "me", "{\"a\":1}", "{\"k\":\"v\"}"), &item));
  EXPECT_EQ(item.stamp_us, 9u);
  EXPECT_EQ(item.from, "me");
  EXPECT_EQ(item.meta, "{\"k\":\"v\"}");
  EXPECT_EQ(item.data, "{\"a\":1}");
  // A record of the format before meta (the length's top bit clear) has none.
  std::string old(8, '\0');
  old[0] = 3;
  old += std::string("\x01\x00\x00\x00", 4);
  old += "ux";
  ASSERT_TRUE(DialogueHistory::DecodeValue(old, &item));
  EXPECT_EQ(item.from, "u");
  EXPECT_EQ(item.data, "x");
  EXPECT_EQ(item.meta, "");
  // A meta length past the end, or a flag with no room for the length: malformed.
  std::string v = DialogueHistory::EncodeValue(1, "", "", "{}");
  EXPECT_FALSE(DialogueHistory::DecodeValue(v.substr(0, 14), &item));
  v[12] = 9;
  EXPECT_FALSE(DialogueHistory::DecodeValue(v, &item));
  EXPECT_FALSE(DialogueHistory::DecodeValue(v.substr(0, 12), &item));
}

TEST_F(DialogueHistoryTest, SkipsMalformedRecords) {
  Message(1);
  std::string key = "happ1";
  key += '\0';
  key += "chat";
  key += '\0';
  key += "message";
  key += '\0';
  ASSERT_TRUE(wal_->Put(key + "zz", "x"));                    // a bad sequence
  ASSERT_TRUE(wal_->Put(key + "0000000000000002", "short"));  // a value too short
  ASSERT_TRUE(wal_->Put(key + "0000000000000003",
                        DialogueHistory::EncodeValue(1003, "u", "{\"i\":3}")));  // after a hole
  Reopen();
  // The memory window starts again after the hole; the record before it is paged (store).
  EXPECT_EQ(Page("chat", "message", 0, 50),
            (std::vector<std::string>{"message{\"i\":3}", "message{\"i\":1}"}));
  engine::RoomHistoryQuery::Item item;
  EXPECT_FALSE(DialogueHistory::DecodeValue(std::string(12, '\xff'), &item));  // from too long
  EXPECT_TRUE(DialogueHistory::DecodeValue(DialogueHistory::EncodeValue(7, "me", "d"), &item));
  EXPECT_EQ(item.stamp_us, 7u);
  EXPECT_EQ(item.from, "me");
  EXPECT_EQ(item.data, "d");
}

}  // namespace
}  // namespace ringcast::api
