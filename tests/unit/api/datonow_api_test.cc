// DatonowApi against a real store in a temp directory: expired messages are purged from the
// store (not only hidden), at most once a second, and the purge is a write (waits for commit);
// ids continue after reopening the store.
#include "api/datonow_api.h"

#include <gtest/gtest.h>

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
  void Reopen() {
    api_.reset();
    wal_.reset();
    store::WalOptions o;
    o.dir = dir_;
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

}  // namespace
}  // namespace ringcast::api
