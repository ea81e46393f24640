// Tests for src/net/io_loop, driven for real: an IoLoop runs on its own thread with a listening
// socket on 127.0.0.1, test Sessions decide what to do with each connection, and plain blocking
// sockets play the clients. The test reaches the loop only as a shard's peers do: it posts
// tasks that the Delegate's DrainInbound runs on the loop thread, and wakes the loop through its
// Waker (the loop's InboundEmpty re-check after AnnounceSleep sees the posted task).
#include "net/io_loop.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "net/listener.h"
#include "net/local_frame.h"
#include "runtime/waker.h"
#include "support/loop_harness.h"

namespace ringcast::net {
namespace {

using namespace std::chrono_literals;

using namespace test_support;

// Counters the sessions update on the loop thread; the test reads them after Stop() or through
// LoopThread::Call.
struct Counters {
  std::atomic<int> sessions{0};
  std::atomic<int> closed{0};
  std::atomic<int> destroyed{0};
  std::atomic<int> overflows{0};
  std::atomic<int> closed_inside_close_now{0};
};

FnSession* EchoSession(IoLoop& loop, Counters* counters) {
  auto* s = new FnSession;
  ++counters->sessions;
  s->on_data = [&loop](Connection& c, std::string_view data) { loop.SendCopy(c, data); };
  s->on_closed = [counters](Connection&) { ++counters->closed; };
  s->on_destroy = [counters] { ++counters->destroyed; };
  return s;
}

TEST(IoLoop, EchoesToSeveralClients) {
  Counters counters;
  LoopThread lt(SmallOptions(),
                [&](IoLoop& loop, Connection&) { return EchoSession(loop, &counters); });
  Client a(lt.port());
  Client b(lt.port());
  Client c(lt.port());
  a.Send("hello from a");
  b.Send("hi from b");
  EXPECT_EQ(a.Read(12), "hello from a");
  EXPECT_EQ(b.Read(9), "hi from b");
  for (int i = 0; i < 50; ++i) {
    std::string msg = "message " + std::to_string(i);
    c.Send(msg);
    ASSERT_EQ(c.Read(msg.size()), msg);
  }
  EXPECT_EQ(lt.Call([](IoLoop& loop) { return loop.connection_count(); }), 3u);
  lt.Stop();
  EXPECT_EQ(counters.sessions.load(), 3);
  EXPECT_EQ(lt.final_stats().accepted, 3u);
  EXPECT_EQ(lt.final_stats().bytes_read, lt.final_stats().bytes_written);
  EXPECT_EQ(lt.final_stats().refused, 0u);
}

TEST(IoLoop, LargeEchoSurvivesASmallReadBufferPool) {
  // Two 512-byte provided buffers: reads run dry (ENOBUFS) and are re-armed; no byte is lost.
  Counters counters;
  IoLoopOptions o = SmallOptions();
  o.read_buffers = 2;
  o.read_buffer_size = 512;
  LoopThread lt(o, [&](IoLoop& loop, Connection&) { return EchoSession(loop, &counters); });
  Client c(lt.port());
  std::string data;
  for (int i = 0; i < 300000; ++i) data.push_back(static_cast<char>('a' + (i * 7) % 26));
  std::thread writer([&] { c.Send(data); });
  std::string echoed = c.Read(data.size());
  writer.join();
  EXPECT_EQ(echoed.size(), data.size());
  EXPECT_TRUE(echoed == data);
  lt.Stop();
  EXPECT_GT(lt.final_stats().read_buffer_exhausted, 0u);  // the re-arm path was taken
}

TEST(IoLoop, PeerCloseRunsOnClosedOnceAndFreesTheSlot) {
  Counters counters;
  LoopThread lt(SmallOptions(),
                [&](IoLoop& loop, Connection&) { return EchoSession(loop, &counters); });
  {
    Client c(lt.port());
    c.Send("x");
    EXPECT_EQ(c.Read(1), "x");
  }
  ASSERT_TRUE(lt.WaitFor([&](IoLoop& loop) { return loop.connection_count() == 0; }));
  EXPECT_EQ(counters.closed.load(), 1);
  EXPECT_EQ(lt.Call([](IoLoop& loop) { return loop.stats().closed; }), 1u);
  // The retired session is deleted at the end of the turn.
  ASSERT_TRUE(lt.WaitFor([&](IoLoop&) { return counters.destroyed.load() == 1; }));
  lt.Stop();
  EXPECT_EQ(counters.closed.load(), 1);
}

TEST(IoLoop, SlotIsReusedWithANewGenerationAndSerial) {
  Counters counters;
  std::vector<std::tuple<uint32_t, uint32_t, uint64_t>> ids;  // loop thread only until Stop
  LoopThread lt(SmallOptions(), [&](IoLoop& loop, Connection& c) {
    ids.emplace_back(c.index(), c.generation(), c.serial());
    return EchoSession(loop, &counters);
  });
  {
    Client c(lt.port());
    c.Send("1");
    EXPECT_EQ(c.Read(1), "1");
  }
  ASSERT_TRUE(lt.WaitFor([&](IoLoop& loop) { return loop.connection_count() == 0; }));
  Client c2(lt.port());
  c2.Send("2");
  EXPECT_EQ(c2.Read(1), "2");
  auto [first, second] = lt.Call([&](IoLoop& loop) {
    auto [i0, g0, s0] = ids[0];
    auto [i1, g1, s1] = ids[1];
    EXPECT_EQ(i1, i0);
    EXPECT_EQ(g1, g0 + 1);
    EXPECT_EQ(s1, s0 + 1);
    return std::make_pair(loop.Find(i0, g0), loop.Find(i1, g1));
  });
  EXPECT_EQ(first, nullptr);  // the old generation is gone
  EXPECT_NE(second, nullptr);
  lt.Stop();
}

TEST(IoLoop, CloseNowRunsOnClosedExactlyOnceAndNotInsideTheCall) {
  Counters counters;
  std::atomic<bool> inside{false};
  LoopThread lt(SmallOptions(), [&](IoLoop& loop, Connection&) {
    auto* s = new FnSession;
    s->on_data = [&](Connection& c, std::string_view) {
      inside = true;
      loop.CloseNow(c);
      loop.CloseNow(c);  // a second close is a no-op
      inside = false;
      EXPECT_EQ(c.state(), ConnState::kClosing);
      // Output after the close is dropped, and its reference released at once.
      LocalFrame* f = LocalFrame::Copy("late");
      f->Ref();
      loop.Send(c, f);
      EXPECT_EQ(f->refs(), 1u);
      f->Unref();
    };
    s->on_closed = [&](Connection&) {
      if (inside) ++counters.closed_inside_close_now;
      ++counters.closed;
    };
    return s;
  });
  Client c(lt.port());
  c.Send("close me");
  bool eof = false;
  EXPECT_EQ(c.ReadToEof(&eof), "");
  EXPECT_TRUE(eof);
  ASSERT_TRUE(lt.WaitFor([&](IoLoop& loop) { return loop.connection_count() == 0; }));
  lt.Stop();
  EXPECT_EQ(counters.closed.load(), 1);
  EXPECT_EQ(counters.closed_inside_close_now.load(), 0);
}

TEST(IoLoop, CloseNowBeforeAnyReadIsArmedStillRunsOnClosedLaterInTheTurn) {
  // Nothing is in flight, so the close could finish at once; it must still wait for a safe
  // point (here: the session is not even installed yet when CloseNow runs).
  Counters counters;
  LoopThread lt(SmallOptions(), [&](IoLoop& loop, Connection& c) {
    auto* s = new FnSession;
    s->on_closed = [&](Connection&) { ++counters.closed; };
    loop.CloseNow(c);
    EXPECT_EQ(counters.closed.load(), 0);
    return s;
  });
  Client c(lt.port());
  bool eof = false;
  EXPECT_EQ(c.ReadToEof(&eof), "");
  EXPECT_TRUE(eof);
  ASSERT_TRUE(lt.WaitFor([&](IoLoop& loop) { return loop.connection_count() == 0; }));
  lt.Stop();
  EXPECT_EQ(counters.closed.load(), 1);
}

TEST(IoLoop, RefusalQueuedAtAcceptIsWrittenBeforeTheClose) {
  Counters counters;
  LoopThread lt(SmallOptions(), [&](IoLoop& loop, Connection& c) {
    auto* s = new FnSession;
    s->on_closed = [&](Connection&) { ++counters.closed; };
    loop.SendCopy(c, "over capacity\n");
    loop.CloseAfterFlush(c, 1000);
    return s;
  });
  Client c(lt.port());
  bool eof = false;
  EXPECT_EQ(c.ReadToEof(&eof), "over capacity\n");
  EXPECT_TRUE(eof);
  ASSERT_TRUE(lt.WaitFor([&](IoLoop&) { return counters.closed.load() == 1; }));
}

TEST(IoLoop, CloseNowFromOutsideASessionCallback) {
  Counters counters;
  Connection* conn = nullptr;  // loop thread only
  LoopThread lt(SmallOptions(), [&](IoLoop& loop, Connection& c) {
    conn = &c;
    return EchoSession(loop, &counters);
  });
  Client c(lt.port());
  c.Send("a");
  EXPECT_EQ(c.Read(1), "a");
  int closed_right_after = lt.Call([&](IoLoop& loop) {
    loop.CloseNow(*conn);
    return counters.closed.load();
  });
  EXPECT_EQ(closed_right_after, 0);
  bool eof = false;
  c.ReadToEof(&eof);
  EXPECT_TRUE(eof);
  ASSERT_TRUE(lt.WaitFor([&](IoLoop&) { return counters.closed.load() == 1; }));
  lt.Stop();
  EXPECT_EQ(counters.closed.load(), 1);
}

TEST(IoLoop, CloseAfterFlushDeliversQueuedBytesBeforeClosing) {
  constexpr size_t kFrame = 64 * 1024;
  constexpr int kFrames = 32;  // 2 MiB, under the 4 MiB cap, far over the socket buffers
  Counters counters;
  LoopThread lt(SmallOptions(), [&](IoLoop& loop, Connection&) {
    auto* s = new FnSession;
    s->on_data = [&](Connection& c, std::string_view) {
      for (int i = 0; i < kFrames; ++i) {
        loop.SendCopy(c, std::string(kFrame, static_cast<char>('A' + i % 26)));
      }
      loop.CloseAfterFlush(c, 10000);
      EXPECT_EQ(c.state(), ConnState::kDraining);
    };
    s->on_closed = [&](Connection&) { ++counters.closed; };
    return s;
  });
  Client c(lt.port(), /*rcvbuf=*/16384);
  c.Send("go");
  std::this_thread::sleep_for(100ms);  // let the server's queue back up behind a slow reader
  bool eof = false;
  std::string got = c.ReadToEof(&eof);
  EXPECT_TRUE(eof);
  ASSERT_EQ(got.size(), kFrame * kFrames);
  for (int i = 0; i < kFrames; ++i) {
    ASSERT_EQ(got.substr(i * kFrame, kFrame), std::string(kFrame, static_cast<char>('A' + i % 26)))
        << "frame " << i;
  }
  ASSERT_TRUE(lt.WaitFor([&](IoLoop&) { return counters.closed.load() == 1; }));
  lt.Stop();
  EXPECT_EQ(counters.closed.load(), 1);
  EXPECT_EQ(lt.final_stats().bytes_written, kFrame * kFrames);
  EXPECT_EQ(lt.final_stats().frames_written, static_cast<uint64_t>(kFrames));
}

TEST(IoLoop, CloseAfterFlushWithNothingQueuedClosesAtOnce) {
  Counters counters;
  LoopThread lt(SmallOptions(), [&](IoLoop& loop, Connection&) {
    auto* s = new FnSession;
    s->on_data = [&](Connection& c, std::string_view) { loop.CloseAfterFlush(c, 60000); };
    s->on_closed = [&](Connection&) { ++counters.closed; };
    return s;
  });
  Client c(lt.port());
  c.Send("bye");
  bool eof = false;
  EXPECT_EQ(c.ReadToEof(&eof), "");
  EXPECT_TRUE(eof);
  ASSERT_TRUE(lt.WaitFor([&](IoLoop&) { return counters.closed.load() == 1; }));
}

TEST(IoLoop, CloseAfterFlushGivesUpAtItsDeadlineWhenThePeerDoesNotRead) {
  constexpr size_t kFrame = 256 * 1024;
  Counters counters;
  std::atomic<int64_t> closed_after_ms{-1};
  LoopThread lt(SmallOptions(), [&](IoLoop& loop, Connection&) {
    auto* s = new FnSession;
    auto started = std::make_shared<uint64_t>(0);
    s->on_data = [&loop, started](Connection& c, std::string_view) {
      for (int i = 0; i < 12; ++i) loop.SendCopy(c, std::string(kFrame, 'z'));  // 3 MiB
      *started = loop.now_ms();
      loop.CloseAfterFlush(c, 300);
    };
    s->on_closed = [&, started](Connection&) {
      closed_after_ms = static_cast<int64_t>(loop.now_ms() - *started);
      ++counters.closed;
    };
    return s;
  });
  Client c(lt.port(), /*rcvbuf=*/4096);
  c.Send("go");  // and never read
  ASSERT_TRUE(lt.WaitFor([&](IoLoop&) { return counters.closed.load() == 1; }, 5000ms));
  EXPECT_GE(closed_after_ms.load(), 300);
  EXPECT_LT(closed_after_ms.load(), 2000);
  lt.Stop();
}

TEST(IoLoop, ClientThatStopsReadingIsCutOffAsASlowConsumerAndItsFramesReleased) {
  constexpr size_t kFrame = 64 * 1024;
  constexpr size_t kCap = 256 * 1024;
  Counters counters;
  Connection* conn = nullptr;   // loop thread only
  LocalFrame* frame = nullptr;  // one frame queued again and again; refs() counts the entries
  uint32_t kept_at_overflow = 0;
  size_t queued_at_overflow = 0;
  uint64_t pumped = 0;
  bool send_after_overflow_dropped = false;
  IoLoopOptions o = SmallOptions();
  o.max_outbound_bytes = kCap;
  LoopThread lt(o, [&](IoLoop& loop, Connection& c) {
    conn = &c;
    auto* s = new FnSession;
    s->on_overflow = [&](Connection& oc) {
      ++counters.overflows;
      kept_at_overflow = frame->refs() - 1;
      queued_at_overflow = oc.queued_bytes();
      frame->Ref();
      loop.Send(oc, frame);  // refused: the connection is already cut off
      send_after_overflow_dropped = frame->refs() - 1 == kept_at_overflow;
      // Like a protocol's goodbye: queued even now, then close once written (or at a deadline).
      loop.SendFinal(oc, "bye");
      loop.CloseAfterFlush(oc, 200);
    };
    s->on_closed = [&](Connection&) { ++counters.closed; };
    return s;
  });
  Client c(lt.port(), /*rcvbuf=*/4096);
  ASSERT_TRUE(lt.WaitFor([&](IoLoop&) { return conn != nullptr; }));
  std::string payload(kFrame, 'p');
  lt.Call([&](IoLoop&) { frame = LocalFrame::Copy(payload); });
  // Each turn queues one more 64 KiB frame to the client, which never reads.
  lt.SetPump([&](IoLoop& loop) {
    if (counters.overflows.load() > 0 || pumped >= 4096) return false;  // 256 MiB: give up
    if (loop.Find(conn->index(), conn->generation()) == nullptr) return false;
    frame->Ref();
    loop.Send(*conn, frame);
    ++pumped;
    return true;
  });
  ASSERT_TRUE(lt.WaitFor([&](IoLoop&) { return counters.closed.load() == 1; }, 10000ms));
  lt.SetPump(nullptr);
  auto [refs_after, slow] = lt.Call(
      [&](IoLoop& loop) { return std::make_pair(frame->refs(), loop.stats().slow_consumers); });
  EXPECT_EQ(counters.overflows.load(), 1);
  EXPECT_EQ(slow, 1u);
  EXPECT_LT(pumped, 4096u);
  // At the cut, only the frames an in-flight write may reference were kept (at most one
  // sendmsg's worth of iovecs), and no more than the cap.
  EXPECT_LE(kept_at_overflow, 64u);
  EXPECT_LE(queued_at_overflow, kept_at_overflow * kFrame);
  EXPECT_LE(queued_at_overflow, kCap);
  EXPECT_TRUE(send_after_overflow_dropped);
  // After the close every queued reference is gone: only the test's own is left.
  EXPECT_EQ(refs_after, 1u);
  lt.Call([&](IoLoop&) { frame->Unref(); });
  lt.Stop();
  EXPECT_EQ(counters.closed.load(), 1);
}

TEST(IoLoop, OverflowWithoutAGoodbyeClosesTheConnection) {
  Counters counters;
  IoLoopOptions o = SmallOptions();
  o.max_outbound_bytes = 1000;
  LoopThread lt(o, [&](IoLoop& loop, Connection&) {
    auto* s = new FnSession;
    s->on_data = [&](Connection& c, std::string_view) {
      // One turn queues more than the cap: cut off before anything is written.
      for (int i = 0; i < 5; ++i) loop.SendCopy(c, std::string(300, 'q'));
      EXPECT_EQ(c.state(), ConnState::kClosing);
      EXPECT_EQ(c.queued_bytes(), 0u);
    };
    s->on_overflow = [&](Connection&) { ++counters.overflows; };  // leaves it open
    s->on_closed = [&](Connection&) { ++counters.closed; };
    return s;
  });
  Client c(lt.port());
  c.Send("x");
  bool eof = false;
  std::string got = c.ReadToEof(&eof);
  EXPECT_TRUE(eof);
  EXPECT_EQ(got, "");  // the unsent frames were dropped
  ASSERT_TRUE(lt.WaitFor([&](IoLoop&) { return counters.closed.load() == 1; }));
  lt.Stop();
  EXPECT_EQ(counters.overflows.load(), 1);
  EXPECT_EQ(lt.final_stats().slow_consumers, 1u);
}

TEST(IoLoop, FramesQueuedInOneTurnGoOutInOneWrite) {
  Counters counters;
  LoopThread lt(SmallOptions(), [&](IoLoop& loop, Connection&) {
    auto* s = new FnSession;
    s->on_data = [&](Connection& c, std::string_view) {
      for (int i = 0; i < 10; ++i) loop.SendCopy(c, "f" + std::to_string(i) + ";");
    };
    return s;
  });
  Client c(lt.port());
  c.Send("x");
  EXPECT_EQ(c.Read(30), "f0;f1;f2;f3;f4;f5;f6;f7;f8;f9;");
  lt.Stop();
  EXPECT_EQ(lt.final_stats().writes, 1u);
  EXPECT_EQ(lt.final_stats().frames_written, 10u);
  EXPECT_EQ(lt.final_stats().bytes_written, 30u);
}

TEST(IoLoop, HeldFlushCarriesOutputOfLaterTurnsInOneWrite) {
  // Adaptive flush: while the delegate expects more output, the frame queued in one turn waits
  // for the one queued in a later turn, and both leave in one write when nothing more is
  // expected. The hold bound (10 s) is far beyond the test, so only the delegate ends the hold.
  IoLoopOptions options = SmallOptions();
  options.flush_hold_us = 10'000'000;
  Connection* conn = nullptr;
  LoopThread lt(options, [&](IoLoop& loop, Connection&) {
    auto* s = new FnSession;
    s->on_data = [&](Connection& c, std::string_view) {
      conn = &c;
      loop.SendCopy(c, "a;");
    };
    return s;
  });
  lt.set_expect_more(true);
  Client c(lt.port());
  c.Send("x");
  ASSERT_TRUE(lt.WaitFor([&](IoLoop& loop) { return loop.stats().flushes_held > 0; }));
  lt.Call([&](IoLoop& loop) { loop.SendCopy(*conn, "b;"); });
  lt.set_expect_more(false);
  lt.Post([](IoLoop&) {});  // a turn that sees nothing more expected
  EXPECT_EQ(c.Read(4), "a;b;");
  lt.Stop();
  EXPECT_EQ(lt.final_stats().writes, 1u);
  EXPECT_EQ(lt.final_stats().frames_written, 2u);
  EXPECT_EQ(lt.final_stats().holds_expired, 0u);
}

TEST(IoLoop, HeldFlushGoesOutWhenTheHoldBoundPasses) {
  // A delegate that always expects more output cannot keep a frame forever: after
  // flush_hold_us the loop flushes anyway (and counts it).
  IoLoopOptions options = SmallOptions();
  options.flush_hold_us = 20'000;
  LoopThread lt(options, [&](IoLoop& loop, Connection&) {
    auto* s = new FnSession;
    s->on_data = [&](Connection& c, std::string_view) { loop.SendCopy(c, "late;"); };
    return s;
  });
  lt.set_expect_more(true);
  Client c(lt.port());
  c.Send("x");
  EXPECT_EQ(c.Read(5), "late;");
  lt.Stop();
  EXPECT_EQ(lt.final_stats().writes, 1u);
  EXPECT_GE(lt.final_stats().holds_expired, 1u);
}

TEST(IoLoop, TimerFiresAtItsDeadlineWithItsKind) {
  std::atomic<int64_t> fired_after{-1};
  std::atomic<int> fired_kind{-1};
  std::atomic<int> fires{0};
  LoopThread lt(SmallOptions(), [&](IoLoop& loop, Connection& c) {
    auto* s = new FnSession;
    uint64_t start = loop.now_ms();
    loop.ScheduleTimer(c, start + 120, 7);
    s->on_timer = [&, start](Connection&, uint8_t kind) {
      fired_after = static_cast<int64_t>(loop.now_ms() - start);
      fired_kind = kind;
      ++fires;
    };
    return s;
  });
  Client c(lt.port());
  ASSERT_TRUE(lt.WaitFor([&](IoLoop&) { return fires.load() == 1; }));
  EXPECT_EQ(fired_kind.load(), 7);
  EXPECT_GE(fired_after.load(), 120);
  EXPECT_LT(fired_after.load(), 1000);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(fires.load(), 1);
}

TEST(IoLoop, TimerOfAClosedConnectionFiresForNobodyNotEvenTheSlotsNextUser) {
  Counters counters;
  std::atomic<int> fires{0};
  int accepted = 0;  // loop thread only
  std::vector<uint32_t> slots;
  LoopThread lt(SmallOptions(), [&](IoLoop& loop, Connection& c) {
    auto* s = new FnSession;
    if (accepted++ == 0) loop.ScheduleTimer(c, loop.now_ms() + 150, 3);
    slots.push_back(c.index());
    s->on_timer = [&](Connection&, uint8_t) { ++fires; };
    s->on_closed = [&](Connection&) { ++counters.closed; };
    return s;
  });
  { Client first(lt.port()); }
  ASSERT_TRUE(lt.WaitFor([&](IoLoop&) { return counters.closed.load() == 1; }));
  Client second(lt.port());  // takes the freed slot, with the next generation
  ASSERT_TRUE(lt.WaitFor([&](IoLoop& loop) { return loop.connection_count() == 1; }));
  std::this_thread::sleep_for(400ms);
  lt.Stop();
  EXPECT_EQ(fires.load(), 0);
  ASSERT_EQ(slots.size(), 2u);
  EXPECT_EQ(slots[0], slots[1]);
}

TEST(IoLoop, ReplaceSessionHandsLaterBytesToTheNewSessionAndRetiresTheOld) {
  Counters counters;
  std::atomic<int> old_destroyed_inside_on_data{0};
  LoopThread lt(SmallOptions(), [&](IoLoop& loop, Connection&) {
    auto* first = new FnSession;
    auto destroyed = std::make_shared<bool>(false);
    first->on_destroy = [destroyed, &counters] {
      *destroyed = true;
      ++counters.destroyed;
    };
    first->on_data = [&loop, &counters, destroyed, &old_destroyed_inside_on_data](
                         Connection& c, std::string_view data) {
      loop.SendCopy(c, std::string("first:") + std::string(data) + ";");
      auto* second = new FnSession;
      second->on_data = [&loop](Connection& c2, std::string_view d) {
        loop.SendCopy(c2, std::string("second:") + std::string(d) + ";");
      };
      second->on_closed = [&counters](Connection&) { ++counters.closed; };
      loop.ReplaceSession(c, second);
      if (*destroyed) ++old_destroyed_inside_on_data;
    };
    first->on_closed = [&counters](Connection&) { ADD_FAILURE() << "old session got OnClosed"; };
    return first;
  });
  Client c(lt.port());
  c.Send("a");
  EXPECT_EQ(c.Read(8), "first:a;");
  c.Send("b");
  EXPECT_EQ(c.Read(9), "second:b;");
  c.Close();
  ASSERT_TRUE(lt.WaitFor([&](IoLoop&) { return counters.closed.load() == 1; }));
  lt.Stop();
  EXPECT_EQ(old_destroyed_inside_on_data.load(), 0);
  EXPECT_EQ(counters.destroyed.load(), 1);
}

TEST(IoLoop, TimersOfAReplacedSessionDoNotReachItsSuccessor) {
  std::atomic<int> old_fires{0};
  std::atomic<int> new_fires{0};
  LoopThread lt(SmallOptions(), [&](IoLoop& loop, Connection& c) {
    auto* first = new FnSession;
    loop.ScheduleTimer(c, loop.now_ms() + 100, 1);  // e.g. an HTTP idle deadline
    first->on_timer = [&](Connection&, uint8_t) { ++old_fires; };
    first->on_data = [&loop, &new_fires](Connection& conn, std::string_view) {
      auto* second = new FnSession;
      second->on_timer = [&](Connection&, uint8_t kind) {
        if (kind == 1) ADD_FAILURE() << "the old session's timer reached the new session";
        ++new_fires;
      };
      loop.ReplaceSession(conn, second);
      loop.ScheduleTimer(conn, loop.now_ms() + 150, 2);
    };
    return first;
  });
  Client c(lt.port());
  c.Send("upgrade");
  ASSERT_TRUE(lt.WaitFor([&](IoLoop&) { return new_fires.load() == 1; }));
  std::this_thread::sleep_for(100ms);
  lt.Stop();
  EXPECT_EQ(old_fires.load(), 0);
  EXPECT_EQ(new_fires.load(), 1);
}

// A graceful close must not lose its last bytes when the peer still sends: the server sends FIN,
// reads and drops what arrives, and closes when the peer does (no reset that would discard data
// the peer has not read yet).
TEST(IoLoop, LingeringCloseKeepsTheTailWhenThePeerKeepsSending) {
  constexpr size_t kBytes = 512 * 1024;
  Counters counters;
  LoopThread lt(SmallOptions(), [&](IoLoop& loop, Connection&) {
    auto* s = new FnSession;
    s->on_data = [&](Connection& c, std::string_view data) {
      if (data.find("go") == std::string_view::npos || !c.open()) return;
      loop.SendCopy(c, std::string(kBytes, 'z'));
      loop.CloseAfterFlush(c, 5000);
    };
    s->on_closed = [&](Connection&) { ++counters.closed; };
    return s;
  });
  Client c(lt.port(), /*rcvbuf=*/16384);
  c.Send("go");
  std::this_thread::sleep_for(50ms);
  // Bytes after the server decided to close (a WebSocket close reply, a ping...).
  for (int i = 0; i < 20; ++i) c.Send("late bytes from the peer ");
  bool eof = false;
  std::string got = c.ReadToEof(&eof);
  EXPECT_TRUE(eof) << "the server should finish with FIN, not a reset";
  EXPECT_EQ(got.size(), kBytes);
  c.Close();
  ASSERT_TRUE(lt.WaitFor([&](IoLoop&) { return counters.closed.load() == 1; }));
  lt.Stop();
}

TEST(IoLoop, LingeringCloseGivesUpWhenThePeerNeverCloses) {
  Counters counters;
  LoopThread lt(SmallOptions(), [&](IoLoop& loop, Connection&) {
    auto* s = new FnSession;
    s->on_data = [&](Connection& c, std::string_view) {
      if (!c.open()) return;
      loop.SendCopy(c, "bye");
      loop.CloseAfterFlush(c, 5000);
    };
    s->on_closed = [&](Connection&) { ++counters.closed; };
    return s;
  });
  Client c(lt.port());
  c.Send("x");
  EXPECT_EQ(c.Read(3), "bye");
  auto start = std::chrono::steady_clock::now();
  // The client keeps its side open: the server closes anyway after IoLoop::kLingerMs.
  ASSERT_TRUE(lt.WaitFor([&](IoLoop&) { return counters.closed.load() == 1; }, 5000ms));
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(IoLoop::kLingerMs - 100));
  lt.Stop();
}

TEST(IoLoop, ConnectionsPastTheLimitAreFlaggedThenRefused) {
  IoLoopOptions o = SmallOptions();
  o.max_connections = 1;
  o.capacity_slack = 1;
  std::vector<bool> over;  // loop thread only until Stop
  Counters counters;
  LoopThread lt(o, [&](IoLoop& loop, Connection& c) {
    over.push_back(c.over_capacity());
    return EchoSession(loop, &counters);
  });
  Client a(lt.port());
  a.Send("a");
  EXPECT_EQ(a.Read(1), "a");
  Client b(lt.port());
  b.Send("b");
  EXPECT_EQ(b.Read(1), "b");
  Client c(lt.port());  // the kernel completes the handshake; the loop closes it at accept
  bool eof = false;
  EXPECT_EQ(c.ReadToEof(&eof), "");
  EXPECT_TRUE(eof);
  lt.Stop();
  EXPECT_EQ(over, (std::vector<bool>{false, true}));
  EXPECT_EQ(lt.final_stats().accepted, 2u);
  EXPECT_EQ(lt.final_stats().refused, 1u);
}

TEST(IoLoop, StopAcceptingClosesTheListeningSocket) {
  Counters counters;
  LoopThread lt(SmallOptions(),
                [&](IoLoop& loop, Connection&) { return EchoSession(loop, &counters); });
  Client a(lt.port());
  a.Send("a");
  EXPECT_EQ(a.Read(1), "a");
  EXPECT_TRUE(lt.Call([](IoLoop& loop) { return loop.accepting(); }));
  lt.Call([](IoLoop& loop) { loop.StopAccepting(); });
  EXPECT_FALSE(lt.Call([](IoLoop& loop) { return loop.accepting(); }));
  // The existing connection still works; new ones are refused by the kernel.
  a.Send("b");
  EXPECT_EQ(a.Read(1), "b");
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(lt.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_NE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  close(fd);
  lt.Stop();
}

TEST(IoLoop, StopFromInsideTheLoopEndsRun) {
  Counters counters;
  auto start = std::chrono::steady_clock::now();
  {
    LoopThread lt(SmallOptions(),
                  [&](IoLoop& loop, Connection&) { return EchoSession(loop, &counters); });
    // The loop sleeps with no timer: only the Waker can end its wait.
    std::this_thread::sleep_for(50ms);
    lt.Stop();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

}  // namespace
}  // namespace ringcast::net
