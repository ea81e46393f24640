#include "runtime/timer_wheel.h"

namespace ringcast::runtime {

void TimerWheel::Schedule(uint64_t deadline_ms, uint64_t cookie) {
  uint64_t tick = (deadline_ms + kTickMs - 1) / kTickMs;
  if (tick <= current_tick_) tick = current_tick_ + 1;
  slots_[tick % kSlots].push_back({deadline_ms, cookie});
  ++size_;
}

void TimerWheel::Advance(uint64_t now_ms, std::vector<uint64_t>* fired) {
  uint64_t target = now_ms / kTickMs;
  if (target <= current_tick_) return;
  // After a long stall, one full turn visits every bucket once.
  uint64_t steps = target - current_tick_;
  if (steps > kSlots) steps = kSlots;
  for (uint64_t i = 1; i <= steps; ++i) {
    std::vector<Entry>& slot = slots_[(current_tick_ + i) % kSlots];
    size_t keep = 0;
    for (size_t j = 0; j < slot.size(); ++j) {
      if (slot[j].deadline_ms <= now_ms) {
        fired->push_back(slot[j].cookie);
        --size_;
      } else {
        slot[keep++] = slot[j];
      }
    }
    slot.resize(keep);
  }
  current_tick_ = target;
}

int64_t TimerWheel::WaitHintMs(uint64_t now_ms) const {
  if (size_ == 0) return -1;
  return static_cast<int64_t>(kTickMs - now_ms % kTickMs);
}

}  // namespace ringcast::runtime
