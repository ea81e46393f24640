// History: the control plane's recent publications per channel, for clients that resume
// (SSE Last-Event-ID). It lives on the control plane because that is where sequences are
// assigned and every shard's request meets it, so a client resumes on whichever shard it lands.
//
// Numbering: a channel whose app/prefix policy keeps history (size > 0) is numbered by its log
// here, not by the occupancy count: the log holds (epoch, last sequence) and numbers every
// publication 1, 2, 3, ... whether or not anyone subscribes at that moment (a reconnecting
// client must be able to fetch what was published while it was away). A log is created on the
// channel's first publication or history query and gets a fresh epoch, larger than every epoch
// handed out before, also across restarts (it starts from the start-up wall clock in
// microseconds). A log is dropped when it holds no event and none was added for ttl_s; its
// channel then starts a new epoch, so a position (epoch, seq) never names two events.
// Bounds: per channel `size` events and `ttl_s` seconds (config::AppConfig history rules); in
// the whole process `max_bytes` of event buffers: past it, the oldest events of the process
// are evicted first; and at most `max_logs` logs (each costs about kLogCostBytes besides its
// events; by default max_bytes / kLogCostBytes, at least 1024): a new log past it drops the
// least recently used one (its channel starts a new epoch: a resume there is a gap). Every
// eviction is counted (size, ttl, budget, logs); a query that needs an evicted event reports a
// gap, never a silent hole. So the once-a-second Sweep walks at most max_logs logs.
// Memory: each kept event holds one reference to the publication's SharedBuf (the same buffer
// the shards fan out), released on eviction.
// Thread rules: the control-plane thread only (queries arrive as messages), except reading
// stats()' counters, which any thread may do while the History lives.
#pragma once

#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "engine/app_registry.h"
#include "runtime/shared_buf.h"
#include "util/relaxed_counter.h"
#include "util/string_map.h"

namespace ringcast::engine {

struct HistoryPolicy {
  uint32_t size = 0;  // 0: no history (the channel is numbered by occupancy)
  uint32_t ttl_s = 0;
};

// A resume request from a shard, answered in place and sent back (server/messages.h).
struct HistoryQuery {
  uint32_t app = 0;
  uint32_t shard = 0;
  uint32_t conn_index = 0;
  uint32_t conn_gen = 0;
  struct Channel {
    std::string name;
    bool resume = false;  // false: no position given, the stream starts now
    uint64_t epoch = 0;   // in: the last position the client saw (resume)
    uint64_t seq = 0;
    // out:
    uint64_t head_epoch = 0;  // the channel's current position (0.0: no history kept)
    uint64_t head_seq = 0;
    bool gap = false;        // events after the client's position are no longer kept
    std::vector<runtime::SharedBuf*> events;  // after the position, in order, one ref each
  };
  std::vector<Channel> channels;
  void ReleaseEvents() {
    for (Channel& c : channels) {
      for (runtime::SharedBuf* b : c.events) b->Release();
      c.events.clear();
    }
  }
};

// Single-writer relaxed counters (util/relaxed_counter.h): the control plane changes them, a
// scrape on any thread reads them in place (ControlPlane::stats(), /metrics).
struct HistoryStats {
  util::RelaxedCounter bytes;     // bytes of the kept events' buffers now
  util::RelaxedCounter events;    // events kept now
  util::RelaxedCounter channels;  // logs (channels) now
  util::RelaxedCounter evicted_size;
  util::RelaxedCounter evicted_ttl;
  util::RelaxedCounter evicted_budget;
  util::RelaxedCounter evicted_logs;  // least recently used logs dropped past max_logs
  util::RelaxedCounter gaps;          // channel answers that reported a gap
};

class History {
 public:
  // About what one log costs besides its events (map node, name, Log, the deque's first block).
  static constexpr uint64_t kLogCostBytes = 1024;
  // `max_logs` 0: max(1024, max_bytes / kLogCostBytes).
  History(const AppRegistry* apps, uint64_t max_bytes, uint64_t epoch_base, size_t max_logs = 0);
  ~History();
  History(const History&) = delete;
  History& operator=(const History&) = delete;

  HistoryPolicy PolicyFor(uint32_t app, std::string_view channel) const;

  struct Position {
    uint64_t epoch = 0;
    uint64_t seq = 0;
  };
  // Numbers the next publication on `channel` (policy.size > 0).
  Position Next(uint32_t app, std::string_view channel, uint64_t now_ms);
  // Keeps `buf` (takes one reference) as event `seq` of `channel` (just numbered by Next).
  void Keep(uint32_t app, std::string_view channel, uint64_t seq, runtime::SharedBuf* buf,
            uint64_t now_ms);
  // Fills every channel's answer of `q` (events get one reference each).
  void Answer(HistoryQuery* q, uint64_t now_ms);
  // Evicts expired events and drops idle empty logs (call now and then).
  void Sweep(uint64_t now_ms);

  const HistoryStats& stats() const { return stats_; }

 private:
  struct Entry {
    uint64_t seq;
    uint64_t at_ms;
    runtime::SharedBuf* buf;
  };
  struct Log {
    uint64_t id;
    uint64_t epoch;
    uint64_t last_seq = 0;
    uint64_t touched_ms = 0;
    HistoryPolicy policy;
    std::deque<Entry> entries;
    uint32_t app = 0;
    const std::string* name = nullptr;  // the key in by_app_[app]
    std::list<Log*>::iterator lru;      // in lru_
  };
  struct Order {  // one kept event, in the order they were kept (budget eviction); stale
    uint64_t log_id;  // once its event left by size/ttl (skipped, and compacted when many)
    uint64_t seq;
  };
  Log* Get(uint32_t app, std::string_view channel, uint64_t now_ms);
  void Touch(Log* log, uint64_t now_ms);
  void DropLog(Log* log);  // releases its events and destroys it
  void PopFront(Log* log);
  void Expire(Log* log, uint64_t now_ms);
  void EnforceBudget();

  const AppRegistry* apps_;
  uint64_t max_bytes_;
  size_t max_logs_;
  uint64_t next_epoch_;
  uint64_t next_log_id_ = 1;
  std::vector<util::StringMap<std::unique_ptr<Log>>> by_app_;
  std::deque<Order> order_;
  std::unordered_map<uint64_t, Log*> logs_by_id_;
  std::list<Log*> lru_;  // least recently touched first
  HistoryStats stats_;
};

}  // namespace ringcast::engine
