// DialogueRooms: the node's registry of Dialogue rooms created at run time
// (docs/protocols/dialogue.md, "Dynamic rooms"), on the control plane, so that a room id is
// taken once over every shard. A created room allows any event (as Dialogue's client-created
// rooms), keeps no history and has no default subscriptions; its creator (or the backend) may
// delete it; the config's rooms cannot be deleted. Bounded: at most kMaxRooms created rooms,
// and kMaxRoomsPerUser of them by one user id (beyond, TOO_MANY_ROOMS). Kept in memory: created
// rooms do not outlive the process.
// Thread rules: the control-plane thread.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>

#include "config/config.h"
#include "engine/room_change.h"
#include "util/string_map.h"

namespace ringcast::api {

class DialogueRooms {
 public:
  static constexpr size_t kMaxRooms = 10000;
  static constexpr size_t kMaxRoomsPerUser = 100;
  static constexpr size_t kMaxNameBytes = 200;
  static constexpr size_t kMaxDescriptionBytes = 1000;

  DialogueRooms(const config::DialogueConfig* cfg, uint32_t max_id_length);
  // Decides `c`: sets c->code and c->message when refused, else applies it (c->room: the room
  // created).
  void Apply(engine::RoomChange* c);
  size_t created() const { return created_.size(); }
  // The room `id` (the config's or a created one), or nullptr.
  const config::DialogueRoomConfig* Find(std::string_view id) const;
  // Every room: the config's in order, then the created ones by id.
  template <typename F>
  void ForEach(F&& f) const {
    for (const config::DialogueRoomConfig& r : cfg_->rooms) f(r);
    for (const auto& [id, r] : created_) f(*r);
  }

 private:
  const config::DialogueConfig* cfg_;
  uint32_t max_id_length_;
  util::StringMap<const config::DialogueRoomConfig*> configured_;
  util::StringMap<uint32_t> per_user_;  // created rooms by creator ("" too; not the backend's)
  std::map<std::string, std::shared_ptr<const config::DialogueRoomConfig>, std::less<>> created_;
};

}  // namespace ringcast::api
