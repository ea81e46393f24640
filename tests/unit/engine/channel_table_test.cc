// Tests for src/engine/channel_table: subscribe, unsubscribe and unsubscribe-all keep both sides'
// indexes (channel -> members, subscriber -> channels) right, checked after every step of long
// random operation sequences against a plain reference model; the vacated callback runs exactly
// when a channel loses its last member, once, before the channel is gone; `created` and
// `already` say what changed.
#include "engine/channel_table.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace ringcast::engine {
namespace {

using Key = std::pair<uint32_t, std::string>;  // (app, channel)

struct Vacated {
  std::vector<Key> calls;
  auto Fn() {
    return [this](const Channel& ch) { calls.emplace_back(ch.app, ch.name); };
  }
};

// One connection's subscriber plus its connection object.
struct Sub {
  net::Connection conn;
  Subscriber sub{&conn};
};

std::set<Key> ChannelsOf(const Subscriber& s) {
  std::set<Key> out;
  s.ForEachChannel([&](const Channel& ch) {
    EXPECT_TRUE(out.emplace(ch.app, ch.name).second) << "channel listed twice: " << ch.name;
  });
  return out;
}

TEST(ChannelTable, FirstSubscribeCreatesTheChannel) {
  ChannelTable table(2);
  Sub a;
  ChannelTable::SubscribeResult r = table.Subscribe(1, "news", &a.sub);
  ASSERT_NE(r.channel, nullptr);
  EXPECT_TRUE(r.created);
  EXPECT_FALSE(r.already);
  EXPECT_EQ(r.channel->app, 1u);
  EXPECT_EQ(r.channel->name, "news");
  ASSERT_EQ(r.channel->members.size(), 1u);
  EXPECT_EQ(r.channel->members[0].conn, &a.conn);
  EXPECT_EQ(r.channel->members[0].sub, &a.sub);
  EXPECT_EQ(table.Find(1, "news"), r.channel);
  EXPECT_EQ(table.Find(0, "news"), nullptr);  // apps are separate namespaces
  EXPECT_EQ(table.channel_count(), 1u);
  EXPECT_EQ(a.sub.count(), 1u);
  EXPECT_TRUE(a.sub.IsSubscribed(r.channel));
}

TEST(ChannelTable, SecondMemberJoinsWithoutCreating) {
  ChannelTable table(1);
  Sub a, b;
  Channel* ch = table.Subscribe(0, "c", &a.sub).channel;
  ChannelTable::SubscribeResult r = table.Subscribe(0, "c", &b.sub);
  EXPECT_EQ(r.channel, ch);
  EXPECT_FALSE(r.created);
  EXPECT_FALSE(r.already);
  EXPECT_EQ(ch->members.size(), 2u);
}

TEST(ChannelTable, SubscribingTwiceIsAlreadyAndChangesNothing) {
  ChannelTable table(1);
  Sub a;
  Channel* ch = table.Subscribe(0, "c", &a.sub).channel;
  ChannelTable::SubscribeResult r = table.Subscribe(0, "c", &a.sub);
  EXPECT_EQ(r.channel, ch);
  EXPECT_FALSE(r.created);
  EXPECT_TRUE(r.already);
  EXPECT_EQ(ch->members.size(), 1u);
  EXPECT_EQ(a.sub.count(), 1u);
}

TEST(ChannelTable, VacatedRunsOnlyWhenTheLastMemberLeaves) {
  ChannelTable table(1);
  Sub a, b;
  Channel* ch = table.Subscribe(0, "room", &a.sub).channel;
  table.Subscribe(0, "room", &b.sub);
  Vacated v;
  EXPECT_FALSE(table.Unsubscribe(&a.sub, ch, v.Fn()));
  EXPECT_TRUE(v.calls.empty());
  EXPECT_EQ(table.Find(0, "room"), ch);
  ASSERT_EQ(ch->members.size(), 1u);
  EXPECT_EQ(ch->members[0].sub, &b.sub);

  // The callback sees the channel while it still exists, then it is gone.
  bool seen_in_table = false;
  EXPECT_TRUE(table.Unsubscribe(&b.sub, ch, [&](const Channel& c) {
    seen_in_table = table.Find(0, "room") == &c;
    v.calls.emplace_back(c.app, c.name);
  }));
  EXPECT_TRUE(seen_in_table);
  EXPECT_EQ(v.calls, (std::vector<Key>{{0, "room"}}));
  EXPECT_EQ(table.Find(0, "room"), nullptr);
  EXPECT_EQ(table.channel_count(), 0u);
  EXPECT_EQ(b.sub.count(), 0u);
}

TEST(ChannelTable, UnsubscribeOfANonMemberReturnsFalseAndChangesNothing) {
  ChannelTable table(1);
  Sub a, b;
  Channel* ch = table.Subscribe(0, "c", &a.sub).channel;
  Vacated v;
  EXPECT_FALSE(table.Unsubscribe(&b.sub, ch, v.Fn()));
  EXPECT_TRUE(v.calls.empty());
  EXPECT_EQ(ch->members.size(), 1u);
  EXPECT_EQ(table.Find(0, "c"), ch);
}

TEST(ChannelTable, ResubscribeAfterVacatingCreatesAgain) {
  ChannelTable table(1);
  Sub a;
  Channel* ch = table.Subscribe(0, "c", &a.sub).channel;
  Vacated v;
  EXPECT_TRUE(table.Unsubscribe(&a.sub, ch, v.Fn()));
  ChannelTable::SubscribeResult r = table.Subscribe(0, "c", &a.sub);
  EXPECT_TRUE(r.created);
  EXPECT_FALSE(r.already);
  EXPECT_EQ(r.channel->members.size(), 1u);
}

TEST(ChannelTable, UnsubscribeAllLeavesEveryChannelAndVacatesTheEmptiedOnes) {
  ChannelTable table(2);
  Sub a, b;
  table.Subscribe(0, "shared", &a.sub);
  table.Subscribe(0, "shared", &b.sub);
  table.Subscribe(0, "only-a", &a.sub);
  table.Subscribe(1, "only-a", &a.sub);
  table.Subscribe(1, "only-b", &b.sub);
  Vacated v;
  table.UnsubscribeAll(&a.sub, v.Fn());
  EXPECT_EQ(a.sub.count(), 0u);
  EXPECT_EQ(std::set<Key>(v.calls.begin(), v.calls.end()),
            (std::set<Key>{{0, "only-a"}, {1, "only-a"}}));
  EXPECT_EQ(v.calls.size(), 2u);
  ASSERT_NE(table.Find(0, "shared"), nullptr);
  ASSERT_EQ(table.Find(0, "shared")->members.size(), 1u);
  EXPECT_EQ(table.Find(0, "shared")->members[0].sub, &b.sub);
  EXPECT_EQ(ChannelsOf(b.sub), (std::set<Key>{{0, "shared"}, {1, "only-b"}}));
  EXPECT_EQ(table.channel_count(), 2u);
  table.UnsubscribeAll(&a.sub, v.Fn());  // nothing left: no calls
  EXPECT_EQ(v.calls.size(), 2u);
}

TEST(ChannelTable, SwapRemoveKeepsTheMovedMembersIndexRight) {
  // Removing the first of three members moves the last into its place; removing that moved
  // member afterwards must find it at its new position.
  ChannelTable table(1);
  Sub a, b, c;
  Channel* ch = table.Subscribe(0, "x", &a.sub).channel;
  table.Subscribe(0, "x", &b.sub);
  table.Subscribe(0, "x", &c.sub);
  Vacated v;
  table.Unsubscribe(&a.sub, ch, v.Fn());
  ASSERT_EQ(ch->members.size(), 2u);
  EXPECT_EQ(ch->members[0].sub, &c.sub);
  EXPECT_EQ(ch->members[1].sub, &b.sub);
  table.Unsubscribe(&c.sub, ch, v.Fn());
  ASSERT_EQ(ch->members.size(), 1u);
  EXPECT_EQ(ch->members[0].sub, &b.sub);
  EXPECT_TRUE(b.sub.IsSubscribed(ch));
  EXPECT_FALSE(c.sub.IsSubscribed(ch));
}

// Random subscribe / unsubscribe / unsubscribe-all sequences against a reference model, with
// every index checked after every step.
class Model {
 public:
  Model(ChannelTable* table, std::vector<std::unique_ptr<Sub>>* subs)
      : table_(table), subs_(subs) {}

  void Subscribe(uint32_t app, const std::string& name, size_t s) {
    Key key{app, name};
    bool existed = members_.count(key) > 0;
    bool was_member = existed && members_[key].count(s) > 0;
    ChannelTable::SubscribeResult r = table_->Subscribe(app, name, &(*subs_)[s]->sub);
    ASSERT_NE(r.channel, nullptr);
    EXPECT_EQ(r.created, !existed) << name;
    EXPECT_EQ(r.already, was_member) << name;
    members_[key].insert(s);
  }

  void Unsubscribe(uint32_t app, const std::string& name, size_t s) {
    Key key{app, name};
    Channel* ch = table_->Find(app, name);
    if (ch == nullptr) {
      ASSERT_EQ(members_.count(key), 0u);
      return;
    }
    bool was_member = members_[key].count(s) > 0;
    bool empties = was_member && members_[key].size() == 1;
    Vacated v;
    bool vacated = table_->Unsubscribe(&(*subs_)[s]->sub, ch, v.Fn());
    EXPECT_EQ(vacated, empties);
    EXPECT_EQ(v.calls, empties ? std::vector<Key>{key} : std::vector<Key>{});
    members_[key].erase(s);
    if (members_[key].empty()) members_.erase(key);
  }

  void UnsubscribeAll(size_t s) {
    std::set<Key> expect_vacated;
    for (auto& [key, set] : members_) {
      if (set.count(s) && set.size() == 1) expect_vacated.insert(key);
    }
    Vacated v;
    table_->UnsubscribeAll(&(*subs_)[s]->sub, v.Fn());
    EXPECT_EQ(v.calls.size(), expect_vacated.size());
    EXPECT_EQ(std::set<Key>(v.calls.begin(), v.calls.end()), expect_vacated);
    for (auto it = members_.begin(); it != members_.end();) {
      it->second.erase(s);
      it = it->second.empty() ? members_.erase(it) : std::next(it);
    }
  }

  void Check(const std::vector<std::string>& names, uint32_t apps) {
    EXPECT_EQ(table_->channel_count(), members_.size());
    std::map<size_t, std::set<Key>> by_sub;
    for (uint32_t app = 0; app < apps; ++app) {
      for (const std::string& name : names) {
        Key key{app, name};
        Channel* ch = table_->Find(app, name);
        auto it = members_.find(key);
        if (it == members_.end()) {
          ASSERT_EQ(ch, nullptr) << name;
          continue;
        }
        ASSERT_NE(ch, nullptr) << name;
        EXPECT_EQ(ch->app, app);
        EXPECT_EQ(ch->name, name);
        std::set<size_t> got;
        for (const Member& m : ch->members) {
          size_t idx = IndexOf(m.sub);
          EXPECT_TRUE(got.insert(idx).second) << "member twice in " << name;
          EXPECT_EQ(m.conn, &(*subs_)[idx]->conn);
          EXPECT_TRUE(m.sub->IsSubscribed(ch));
        }
        EXPECT_EQ(got, it->second) << name;
        for (size_t s : it->second) by_sub[s].insert(key);
      }
    }
    for (size_t s = 0; s < subs_->size(); ++s) {
      const Subscriber& sub = (*subs_)[s]->sub;
      EXPECT_EQ(sub.count(), by_sub[s].size()) << "subscriber " << s;
      EXPECT_EQ(ChannelsOf(sub), by_sub[s]) << "subscriber " << s;
    }
  }

 private:
  size_t IndexOf(const Subscriber* sub) const {
    for (size_t i = 0; i < subs_->size(); ++i) {
      if (&(*subs_)[i]->sub == sub) return i;
    }
    ADD_FAILURE() << "unknown subscriber";
    return SIZE_MAX;
  }

  ChannelTable* table_;
  std::vector<std::unique_ptr<Sub>>* subs_;
  std::map<Key, std::set<size_t>> members_;
};

TEST(ChannelTable, RandomOperationsMatchAReferenceModel) {
  constexpr uint32_t kApps = 2;
  std::vector<std::string> names;
  for (int i = 0; i < 12; ++i) names.push_back("channel-" + std::to_string(i));
  for (uint64_t seed : {1u, 2u, 3u, 4u, 5u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    std::vector<std::unique_ptr<Sub>> subs;
    for (int i = 0; i < 10; ++i) subs.push_back(std::make_unique<Sub>());
    ChannelTable table(kApps);
    Model model(&table, &subs);
    for (int step = 0; step < 3000; ++step) {
      uint32_t app = static_cast<uint32_t>(rng() % kApps);
      const std::string& name = names[rng() % names.size()];
      size_t s = rng() % subs.size();
      uint64_t op = rng() % 100;
      if (op < 55) {
        model.Subscribe(app, name, s);
      } else if (op < 95) {
        model.Unsubscribe(app, name, s);
      } else {
        model.UnsubscribeAll(s);
      }
      model.Check(names, kApps);
      if (::testing::Test::HasFailure()) return;
    }
    for (size_t s = 0; s < subs.size(); ++s) model.UnsubscribeAll(s);
    model.Check(names, kApps);
    EXPECT_EQ(table.channel_count(), 0u);
  }
}

}  // namespace
}  // namespace ringcast::engine
