// libFuzzer target for the Dialogue store records read back at start-up (docs/store.md): a room
// history record's value (api::DialogueHistory::DecodeValue: stamp, from, the meta flag and
// length, data) and a created room's (api::DialogueRooms::DecodeRoom: a JSON object). The
// first byte picks the decoder; the rest is the value.
// Traps on: a value that decodes but does not come back the same through its encoder and the
// decoder again (history: byte for byte; a room: field for field).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/dialogue_history.h"
#include "api/dialogue_rooms.h"

using ringcast::api::DialogueHistory;
using ringcast::api::DialogueRooms;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view value(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) == 0) {
    ringcast::engine::RoomHistoryQuery::Item item;
    if (!DialogueHistory::DecodeValue(value, &item)) return 0;
    const std::string again = DialogueHistory::EncodeValue(item.stamp_us, item.from, item.data,
                                                           item.meta);
    ringcast::engine::RoomHistoryQuery::Item back;
    if (!DialogueHistory::DecodeValue(again, &back)) std::abort();
    if (back.stamp_us != item.stamp_us || back.from != item.from || back.data != item.data ||
        back.meta != item.meta) {
      std::abort();
    }
    // An empty meta is written without the flag: the same bytes unless the input had a flag
    // with an empty meta.
    if (!item.meta.empty() && again != value) std::abort();
    return 0;
  }
  ringcast::config::DialogueRoomConfig room;
  if (!DialogueRooms::DecodeRoom("room:1", value, &room)) return 0;
  ringcast::config::DialogueRoomConfig back;
  if (!DialogueRooms::DecodeRoom("room:1", DialogueRooms::EncodeRoom(room), &back)) std::abort();
  if (back.name != room.name || back.description != room.description ||
      back.max_size != room.max_size || back.created_by != room.created_by ||
      back.by_backend != room.by_backend || !back.dynamic) {
    std::abort();
  }
  return 0;
}
