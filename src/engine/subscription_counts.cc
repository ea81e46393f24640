#include "engine/subscription_counts.h"

#include <algorithm>
#include <cstring>

#include "util/log.h"

namespace ringcast::engine {

std::string SubscriptionCounts::Key(uint32_t app, std::string_view channel) {
  std::string key(sizeof app, '\0');
  std::memcpy(key.data(), &app, sizeof app);
  key.append(channel);
  return key;
}

void SubscriptionCounts::Set(uint32_t app, std::string_view channel, uint32_t shard,
                             uint64_t count, bool joined, uint64_t now_ms) {
  RC_CHECK(shard < shard_count_);
  std::string key = Key(app, channel);
  auto it = map_.find(key);
  if (it == map_.end()) {
    if (count == 0) return;
    if (map_.size() >= max_channels_) {
      ++refused_;
      return;
    }
    Entry fresh;
    fresh.per_shard.assign(shard_count_, 0);
    it = map_.emplace(std::move(key), std::move(fresh)).first;
  }
  Node* node = &*it;
  Entry& e = it->second;
  const uint64_t old = e.per_shard[shard];
  e.per_shard[shard] = static_cast<uint32_t>(count);
  e.total = e.total - old + count;
  if (e.total == 0) {
    Unschedule(node);
    map_.erase(it);
    return;
  }
  if (old == count && !joined) return;
  if (e.ever_told && e.total == e.told && !joined) {
    Unschedule(node);  // back to what the subscribers know
    return;
  }
  uint64_t due = now_ms;
  if (e.ever_told && e.total > kLargeChannel) due = std::max(now_ms, e.told_ms + kLargeIntervalMs);
  if (e.scheduled && e.due_ms <= due) return;  // an earlier send already covers it
  Schedule(node, due);
}

void SubscriptionCounts::Schedule(Node* node, uint64_t due_ms) {
  Unschedule(node);
  node->second.due_ms = due_ms;
  node->second.scheduled = true;
  pending_.emplace(due_ms, node);
}

void SubscriptionCounts::Unschedule(Node* node) {
  if (!node->second.scheduled) return;
  pending_.erase({node->second.due_ms, node});
  node->second.scheduled = false;
}

void SubscriptionCounts::TakeDue(uint64_t now_ms, size_t max, std::vector<Due>* out) {
  for (size_t taken = 0; taken < max && !pending_.empty() && pending_.begin()->first <= now_ms;
       ++taken) {
    Node* node = pending_.begin()->second;
    pending_.erase(pending_.begin());
    Entry& e = node->second;
    e.scheduled = false;
    e.told = e.total;
    e.told_ms = now_ms;
    e.ever_told = true;
    uint32_t app;
    std::memcpy(&app, node->first.data(), sizeof app);
    out->push_back({app, node->first.substr(sizeof app), e.total});
  }
}

int64_t SubscriptionCounts::WaitHintMs(uint64_t now_ms) const {
  if (pending_.empty()) return -1;
  uint64_t due = pending_.begin()->first;
  return due <= now_ms ? 0 : static_cast<int64_t>(due - now_ms);
}

uint64_t SubscriptionCounts::Total(uint32_t app, std::string_view channel) const {
  auto it = map_.find(Key(app, channel));
  return it == map_.end() ? 0 : it->second.total;
}

}  // namespace ringcast::engine
