// DialogueHistory: the history of Dialogue rooms (docs/protocols/dialogue.md, "History"), kept
// by the control plane per room and event name for the events whose definition has
// `history.enabled`.
//
// Memory and store: the newest `history.limit` events of each (room, event) stay in memory (the
// join's sync and the first pages come from there); every kept event is also a record in the
// store (the Wal: key "h" app-id NUL room NUL event NUL seq-16-hex, docs/store.md), so pages go
// past memory and survive a restart. The store keeps the newest `dialogue.history_store_limit`
// of each (room, event); older records are deleted as new ones come (counted). At start-up the
// records are read back: numbering goes on, memory is refilled.
// Order and time: a record carries its publication's stamp (engine/publication.h): the
// timestamp every format shows, and the order of the room's publications. The control plane
// keeps an event when it holds its publication for the store's group commit, and delivers it
// after the commit; until then (Released) answers leave it out, so an answer never shows what
// a member may still receive live.
// Bounds: per (room, event) limit in memory and store_limit in the store; per room at most
// kMaxLogsPerRoom event names (a "*" definition with history keeps each name it meets): a new
// name past it is not kept (counted); a page at most kMaxPage events.
// Thread rules: the control-plane thread (it owns the Wal); stats() any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>

#include "config/config.h"
#include "engine/room_history_query.h"
#include "util/relaxed_counter.h"
#include "util/string_map.h"

namespace ringcast::store {
class Wal;
}  // namespace ringcast::store

namespace ringcast::api {

struct DialogueHistoryStats {
  util::RelaxedCounter kept;     // events kept
  util::RelaxedCounter trimmed;  // records deleted past store_limit
  util::RelaxedCounter refused;  // events of a new name past kMaxLogsPerRoom
  util::RelaxedCounter unsaved;  // records the store refused (read-only after a failure)
};

class DialogueHistory {
 public:
  static constexpr uint32_t kMaxPage = 500;
  static constexpr uint32_t kMaxLogsPerRoom = 256;

  // `app_id`: the Dialogue app's id (the store's keys name it); `wal` may be null (memory only).
  DialogueHistory(const config::DialogueConfig* cfg, std::string app_id, store::Wal* wal);
  DialogueHistory(const DialogueHistory&) = delete;
  DialogueHistory& operator=(const DialogueHistory&) = delete;

  // Whether `channel` of `app` is a room that keeps some event's history (its publications are
  // stamped, kept and delivered in one order, after the store's commit).
  bool KeepsRoom(uint32_t app, std::string_view channel) const;
  // Keeps the event when its room keeps its history (memory now; the store record is queued
  // for the Wal's next commit). `stamp_us`: larger than every stamp before. True when a store
  // record was queued (the publication waits for the commit).
  bool Keep(uint32_t app, std::string_view room, std::string_view event, std::string_view from,
            std::string_view data, std::string_view meta, uint64_t stamp_us);
  // Every publication stamped up to `stamp_us` has been delivered.
  void Released(uint64_t stamp_us) {
    if (stamp_us > released_us_) released_us_ = stamp_us;
  }
  // Fills q->items.
  void Answer(engine::RoomHistoryQuery* q) const;
  // The newest stamp read back from the store (publication stamps go on after it).
  uint64_t last_stamp_us() const { return last_stamp_us_; }
  const DialogueHistoryStats& stats() const { return stats_; }

  // The store record's value: stamp (8 bytes LE), from (u32 LE length, bytes), then, when the
  // length's top bit is set, meta (u32 LE length, bytes), then data. False when malformed.
  // (Records written before meta was kept have the bit clear: no meta.)
  static std::string EncodeValue(uint64_t stamp_us, std::string_view from, std::string_view data,
                                 std::string_view meta = {});
  static bool DecodeValue(std::string_view value, engine::RoomHistoryQuery::Item* out);

 private:
  struct Entry {
    uint64_t seq;
    uint64_t stamp_us;
    std::string from;
    std::string data;
    std::string meta;
  };
  struct Log {
    uint32_t limit = 0;      // kept in memory
    uint64_t first_seq = 1;  // the oldest record still in the store
    uint64_t next_seq = 1;
    std::deque<Entry> recent;  // the newest `limit`, oldest first
  };
  std::string Key(std::string_view room, std::string_view event, uint64_t seq) const;
  // Items [start, end) of `log` (newest first) into `out`, leaving out the unreleased.
  void Page(const Log& log, std::string_view room, std::string_view event, uint32_t start,
            uint32_t end, std::vector<engine::RoomHistoryQuery::Item>* out) const;
  void Load();

  const config::DialogueConfig* cfg_;
  std::string app_id_;
  store::Wal* wal_;
  uint32_t store_limit_;
  util::StringMap<const config::DialogueRoomConfig*> rooms_;  // rooms keeping some history
  std::map<std::string, Log, std::less<>> logs_;              // room NUL event -> its log
  util::StringMap<uint32_t> logs_per_room_;
  uint64_t released_us_ = 0;
  uint64_t last_stamp_us_ = 0;
  DialogueHistoryStats stats_;
};

}  // namespace ringcast::api
