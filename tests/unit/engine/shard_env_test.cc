// ShardEnv on a real IoLoop: subscriptions tell the control plane when a channel appears and
// disappears on the shard (and a subscription the control plane cannot be told about is undone),
// and one publication is encoded at most once per wire format present on the shard: every
// member of a format shares that format's one frame (one reference each), a format nobody on
// the shard uses is never encoded, the excluded connection gets nothing, and the walk allocates
// nothing per member (the same allocations for 3 members as for 9).
#include "engine/shard_env.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/publication.h"
#include "net/local_frame.h"
#include "runtime/alloc_counter.h"
#include "support/loop_harness.h"

namespace ringcast::engine {
namespace {

using net::test_support::Client;
using net::test_support::FnSession;
using net::test_support::LoopThread;
using net::test_support::SmallOptions;
using namespace std::chrono_literals;

class RecordingLink : public ControlLink {
 public:
  bool NoteOccupied(uint32_t app, std::string_view name) override {
    if (!accept_occupied) return false;
    notes.push_back(std::to_string(app) + ":" + std::string(name) + "+");
    return true;
  }
  void NoteVacated(uint32_t app, std::string_view name) override {
    notes.push_back(std::to_string(app) + ":" + std::string(name) + "-");
  }
  bool ForwardPublication(runtime::SharedBuf* buf) override {
    buf->Release();
    return true;
  }
  bool NotePresenceJoin(PresenceNote* note) override {
    notes.push_back(std::to_string(note->app) + ":" + note->channel + "@" + note->user_id + "+");
    delete note;
    return true;
  }
  void NotePresenceLeave(uint32_t app, std::string_view channel, std::string_view user,
                         uint64_t) override {
    notes.push_back(std::to_string(app) + ":" + std::string(channel) + "@" + std::string(user) +
                    "-");
  }
  bool NoteSubscriptionCounts(SubscriptionCountReport* report) override {
    if (!accept_counts) return false;
    for (const auto& row : report->rows) {
      counts.push_back(std::to_string(row.app) + ":" + row.channel + "=" +
                       std::to_string(row.count) + (row.joined ? "+" : ""));
    }
    delete report;
    return true;
  }
  std::vector<std::string> notes;  // loop thread only
  std::vector<std::string> counts;  // loop thread only
  bool accept_occupied = true;     // loop thread only
  bool accept_counts = true;       // loop thread only
};

// A test wire format: "<tag>|<event>|<data>|<sequence>;" (the shard treats it as opaque bytes).
class TagEncoder : public PublicationEncoder {
 public:
  explicit TagEncoder(char tag) : tag_(tag) {}
  net::LocalFrame* Encode(const PublicationView& pub) override {
    std::string s = std::string(1, tag_) + "|" + std::string(pub.event) + "|" +
                    std::string(pub.data) + "|" + std::to_string(pub.sequence) + ";";
    last = net::LocalFrame::Copy(s);
    ++encodes;
    return last;
  }
  static std::string Expected(char tag, const std::string& event, const std::string& data,
                              uint64_t seq) {
    return std::string(1, tag) + "|" + event + "|" + data + "|" + std::to_string(seq) + ";";
  }
  net::LocalFrame* last = nullptr;  // loop thread only
  int encodes = 0;

 private:
  char tag_;
};

// A format that takes audiences: its member step queues the shared frame only when the
// publication's audience is "c" (and always when it has none).
class AudienceEncoder : public TagEncoder {
 public:
  AudienceEncoder() : TagEncoder('C') {}
  bool HasMemberStep() const override { return true; }
  bool TakesAudience() const override { return true; }
  bool DeliverToMember(const Member& member, net::LocalFrame* frame,
                       const PublicationView& pub) override {
    if (!pub.audience.empty() && pub.audience != "c") return false;
    frame->Ref();
    loop->Send(*member.conn, frame);
    return true;
  }
  net::IoLoop* loop = nullptr;
};

class ShardEnvTest : public ::testing::Test {
 protected:
  static std::vector<config::AppConfig> Apps(bool counts) {
    config::AppConfig app{"1", "key", "secret", "app", true, 0, true};
    app.enable_subscription_count = counts;
    return {app};
  }
  explicit ShardEnvTest(bool subscription_counts = false)
      : apps_(Apps(subscription_counts)),
        ids_(7),
        loop_(SmallOptions(), [this](net::IoLoop& loop, net::Connection& c) {
          auto* s = new FnSession;
          auto sub = std::make_unique<Subscriber>(&c, next_format_.load());
          Subscriber* raw = sub.get();
          subs_[c.index()] = std::move(sub);
          serials_.push_back(c.serial());
          (void)env_->Subscribe(0, "news", raw);
          s->on_closed = [this, raw](net::Connection&) { env_->UnsubscribeAll(raw); };
          (void)loop;
          return s;
        }) {
    config::Finalize(&config_);
    loop_.Call([this](net::IoLoop& loop) {
      env_ = std::make_unique<ShardEnv>(0, &loop, &apps_, &config_, &ids_, &link_);
      format_a_ = env_->RegisterFormat(&enc_a_);
      format_b_ = env_->RegisterFormat(&enc_b_);
      enc_c_.loop = &loop;
      format_c_ = env_->RegisterFormat(&enc_c_);
    });
    next_format_ = format_a_;
  }
  ~ShardEnvTest() override { loop_.Stop(); }

  // Connects a client whose subscriber speaks `format` and waits until it is subscribed.
  std::unique_ptr<Client> Connect(FormatId format, size_t expect_connections) {
    next_format_ = format;
    auto c = std::make_unique<Client>(loop_.port());
    EXPECT_TRUE(loop_.WaitFor(
        [&](net::IoLoop& loop) { return loop.connection_count() == expect_connections; }));
    return c;
  }

  // Delivers one publication on "news" from the loop thread.
  uint64_t Publish(const std::string& event, const std::string& data, uint64_t seq,
                   uint32_t exclude_shard = kNoShard, uint64_t exclude_serial = 0,
                   const std::string& audience = "") {
    PublicationView pub;
    pub.app = 0;
    pub.channel = "news";
    pub.event = event;
    pub.data = data;
    pub.sequence = seq;
    pub.exclude_shard = exclude_shard;
    pub.exclude_serial = exclude_serial;
    pub.audience = audience;
    runtime::SharedBuf* buf = BuildPublication(pub, 1);
    uint64_t delivered = env_->Deliver(ReadPublication(buf));
    buf->Release();
    return delivered;
  }

  config::ServerConfig config_;
  AppRegistry apps_;
  SocketIdCodec ids_;
  RecordingLink link_;
  TagEncoder enc_a_{'A'};
  TagEncoder enc_b_{'B'};
  AudienceEncoder enc_c_;
  FormatId format_a_ = 0;
  FormatId format_b_ = 0;
  FormatId format_c_ = 0;
  std::atomic<FormatId> next_format_{0};
  std::unique_ptr<ShardEnv> env_;
  std::map<uint32_t, std::unique_ptr<Subscriber>> subs_;  // loop thread only
  std::vector<uint64_t> serials_;                          // loop thread only
  LoopThread loop_;
};

TEST_F(ShardEnvTest, OnePublicationIsOneSharedFrameForEveryMemberButTheExcludedOne) {
  auto a = Connect(format_a_, 1);
  auto b = Connect(format_a_, 2);
  auto c = Connect(format_a_, 3);
  struct Observed {
    uint32_t frame_refs_after;
    int encodes;
    uint64_t deliveries;
  };
  Observed seen = loop_.Call([&](net::IoLoop&) {
    Publish("e", "first", 1, /*exclude_shard=*/0, serials_[2]);
    // Nothing was written yet (the flush is at the end of the turn): the members' queues hold
    // the references, the encoder's own one was given back.
    return Observed{enc_a_.last->refs(), enc_a_.encodes, env_->counters().deliveries};
  });
  EXPECT_EQ(seen.frame_refs_after, 2u) << "one reference per member queue, nothing else";
  EXPECT_EQ(seen.encodes, 1);
  EXPECT_EQ(seen.deliveries, 2u);
  std::string first = TagEncoder::Expected('A', "e", "first", 1);
  EXPECT_EQ(a->Read(first.size()), first);
  EXPECT_EQ(b->Read(first.size()), first);

  // The excluded client gets the next publication (sent to everybody) and nothing before it.
  loop_.Call([&](net::IoLoop&) { Publish("e", "second", 2); });
  std::string second = TagEncoder::Expected('A', "e", "second", 2);
  EXPECT_EQ(c->Read(second.size()), second);
  EXPECT_EQ(loop_.Call([&](net::IoLoop&) { return enc_b_.encodes; }), 0)
      << "a format nobody on the shard uses is never encoded";
}

TEST_F(ShardEnvTest, TwoFormatsOnOneChannelShareOneEncodeEach) {
  auto a1 = Connect(format_a_, 1);
  auto b1 = Connect(format_b_, 2);
  auto a2 = Connect(format_a_, 3);
  auto b2 = Connect(format_b_, 4);
  auto a3 = Connect(format_a_, 5);
  struct Observed {
    int encodes_a;
    int encodes_b;
    uint32_t refs_a;
    uint32_t refs_b;
    uint64_t encodes;
    uint64_t deliveries;
  };
  Observed seen = loop_.Call([&](net::IoLoop&) {
    Publish("ev", "payload", 41);
    return Observed{enc_a_.encodes,       enc_b_.encodes,
                    enc_a_.last->refs(),  enc_b_.last->refs(),
                    env_->counters().encodes, env_->counters().deliveries};
  });
  EXPECT_EQ(seen.encodes_a, 1);
  EXPECT_EQ(seen.encodes_b, 1);
  EXPECT_EQ(seen.refs_a, 3u) << "the three A members share one frame";
  EXPECT_EQ(seen.refs_b, 2u) << "the two B members share the other";
  EXPECT_EQ(seen.encodes, 2u);
  EXPECT_EQ(seen.deliveries, 5u);
  std::string want_a = TagEncoder::Expected('A', "ev", "payload", 41);
  std::string want_b = TagEncoder::Expected('B', "ev", "payload", 41);
  for (Client* c : {a1.get(), a2.get(), a3.get()}) EXPECT_EQ(c->Read(want_a.size()), want_a);
  for (Client* c : {b1.get(), b2.get()}) EXPECT_EQ(c->Read(want_b.size()), want_b);

  // A publication on a channel this shard has no members of costs no encode at all.
  int encodes = loop_.Call([&](net::IoLoop&) {
    PublicationView pub;
    pub.channel = "elsewhere";
    pub.event = "x";
    env_->Deliver(pub);
    return enc_a_.encodes + enc_b_.encodes;
  });
  EXPECT_EQ(encodes, 2);
}

TEST_F(ShardEnvTest, APublicationWithAnAudienceReachesOnlyFormatsThatCheckIt) {
  auto a = Connect(format_a_, 1);
  auto c1 = Connect(format_c_, 2);
  auto c2 = Connect(format_c_, 3);
  struct Observed {
    uint64_t for_c;
    uint64_t for_nobody;
    uint64_t for_all;
    int encodes_a;
  };
  Observed seen = loop_.Call([&](net::IoLoop&) {
    Observed o{};
    o.for_c = Publish("e", "to-c", 1, kNoShard, 0, "c");
    o.for_nobody = Publish("e", "to-d", 2, kNoShard, 0, "d");
    o.for_all = Publish("e", "all", 3);
    o.encodes_a = enc_a_.encodes;
    return o;
  });
  EXPECT_EQ(seen.for_c, 2u) << "both C members; never the A member";
  EXPECT_EQ(seen.for_nobody, 0u) << "the member step refused it for everyone";
  EXPECT_EQ(seen.for_all, 3u) << "no audience: every format";
  EXPECT_EQ(seen.encodes_a, 1) << "format A is not even encoded for audience publications";
  std::string to_c = TagEncoder::Expected('C', "e", "to-c", 1);
  std::string all_c = TagEncoder::Expected('C', "e", "all", 3);
  std::string all_a = TagEncoder::Expected('A', "e", "all", 3);
  EXPECT_EQ(a->Read(all_a.size()), all_a) << "A's first bytes are the audience-free event";
  for (Client* c : {c1.get(), c2.get()}) EXPECT_EQ(c->Read(to_c.size() + all_c.size()), to_c + all_c);
}

TEST_F(ShardEnvTest, ControlPlaneHearsWhenTheChannelAppearsAndDisappears) {
  {
    auto a = Connect(format_a_, 1);
    auto b = Connect(format_b_, 2);
    auto notes = loop_.Call([&](net::IoLoop&) { return link_.notes; });
    EXPECT_EQ(notes, (std::vector<std::string>{"0:news+"})) << "only the first member is news";
    // The metrics' gauges (ShardCounters): two memberships of one channel.
    auto counts = loop_.Call([&](net::IoLoop&) {
      return std::pair<uint64_t, uint64_t>(env_->counters().subscriptions,
                                           env_->counters().channels);
    });
    EXPECT_EQ(counts, (std::pair<uint64_t, uint64_t>(2, 1)));
  }
  ASSERT_TRUE(loop_.WaitFor([&](net::IoLoop& loop) { return loop.connection_count() == 0; }));
  auto notes = loop_.Call([&](net::IoLoop&) { return link_.notes; });
  EXPECT_EQ(notes, (std::vector<std::string>{"0:news+", "0:news-"}));
  EXPECT_EQ(loop_.Call([&](net::IoLoop&) { return env_->channels().channel_count(); }), 0u);
  auto counts = loop_.Call([&](net::IoLoop&) {
    return std::pair<uint64_t, uint64_t>(env_->counters().subscriptions,
                                         env_->counters().channels);
  });
  EXPECT_EQ(counts, (std::pair<uint64_t, uint64_t>(0, 0))) << "teardown takes them back";
}

TEST_F(ShardEnvTest, ASubscriptionTheControlPlaneCannotBeToldAboutIsUndone) {
  auto a = Connect(format_a_, 1);
  auto b = Connect(format_a_, 2);
  struct Observed {
    bool refused_new;
    bool refused_existing;
    size_t channels;
    size_t subscriptions;
    std::vector<std::string> notes;
    uint64_t counted_subscriptions;
    uint64_t counted_channels;
  };
  Observed seen = loop_.Call([&](net::IoLoop&) {
    link_.accept_occupied = false;
    Subscriber* sub = subs_.begin()->second.get();
    Observed o;
    o.refused_new = env_->Subscribe(0, "fresh", sub).refused;
    // Joining a channel that already exists here needs no note, so it is never refused.
    Subscriber* other = std::next(subs_.begin())->second.get();
    (void)env_->Unsubscribe(other, env_->channels().Find(0, "news"));
    o.refused_existing = env_->Subscribe(0, "news", other).refused;
    o.channels = env_->channels().channel_count();
    o.subscriptions = sub->count();
    o.notes = link_.notes;
    o.counted_subscriptions = env_->counters().subscriptions;
    o.counted_channels = env_->counters().channels;
    link_.accept_occupied = true;
    return o;
  });
  EXPECT_TRUE(seen.refused_new);
  EXPECT_FALSE(seen.refused_existing);
  EXPECT_EQ(seen.channels, 1u) << "the refused channel is gone again";
  EXPECT_EQ(seen.subscriptions, 1u) << "only news";
  EXPECT_EQ(seen.notes, (std::vector<std::string>{"0:news+"})) << "nothing said about fresh";
  EXPECT_EQ(seen.counted_subscriptions, 2u) << "a refused subscription is not counted";
  EXPECT_EQ(seen.counted_channels, 1u);
}

class ShardEnvCountTest : public ShardEnvTest {
 protected:
  ShardEnvCountTest() : ShardEnvTest(true) {}
};

// Subscription counts: changed channels are marked and reported once per flush with their
// absolute count (a joiner flagged), a refused report keeps the marks, a vacated channel's mark
// goes with it (its vacated note means 0), presence channels are never marked.
TEST_F(ShardEnvCountTest, ChangedChannelsAreReportedOncePerFlush) {
  auto a = Connect(format_a_, 1);
  auto b = Connect(format_a_, 2);
  struct Observed {
    std::vector<std::string> first;
    bool refused_flush;
    bool pending_after_refusal;
    std::vector<std::string> second;
    bool pending_after_vacate;
    bool presence_marked;
  };
  Observed seen = loop_.Call([&](net::IoLoop&) {
    Observed o;
    EXPECT_TRUE(env_->FlushSubscriptionCounts());
    o.first = link_.counts;
    link_.counts.clear();
    Subscriber* other = std::next(subs_.begin())->second.get();
    (void)env_->Unsubscribe(other, env_->channels().Find(0, "news"));
    link_.accept_counts = false;
    o.refused_flush = !env_->FlushSubscriptionCounts();
    o.pending_after_refusal = env_->subscription_counts_pending();
    link_.accept_counts = true;
    EXPECT_TRUE(env_->FlushSubscriptionCounts());
    o.second = link_.counts;
    link_.counts.clear();
    // A channel marked and vacated before any flush: nothing to report.
    (void)env_->Subscribe(0, "brief", other);
    (void)env_->Unsubscribe(other, env_->channels().Find(0, "brief"));
    o.pending_after_vacate = env_->subscription_counts_pending();
    (void)env_->Subscribe(0, "presence-room", other);
    o.presence_marked = env_->subscription_counts_pending();
    return o;
  });
  EXPECT_EQ(seen.first, (std::vector<std::string>{"0:news=2+"})) << "two joins, one row";
  EXPECT_TRUE(seen.refused_flush);
  EXPECT_TRUE(seen.pending_after_refusal);
  EXPECT_EQ(seen.second, (std::vector<std::string>{"0:news=1"}));
  EXPECT_FALSE(seen.pending_after_vacate);
  EXPECT_FALSE(seen.presence_marked);
}

TEST_F(ShardEnvTest, AppsWithoutSubscriptionCountsMarkNothing) {
  auto a = Connect(format_a_, 1);
  EXPECT_FALSE(loop_.Call([&](net::IoLoop&) { return env_->subscription_counts_pending(); }));
}

TEST_F(ShardEnvTest, TheWalkAllocatesNothingPerMember) {
  std::vector<std::unique_ptr<Client>> clients;
  // Allocations of one Deliver once every queue has been used (warmed up) before.
  auto measure = [&] {
    uint64_t allocs = 0;
    for (int round = 0; round < 3; ++round) {
      std::string data = "round" + std::to_string(round);
      allocs = loop_.Call([&](net::IoLoop&) {
        PublicationView pub;
        pub.channel = "news";
        pub.event = "e";
        pub.data = data;
        uint64_t before = runtime::testing::NewCount();
        env_->Deliver(pub);
        return runtime::testing::NewCount() - before;
      });
      for (size_t i = 0; i < clients.size(); ++i) {
        char tag = i % 3 == 2 ? 'B' : 'A';
        std::string want = TagEncoder::Expected(tag, "e", data, 0);
        EXPECT_EQ(clients[i]->Read(want.size()), want) << "client " << i;
      }
    }
    return allocs;
  };
  auto connect_up_to = [&](size_t n) {
    for (size_t i = clients.size(); i < n; ++i) {
      clients.push_back(Connect(i % 3 == 2 ? format_b_ : format_a_, i + 1));
    }
  };
  connect_up_to(3);
  uint64_t with_three = measure();
  connect_up_to(9);
  uint64_t with_nine = measure();
  EXPECT_EQ(with_three, with_nine) << "allocations grew with the number of members";
  EXPECT_LE(with_nine, 4u) << "two encodes (a frame each, maybe a string) and nothing else";
}

}  // namespace
}  // namespace ringcast::engine
