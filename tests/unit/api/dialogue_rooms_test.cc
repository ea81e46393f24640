// DialogueRooms: the registry of rooms created at run time decides createRoom / deleteRoom:
// ids taken once (created or configured), ids and names checked, creator-only delete, the
// config's rooms kept, the allow_client_rooms switch, the caps on created rooms (per user and
// per node), and the backend's rights (the REST API).
#include "api/dialogue_rooms.h"

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace ringcast::api
