// MoChat workspaces ("groups"), panels and invites: the home workspace every agent owns, panels
// created, modified, written to, paged and deleted by members only, invites that expire and get
// used up, joining by invite, and all of it after a restart.
#include <gtest/gtest.h>

#include "mochat/mochat_fixture.h"

namespace ringcast::apps::mochat {
namespace {

using MochatGroupsTest = MochatTest;

TEST_F(MochatGroupsTest, EveryAgentOwnsAHomeGroup) {
  TestAgent a = Register("alice");
  Answer g = Call("groups/get", a.token, "{}");
  ASSERT_EQ(g.status, 200) << g.body;
  EXPECT_EQ(g.At("/id"), a.group);
  EXPECT_EQ(g.At("/name"), "alice's workspace");
  EXPECT_EQ(g.At("/ownerId"), a.id);
  EXPECT_EQ(g.Ids("/members"), std::vector<std::string>{a.id});
  EXPECT_EQ(g.At("/panels"), "[]");
  EXPECT_EQ(Call("groups/get", a.token, R"({"groupId":")" + a.group + "\"}").At("/id"), a.group);
  TestAgent b = Register("bob");
  EXPECT_EQ(Call("groups/get", b.token, R"({"groupId":")" + a.group + "\"}").status, 403);
  EXPECT_EQ(Call("groups/get", b.token, R"({"groupId":"group_00000000000000ff"})").status, 404);
  EXPECT_EQ(Call("groups/get", b.token, R"({"groupId":3})").status, 400);
}

TEST_F(MochatGroupsTest, PanelsAreCreatedModifiedWrittenAndDeletedByMembers) {
  TestAgent a = Register("alice");
  TestAgent b = Register("bob");
  Answer p = Call("groups/panels/create", a.token, R"({"name":"general","description":"talk"})");
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_TRUE(p.changed);
  const std::string panel = p.At("/id");
  EXPECT_EQ(panel.substr(0, 6), "panel_");
  EXPECT_EQ(p.At("/groupId"), a.group);
  EXPECT_EQ(p.At("/name"), "general");
  EXPECT_EQ(p.At("/description"), "talk");
  EXPECT_EQ(Call("groups/get", a.token, "{}").Ids("/panels"), std::vector<std::string>{panel});
  EXPECT_EQ(Call("groups/panels/create", a.token, "{}").status, 400);
  EXPECT_EQ(Call("groups/panels/create", a.token, R"({"name":""})").status, 400);
  EXPECT_EQ(
      Call("groups/panels/create", b.token, R"({"groupId":")" + a.group + R"(","name":"intruder"})")
          .status,
      403);

  const std::string pid = R"({"panelId":")" + panel + "\"";
  now_ += 1000;
  Answer m = Call("groups/panels/modify", a.token, pid + R"(,"name":"lobby"})");
  ASSERT_EQ(m.status, 200) << m.body;
  EXPECT_EQ(m.At("/name"), "lobby");
  EXPECT_EQ(m.At("/description"), "talk");
  EXPECT_EQ(m.At("/updatedAt"), "2027-01-15T08:00:01.000Z");
  EXPECT_EQ(Call("groups/panels/modify", a.token, pid + "}").status, 400);
  EXPECT_EQ(Call("groups/panels/modify", a.token, pid + R"(,"name":""})").status, 400);
  EXPECT_EQ(Call("groups/panels/modify", b.token, pid + R"(,"name":"x"})").status, 403);

  Answer s = Call("groups/panels/send", a.token, pid + R"(,"content":"hello panel"})");
  ASSERT_EQ(s.status, 200) << s.body;
  EXPECT_EQ(s.At("/message/panelId"), panel);
  EXPECT_EQ(s.At("/message/groupId"), a.group);
  EXPECT_EQ(s.At("/message/content"), "hello panel");
  EXPECT_EQ(Call("groups/panels/send", b.token, pid + R"(,"content":"x"})").status, 403);
  EXPECT_EQ(Call("groups/panels/messages", b.token, pid + "}").status, 403);
  Answer page = Call("groups/panels/messages", a.token, pid + "}");
  EXPECT_EQ(page.At("/panelId"), panel);
  EXPECT_EQ(page.At("/groupId"), a.group);
  EXPECT_EQ(page.At("/messages/0/content"), "hello panel");
  EXPECT_EQ(page.At("/nextCursor"), "null");
  EXPECT_EQ(
      Call("groups/panels/messages", a.token, R"({"panelId":"panel_00000000000000ff"})").status,
      404);
  EXPECT_EQ(Call("groups/panels/send", a.token, R"({"content":"x"})").status, 400);

  // Survives a restart.
  Reopen();
  EXPECT_EQ(Call("groups/get", a.token, "{}").At("/panels/0/name"), "lobby");
  EXPECT_EQ(Call("groups/panels/messages", a.token, pid + "}").At("/messages/0/content"),
            "hello panel");

  EXPECT_EQ(Call("groups/panels/delete", b.token, pid + "}").status, 403);
  Answer d = Call("groups/panels/delete", a.token, pid + "}");
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_EQ(d.At("/deleted"), "true");
  EXPECT_EQ(api_->stored_messages(0), 0u);  // its messages went with it
  EXPECT_EQ(Call("groups/panels/messages", a.token, pid + "}").status, 404);
  EXPECT_EQ(Call("groups/get", a.token, "{}").At("/panels"), "[]");
  Reopen();
  EXPECT_EQ(Call("groups/panels/messages", a.token, pid + "}").status, 404);
  EXPECT_EQ(api_->stored_messages(0), 0u);
}

TEST_F(MochatGroupsTest, AnInviteAdmitsToTheGroupAndItsPanels) {
  TestAgent a = Register("alice");
  TestAgent b = Register("bob");
  TestAgent c = Register("carol");
  const std::string panel =
      Call("groups/panels/create", a.token, R"({"name":"general"})").At("/id");
  Answer inv = Call("groups/createInvite", a.token, R"({"maxUses":1})");
  ASSERT_EQ(inv.status, 200) << inv.body;
  const std::string code = inv.At("/code");
  EXPECT_EQ(code.size(), 24u);
  EXPECT_EQ(inv.At("/groupId"), a.group);
  EXPECT_EQ(inv.At("/maxUses"), "1");
  EXPECT_EQ(inv.At("/uses"), "0");
  EXPECT_EQ(inv.At("/expiresAt"), "2027-01-22T08:00:00.000Z");  // 7 days by default

  Answer join = Call("groups/joinByInvite", b.token, R"({"code":")" + code + "\"}");
  ASSERT_EQ(join.status, 200) << join.body;
  EXPECT_TRUE(join.changed);
  EXPECT_EQ(join.At("/joined"), "true");
  EXPECT_EQ(join.At("/id"), a.group);
  EXPECT_EQ(join.Ids("/members"), (std::vector<std::string>{a.id, b.id}));
  EXPECT_EQ(join.Ids("/panels"), std::vector<std::string>{panel});
  EXPECT_EQ(
      Call("groups/panels/send", b.token, R"({"panelId":")" + panel + R"(","content":"thanks"})")
          .status,
      200);
  // Joining again is a no-op; the code is used up for anyone else.
  Answer again = Call("groups/joinByInvite", b.token, R"({"code":")" + code + "\"}");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.At("/joined"), "false");
  EXPECT_FALSE(again.changed);
  Answer used = Call("groups/joinByInvite", c.token, R"({"code":")" + code + "\"}");
  EXPECT_EQ(used.status, 410);
  EXPECT_EQ(used.ErrorCode(), "INVITE_USED_UP");
  EXPECT_EQ(Call("groups/joinByInvite", c.token, R"({"code":"nope"})").status, 404);
  EXPECT_EQ(Call("groups/joinByInvite", c.token, "{}").status, 400);
  // Members invite too; outsiders do not.
  EXPECT_EQ(Call("groups/createInvite", b.token, R"({"groupId":")" + a.group + "\"}").status, 200);
  EXPECT_EQ(Call("groups/createInvite", c.token, R"({"groupId":")" + a.group + "\"}").status, 403);
  // Membership and use counts survive a restart.
  Reopen();
  EXPECT_EQ(Call("groups/get", b.token, R"({"groupId":")" + a.group + "\"}").status, 200);
  EXPECT_EQ(Call("groups/joinByInvite", c.token, R"({"code":")" + code + "\"}").ErrorCode(),
            "INVITE_USED_UP");
  EXPECT_EQ(Call("agents/get", b.token, "{}").Ids("/groups"),
            (std::vector<std::string>{a.group, b.group}));
}

TEST_F(MochatGroupsTest, InvitesExpire) {
  TestAgent a = Register("alice");
  TestAgent b = Register("bob");
  const std::string code =
      Call("groups/createInvite", a.token, R"({"expiresInSeconds":60,"maxUses":5})").At("/code");
  now_ += 60'000;
  Answer late = Call("groups/joinByInvite", b.token, R"({"code":")" + code + "\"}");
  EXPECT_EQ(late.status, 410);
  EXPECT_EQ(late.ErrorCode(), "INVITE_EXPIRED");
  EXPECT_EQ(Call("groups/get", b.token, R"({"groupId":")" + a.group + "\"}").status, 403);
  EXPECT_EQ(Call("groups/createInvite", a.token, R"({"expiresInSeconds":59})").status, 400);
  EXPECT_EQ(Call("groups/createInvite", a.token, R"({"maxUses":0})").status, 400);
  EXPECT_EQ(Call("groups/createInvite", a.token, R"({"maxUses":"x"})").status, 400);
}

TEST_F(MochatGroupsTest, InvitesPerGroupAreBoundedAndDeadOnesMakeRoom) {
  TestAgent a = Register("alice");
  std::string first;
  for (size_t i = 0; i < MochatApi::kMaxInvitesPerGroup; ++i) {
    Answer r = Call("groups/createInvite", a.token, R"({"expiresInSeconds":60})");
    ASSERT_EQ(r.status, 200) << r.body;
    if (first.empty()) first = r.At("/code");
  }
  const size_t keys = wal_->live().size();
  Answer full = Call("groups/createInvite", a.token, "{}");
  EXPECT_EQ(full.status, 409);
  EXPECT_EQ(full.ErrorCode(), "LIMIT_REACHED");
  EXPECT_FALSE(full.changed);
  EXPECT_EQ(wal_->live().size(), keys);  // a refusal writes nothing
  EXPECT_FALSE(wal_->has_pending());
  now_ += 61'000;  // all expired: the next one deletes them
  EXPECT_EQ(Call("groups/createInvite", a.token, "{}").status, 200);
  TestAgent b = Register("bob");
  EXPECT_EQ(Call("groups/joinByInvite", b.token, R"({"code":")" + first + "\"}").status, 404);
}

TEST_F(MochatGroupsTest, PanelsPerGroupAreBounded) {
  TestAgent a = Register("alice");
  for (size_t i = 0; i < MochatApi::kMaxPanelsPerGroup; ++i) {
    ASSERT_EQ(Call("groups/panels/create", a.token, R"({"name":"p"})").status, 200);
  }
  EXPECT_EQ(Call("groups/panels/create", a.token, R"({"name":"p"})").status, 409);
}

}  // namespace
}  // namespace ringcast::apps::mochat
