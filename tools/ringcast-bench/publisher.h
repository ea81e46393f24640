// Publisher: what the worker asks of every publisher, whatever its transport, and the part
// they share: the schedule, the per-channel sequence numbers and the end-of-run accounting.
//
// Implementations: RestPublisher (signed POSTs to the Pusher HTTP API on a keep-alive
// connection) and ClientEventPublisher (client-* events over a Pusher WebSocket). A new mode
// is one more subclass: connect in Start(), report ready(), send in Tick() what TakeDue()
// hands out, call Worker::OnPublished() for every event the server accepted, and MarkDone()
// when the schedule is over and nothing is in flight.
// Single-threaded: the owning worker. Sequence numbers count per (publisher, channel) from 0,
// so each subscriber sees one gap-free stream per publisher.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ringcast-bench/publish_schedule.h"

namespace ringcast::bench {

class Worker;

struct PlannedEvent {
  uint32_t channel;
  uint64_t sequence;
  uint64_t sent_ns;  // intended send time (fixed rate) or now (max rate)
};

class Publisher {
 public:
  Publisher(Worker* worker, uint32_t index);
  virtual ~Publisher() = default;

  virtual void Start() = 0;         // connect phase: open the connection(s)
  virtual bool ready() const = 0;   // able to publish
  virtual bool failed() const = 0;  // gave up before becoming ready
  virtual void GiveUp() = 0;        // the connect phase is over and we are not ready
  virtual void Tick(uint64_t now_ns) = 0;
  // Earliest time Tick has something to do, UINT64_MAX when only a completion can wake it.
  virtual uint64_t next_wake_ns() const = 0;

  // Publish phase starts: the schedule runs from t0 to end.
  void Begin(uint64_t t0_ns, uint64_t end_ns);
  bool done() const { return done_; }
  uint32_t index() const { return index_; }

 protected:
  // Appends to `out` the events to send now: at most `max`; at a fixed rate with max > 1, only
  // when `max` are due or the schedule's last ones are (unless --batch-due: then whatever is
  // due, up to `max`). Returns how many were appended.
  size_t TakeDue(uint64_t now_ns, uint32_t max, std::vector<PlannedEvent>* out);
  // The schedule is over and nothing is in flight: records unsent events, counts us done.
  void MarkDone(uint64_t now_ns);
  // Fixed rate: when the next batch of `batch` events (with --batch-due: the next event) will
  // be due; UINT64_MAX otherwise.
  uint64_t NextDue(uint32_t batch) const;

  Worker* worker_;
  PublishSchedule schedule_;
  bool publishing_ = false;

 private:
  std::vector<uint64_t> sequence_;  // channel -> next sequence number
  uint32_t index_;
  bool done_ = false;
};

}  // namespace ringcast::bench
