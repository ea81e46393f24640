// ShardEnv on a real IoLoop: subscriptions tell the control plane when a channel appears and
// disappears on the shard, and one publication is delivered as one shared frame: every member's
// queue holds the same LocalFrame, the cross-thread SharedBuf keeps its single reference, and the
// excluded connection gets nothing.
#include "engine/shard_env.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/publication.h"
#include "net/local_frame.h"
#include "support/loop_harness.h"
#include "ws/frame_encoder.h"

namespace ringcast::engine {
namespace {

using net::test_support::Client;
using net::test_support::FnSession;
using net::test_support::LoopThread;
using net::test_support::SmallOptions;
using namespace std::chrono_literals;

class RecordingLink : public ControlLink {
 public:
  void NoteChannel(uint32_t app, std::string_view name, bool occupied) override {
    notes.push_back(std::to_string(app) + ":" + std::string(name) + (occupied ? "+" : "-"));
  }
  void ForwardPublication(runtime::SharedBuf* buf) override { buf->Release(); }
  std::vector<std::string> notes;  // loop thread only
};

class ShardEnvTest : public ::testing::Test {
 protected:
  ShardEnvTest()
      : apps_({{"1", "key", "secret", "app", true, 0, true}}),
        ids_(7),
        loop_(SmallOptions(), [this](net::IoLoop& loop, net::Connection& c) {
          auto* s = new FnSession;
          auto sub = std::make_unique<Subscriber>(&c);
          Subscriber* raw = sub.get();
          subs_[c.index()] = std::move(sub);
          serials_.push_back(c.serial());
          env_->Subscribe(0, "news", raw);
          s->on_closed = [this, raw](net::Connection&) { env_->UnsubscribeAll(raw); };
          (void)loop;
          return s;
        }) {
    config::Finalize(&config_);
    loop_.Call([this](net::IoLoop& loop) {
      env_ = std::make_unique<ShardEnv>(0, &loop, &apps_, &config_, &ids_, &link_);
    });
  }
  ~ShardEnvTest() override {
    loop_.Stop();
  }

  config::ServerConfig config_;
  AppRegistry apps_;
  SocketIdCodec ids_;
  RecordingLink link_;
  std::unique_ptr<ShardEnv> env_;
  std::map<uint32_t, std::unique_ptr<Subscriber>> subs_;  // loop thread only
  std::vector<uint64_t> serials_;                          // loop thread only
  LoopThread loop_;
};

TEST_F(ShardEnvTest, OnePublicationIsOneSharedFrameForEveryMemberButTheExcludedOne) {
  Client a(loop_.port());
  Client b(loop_.port());
  Client c(loop_.port());
  ASSERT_TRUE(loop_.WaitFor([&](net::IoLoop& loop) { return loop.connection_count() == 3; }));

  std::string json;
  AppendChannelEventJson(&json, "e", "news", "first");
  struct Observed {
    uint32_t shared_refs_after;
    uint32_t frame_refs_after;
    uint64_t deliveries;
  };
  Observed seen = loop_.Call([&](net::IoLoop&) {
    uint64_t excluded = serials_[2];
    runtime::SharedBuf* buf = BuildPublication(0, "news", json, /*exclude_shard=*/0, excluded, 1);
    PublicationView pub = ReadPublication(buf);
    net::LocalFrame* frame = net::LocalFrame::Wrap(buf, pub.ws_frame.data(),
                                                   static_cast<uint32_t>(pub.ws_frame.size()));
    frame->Ref();  // the test's own reference, to look at the count after delivery
    env_->Deliver(pub, frame);
    Observed o{buf->refs_for_test(), frame->refs(), env_->counters().deliveries};
    frame->Unref();
    return o;
  });
  EXPECT_EQ(seen.shared_refs_after, 1u) << "one cross-thread reference per shard, not per member";
  EXPECT_EQ(seen.frame_refs_after, 1u + 2u) << "the test's + one per member queue";
  EXPECT_EQ(seen.deliveries, 2u);

  std::string expected_first;
  {
    uint8_t header[ws::kMaxServerHeaderBytes];
    size_t n = ws::EncodeHeader(header, ws::Opcode::kText, json.size());
    expected_first.assign(reinterpret_cast<char*>(header), n);
    expected_first += json;
  }
  EXPECT_EQ(a.Read(expected_first.size()), expected_first);
  EXPECT_EQ(b.Read(expected_first.size()), expected_first);

  // The excluded client gets the next publication (sent to everybody) and nothing before it.
  std::string json2;
  AppendChannelEventJson(&json2, "e", "news", "second");
  loop_.Call([&](net::IoLoop&) {
    runtime::SharedBuf* buf = BuildPublication(0, "news", json2, kNoShard, 0, 1);
    PublicationView pub = ReadPublication(buf);
    env_->Deliver(pub, net::LocalFrame::Wrap(buf, pub.ws_frame.data(),
                                             static_cast<uint32_t>(pub.ws_frame.size())));
  });
  std::string got = c.Read(2 + json2.size());
  EXPECT_NE(got.find("second"), std::string::npos);
  EXPECT_EQ(got.find("first"), std::string::npos);
}

TEST_F(ShardEnvTest, ControlPlaneHearsWhenTheChannelAppearsAndDisappears) {
  {
    Client a(loop_.port());
    Client b(loop_.port());
    ASSERT_TRUE(loop_.WaitFor([&](net::IoLoop& loop) { return loop.connection_count() == 2; }));
    auto notes = loop_.Call([&](net::IoLoop&) { return link_.notes; });
    EXPECT_EQ(notes, (std::vector<std::string>{"0:news+"})) << "only the first member is news";
  }
  ASSERT_TRUE(loop_.WaitFor([&](net::IoLoop& loop) { return loop.connection_count() == 0; }));
  auto notes = loop_.Call([&](net::IoLoop&) { return link_.notes; });
  EXPECT_EQ(notes, (std::vector<std::string>{"0:news+", "0:news-"}));
  EXPECT_EQ(loop_.Call([&](net::IoLoop&) { return env_->channels().channel_count(); }), 0u);
}

}  // namespace
}  // namespace ringcast::engine
