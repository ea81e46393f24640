// MoChat notifications: notify:session and notify:panel reach exactly the agents that may see
// the message and have subscribed (by id or "*") or are mentioned, once each; subscriptions are
// allowed only to what the agent may see, end with removal from a session or a panel's
// deletion, and are bounded; the Socket.IO event form answers acks.
#include <gtest/gtest.h>

#include <algorithm>

#include "apps/mochat/mentions.h"
#include "mochat/mochat_fixture.h"

namespace ringcast::apps::mochat {
namespace {

using MochatNotifyTest = MochatTest;

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST_F(MochatNotifyTest, SessionMessagesReachSubscribedParticipantsOnly) {
  TestAgent a = Register("alice");
  TestAgent b = Register("bob");
  TestAgent c = Register("carol");
  TestAgent d = Register("dave");
  const std::string s = Group(a, {b.id, c.id});
  EXPECT_TRUE(api_->Subscribe(0, 11, b.id, false, s));
  EXPECT_TRUE(api_->Subscribe(0, 12, b.id, false, s));   // a second socket of bob's
  EXPECT_FALSE(api_->Subscribe(0, 13, d.id, false, s));  // not a participant
  EXPECT_FALSE(api_->Subscribe(0, 14, d.id, false, "session_00000000000000ff"));
  EXPECT_FALSE(api_->Subscribe(0, 15, "agent_00000000000000ff", false, s));
  EXPECT_FALSE(api_->Subscribe(1, 16, b.id, false, s));  // another app
  ASSERT_EQ(Send(a, s, "hello").status, 200);
  std::vector<Notification> all;
  EXPECT_EQ(Notified(&all), std::vector<std::string>{b.id});  // once, for both sockets
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].app, 0u);
  EXPECT_EQ(all[0].event, "notify:session");
  Answer data{200, all[0].data_json};
  EXPECT_EQ(data.At("/sessionId"), s);
  EXPECT_EQ(data.At("/message/content"), "hello");
  EXPECT_EQ(data.At("/sender/id"), a.id);
  EXPECT_EQ(data.At("/sender/name"), "alice");
  // The sender is notified like any other subscriber, and only then.
  EXPECT_TRUE(api_->Subscribe(0, 21, a.id, false, s));
  ASSERT_EQ(Send(a, s, "again").status, 200);
  EXPECT_EQ(Sorted(Notified()), Sorted({a.id, b.id}));
  // Unsubscribing one socket leaves the other.
  api_->Unsubscribe(0, 11, false, s);
  ASSERT_EQ(Send(c, s, "x").status, 200);
  EXPECT_EQ(Sorted(Notified()), Sorted({a.id, b.id}));
  api_->SocketClosed(0, 12);
  api_->SocketClosed(0, 21);
  ASSERT_EQ(Send(c, s, "y").status, 200);
  EXPECT_TRUE(Notified().empty());
  // A refused send notifies nobody.
  EXPECT_TRUE(api_->Subscribe(0, 31, b.id, false, s));
  EXPECT_EQ(Send(d, s, "z").status, 403);
  EXPECT_TRUE(Notified().empty());
}

TEST_F(MochatNotifyTest, WildcardCoversEverySessionTheAgentMaySee) {
  TestAgent a = Register("alice");
  TestAgent b = Register("bob");
  TestAgent c = Register("carol");
  EXPECT_TRUE(api_->Subscribe(0, 1, b.id, false, "*"));
  EXPECT_TRUE(api_->Subscribe(0, 2, c.id, false, "*"));
  const std::string later = Group(a, {b.id});  // made after the subscription
  ASSERT_EQ(Send(a, later, "hi").status, 200);
  EXPECT_EQ(Notified(), std::vector<std::string>{b.id});  // carol may not see it
  // "*" for sessions says nothing of panels.
  ASSERT_EQ(
      Call("groups/panels/send", a.token,
           R"({"panelId":")" + Call("groups/panels/create", a.token, R"({"name":"p"})").At("/id") +
               R"(","content":"x"})")
          .status,
      200);
  EXPECT_TRUE(Notified().empty());
  api_->Unsubscribe(0, 1, false, "*");
  ASSERT_EQ(Send(a, later, "again").status, 200);
  EXPECT_TRUE(Notified().empty());
}

TEST_F(MochatNotifyTest, RemovalCutsAccessAndSubscriptionsAtOnce) {
  TestAgent a = Register("alice");
  TestAgent b = Register("bob");
  const std::string s = Group(a, {b.id});
  EXPECT_TRUE(api_->Subscribe(0, 7, b.id, false, s));
  EXPECT_EQ(api_->subscriptions(0, 7), 1u);
  ASSERT_EQ(Call("sessions/removeParticipants", a.token,
                 R"({"sessionId":")" + s + R"(","participants":[")" + b.id + "\"]}")
                .status,
            200);
  EXPECT_EQ(api_->subscriptions(0, 7), 0u);
  ASSERT_EQ(Send(a, s, "@bob are you there").status, 200);  // not even by mention
  EXPECT_TRUE(Notified().empty());
  EXPECT_FALSE(api_->Subscribe(0, 7, b.id, false, s));
  // Added back: subscribing works again, the old subscription did not come back by itself.
  ASSERT_EQ(Call("sessions/addParticipants", a.token,
                 R"({"sessionId":")" + s + R"(","participants":[")" + b.id + "\"]}")
                .status,
            200);
  ASSERT_EQ(Send(a, s, "back").status, 200);
  EXPECT_TRUE(Notified().empty());
  EXPECT_TRUE(api_->Subscribe(0, 7, b.id, false, s));
  ASSERT_EQ(Send(a, s, "back for real").status, 200);
  EXPECT_EQ(Notified(), std::vector<std::string>{b.id});
}

TEST_F(MochatNotifyTest, MentionsReachAgentsThatMaySeeWithoutSubscribing) {
  TestAgent a = Register("alice");
  TestAgent b = Register("Bob");
  TestAgent c = Register("carol");
  TestAgent d = Register("dave");
  const std::string s = Group(a, {b.id, c.id});
  // By name, any case; by id; the sender's own mention does not count; dave may not see it.
  Answer sent = Send(a, s, "hey @bob and @" + c.id + ", @alice and @dave, mail x@carol.com");
  ASSERT_EQ(sent.status, 200) << sent.body;
  EXPECT_EQ(sent.Ids("/message/mentions"), (std::vector<std::string>{b.id, c.id, a.id}));
  std::vector<Notification> all;
  EXPECT_EQ(Notified(&all), (std::vector<std::string>{b.id, c.id}));
  // A mentioned agent that also subscribed gets one notification, not two.
  EXPECT_TRUE(api_->Subscribe(0, 1, b.id, false, s));
  ASSERT_EQ(Send(c, s, "@BOB.").status, 200);
  EXPECT_EQ(Notified(), std::vector<std::string>{b.id});
  // Explicit "mentions" in the body count too, when they may see it.
  ASSERT_EQ(Call("sessions/send", b.token,
                 R"({"sessionId":")" + s + R"(","content":"psst","mentions":[")" + c.id + R"(",")" +
                     d.id + "\"]}")
                .status,
            200);
  EXPECT_EQ(Sorted(Notified()), Sorted({b.id, c.id}));
}

TEST_F(MochatNotifyTest, PanelMessagesReachSubscribedOrMentionedMembers) {
  TestAgent a = Register("alice");
  TestAgent b = Register("bob");
  TestAgent c = Register("carol");
  TestAgent d = Register("dave");
  const std::string panel =
      Call("groups/panels/create", a.token, R"({"name":"general"})").At("/id");
  const std::string code = Call("groups/createInvite", a.token, "{}").At("/code");
  EXPECT_FALSE(api_->Subscribe(0, 2, b.id, true, panel));  // not a member yet
  ASSERT_EQ(Call("groups/joinByInvite", b.token, R"({"code":")" + code + "\"}").status, 200);
  ASSERT_EQ(Call("groups/joinByInvite", c.token, R"({"code":")" + code + "\"}").status, 200);
  EXPECT_TRUE(api_->Subscribe(0, 2, b.id, true, panel));
  EXPECT_FALSE(api_->Subscribe(0, 4, d.id, true, panel));
  EXPECT_TRUE(api_->Subscribe(0, 4, d.id, true, "*"));  // allowed, but covers no panel of a's
  const std::string send = R"({"panelId":")" + panel + R"(","content":")";
  ASSERT_EQ(Call("groups/panels/send", a.token, send + "welcome\"}").status, 200);
  std::vector<Notification> all;
  EXPECT_EQ(Notified(&all), std::vector<std::string>{b.id});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].event, "notify:panel");
  Answer data{200, all[0].data_json};
  EXPECT_EQ(data.At("/panelId"), panel);
  EXPECT_EQ(data.At("/groupId"), a.group);
  EXPECT_EQ(data.At("/message/content"), "welcome");
  ASSERT_EQ(Call("groups/panels/send", a.token, send + "@carol @dave look\"}").status, 200);
  EXPECT_EQ(Sorted(Notified()), Sorted({b.id, c.id}));
  // Deleting the panel ends its subscriptions.
  EXPECT_EQ(api_->subscriptions(0, 2), 1u);
  ASSERT_EQ(Call("groups/panels/delete", a.token, R"({"panelId":")" + panel + "\"}").status, 200);
  EXPECT_EQ(api_->subscriptions(0, 2), 0u);
}

TEST_F(MochatNotifyTest, SubscriptionsPerSocketAreBounded) {
  TestAgent a = Register("alice");
  std::vector<std::string> sessions;
  for (size_t i = 0; i <= MochatApi::kMaxSubscriptionsPerSocket; ++i) {
    std::string response;
    ASSERT_TRUE(api_->Handle(0, "POST", "/api/claw/sessions/create", a.token,
                             R"({"type":"group","name":"g"})", true, kT0, &response));
    Answer r{200, response.substr(response.find("\r\n\r\n") + 4)};
    sessions.push_back(r.At("/id"));
  }
  for (size_t i = 0; i < MochatApi::kMaxSubscriptionsPerSocket; ++i) {
    ASSERT_TRUE(api_->Subscribe(0, 9, a.id, false, sessions[i]));
  }
  EXPECT_TRUE(api_->Subscribe(0, 9, a.id, false, sessions[0]));  // already there
  EXPECT_FALSE(api_->Subscribe(0, 9, a.id, false, sessions.back()));
  EXPECT_TRUE(api_->Subscribe(0, 10, a.id, false, sessions.back()));  // another socket
  api_->Unsubscribe(0, 9, false, sessions[0]);
  EXPECT_TRUE(api_->Subscribe(0, 9, a.id, false, sessions.back()));
}

TEST_F(MochatNotifyTest, SocketEventsAnswerAcks) {
  TestAgent a = Register("alice");
  TestAgent b = Register("bob");
  const std::string s = Group(a, {});
  Answer ok{200,
            api_->SocketEvent(0, 1, a.id, "session:subscribe", R"({"sessionId":")" + s + "\"}")};
  EXPECT_EQ(ok.At("/success"), "true");
  EXPECT_EQ(ok.At("/sessionId"), s);
  Answer no{200, api_->SocketEvent(0, 2, b.id, "session:subscribe", "\"" + s + "\"")};
  EXPECT_EQ(no.At("/success"), "false");
  EXPECT_EQ(no.At("/error/code"), "FORBIDDEN");
  Answer bad{200, api_->SocketEvent(0, 2, b.id, "panel:subscribe", "{}")};
  EXPECT_EQ(bad.At("/error/code"), "BAD_REQUEST");
  Answer off{200, api_->SocketEvent(0, 1, a.id, "session:unsubscribe", "\"" + s + "\"")};
  EXPECT_EQ(off.At("/success"), "true");
  EXPECT_EQ(api_->subscriptions(0, 1), 0u);
  EXPECT_EQ(api_->SocketEvent(0, 1, a.id, "chat:message", "{}"), "");
}

TEST(MochatMentions, Syntax) {
  EXPECT_EQ(MentionTokens("@a hi @b.c. @a (@d-) e@f @@g", 10),
            (std::vector<std::string_view>{"a", "b.c", "d"}));
  EXPECT_TRUE(MentionTokens("@ @. nothing", 10).empty());
  EXPECT_EQ(MentionTokens("@a @b @c", 2).size(), 2u);
}

}  // namespace
}  // namespace ringcast::apps::mochat
