#include "server/control_outbox.h"

#include <string>

namespace ringcast::server {

ControlOutbox::~ControlOutbox() {
  for (const ToControl& m : control_) DiscardUndelivered(m);
  for (const ToControl& m : data_) DiscardUndelivered(m);
}

bool ControlOutbox::TryRing(const ToControl& m) {
  if (!queue_->TryPush(m)) return false;
  dirty_ = true;
  return true;
}

void ControlOutbox::Park(std::deque<ToControl>* backlog, const ToControl& m) {
  backlog->push_back(m);
  spilled_.Add();
  uint64_t parked = control_.size() + data_.size();
  backlog_.Set(parked);
  backlog_peak_.Max(parked);
}

void ControlOutbox::PushControl(const ToControl& m) {
  if (control_.empty() && TryRing(m)) return;
  Park(&control_, m);
}

bool ControlOutbox::PushData(const ToControl& m) {
  if (data_.empty() && TryRing(m)) return true;
  if (data_.size() >= max_data_backlog_) return false;
  Park(&data_, m);
  return true;
}

bool ControlOutbox::PushRequest(api::HttpCall* call) {
  if (PushData(ToControl::Request(shard_, call))) return true;
  requests_refused_.Add();
  return false;
}

bool ControlOutbox::PushClientEvent(runtime::SharedBuf* buf) {
  if (PushData(ToControl::ClientEvent(shard_, buf))) return true;
  client_events_dropped_.Add();
  buf->Release();
  return false;
}

bool ControlOutbox::PushHistoryQuery(engine::HistoryQuery* q) {
  if (PushData(ToControl::History(shard_, q))) return true;
  requests_refused_.Add();
  return false;
}

bool ControlOutbox::PushRoomHistory(engine::RoomHistoryQuery* q) {
  if (PushData(ToControl::RoomHistory(shard_, q))) return true;
  delete q;
  requests_refused_.Add();
  return false;
}

bool ControlOutbox::PushRoomChange(engine::RoomChange* c) {
  if (PushData(ToControl::RoomChange(shard_, c))) return true;
  delete c;
  requests_refused_.Add();
  return false;
}

bool ControlOutbox::PushHookCall(engine::HookCall* h) {
  if (PushData(ToControl::HookCall(shard_, h))) return true;
  delete h;
  requests_refused_.Add();
  return false;
}

bool ControlOutbox::PushOccupied(uint32_t app, std::string_view name) {
  if (!control_.empty()) {
    subscribes_refused_.Add();
    return false;
  }
  auto* note = new ChannelNote{app, true, std::string(name)};
  if (TryRing(ToControl::Note(shard_, note))) return true;
  delete note;
  subscribes_refused_.Add();
  return false;
}

void ControlOutbox::PushVacated(uint32_t app, std::string_view name) {
  PushControl(ToControl::Note(shard_, new ChannelNote{app, false, std::string(name)}));
}

bool ControlOutbox::PushPresenceJoin(engine::PresenceNote* note) {
  if (control_.empty() && TryRing(ToControl::Presence(shard_, note))) return true;
  delete note;
  subscribes_refused_.Add();
  return false;
}

void ControlOutbox::PushPresenceLeave(uint32_t app, std::string_view channel,
                                      std::string_view user_id, uint64_t serial) {
  auto* note = new engine::PresenceNote();
  note->app = app;
  note->join = false;
  note->channel = std::string(channel);
  note->user_id = std::string(user_id);
  note->shard = shard_;
  note->serial = serial;
  PushControl(ToControl::Presence(shard_, note));
}

bool ControlOutbox::PushRoomJoin(engine::RoomSlot* slot) {
  if (control_.empty() && TryRing(ToControl::Slot(shard_, slot))) return true;
  delete slot;
  subscribes_refused_.Add();
  return false;
}

void ControlOutbox::PushRoomLeave(engine::RoomSlot* slot) {
  PushControl(ToControl::Slot(shard_, slot));
}

void ControlOutbox::PushEioDone(api::HttpCall* call) {
  PushControl(ToControl::EioDone(shard_, call));
}

void ControlOutbox::PushCountReply(CountQuery* query) {
  PushControl(ToControl::CountReply(shard_, query));
}

bool ControlOutbox::PushSubscriptionCounts(engine::SubscriptionCountReport* report) {
  return control_.empty() && TryRing(ToControl::Counts(shard_, report));
}

bool ControlOutbox::PushShardDone() {
  return empty() && TryRing(ToControl::ShardDone(shard_));
}

void ControlOutbox::Flush() {
  if (empty()) return;
  while (!control_.empty() && TryRing(control_.front())) control_.pop_front();
  if (control_.empty()) {
    while (!data_.empty() && TryRing(data_.front())) data_.pop_front();
  }
  backlog_.Set(control_.size() + data_.size());
}

OutboxStats ControlOutbox::stats() const {
  OutboxStats s;
  s.ring_full = queue_->full_count();
  s.spilled = spilled_.Get();
  s.backlog = backlog_.Get();
  s.backlog_peak = backlog_peak_.Get();
  s.requests_refused = requests_refused_.Get();
  s.client_events_dropped = client_events_dropped_.Get();
  s.subscribes_refused = subscribes_refused_.Get();
  return s;
}

}  // namespace ringcast::server
