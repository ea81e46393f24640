#include "api/dialogue_history.h"

#include <algorithm>
#include <cstring>

#include "store/wal.h"
#include "util/log.h"

namespace ringcast::api {
namespace {

constexpr char kSep = '\0';

void AppendHex16(std::string* out, uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int shift = 60; shift >= 0; shift -= 4) out->push_back(kDigits[(v >> shift) & 0xf]);
}

bool ParseHex16(std::string_view s, uint64_t* out) {
  if (s.size() != 16) return false;
  uint64_t v = 0;
  for (char c : s) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

}  // namespace

DialogueHistory::DialogueHistory(const config::DialogueConfig* cfg, std::string app_id,
                                 store::Wal* wal)
    : cfg_(cfg),
      app_id_(std::move(app_id)),
      wal_(wal),
      store_limit_(wal == nullptr ? 0 : cfg->history_store_limit) {
  if (!cfg->enabled) return;
  for (const config::DialogueRoomConfig& room : cfg->rooms) {
    if (std::any_of(room.events.begin(), room.events.end(),
                    [](const config::DialogueEventConfig& e) { return e.history; })) {
      rooms_.emplace(room.id, &room);
    }
  }
  Load();
}

namespace {
constexpr uint32_t kHasMeta = 0x80000000u;  // a from length's top bit: meta follows from
}  // namespace

std::string DialogueHistory::EncodeValue(uint64_t stamp_us, std::string_view from,
                                         std::string_view data, std::string_view meta) {
  std::string v(12, '\0');
  std::memcpy(v.data(), &stamp_us, 8);
  uint32_t n = static_cast<uint32_t>(from.size()) | (meta.empty() ? 0 : kHasMeta);
  std::memcpy(v.data() + 8, &n, 4);
  v.append(from);
  if (!meta.empty()) {
    const auto m = static_cast<uint32_t>(meta.size());
    v.append(reinterpret_cast<const char*>(&m), 4);
    v.append(meta);
  }
  v.append(data);
  return v;
}

bool DialogueHistory::DecodeValue(std::string_view value, engine::RoomHistoryQuery::Item* out) {
  if (value.size() < 12) return false;
  uint32_t n;
  std::memcpy(&out->stamp_us, value.data(), 8);
  std::memcpy(&n, value.data() + 8, 4);
  const bool has_meta = (n & kHasMeta) != 0;
  n &= ~kHasMeta;
  value.remove_prefix(12);
  if (value.size() < n) return false;
  out->from.assign(value.substr(0, n));
  value.remove_prefix(n);
  out->meta.clear();
  if (has_meta) {
    uint32_t m;
    if (value.size() < 4) return false;
    std::memcpy(&m, value.data(), 4);
    value.remove_prefix(4);
    if (value.size() < m) return false;
    out->meta.assign(value.substr(0, m));
    value.remove_prefix(m);
  }
  out->data.assign(value);
  return true;
}

std::string DialogueHistory::Key(std::string_view room, std::string_view event,
                                 uint64_t seq) const {
  std::string key = "h";
  key += app_id_;
  key += kSep;
  key += room;
  key += kSep;
  key += event;
  key += kSep;
  AppendHex16(&key, seq);
  return key;
}

void DialogueHistory::Load() {
  if (wal_ == nullptr || rooms_.empty()) return;
  // The records are ordered by room, event, seq: one pass, each log's newest `limit` refilled.
  std::string prefix = "h" + app_id_ + kSep;
  const auto& live = wal_->live();
  size_t records = 0;
  size_t skipped = 0;
  for (auto it = live.lower_bound(prefix);
       it != live.end() && std::string_view(it->first).starts_with(prefix); ++it) {
    std::string_view rest = std::string_view(it->first).substr(prefix.size());
    size_t a = rest.find(kSep);
    size_t b = a == std::string_view::npos ? a : rest.find(kSep, a + 1);
    uint64_t seq = 0;
    engine::RoomHistoryQuery::Item item;
    if (b == std::string_view::npos || !ParseHex16(rest.substr(b + 1), &seq) ||
        !DecodeValue(it->second, &item)) {
      ++skipped;
      continue;
    }
    std::string_view room = rest.substr(0, a);
    std::string_view event = rest.substr(a + 1, b - a - 1);
    auto r = rooms_.find(room);
    const config::DialogueEventConfig* def =
        r == rooms_.end() ? nullptr : r->second->FindEvent(event);
    if (def == nullptr || !def->history) {
      ++skipped;  // the config no longer keeps it: left in the store, not served
      continue;
    }
    std::string name(rest.substr(0, b));
    auto [log_it, fresh] = logs_.try_emplace(name);
    Log& log = log_it->second;
    if (fresh) {
      log.limit = def->history_limit;
      log.first_seq = seq;
      ++logs_per_room_[std::string(room)];
    }
    // The memory window is contiguous (Page indexes it by seq): a hole (a record skipped as
    // malformed) starts it again here.
    if (seq != log.next_seq) log.recent.clear();
    log.next_seq = seq + 1;
    log.recent.push_back(Entry{seq, item.stamp_us, std::move(item.from), std::move(item.data),
                               std::move(item.meta)});
    if (log.recent.size() > log.limit) log.recent.pop_front();
    last_stamp_us_ = std::max(last_stamp_us_, item.stamp_us);
    ++records;
  }
  released_us_ = last_stamp_us_;
  if (records + skipped > 0) {
    RC_INFO("dialogue: %zu history records read back (%zu logs), %zu not served", records,
            logs_.size(), skipped);
  }
}

bool DialogueHistory::KeepsRoom(uint32_t app, std::string_view channel) const {
  return app == cfg_->app && !rooms_.empty() && rooms_.find(channel) != rooms_.end();
}

bool DialogueHistory::Keep(uint32_t app, std::string_view room, std::string_view event,
                           std::string_view from, std::string_view data, std::string_view meta,
                           uint64_t stamp_us) {
  if (app != cfg_->app) return false;
  auto r = rooms_.find(room);
  if (r == rooms_.end()) return false;
  const config::DialogueEventConfig* def = r->second->FindEvent(event);
  if (def == nullptr || !def->history) return false;
  std::string name(room);
  name += kSep;
  name += event;
  auto it = logs_.find(name);
  if (it == logs_.end()) {
    uint32_t& n = logs_per_room_[std::string(room)];
    if (n >= kMaxLogsPerRoom) {
      stats_.refused.Add();
      return false;
    }
    ++n;
    it = logs_.emplace(std::move(name), Log{}).first;
    it->second.limit = def->history_limit;
  }
  Log& log = it->second;
  const uint64_t seq = log.next_seq++;
  log.recent.push_back(
      Entry{seq, stamp_us, std::string(from), std::string(data), std::string(meta)});
  if (log.recent.size() > log.limit) log.recent.pop_front();
  stats_.kept.Add();
  if (store_limit_ == 0) {
    log.first_seq = log.recent.front().seq;
    return false;
  }
  if (!wal_->Put(Key(room, event, seq), EncodeValue(stamp_us, from, data, meta))) {
    stats_.unsaved.Add();
    return false;
  }
  // At most 64 a call: a lowered limit is reached over the next events, not in one turn.
  for (int n = 0; n < 64 && log.next_seq - log.first_seq > store_limit_; ++n) {
    if (!wal_->Delete(Key(room, event, log.first_seq))) break;
    ++log.first_seq;
    stats_.trimmed.Add();
  }
  return true;
}

void DialogueHistory::Page(const Log& log, std::string_view room, std::string_view event,
                           uint32_t start, uint32_t end,
                           std::vector<engine::RoomHistoryQuery::Item>* out) const {
  // Newest first, after the records not yet released (the newest ones: stamps grow with seq).
  uint64_t newest = log.next_seq - 1;
  for (auto e = log.recent.rbegin(); e != log.recent.rend() && e->stamp_us > released_us_; ++e) {
    newest = e->seq - 1;
  }
  const uint64_t in_memory = log.recent.empty() ? log.next_seq : log.recent.front().seq;
  for (uint64_t i = start; i < end && i <= newest; ++i) {
    const uint64_t seq = newest - i;
    if (seq < log.first_seq || seq == 0) break;
    engine::RoomHistoryQuery::Item item;
    item.event = std::string(event);
    if (seq >= in_memory) {
      const Entry& e = log.recent[seq - in_memory];
      item.stamp_us = e.stamp_us;
      item.from = e.from;
      item.data = e.data;
      item.meta = e.meta;
    } else {
      if (wal_ == nullptr) break;
      auto it = wal_->live().find(Key(room, event, seq));
      // A record missing or malformed (skipped at start-up): a shorter page, not its end.
      if (it == wal_->live().end() || !DecodeValue(it->second, &item)) continue;
    }
    out->push_back(std::move(item));
  }
}

void DialogueHistory::Answer(engine::RoomHistoryQuery* q) const {
  q->items.clear();
  if (q->app != cfg_->app) return;
  std::string prefix = q->room;
  prefix += kSep;
  if (!q->sync) {
    auto it = logs_.find(prefix + q->event);
    if (it == logs_.end() || q->end <= q->start) return;
    uint32_t end = std::min(q->end, q->start + kMaxPage);
    Page(it->second, q->room, q->event, q->start, end, &q->items);
    return;
  }
  for (auto it = logs_.lower_bound(prefix);
       it != logs_.end() && std::string_view(it->first).starts_with(prefix); ++it) {
    const Log& log = it->second;
    // At most a page of each: `true` (0) asks for what memory holds, and limit may be 100000.
    const uint32_t n =
        std::min(q->count == 0 ? static_cast<uint32_t>(log.recent.size()) : q->count, kMaxPage);
    Page(log, q->room, std::string_view(it->first).substr(prefix.size()), 0, n, &q->items);
  }
  std::stable_sort(q->items.begin(), q->items.end(),
                   [](const engine::RoomHistoryQuery::Item& a,
                      const engine::RoomHistoryQuery::Item& b) { return a.stamp_us > b.stamp_us; });
}

}  // namespace ringcast::api
