// Pins the size of everything ringcast keeps per connection (docs/architecture.md, "Memory per
// idle connection", has the byte-by-byte table). A change that grows one of these fails here, so
// growth is a decision made in this file and the table, not an accident: heap objects are
// checked against the mimalloc size class they land in (8-byte steps to 64, then 4 classes per
// power of two: 80, 96, 112, 128, 160, 192, ...), where one byte more costs a whole class.
#include <gtest/gtest.h>

#include <cstdio>

#include "engine/channel_table.h"
#include "net/connection.h"
#include "net/out_queue.h"
#include "protocols/datonow/channel_session.h"
#include "protocols/datonow/token_session.h"
#include "protocols/pusher/pusher_session.h"
#include "protocols/ws_session.h"
#include "ws/frame_parser.h"

namespace ringcast {
namespace {

// The mimalloc size class (bytes) a heap block of `n` bytes is served from.
constexpr size_t SizeClass(size_t n) {
  if (n <= 64) return (n + 7) / 8 * 8;
  size_t p = 64;
  while (p * 2 < n) p *= 2;  // p < n <= 2p: classes p + p/4, p + p/2, p + 3p/4, 2p
  for (size_t k = 1; k <= 4; ++k) {
    if (n <= p + k * p / 4) return p + k * p / 4;
  }
  return 2 * p;
}
static_assert(SizeClass(104) == 112 && SizeClass(160) == 160 && SizeClass(161) == 192);

// The one heap block of an idle subscribed Pusher connection is its session (its Connection lives
// in the shard's slot table, its queue and one membership inline).
static_assert(SizeClass(sizeof(protocols::pusher::PusherSession)) <= 160,
              "a Pusher session must stay in the 160-byte class");
static_assert(sizeof(ws::FrameParser) <= 64, "the frame parser stays within one cache line");
static_assert(sizeof(engine::Member) <= 24, "the fan-out walks members densely");

TEST(SessionLayout, PerConnectionSizesArePinned) {
  // Exact sizes: update them here and in docs/architecture.md when a change is meant.
  EXPECT_EQ(sizeof(net::OutQueue), 40u);
  EXPECT_EQ(sizeof(net::Connection), 88u);
  EXPECT_EQ(sizeof(engine::Member), 24u);
  EXPECT_EQ(sizeof(engine::Subscriber), 32u);
  EXPECT_EQ(sizeof(ws::FrameParser), 64u);
  EXPECT_EQ(sizeof(protocols::WsSession), 96u);
  EXPECT_EQ(sizeof(protocols::pusher::PusherSession), 160u);
  std::printf(
      "per-connection layout: Connection %zu, OutQueue %zu, PusherSession %zu "
      "(class %zu), WsSession %zu, FrameParser %zu, Subscriber %zu, Member %zu\n",
      sizeof(net::Connection), sizeof(net::OutQueue), sizeof(protocols::pusher::PusherSession),
      SizeClass(sizeof(protocols::pusher::PusherSession)), sizeof(protocols::WsSession),
      sizeof(ws::FrameParser), sizeof(engine::Subscriber), sizeof(engine::Member));
}

// The Datonow sessions (docs/protocols/datonow.md, "Sockets"): a token socket is a WsSession
// with its token, app and one Subscriber (two memberships: a heap array); an appKey socket is a
// PusherSession plus the Subscriber of its command channel.
TEST(SessionLayout, DatonowSessions) {
  std::printf(
      "Datonow: DatonowTokenSession %zu (class %zu), DatonowChannelSession %zu (class %zu)\n",
      sizeof(protocols::datonow::DatonowTokenSession),
      SizeClass(sizeof(protocols::datonow::DatonowTokenSession)),
      sizeof(protocols::datonow::DatonowChannelSession),
      SizeClass(sizeof(protocols::datonow::DatonowChannelSession)));
  EXPECT_EQ(sizeof(protocols::datonow::DatonowTokenSession), 160u);
  EXPECT_EQ(sizeof(protocols::datonow::DatonowChannelSession), 208u);
}

TEST(SessionLayout, SizeClassesFollowMimalloc) {
  EXPECT_EQ(SizeClass(1), 8u);
  EXPECT_EQ(SizeClass(17), 24u);
  EXPECT_EQ(SizeClass(64), 64u);
  EXPECT_EQ(SizeClass(65), 80u);
  EXPECT_EQ(SizeClass(113), 128u);
  EXPECT_EQ(SizeClass(280), 320u);
  EXPECT_EQ(SizeClass(1080), 1280u);
}

}  // namespace
}  // namespace ringcast
