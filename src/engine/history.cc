#include "engine/history.h"

#include <algorithm>

#include "util/log.h"

namespace ringcast::engine {

History::History(const AppRegistry* apps, uint64_t max_bytes, uint64_t epoch_base,
                 size_t max_logs)
    : apps_(apps),
      max_bytes_(max_bytes),
      max_logs_(max_logs != 0 ? max_logs
                              : std::max<size_t>(1024, max_bytes / kLogCostBytes)),
      next_epoch_(epoch_base),
      by_app_(apps->size()) {}

History::~History() {
  for (auto& map : by_app_) {
    for (auto& [name, log] : map) {
      for (Entry& e : log->entries) e.buf->Release();
    }
  }
}

HistoryPolicy History::PolicyFor(uint32_t app, std::string_view channel) const {
  const config::AppConfig& a = apps_->app(app);
  HistoryPolicy p{a.history_size, a.history_ttl_s};
  size_t best = 0;
  bool matched = false;
  for (const config::HistoryRule& r : a.history_rules) {
    if (channel.substr(0, r.prefix.size()) == r.prefix && (!matched || r.prefix.size() > best)) {
      p = {r.size, r.ttl_s};
      best = r.prefix.size();
      matched = true;
    }
  }
  return p;
}

History::Log* History::Get(uint32_t app, std::string_view channel, uint64_t now_ms) {
  auto& map = by_app_[app];
  auto it = map.find(channel);
  if (it != map.end()) {
    Expire(it->second.get(), now_ms);
    return it->second.get();
  }
  if (stats_.channels >= max_logs_ && !lru_.empty()) {
    DropLog(lru_.front());
    ++stats_.evicted_logs;
  }
  auto log = std::make_unique<Log>();
  log->id = next_log_id_++;
  log->epoch = next_epoch_++;
  log->touched_ms = now_ms;
  log->policy = PolicyFor(app, channel);
  log->app = app;
  Log* raw = log.get();
  logs_by_id_[raw->id] = raw;
  raw->name = &map.emplace(std::string(channel), std::move(log)).first->first;
  raw->lru = lru_.insert(lru_.end(), raw);
  ++stats_.channels;
  return raw;
}

void History::Touch(Log* log, uint64_t now_ms) {
  log->touched_ms = now_ms;
  lru_.splice(lru_.end(), lru_, log->lru);
}

void History::DropLog(Log* log) {
  while (!log->entries.empty()) PopFront(log);  // their order_ records go stale
  logs_by_id_.erase(log->id);
  lru_.erase(log->lru);
  --stats_.channels;
  auto& map = by_app_[log->app];
  map.erase(map.find(*log->name));  // by iterator: the key is the node's own; destroys *log
}

History::Position History::Next(uint32_t app, std::string_view channel, uint64_t now_ms) {
  Log* log = Get(app, channel, now_ms);
  Touch(log, now_ms);
  return {log->epoch, ++log->last_seq};
}

void History::PopFront(Log* log) {
  Entry& e = log->entries.front();
  stats_.bytes -= e.buf->size();
  --stats_.events;
  e.buf->Release();
  log->entries.pop_front();
}

void History::Expire(Log* log, uint64_t now_ms) {
  uint64_t ttl_ms = uint64_t{log->policy.ttl_s} * 1000;
  while (!log->entries.empty() && log->entries.front().at_ms + ttl_ms <= now_ms) {
    PopFront(log);
    ++stats_.evicted_ttl;
  }
}

void History::Keep(uint32_t app, std::string_view channel, uint64_t seq, runtime::SharedBuf* buf,
                   uint64_t now_ms) {
  Log* log = Get(app, channel, now_ms);
  RC_CHECK(seq == log->last_seq);
  log->entries.push_back({seq, now_ms, buf});
  stats_.bytes += buf->size();
  ++stats_.events;
  order_.push_back({log->id, seq});
  while (log->entries.size() > log->policy.size) {
    PopFront(log);
    ++stats_.evicted_size;
  }
  EnforceBudget();
  if (order_.size() > 2 * stats_.events + 1024) {
    // Compact: drop the records of events that already left by size or ttl.
    std::deque<Order> kept;
    for (const Order& o : order_) {
      auto it = logs_by_id_.find(o.log_id);
      if (it == logs_by_id_.end()) continue;
      const auto& entries = it->second->entries;
      if (!entries.empty() && entries.front().seq <= o.seq) kept.push_back(o);
    }
    order_.swap(kept);
  }
}

void History::EnforceBudget() {
  while (stats_.bytes > max_bytes_ && !order_.empty()) {
    Order o = order_.front();
    order_.pop_front();
    auto it = logs_by_id_.find(o.log_id);
    if (it == logs_by_id_.end()) continue;
    Log* log = it->second;
    if (!log->entries.empty() && log->entries.front().seq == o.seq) {
      PopFront(log);
      ++stats_.evicted_budget;
    }
  }
}

void History::Answer(HistoryQuery* q, uint64_t now_ms) {
  for (HistoryQuery::Channel& c : q->channels) {
    if (PolicyFor(q->app, c.name).size == 0) {
      // No history: nothing to resume from; a resume is a gap unless nothing could be missed.
      c.head_epoch = 0;
      c.head_seq = 0;
      c.gap = c.resume;
      if (c.gap) ++stats_.gaps;
      continue;
    }
    Log* log = Get(q->app, c.name, now_ms);
    Touch(log, now_ms);
    c.head_epoch = log->epoch;
    c.head_seq = log->last_seq;
    if (!c.resume) continue;
    uint64_t from;  // the first sequence the client has not seen
    if (c.epoch == log->epoch && c.seq <= log->last_seq) {
      from = c.seq + 1;
    } else {
      // Another epoch (the log was dropped and restarted, or the server restarted) or a
      // position this log never reached: what was missed is unknown.
      c.gap = true;
      ++stats_.gaps;
      from = 1;
    }
    uint64_t oldest = log->entries.empty() ? log->last_seq + 1 : log->entries.front().seq;
    if (from < oldest && !c.gap) {
      c.gap = true;
      ++stats_.gaps;
    }
    for (const Entry& e : log->entries) {
      if (e.seq < from) continue;
      e.buf->AddRefs(1);
      c.events.push_back(e.buf);
    }
  }
}

void History::Sweep(uint64_t now_ms) {
  for (auto& map : by_app_) {
    for (auto it = map.begin(); it != map.end();) {
      Log* log = it->second.get();
      Expire(log, now_ms);
      uint64_t ttl_ms = uint64_t{log->policy.ttl_s} * 1000;
      if (log->entries.empty() && log->touched_ms + ttl_ms <= now_ms) {
        logs_by_id_.erase(log->id);
        lru_.erase(log->lru);
        --stats_.channels;
        it = map.erase(it);
      } else {
        ++it;
      }
    }
  }
}

}  // namespace ringcast::engine
