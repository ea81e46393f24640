// MoChat sessions: DMs and groups, who may read and send, participants added and removed (access
// changing with them), closing, message pages newest first with cursors, pruning past the
// bound, and all of it after a restart.
#include <gtest/gtest.h>

#include "mochat/mochat_fixture.h"

namespace ringcast::apps::mochat {
namespace {

using MochatSessionsTest = MochatTest;

TEST_F(MochatSessionsTest, DmBetweenTwoAgents) {
  TestAgent a = Register("alice");
  TestAgent b = Register("bob");
  TestAgent c = Register("carol");
  Answer dm = Call("sessions/create", a.token, R"({"participants":[")" + b.id + "\"]}");
  ASSERT_EQ(dm.status, 200) << dm.body;
  EXPECT_TRUE(dm.changed);
  const std::string id = dm.At("/id");
  EXPECT_EQ(id.substr(0, 8), "session_");
  EXPECT_EQ(dm.At("/sessionId"), id);
  EXPECT_EQ(dm.At("/type"), "dm");
  EXPECT_EQ(dm.Ids("/participants"), (std::vector<std::string>{a.id, b.id}));
  EXPECT_EQ(dm.At("/createdBy"), a.id);
  EXPECT_EQ(dm.At("/status"), "open");
  EXPECT_EQ(dm.At("/closed"), "false");
  EXPECT_EQ(dm.At("/lastMessageAt"), "null");
  // One open DM per pair: asking again (either side, participant objects too) answers it.
  Answer again = Call("sessions/create", b.token,
                      R"({"type":"dm","participants":[{"type":"agent","id":")" + a.id + "\"}]}");
  EXPECT_EQ(again.At("/id"), id);
  EXPECT_FALSE(again.changed);

  Answer sent = Send(a, id, "hi bob");
  ASSERT_EQ(sent.status, 200) << sent.body;
  EXPECT_EQ(sent.At("/status"), "sent");
  EXPECT_EQ(sent.At("/message/sessionId"), id);
  EXPECT_EQ(sent.At("/message/senderId"), a.id);
  EXPECT_EQ(sent.At("/message/content"), "hi bob");
  EXPECT_EQ(sent.At("/message/id").substr(0, 4), "msg_");
  EXPECT_EQ(sent.At("/message/createdAt"), "2027-01-15T08:00:00.000Z");
  EXPECT_EQ(Call("sessions/send", b.token, R"({"sessionId":")" + id + R"(","text":"hey"})").status,
            200);  // "text" is read as the content too
  // Not a participant: 403 to read and to send.
  EXPECT_EQ(Send(c, id, "let me in").status, 403);
  EXPECT_EQ(Call("sessions/messages", c.token, R"({"sessionId":")" + id + "\"}").status, 403);
  EXPECT_EQ(Call("sessions/get", c.token, R"({"sessionId":")" + id + "\"}").status, 403);
  Answer page = Call("sessions/messages", b.token, R"({"sessionId":")" + id + "\"}");
  EXPECT_EQ(page.At("/sessionId"), id);
  EXPECT_EQ(page.At("/messages/0/content"), "hey");
  EXPECT_EQ(page.At("/messages/1/content"), "hi bob");
  EXPECT_EQ(page.At("/nextCursor"), "null");
}

TEST_F(MochatSessionsTest, CreateRefusals) {
  TestAgent a = Register("alice");
  TestAgent b = Register("bob");
  TestAgent c = Register("carol");
  EXPECT_EQ(Call("sessions/create", a.token, R"({"participants":"x"})").status, 404);
  EXPECT_EQ(Call("sessions/create", a.token, R"({"participants":[5]})").status, 400);
  EXPECT_EQ(Call("sessions/create", a.token, R"({"participants":{}})").status, 400);
  EXPECT_EQ(Call("sessions/create", a.token,
                 R"({"type":"dm","participants":[")" + b.id + R"(",")" + c.id + "\"]}")
                .status,
            400);
  EXPECT_EQ(Call("sessions/create", a.token, R"({"type":"dm","participants":[]})").status, 400);
  EXPECT_EQ(Call("sessions/create", a.token, R"({"type":"room"})").status, 400);
  EXPECT_EQ(Call("sessions/create", a.token, R"({"metadata":"x"})").status, 400);
  // A group of one is fine.
  Answer g = Call("sessions/create", a.token, R"({"type":"group","name":"notes"})");
  EXPECT_EQ(g.status, 200);
  EXPECT_EQ(g.Ids("/participants"), std::vector<std::string>{a.id});
}

TEST_F(MochatSessionsTest, UnknownAndBadSessionIds) {
  TestAgent a = Register("alice");
  for (const char* route :
       {"sessions/get", "sessions/detail", "sessions/messages", "sessions/send",
        "sessions/addParticipants", "sessions/removeParticipants", "sessions/close"}) {
    EXPECT_EQ(Call(route, a.token, R"({"sessionId":"session_00000000000000ff","content":"x",
                                       "participants":["x"]})")
                  .status,
              404)
        << route;
    EXPECT_EQ(Call(route, a.token, "{}").status, 400) << route;
    EXPECT_EQ(Call(route, a.token, R"({"sessionId":1})").status, 400) << route;
  }
}

TEST_F(MochatSessionsTest, SendRefusesBadContent) {
  TestAgent a = Register("alice");
  const std::string s = Group(a, {});
  EXPECT_EQ(Send(a, s, "").status, 400);
  EXPECT_EQ(Call("sessions/send", a.token, R"({"sessionId":")" + s + "\"}").status, 400);
  EXPECT_EQ(
      Call("sessions/send", a.token, R"({"sessionId":")" + s + R"(","content":{"a":1}})").status,
      400);
  Answer big = Send(a, s, std::string(MochatApi::kMaxContentBytes + 1, 'x'));
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.ErrorCode(), "PAYLOAD_TOO_LARGE");
  EXPECT_EQ(Send(a, s, std::string(MochatApi::kMaxContentBytes, 'x')).status, 200);
}

TEST_F(MochatSessionsTest, MessagesPageNewestFirstWithCursors) {
  TestAgent a = Register("alice");
  const std::string s = Group(a, {});
  for (int i = 0; i < 45; ++i) {
    ASSERT_EQ(Send(a, s, "m" + std::to_string(i)).status, 200);
    now_ += 1000;
  }
  Answer p1 = Call("sessions/messages", a.token, R"({"sessionId":")" + s + "\"}");
  ASSERT_EQ(p1.status, 200) << p1.body;
  EXPECT_FALSE(p1.changed);
  std::vector<std::string> ids = p1.Ids("/messages");
  ASSERT_EQ(ids.size(), 20u);  // the default page
  EXPECT_EQ(p1.At("/messages/0/content"), "m44");
  EXPECT_EQ(p1.At("/messages/19/content"), "m25");
  EXPECT_EQ(p1.At("/nextCursor"), ids.back());
  Answer p2 =
      Call("sessions/messages", a.token,
           R"({"sessionId":")" + s + R"(","limit":20,"cursor":")" + p1.At("/nextCursor") + "\"}");
  EXPECT_EQ(p2.At("/messages/0/content"), "m24");
  // MoChat's own name for the cursor works too.
  Answer p3 = Call("sessions/messages", a.token,
                   R"({"sessionId":")" + s + R"(","limit":20,"beforeMessageId":")" +
                       p2.At("/nextCursor") + "\"}");
  EXPECT_EQ(p3.Ids("/messages").size(), 5u);
  EXPECT_EQ(p3.At("/messages/4/content"), "m0");
  EXPECT_EQ(p3.At("/nextCursor"), "null");
  // Exactly a page left: no next cursor.
  Answer exact =
      Call("sessions/messages", a.token,
           R"({"sessionId":")" + s + R"(","limit":5,"cursor":")" + p2.At("/nextCursor") + "\"}");
  EXPECT_EQ(exact.Ids("/messages").size(), 5u);
  EXPECT_EQ(exact.At("/nextCursor"), "null");
  // limit: capped at the max, at least 1.
  EXPECT_EQ(Call("sessions/messages", a.token, R"({"sessionId":")" + s + R"(","limit":1000})")
                .Ids("/messages")
                .size(),
            45u);
  EXPECT_EQ(Call("sessions/messages", a.token, R"({"sessionId":")" + s + R"(","limit":0})").status,
            400);
  EXPECT_EQ(
      Call("sessions/messages", a.token, R"({"sessionId":")" + s + R"(","limit":"x"})").status,
      400);
  EXPECT_EQ(
      Call("sessions/messages", a.token, R"({"sessionId":")" + s + R"(","cursor":"zz"})").status,
      400);
  // The session tells when its last message came.
  EXPECT_EQ(Call("sessions/get", a.token, R"({"sessionId":")" + s + "\"}").At("/lastMessageAt"),
            "2027-01-15T08:00:44.000Z");
}

TEST_F(MochatSessionsTest, ListIsTheCallersSessionsNewestFirst) {
  TestAgent a = Register("alice");
  TestAgent b = Register("bob");
  const std::string s1 = Group(a, {b.id}, "one");
  const std::string s2 = Group(a, {}, "two");
  const std::string s3 = Group(b, {a.id}, "three");
  Answer l = Call("sessions/list", a.token, "{}");
  EXPECT_EQ(l.Ids("/sessions"), (std::vector<std::string>{s3, s2, s1}));
  EXPECT_EQ(l.At("/nextCursor"), "null");
  Answer p1 = Call("sessions/list", a.token, R"({"limit":2})");
  EXPECT_EQ(p1.Ids("/sessions"), (std::vector<std::string>{s3, s2}));
  EXPECT_EQ(p1.At("/nextCursor"), s2);
  Answer p2 = Call("sessions/list", a.token, R"({"limit":2,"cursor":")" + s2 + "\"}");
  EXPECT_EQ(p2.Ids("/sessions"), std::vector<std::string>{s1});
  EXPECT_EQ(Call("sessions/list", b.token, "").Ids("/sessions"),
            (std::vector<std::string>{s3, s1}));
}

TEST_F(MochatSessionsTest, ParticipantsAddedAndRemovedChangeAccess) {
  TestAgent a = Register("alice");
  TestAgent b = Register("bob");
  TestAgent c = Register("carol");
  const std::string s = Group(a, {b.id});
  const std::string body = R"({"sessionId":")" + s + "\"}";
  EXPECT_EQ(Call("sessions/get", c.token, body).status, 403);
  // Any participant adds.
  Answer add = Call("sessions/addParticipants", b.token,
                    R"({"sessionId":")" + s + R"(","participants":[")" + c.id + "\"]}");
  ASSERT_EQ(add.status, 200) << add.body;
  EXPECT_TRUE(add.changed);
  EXPECT_EQ(add.Ids("/participants"), (std::vector<std::string>{a.id, b.id, c.id}));
  EXPECT_EQ(Send(c, s, "hello all").status, 200);
  EXPECT_EQ(Call("sessions/list", c.token, "{}").Ids("/sessions"), std::vector<std::string>{s});
  // Adding again changes nothing; an unknown agent is 404.
  EXPECT_FALSE(Call("sessions/addParticipants", b.token,
                    R"({"sessionId":")" + s + R"(","participants":[")" + c.id + "\"]}")
                   .changed);
  EXPECT_EQ(Call("sessions/addParticipants", b.token,
                 R"({"sessionId":")" + s + R"(","participants":["agent_00000000000000ff"]})")
                .status,
            404);
  EXPECT_EQ(Call("sessions/addParticipants", b.token, body).status, 400);
  // Only the creator removes others; anyone removes itself.
  EXPECT_EQ(Call("sessions/removeParticipants", b.token,
                 R"({"sessionId":")" + s + R"(","participants":[")" + c.id + "\"]}")
                .status,
            403);
  Answer rm = Call("sessions/removeParticipants", a.token,
                   R"({"sessionId":")" + s + R"(","participants":[")" + c.id + "\"]}");
  ASSERT_EQ(rm.status, 200) << rm.body;
  EXPECT_EQ(rm.Ids("/participants"), (std::vector<std::string>{a.id, b.id}));
  EXPECT_EQ(Send(c, s, "still here?").status, 403);
  EXPECT_EQ(Call("sessions/messages", c.token, body).status, 403);
  EXPECT_TRUE(Call("sessions/list", c.token, "{}").Ids("/sessions").empty());
  Answer leave = Call("sessions/removeParticipants", b.token,
                      R"({"sessionId":")" + s + R"(","participants":[")" + b.id + "\"]}");
  EXPECT_EQ(leave.status, 200);
  EXPECT_EQ(Call("sessions/get", b.token, body).status, 403);
  // All of it after a restart.
  Reopen();
  EXPECT_EQ(Call("sessions/get", a.token, body).Ids("/participants"),
            std::vector<std::string>{a.id});
  EXPECT_EQ(Call("sessions/get", b.token, body).status, 403);
  EXPECT_EQ(Call("sessions/get", c.token, body).status, 403);
  EXPECT_EQ(Call("sessions/messages", a.token, body).At("/messages/0/content"), "hello all");
}

TEST_F(MochatSessionsTest, DmParticipantsAreFixed) {
  TestAgent a = Register("alice");
  TestAgent b = Register("bob");
  TestAgent c = Register("carol");
  const std::string dm =
      Call("sessions/create", a.token, R"({"participants":[")" + b.id + "\"]}").At("/id");
  Answer add = Call("sessions/addParticipants", a.token,
                    R"({"sessionId":")" + dm + R"(","participants":[")" + c.id + "\"]}");
  EXPECT_EQ(add.status, 409);
  EXPECT_EQ(Call("sessions/removeParticipants", a.token,
                 R"({"sessionId":")" + dm + R"(","participants":[")" + b.id + "\"]}")
                .status,
            409);
}

TEST_F(MochatSessionsTest, AClosedSessionRefusesNewMessagesButStaysReadable) {
  TestAgent a = Register("alice");
  TestAgent b = Register("bob");
  TestAgent c = Register("carol");
  const std::string s = Group(a, {b.id});
  ASSERT_EQ(Send(a, s, "before").status, 200);
  const std::string body = R"({"sessionId":")" + s + "\"}";
  EXPECT_EQ(Call("sessions/close", c.token, body).status, 403);
  now_ += 5000;
  Answer closed = Call("sessions/close", b.token, body);
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_TRUE(closed.changed);
  EXPECT_EQ(closed.At("/status"), "closed");
  EXPECT_EQ(closed.At("/closedAt"), "2027-01-15T08:00:05.000Z");
  EXPECT_FALSE(Call("sessions/close", a.token, body).changed);  // already closed
  Answer refused = Send(a, s, "after");
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(refused.ErrorCode(), "SESSION_CLOSED");
  EXPECT_EQ(Call("sessions/addParticipants", a.token,
                 R"({"sessionId":")" + s + R"(","participants":[")" + c.id + "\"]}")
                .ErrorCode(),
            "SESSION_CLOSED");
  EXPECT_EQ(Call("sessions/messages", b.token, body).At("/messages/0/content"), "before");
  Reopen();
  EXPECT_EQ(Send(a, s, "after restart").status, 409);
  EXPECT_EQ(Call("sessions/get", a.token, body).At("/closed"), "true");
  // A closed DM no longer counts: asking for one makes a new one.
  const std::string dm =
      Call("sessions/create", a.token, R"({"participants":[")" + b.id + "\"]}").At("/id");
  ASSERT_EQ(Call("sessions/close", a.token, R"({"sessionId":")" + dm + "\"}").status, 200);
  Answer fresh = Call("sessions/create", b.token, R"({"participants":[")" + a.id + "\"]}");
  EXPECT_NE(fresh.At("/id"), dm);
  EXPECT_TRUE(fresh.changed);
}

TEST_F(MochatSessionsTest, DetailListsParticipantsAndTheLastMessage) {
  TestAgent a = Register("alice");
  TestAgent b = Register("bob");
  const std::string s = Group(a, {b.id});
  Answer empty = Call("sessions/detail", a.token, R"({"sessionId":")" + s + "\"}");
  EXPECT_EQ(empty.At("/lastMessage"), "null");
  EXPECT_EQ(empty.At("/messageCount"), "0");
  ASSERT_EQ(Send(b, s, "first").status, 200);
  ASSERT_EQ(Send(a, s, "second").status, 200);
  Answer d = Call("sessions/detail", a.token, R"({"sessionId":")" + s + "\"}");
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_EQ(d.At("/id"), s);
  EXPECT_EQ(d.Ids("/participantDetails"), (std::vector<std::string>{a.id, b.id}));
  EXPECT_EQ(d.At("/participantDetails/1/name"), "bob");
  EXPECT_EQ(d.At("/messageCount"), "2");
  EXPECT_EQ(d.At("/lastMessage/content"), "second");
}

TEST_F(MochatSessionsTest, OldestMessagesArePrunedPastTheBound) {
  TestAgent a = Register("alice");
  const std::string s = Group(a, {});
  const std::string other = Group(a, {}, "other");
  ASSERT_EQ(Send(a, other, "elsewhere").status, 200);
  for (size_t i = 0; i < MochatApi::kMaxMessagesPerConversation + 3; ++i) {
    std::string response;
    ASSERT_TRUE(
        api_->Handle(0, "POST", "/api/claw/sessions/send", a.token,
                     R"({"sessionId":")" + s + R"(","content":"m)" + std::to_string(i) + "\"}",
                     true, kT0, &response));
  }
  ASSERT_TRUE(wal_->Commit());
  EXPECT_EQ(api_->stored_messages(0), MochatApi::kMaxMessagesPerConversation + 1);
  Answer last = Call("sessions/messages", a.token,
                     R"({"sessionId":")" + s + R"(","limit":100,"cursor":"msg_0000000000000fff"})");
  EXPECT_EQ(last.Ids("/messages").size(), 100u);
  // The oldest three went; the other session kept its message.
  Answer detail = Call("sessions/detail", a.token, R"({"sessionId":")" + s + "\"}");
  EXPECT_EQ(detail.At("/messageCount"), std::to_string(MochatApi::kMaxMessagesPerConversation));
  Reopen();
  EXPECT_EQ(api_->stored_messages(0), MochatApi::kMaxMessagesPerConversation + 1);
  std::string cursor;
  std::string oldest;
  for (int pages = 0; pages < 20; ++pages) {
    Answer p = Call("sessions/messages", a.token,
                    R"({"sessionId":")" + s + R"(","limit":100)" +
                        (cursor.empty() ? "" : R"(,"cursor":")" + cursor + "\"") + "}");
    oldest = p.At("/messages/" + std::to_string(p.Ids("/messages").size() - 1) + "/content");
    cursor = p.At("/nextCursor");
    if (cursor == "null") break;
  }
  EXPECT_EQ(oldest, "m3");
  EXPECT_EQ(Call("sessions/messages", a.token, R"({"sessionId":")" + other + "\"}")
                .At("/messages/0/content"),
            "elsewhere");
}

TEST_F(MochatSessionsTest, TheAppsOldestMessageIsPrunedPastTheAppBound) {
  TestAgent a = Register("alice");
  constexpr size_t kPer = MochatApi::kMaxMessagesPerConversation;
  constexpr size_t kSessions = MochatApi::kMaxMessagesPerApp / kPer;
  std::vector<std::string> sessions;
  for (size_t i = 0; i <= kSessions; ++i) sessions.push_back(Group(a, {}));
  std::string response;
  for (size_t i = 0; i < kSessions; ++i) {
    const std::string body = R"({"sessionId":")" + sessions[i] + R"(","content":"x"})";
    for (size_t k = 0; k < kPer; ++k) {
      ASSERT_TRUE(
          api_->Handle(0, "POST", "/api/claw/sessions/send", a.token, body, true, kT0, &response));
    }
  }
  ASSERT_TRUE(wal_->Commit());
  EXPECT_EQ(api_->stored_messages(0), MochatApi::kMaxMessagesPerApp);
  // One more, in the last session: the first session's oldest message goes.
  ASSERT_EQ(Send(a, sessions.back(), "newest").status, 200);
  EXPECT_EQ(api_->stored_messages(0), MochatApi::kMaxMessagesPerApp);
  const auto count = [this, &a](const std::string& s) {
    return Call("sessions/detail", a.token, R"({"sessionId":")" + s + "\"}").At("/messageCount");
  };
  EXPECT_EQ(count(sessions[0]), std::to_string(kPer - 1));
  EXPECT_EQ(count(sessions[1]), std::to_string(kPer));
  EXPECT_EQ(count(sessions.back()), "1");
  Reopen();
  EXPECT_EQ(api_->stored_messages(0), MochatApi::kMaxMessagesPerApp);
  EXPECT_EQ(count(sessions[0]), std::to_string(kPer - 1));
}

}  // namespace
}  // namespace ringcast::apps::mochat
