// MochatApi's frame and agents: auth (401 for a missing, unknown or rotated X-Claw-Token),
// routes and methods, errors as {"error":{"code","message"}}, selfRegister, bind, rotateToken,
// get, users/resolve, the store's key prefix, every app served, and recovery after a restart.
#include "apps/mochat/mochat_api.h"

#include <gtest/gtest.h>

#include "auth/crypto.h"
#include "mochat/mochat_fixture.h"

namespace ringcast::apps::mochat {
namespace {

using MochatApiTest = MochatTest;

TEST_F(MochatApiTest, SelfRegisterAnswersTheAgentAndAClawToken) {
  Answer a = Call("agents/selfRegister", "",
                  R"({"name":"alice","description":"a helper","metadata":{"k":1}})");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_TRUE(a.changed);
  const std::string token = a.At("/token");
  ASSERT_EQ(token.size(), 5u + 64u);
  EXPECT_EQ(token.substr(0, 5), "claw_");
  EXPECT_EQ(a.At("/agent/id").substr(0, 6), "agent_");
  EXPECT_EQ(a.At("/agent/name"), "alice");
  EXPECT_EQ(a.At("/agent/description"), "a helper");
  EXPECT_EQ(a.At("/agent/metadata"), R"({"k":1})");
  EXPECT_EQ(a.At("/agent/email"), "null");
  EXPECT_EQ(a.At("/agent/bound"), "false");
  EXPECT_EQ(a.At("/agent/createdAt"), "2027-01-15T08:00:00.000Z");
  EXPECT_EQ(a.At("/agent/groupId").substr(0, 6), "group_");
  // The store holds the token's SHA-256, never the token, and only "M7\0" keys.
  bool hash_found = false;
  for (const auto& [key, value] : wal_->live()) {
    EXPECT_EQ(std::string_view(key).substr(0, 3), std::string_view("M7\0", 3));
    EXPECT_EQ(std::string_view(value).find(token), std::string_view::npos);
    if (std::string_view(value).find(auth::Sha256Hex(token)) != std::string_view::npos) {
      hash_found = true;
    }
  }
  EXPECT_TRUE(hash_found);
}

TEST_F(MochatApiTest, SelfRegisterRefusesBadBodies) {
  EXPECT_EQ(Call("agents/selfRegister", "", "").status, 400);
  EXPECT_EQ(Call("agents/selfRegister", "", "[1]").status, 400);
  EXPECT_EQ(Call("agents/selfRegister", "", "{not json").status, 400);
  EXPECT_EQ(Call("agents/selfRegister", "", R"({"name":""})").status, 400);
  EXPECT_EQ(Call("agents/selfRegister", "", R"({"name":5})").status, 400);
  EXPECT_EQ(Call("agents/selfRegister", "", R"({"name":"x","email":"nope"})").status, 400);
  EXPECT_EQ(Call("agents/selfRegister", "", R"({"name":"x","metadata":[1]})").status, 400);
  const std::string big(MochatApi::kMaxMetadataBytes, 'x');
  Answer a = Call("agents/selfRegister", "", R"({"name":"x","metadata":{"k":")" + big + "\"}}");
  EXPECT_EQ(a.status, 413);
  EXPECT_EQ(a.ErrorCode(), "PAYLOAD_TOO_LARGE");
  // "username" is accepted for the name (MoChat clients send it).
  EXPECT_EQ(Call("agents/selfRegister", "", R"({"username":"bob"})").At("/agent/name"), "bob");
  EXPECT_EQ(api_->agents(0), 1u);
}

TEST_F(MochatApiTest, MissingUnknownAndRotatedTokensAre401) {
  TestAgent a = Register("alice");
  Answer missing = Call("agents/get", "", "{}");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.ErrorCode(), "UNAUTHORIZED");
  EXPECT_FALSE(missing.At("/error/message").empty());
  EXPECT_EQ(Call("agents/get", "claw_" + std::string(64, '0'), "{}").status, 401);
  // Auth comes before the route: an unknown route without a token is 401 too.
  EXPECT_EQ(Call("nope", "", "{}").status, 401);
  EXPECT_EQ(Call("agents/get", a.token, "{}").status, 200);
  // A token is one app's.
  EXPECT_EQ(Call("agents/get", a.token, "{}", 1).status, 401);

  Answer r = Call("agents/rotateToken", a.token, "{}");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string fresh = r.At("/token");
  EXPECT_NE(fresh, a.token);
  EXPECT_EQ(r.At("/agent/id"), a.id);
  EXPECT_EQ(Call("agents/get", a.token, "{}").status, 401);
  EXPECT_EQ(Call("agents/get", fresh, "{}").status, 200);
  // Still so after a restart.
  Reopen();
  EXPECT_EQ(Call("agents/get", a.token, "{}").status, 401);
  EXPECT_EQ(Call("agents/get", fresh, "{}").At("/agent/id"), a.id);
}

TEST_F(MochatApiTest, RotationRevokesTheOldTokensSockets) {
  TestAgent a = Register("alice");
  uint64_t old_id = 0;
  EXPECT_EQ(api_->AgentOfToken(0, a.token, &old_id), a.id);
  EXPECT_NE(old_id, 0u);
  EXPECT_EQ(api_->AppOfToken(a.token), 0u);
  EXPECT_TRUE(api_->TakeRevokedTokens().empty());
  const std::string fresh = Call("agents/rotateToken", a.token, "{}").At("/token");
  const auto revoked = api_->TakeRevokedTokens();
  ASSERT_EQ(revoked.size(), 1u);
  EXPECT_EQ(revoked[0].first, 0u);
  EXPECT_EQ(revoked[0].second, old_id);
  uint64_t id = 0;
  EXPECT_EQ(api_->AgentOfToken(0, a.token, &id), "");
  EXPECT_EQ(api_->AppOfToken(a.token), engine::AppRegistry::kNone);
  EXPECT_EQ(api_->AgentOfToken(0, fresh, &id), a.id);
  EXPECT_NE(id, old_id);
  EXPECT_EQ(api_->AgentOfToken(1, fresh, &id), "");
  EXPECT_EQ(api_->AgentOfToken(0, "", &id), "");
}

TEST_F(MochatApiTest, BindStoresTheEmail) {
  TestAgent a = Register("alice");
  EXPECT_EQ(Call("agents/bind", a.token, R"({"email":"bad"})").status, 400);
  EXPECT_EQ(Call("agents/bind", a.token, "{}").status, 400);
  Answer b = Call("agents/bind", a.token, R"({"email":"owner@example.com"})");
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_TRUE(b.changed);
  EXPECT_EQ(b.At("/agent/email"), "owner@example.com");
  EXPECT_EQ(b.At("/agent/bound"), "true");
  EXPECT_FALSE(b.At("/agent/boundAt").empty());
  Reopen();
  EXPECT_EQ(Call("agents/get", a.token, "{}").At("/agent/email"), "owner@example.com");
}

TEST_F(MochatApiTest, GetShowsTheEmailOnlyToItsAgent) {
  TestAgent a = Register("alice");
  TestAgent b = Register("bob");
  ASSERT_EQ(Call("agents/bind", a.token, R"({"email":"a@example.com"})").status, 200);
  Answer self = Call("agents/get", a.token, "");
  EXPECT_EQ(self.At("/agent/email"), "a@example.com");
  EXPECT_EQ(self.Ids("/groups"), std::vector<std::string>{a.group});
  Answer other = Call("agents/get", b.token, R"({"agentId":")" + a.id + "\"}");
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(other.At("/agent/name"), "alice");
  EXPECT_EQ(other.At("/agent/email"), "");
  EXPECT_EQ(other.At("/agent/bound"), "true");
  EXPECT_EQ(Call("agents/get", b.token, R"({"agentId":"agent_nope"})").status, 404);
  EXPECT_EQ(Call("agents/get", b.token, R"({"agentId":7})").status, 400);
}

TEST_F(MochatApiTest, UsersResolveAnswersKnownIdsAndNamesTheMissing) {
  TestAgent a = Register("alice");
  TestAgent b = Register("bob");
  Answer r = Call("users/resolve", a.token,
                  R"({"ids":[")" + b.id + R"(","agent_ffffffffffffffff",")" + a.id + "\"]}");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Ids("/users"), (std::vector<std::string>{b.id, a.id}));
  EXPECT_EQ(r.Ids("/missing"), std::vector<std::string>{"agent_ffffffffffffffff"});
  EXPECT_EQ(r.At("/users/0/name"), "bob");
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(Call("users/resolve", a.token, "{}").status, 400);
  EXPECT_EQ(Call("users/resolve", a.token, R"({"ids":[1]})").status, 400);
  std::string many = "[";
  for (size_t i = 0; i <= MochatApi::kMaxResolveIds; ++i)
    many += (i ? ",\"x" : "\"x") + std::to_string(i) + "\"";
  EXPECT_EQ(Call("users/resolve", a.token, R"({"ids":)" + many + "]}").status, 400);
}

TEST_F(MochatApiTest, RoutesMethodsAndErrorShape) {
  TestAgent a = Register("alice");
  Answer r = Call("nope", a.token, "{}");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.ErrorCode(), "NOT_FOUND");
  Answer m = Call("agents/get", a.token, "", 0, "GET");
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.ErrorCode(), "METHOD_NOT_ALLOWED");
  EXPECT_TRUE(MochatApi::Matches("/api/claw/agents/get"));
  EXPECT_FALSE(MochatApi::Matches("/api/message"));
  EXPECT_FALSE(MochatApi::Matches("/health"));
}

TEST_F(MochatApiTest, EveryAppIsServedWithItsOwnAgents) {
  TestAgent a = Register("alice", 0);
  TestAgent d = Register("alice", 1);
  EXPECT_EQ(api_->agents(0), 1u);
  EXPECT_EQ(api_->agents(1), 1u);
  EXPECT_EQ(api_->AppOfToken(d.token), 1u);
  EXPECT_EQ(Call("agents/get", d.token, "{}", 1).At("/agent/id"), d.id);
  Reopen();
  EXPECT_EQ(api_->agents(0), 1u);
  EXPECT_EQ(api_->agents(1), 1u);
  EXPECT_EQ(Call("agents/get", d.token, "{}", 1).status, 200);
}

TEST_F(MochatApiTest, IdsGoOnAfterARestart) {
  TestAgent a = Register("alice");
  Reopen();
  TestAgent b = Register("bob");
  uint64_t na = 0, nb = 0;
  ASSERT_TRUE(ParseId("agent", a.id, &na));
  ASSERT_TRUE(ParseId("agent", b.id, &nb));
  EXPECT_GT(nb, na);
  EXPECT_NE(a.group, b.group);
}

TEST_F(MochatApiTest, WithoutAStoreEveryCallIs503) {
  MochatApi none(&apps_, nullptr);
  std::string response;
  EXPECT_FALSE(none.Handle(0, "POST", "/api/claw/agents/selfRegister", "", R"({"name":"a"})", true,
                           kT0, &response));
  EXPECT_EQ(response.substr(0, 12), "HTTP/1.1 503");
}

class FailingSync : public store::FileOps {
 public:
  int Fdatasync(int) override {
    errno = EIO;
    return -1;
  }
};

TEST_F(MochatApiTest, AReadOnlyStoreAnswers503ToEveryCall) {
  TestAgent a = Register("alice");
  FailingSync ops;
  Reopen(&ops);
  std::string response;
  EXPECT_TRUE(api_->Handle(0, "POST", "/api/claw/agents/bind", a.token, R"({"email":"a@b.co"})",
                           true, kT0, &response));
  EXPECT_FALSE(wal_->Commit());  // poisons: the bind is in memory only
  ASSERT_TRUE(wal_->poisoned());
  for (const char* route : {"agents/get", "groups/get", "agents/selfRegister"}) {
    Answer r = Call(route, a.token, R"({"name":"x"})");
    EXPECT_EQ(r.status, 503) << route;
    EXPECT_EQ(r.ErrorCode(), "STORE_READ_ONLY");
    EXPECT_EQ(r.body.find("a@b.co"), std::string::npos);
  }
  api_.reset();
  wal_.reset();
}

TEST_F(MochatApiTest, AgentsPerAppAreBounded) {
  for (size_t i = 0; i < MochatApi::kMaxAgentsPerApp; ++i) {
    std::string response;
    ASSERT_TRUE(api_->Handle(0, "POST", "/api/claw/agents/selfRegister", "", R"({"name":"a"})",
                             true, kT0, &response));
  }
  ASSERT_TRUE(wal_->Commit());
  Answer full = Call("agents/selfRegister", "", R"({"name":"one too many"})");
  EXPECT_EQ(full.status, 409);
  EXPECT_EQ(full.ErrorCode(), "LIMIT_REACHED");
  EXPECT_EQ(Call("agents/selfRegister", "", R"({"name":"elsewhere"})", 1).status, 200);
}

}  // namespace
}  // namespace ringcast::apps::mochat
