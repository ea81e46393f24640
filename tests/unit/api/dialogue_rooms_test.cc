// DialogueRooms: the registry of rooms created at run time decides createRoom / deleteRoom:
// ids taken once (created or configured), ids and names checked, creator-only delete, the
// config's rooms kept, the allow_client_rooms switch, the caps on created rooms (per user and
// per node), and the backend's rights (the REST API); created rooms kept in the store and read
// back (creator rights and per-user counts too), deleted ones gone, bad records skipped.
#include "api/dialogue_rooms.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "store/wal.h"

namespace ringcast::api {
namespace {

engine::RoomChange Create(std::string id, std::string user = "alice", std::string name = "N") {
  engine::RoomChange c;
  c.op = engine::RoomChange::Op::kCreate;
  c.id = std::move(id);
  c.name = std::move(name);
  c.user_id = std::move(user);
  return c;
}

engine::RoomChange Delete(std::string id, std::string user) {
  engine::RoomChange c;
  c.op = engine::RoomChange::Op::kDelete;
  c.id = std::move(id);
  c.user_id = std::move(user);
  return c;
}

config::DialogueConfig Config() {
  config::DialogueConfig cfg;
  cfg.enabled = true;
  config::DialogueRoomConfig lobby;
  lobby.id = "lobby";
  cfg.rooms.push_back(lobby);
  return cfg;
}

std::string Code(DialogueRooms* rooms, engine::RoomChange c) {
  rooms->Apply(&c);
  return c.code;
}

TEST(DialogueRooms, CreatesOnceAndOnlyTheCreatorDeletes) {
  config::DialogueConfig cfg = Config();
  DialogueRooms rooms(&cfg, 64);
  engine::RoomChange c = Create("tech");
  c.max_size = 3;
  c.description = "d";
  rooms.Apply(&c);
  ASSERT_EQ(c.code, "");
  ASSERT_NE(c.room, nullptr);
  EXPECT_TRUE(c.room->dynamic);
  EXPECT_EQ(c.room->created_by, "alice");
  EXPECT_EQ(c.room->max_size, 3u);
  ASSERT_NE(c.room->FindEvent("anything"), nullptr);  // open to any event
  EXPECT_FALSE(c.room->FindEvent("anything")->history);
  EXPECT_EQ(Code(&rooms, Create("tech", "bob")), "ROOM_EXISTS");
  EXPECT_EQ(Code(&rooms, Create("lobby")), "ROOM_EXISTS");
  EXPECT_EQ(Code(&rooms, Delete("tech", "bob")), "PERMISSION_DENIED");
  EXPECT_EQ(Code(&rooms, Delete("lobby", "alice")), "PERMISSION_DENIED");
  EXPECT_EQ(Code(&rooms, Delete("nope", "alice")), "ROOM_NOT_FOUND");
  EXPECT_EQ(Code(&rooms, Delete("tech", "alice")), "");
  EXPECT_EQ(rooms.created(), 0u);
  EXPECT_EQ(Code(&rooms, Create("tech", "bob")), "");  // the id is free again
}

TEST(DialogueRooms, ChecksIdsAndNames) {
  config::DialogueConfig cfg = Config();
  DialogueRooms rooms(&cfg, 16);
  EXPECT_EQ(Code(&rooms, Create("private-x")), "INVALID_REQUEST");
  EXPECT_EQ(Code(&rooms, Create("presence-x")), "INVALID_REQUEST");
  EXPECT_EQ(Code(&rooms, Create("#internal")), "INVALID_REQUEST");
  EXPECT_EQ(Code(&rooms, Create("a b")), "INVALID_REQUEST");
  EXPECT_EQ(Code(&rooms, Create(std::string(17, 'x'))), "INVALID_REQUEST");
  EXPECT_EQ(Code(&rooms, Create("")), "INVALID_REQUEST");
  EXPECT_EQ(Code(&rooms, Create("ok", "u", "")), "INVALID_REQUEST");
  EXPECT_EQ(Code(&rooms, Create("ok", "u", std::string(201, 'n'))), "INVALID_REQUEST");
  EXPECT_EQ(Code(&rooms, Create("user:42")), "");
}

TEST(DialogueRooms, ClientRoomsCanBeSwitchedOffAndAreCapped) {
  config::DialogueConfig cfg = Config();
  cfg.allow_client_rooms = false;
  DialogueRooms off(&cfg, 64);
  EXPECT_EQ(Code(&off, Create("tech")), "PERMISSION_DENIED");
  cfg.allow_client_rooms = true;
  DialogueRooms rooms(&cfg, 64);
  // One user: kMaxRoomsPerUser; a deletion frees a place.
  for (size_t i = 0; i < DialogueRooms::kMaxRoomsPerUser; ++i) {
    ASSERT_EQ(Code(&rooms, Create("a" + std::to_string(i))), "");
  }
  EXPECT_EQ(Code(&rooms, Create("a-more")), "TOO_MANY_ROOMS");
  EXPECT_EQ(Code(&rooms, Delete("a0", "alice")), "");
  EXPECT_EQ(Code(&rooms, Create("a-more")), "");
  // The node: kMaxRooms over every user.
  for (size_t i = rooms.created(); i < DialogueRooms::kMaxRooms; ++i) {
    ASSERT_EQ(Code(&rooms, Create("r" + std::to_string(i), "u" + std::to_string(i))), "");
  }
  EXPECT_EQ(Code(&rooms, Create("one-more", "new-user")), "TOO_MANY_ROOMS");
  EXPECT_EQ(Code(&rooms, Delete("a1", "alice")), "");
  EXPECT_EQ(Code(&rooms, Create("one-more", "new-user")), "");
}

TEST(DialogueRooms, TheBackendCreatesWhenClientsMayNotAndDeletesAnyCreatedRoom) {
  config::DialogueConfig cfg = Config();
  cfg.allow_client_rooms = false;
  DialogueRooms rooms(&cfg, 64);
  engine::RoomChange c = Create("ops");
  c.backend = true;
  rooms.Apply(&c);
  ASSERT_EQ(c.code, "");
  EXPECT_EQ(c.room->created_by, "");  // no creator: only the backend deletes it
  EXPECT_TRUE(c.room->by_backend);
  EXPECT_EQ(rooms.Find("ops"), c.room.get());
  EXPECT_EQ(rooms.Find("lobby")->id, "lobby");
  EXPECT_EQ(rooms.Find("none"), nullptr);
  EXPECT_EQ(Code(&rooms, Delete("ops", "")), "PERMISSION_DENIED");
  EXPECT_EQ(Code(&rooms, Delete("ops", "alice")), "PERMISSION_DENIED");
  engine::RoomChange d = Delete("ops", "");
  d.backend = true;
  EXPECT_EQ(Code(&rooms, d), "");
  // An empty user id is a user like any other: its room is its own, and counted.
  engine::RoomChange e = Create("empty-user", "");
  e.backend = false;
  EXPECT_EQ(Code(&rooms, e), "PERMISSION_DENIED");  // allow_client_rooms is off here
  engine::RoomChange l = Delete("lobby", "");
  l.backend = true;
  EXPECT_EQ(Code(&rooms, l), "PERMISSION_DENIED");  // the config's rooms stay
}

TEST(DialogueRooms, CreatedRoomsOutliveARestartThroughTheStore) {
  char tmpl[] = "/tmp/rc_dialogue_rooms_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  store::WalOptions o;
  o.dir = dir;
  std::string error;
  config::DialogueConfig cfg = Config();
  {
    std::unique_ptr<store::Wal> wal = store::Wal::Open(o, &error);
    ASSERT_TRUE(wal) << error;
    DialogueRooms rooms(&cfg, 64, "app1", wal.get());
    engine::RoomChange a = Create("user:42", "alice", "Inbox");
    a.max_size = 5;
    a.description = "mine";
    EXPECT_TRUE(rooms.Apply(&a));  // a record queued: told after the commit
    engine::RoomChange b = Create("ops");
    b.backend = true;
    EXPECT_TRUE(rooms.Apply(&b));
    engine::RoomChange g = Create("gone", "carol");
    EXPECT_TRUE(rooms.Apply(&g));
    engine::RoomChange d = Delete("gone", "carol");
    EXPECT_TRUE(rooms.Apply(&d));
    EXPECT_EQ(d.code, "");
    engine::RoomChange refused = Create("ops", "bob");
    EXPECT_FALSE(rooms.Apply(&refused));  // refused: nothing stored
    EXPECT_EQ(refused.code, "ROOM_EXISTS");
    // Records of a room the config now has, and a malformed one: skipped at start-up.
    std::string key = "Rapp1";
    key += '\0';
    ASSERT_TRUE(wal->Put(key + "lobby", R"({"name":"L","createdBy":null})"));
    ASSERT_TRUE(wal->Put(key + "bad", R"({"createdBy":"x"})"));
    ASSERT_TRUE(wal->Commit());
  }
  std::unique_ptr<store::Wal> wal = store::Wal::Open(o, &error);
  ASSERT_TRUE(wal) << error;
  DialogueRooms rooms(&cfg, 64, "app1", wal.get());
  EXPECT_EQ(rooms.created(), 2u);
  const config::DialogueRoomConfig* inbox = rooms.Find("user:42");
  ASSERT_NE(inbox, nullptr);
  EXPECT_EQ(inbox->name, "Inbox");
  EXPECT_EQ(inbox->description, "mine");
  EXPECT_EQ(inbox->max_size, 5u);
  EXPECT_TRUE(inbox->dynamic);
  ASSERT_NE(inbox->FindEvent("anything"), nullptr);
  EXPECT_EQ(rooms.Find("gone"), nullptr);
  EXPECT_EQ(rooms.Find("bad"), nullptr);
  EXPECT_FALSE(rooms.Find("lobby")->dynamic);  // the config's
  // Rights as before the restart: only alice deletes her room, only the backend "ops".
  EXPECT_EQ(Code(&rooms, Delete("user:42", "bob")), "PERMISSION_DENIED");
  EXPECT_EQ(Code(&rooms, Delete("ops", "alice")), "PERMISSION_DENIED");
  EXPECT_EQ(Code(&rooms, Delete("user:42", "alice")), "");
  std::filesystem::remove_all(dir);
}

TEST(DialogueRooms, RecordValuesRoundTrip) {
  config::DialogueRoomConfig r;
  r.name = "N \"q\"";
  r.created_by = "u1";
  config::DialogueRoomConfig back;
  ASSERT_TRUE(DialogueRooms::DecodeRoom("x", DialogueRooms::EncodeRoom(r), &back));
  EXPECT_EQ(back.id, "x");
  EXPECT_EQ(back.name, r.name);
  EXPECT_EQ(back.created_by, "u1");
  EXPECT_FALSE(back.by_backend);
  EXPECT_EQ(back.max_size, 0u);
  r.by_backend = true;
  r.created_by.clear();
  r.max_size = 7;
  ASSERT_TRUE(DialogueRooms::DecodeRoom("x", DialogueRooms::EncodeRoom(r), &back));
  EXPECT_TRUE(back.by_backend);
  EXPECT_EQ(back.max_size, 7u);
  for (const char* bad :
       {"", "[]", R"({"name":""})", R"({"name":"n"})", R"({"name":"n","createdBy":1})",
        R"({"name":"n","maxSize":-1,"createdBy":null})",
        R"({"name":"n","description":2,"createdBy":null})"}) {
    EXPECT_FALSE(DialogueRooms::DecodeRoom("x", bad, &back)) << bad;
  }
}

}  // namespace
}  // namespace ringcast::api
