// DialogueRooms: the node's registry of Dialogue rooms created at run time
// (docs/protocols/dialogue.md, "Dynamic rooms"), on the control plane, so that a room id is
// taken once over every shard. A created room allows any event (as Dialogue's client-created
// rooms), keeps no history and has no default subscriptions; its creator (or the backend) may
// delete it; the config's rooms cannot be deleted. Bounded: at most kMaxRooms created rooms,
// and kMaxRoomsPerUser of them by one user id (beyond, TOO_MANY_ROOMS).
// Store: with a Wal, each created room is a record (key "R" app-id NUL room-id, docs/store.md),
// deleted with the room, so created rooms outlive a restart: they are read back at
// construction. A change whose record was queued is announced after the commit (the caller
// holds it). Without a Wal (or when the store refuses: read-only after a failure; logged),
// created rooms live in memory only.
// Thread rules: the control-plane thread.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>

#include "config/config.h"
#include "engine/room_change.h"
#include "util/string_map.h"

namespace ringcast::store {
class Wal;
}  // namespace ringcast::store

namespace ringcast::api {

class DialogueRooms {
 public:
  static constexpr size_t kMaxRooms = 10000;
  static constexpr size_t kMaxRoomsPerUser = 100;
  static constexpr size_t kMaxNameBytes = 200;
  static constexpr size_t kMaxDescriptionBytes = 1000;

  // `app_id`: the Dialogue app's id (the store's keys name it); `wal` may be null (memory only).
  DialogueRooms(const config::DialogueConfig* cfg, uint32_t max_id_length, std::string app_id = {},
                store::Wal* wal = nullptr);
  // Decides `c`: sets c->code and c->message when refused, else applies it (c->room: the room
  // created). True when a store record was queued: announce the change after the commit.
  bool Apply(engine::RoomChange* c);
  size_t created() const { return created_.size(); }
  // The created rooms (read back from the store at start-up, or created since), by id.
  template <typename F>
  void ForEachCreated(F&& f) const {
    for (const auto& [id, r] : created_) f(r);
  }
  // A created room's store record value: {"name","description"?,"maxSize"?,"createdBy"} JSON
  // (createdBy null: the backend's). Decode: false when malformed.
  static std::string EncodeRoom(const config::DialogueRoomConfig& room);
  static bool DecodeRoom(std::string_view id, std::string_view value,
                         config::DialogueRoomConfig* out);
  // The room `id` (the config's or a created one), or nullptr.
  const config::DialogueRoomConfig* Find(std::string_view id) const;
  // Every room: the config's in order, then the created ones by id.
  template <typename F>
  void ForEach(F&& f) const {
    for (const config::DialogueRoomConfig& r : cfg_->rooms) f(r);
    for (const auto& [id, r] : created_) f(*r);
  }

 private:
  std::string Key(std::string_view id) const;
  void Load();
  // Adds a created room to the maps (its creator counted).
  void Add(std::shared_ptr<config::DialogueRoomConfig> room);

  const config::DialogueConfig* cfg_;
  uint32_t max_id_length_;
  std::string app_id_;
  store::Wal* wal_;
  util::StringMap<const config::DialogueRoomConfig*> configured_;
  util::StringMap<uint32_t> per_user_;  // created rooms by creator ("" too; not the backend's)
  std::map<std::string, std::shared_ptr<const config::DialogueRoomConfig>, std::less<>> created_;
};

}  // namespace ringcast::api
