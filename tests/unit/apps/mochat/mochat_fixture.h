// The MoChat tests' fixture: a MochatApi over a real store in a temp directory, REST calls that
// commit what they wrote (as the control plane's group commit would), a reopen that builds a
// new store and MochatApi over the same files (a restart), and JSON reads of the answers.
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "apps/mochat/mochat_api.h"
#include "store/wal.h"

namespace ringcast::apps::mochat {

struct Answer {
  int status = 0;
  std::string body;
  bool changed = false;
  // The value at a JSON pointer ("/agent/id"): a string as is, anything else minified; "" when
  // absent.
  std::string At(const std::string& pointer) const {
    simdjson::dom::parser parser;
    simdjson::dom::element root, el;
    if (parser.parse(body).get(root) != simdjson::SUCCESS ||
        root.at_pointer(pointer).get(el) != simdjson::SUCCESS) {
      return "";
    }
    std::string_view sv;
    if (el.get_string().get(sv) == simdjson::SUCCESS) return std::string(sv);
    return simdjson::minify(el);
  }
  // The ids ("id" members) of the array at `pointer`, in order.
  std::vector<std::string> Ids(const std::string& pointer, const char* member = "id") const {
    std::vector<std::string> out;
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    simdjson::dom::array arr;
    if (parser.parse(body).get(root) != simdjson::SUCCESS ||
        root.at_pointer(pointer).get(arr) != simdjson::SUCCESS) {
      return out;
    }
    for (simdjson::dom::element e : arr) {
      std::string_view sv;
      if (e.get_string().get(sv) == simdjson::SUCCESS ||
          e[member].get_string().get(sv) == simdjson::SUCCESS) {
        out.emplace_back(sv);
      }
    }
    return out;
  }
  std::string ErrorCode() const { return At("/error/code"); }
};

struct TestAgent {
  std::string id;
  std::string token;
  std::string group;
};

class MochatTest : public ::testing::Test {
 protected:
  static constexpr int64_t kT0 = 1'800'000'000'000;

  void SetUp() override {
    char tmpl[] = "/tmp/rc_mochat_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    Reopen();
  }
  void TearDown() override {
    api_.reset();
    wal_.reset();
    std::filesystem::remove_all(dir_);
  }
  // A restart: everything committed so far, read back by a new store and a new MochatApi.
  void Reopen(store::FileOps* ops = nullptr) {
    api_.reset();
    wal_.reset();
    store::WalOptions o;
    o.dir = dir_;
    o.ops = ops;
    std::string error;
    wal_ = store::Wal::Open(o, &error);
    ASSERT_TRUE(wal_) << error;
    api_ = std::make_unique<MochatApi>(&apps_, wal_.get());
  }
  static std::vector<config::AppConfig> Apps() {
    std::vector<config::AppConfig> apps(2);
    apps[0].id = "7";
    apps[0].key = "key7";
    apps[0].secret = "secret7";
    apps[1].id = "dev";
    apps[1].key = "devkey";
    apps[1].secret = "devsecret";
    return apps;
  }

  Answer Call(const std::string& route, const std::string& token, const std::string& body,
              uint32_t app = 0, const char* method = "POST") {
    Answer a;
    std::string response;
    a.changed = api_->Handle(app, method, "/api/claw/" + route, token, body, true, now_, &response);
    if (a.changed) {
      EXPECT_TRUE(wal_->Commit());
    }
    const size_t sp = response.find(' ');
    a.status = sp == std::string::npos ? 0 : std::atoi(response.c_str() + sp + 1);
    const size_t end = response.find("\r\n\r\n");
    a.body = end == std::string::npos ? "" : response.substr(end + 4);
    return a;
  }
  TestAgent Register(const std::string& name, uint32_t app = 0) {
    Answer a = Call("agents/selfRegister", "", R"({"name":")" + name + R"("})", app);
    EXPECT_EQ(a.status, 200) << a.body;
    return {a.At("/agent/id"), a.At("/token"), a.At("/agent/groupId")};
  }
  std::string Group(const TestAgent& who, const std::vector<std::string>& others,
                    const std::string& name = "team") {
    std::string list;
    for (const std::string& o : others) list += (list.empty() ? "\"" : ",\"") + o + "\"";
    Answer a = Call("sessions/create", who.token,
                    R"({"type":"group","name":")" + name + R"(","participants":[)" + list + "]}");
    EXPECT_EQ(a.status, 200) << a.body;
    return a.At("/id");
  }
  Answer Send(const TestAgent& who, const std::string& session, const std::string& content) {
    return Call("sessions/send", who.token,
                R"({"sessionId":")" + session + R"(","content":")" + content + R"("})");
  }
  // The agents notified since the last call, with their events.
  std::vector<std::string> Notified(std::vector<Notification>* all = nullptr) {
    std::vector<std::string> out;
    std::vector<Notification> n = api_->TakeNotifications();
    for (const Notification& x : n) out.push_back(x.agent_id);
    if (all != nullptr) *all = std::move(n);
    return out;
  }

  std::string dir_;
  engine::AppRegistry apps_{Apps()};
  std::unique_ptr<store::Wal> wal_;
  std::unique_ptr<MochatApi> api_;
  int64_t now_ = kT0;
};

}  // namespace ringcast::apps::mochat
