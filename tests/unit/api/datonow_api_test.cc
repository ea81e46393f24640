// DatonowApi against a real store in a temp directory: expired messages are purged from the
// store (not only hidden), at most once a second, and the purge is a write (waits for commit);
// ids continue after reopening the store.
#include "api/datonow_api.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "store/wal.h"

namespace ringcast::api {
namespace {

class DatonowApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rc_datonow_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    Reopen();
  }
  void TearDown() override {
    api_.reset();
    wal_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen(store::FileOps* ops = nullptr) {
    api_.reset();
    wal_.reset();
    store::WalOptions o;
    o.dir = dir_;
    if (ops != nullptr) o.ops = ops;
    std::string error;
    wal_ = store::Wal::Open(o, &error);
    ASSERT_TRUE(wal_) << error;
    api_ = std::make_unique<DatonowApi>(&apps_, wal_.get());
  }
  HttpCall Call(std::string method, std::string path, std::string body = "") {
    HttpCall c;
    c.method = std::move(method);
    c.path = std::move(path);
    c.body = std::move(body);
    c.datonow_app_id = "7";
    c.datonow_token = "secret7";
    return c;
  }
  static std::vector<config::AppConfig> Apps() {
    std::vector<config::AppConfig> apps(1);
    apps[0].id = "7";
    apps[0].key = "key7";
    apps[0].secret = "secret7";
    return apps;
  }

  std::string dir_;
  engine::AppRegistry apps_{Apps()};
  std::unique_ptr<store::Wal> wal_;
  std::unique_ptr<DatonowApi> api_;
};

TEST_F(DatonowApiTest, ExpiredMessagesArePurgedFromTheStore) {
  const int64_t t0 = 1'800'000'000'000;
  HttpCall b = Call("POST", "/api/message", R"({"title":"forever"})");
  EXPECT_TRUE(api_->Handle(&b, t0));  // purge clock starts here
  HttpCall a = Call("POST", "/api/message", R"({"title":"short","ttl":1})");
  EXPECT_TRUE(api_->Handle(&a, t0 + 600));  // expires at t0 + 1600
  ASSERT_TRUE(wal_->Commit());
  HttpCall l1 = Call("GET", "/api/messages");
  EXPECT_FALSE(api_->Handle(&l1, t0 + 1100));  // purges, nothing expired: not a write
  EXPECT_NE(l1.response.find("short"), std::string::npos);
  // Expired, within a second of the last purge: hidden, still stored.
  HttpCall l2 = Call("GET", "/api/messages");
  EXPECT_FALSE(api_->Handle(&l2, t0 + 1700));
  EXPECT_EQ(l2.response.find("short"), std::string::npos);
  EXPECT_EQ(api_->stored_messages(), 2u);
  // The next purge deletes it, and that request waits for the commit.
  HttpCall l3 = Call("GET", "/api/messages");
  EXPECT_TRUE(api_->Handle(&l3, t0 + 2200));
  EXPECT_EQ(api_->stored_messages(), 1u);
  ASSERT_TRUE(wal_->Commit());
  Reopen();
  EXPECT_EQ(api_->stored_messages(), 1u);
  HttpCall c = Call("POST", "/api/message", R"({"title":"next"})");
  EXPECT_TRUE(api_->Handle(&c, t0 + 3000));
  EXPECT_NE(c.response.find("\"id\":3,"), std::string::npos) << c.response;
}

TEST_F(DatonowApiTest, MessagesPerAppAreBounded) {
  const int64_t t0 = 1'800'000'000'000;
  for (size_t i = 0; i < DatonowApi::kMaxMessagesPerApp; ++i) {
    HttpCall c = Call("POST", "/api/message", R"({"title":"t"})");
    ASSERT_TRUE(api_->Handle(&c, t0));
  }
  ASSERT_TRUE(wal_->Commit());
  HttpCall full = Call("POST", "/api/message", R"({"title":"one too many"})");
  EXPECT_FALSE(api_->Handle(&full, t0));
  EXPECT_EQ(full.response.substr(0, 12), "HTTP/1.1 409") << full.response;
  EXPECT_NE(full.response.find("\"code\":409"), std::string::npos) << full.response;
  EXPECT_EQ(api_->refused_full(), 1u);
  // The count is recovered on reopen, and a delete makes room.
  Reopen();
  HttpCall again = Call("POST", "/api/message", R"({"title":"one too many"})");
  EXPECT_FALSE(api_->Handle(&again, t0));
  EXPECT_EQ(again.response.substr(0, 12), "HTTP/1.1 409");
  HttpCall del = Call("DELETE", "/api/messages/1");
  EXPECT_TRUE(api_->Handle(&del, t0));
  HttpCall fits = Call("POST", "/api/message", R"({"title":"fits"})");
  EXPECT_TRUE(api_->Handle(&fits, t0));
  EXPECT_EQ(fits.response.substr(0, 12), "HTTP/1.1 200") << fits.response;
}

TEST_F(DatonowApiTest, TokensPerAppAreBounded) {
  const int64_t t0 = 1'800'000'000'000;
  for (size_t i = 0; i < DatonowApi::kMaxTokensPerApp; ++i) {
    HttpCall c = Call("POST", "/api/apps/7/tokens");
    ASSERT_TRUE(api_->Handle(&c, t0));
  }
  HttpCall full = Call("POST", "/api/apps/7/tokens");
  EXPECT_FALSE(api_->Handle(&full, t0));
  EXPECT_EQ(full.response.substr(0, 12), "HTTP/1.1 409") << full.response;
  HttpCall del = Call("DELETE", "/api/apps/7/tokens/5");
  EXPECT_TRUE(api_->Handle(&del, t0));
  HttpCall fits = Call("POST", "/api/apps/7/tokens");
  EXPECT_TRUE(api_->Handle(&fits, t0));
  EXPECT_EQ(fits.response.substr(0, 12), "HTTP/1.1 200") << fits.response;
}

class FailingSync : public store::FileOps {
 public:
  int Fdatasync(int) override {
    errno = EIO;
    return -1;
  }
};

TEST_F(DatonowApiTest, APoisonedStoreAnswers503ToEveryRequest) {
  const int64_t t0 = 1'800'000'000'000;
  FailingSync ops;
  Reopen(&ops);
  HttpCall post = Call("POST", "/api/message", R"({"title":"lost"})");
  EXPECT_TRUE(api_->Handle(&post, t0));
  EXPECT_FALSE(wal_->Commit());  // poisons: the message is in memory only
  ASSERT_TRUE(wal_->poisoned());
  HttpCall list = Call("GET", "/api/messages");
  EXPECT_FALSE(api_->Handle(&list, t0));
  EXPECT_EQ(list.response.substr(0, 12), "HTTP/1.1 503") << list.response;
  EXPECT_EQ(list.response.find("lost"), std::string::npos);
  HttpCall tokens = Call("GET", "/api/apps/7/tokens");
  EXPECT_FALSE(api_->Handle(&tokens, t0));
  EXPECT_EQ(tokens.response.substr(0, 12), "HTTP/1.1 503");
  api_.reset();
  wal_.reset();
}

}  // namespace
}  // namespace ringcast::api
