// Wal: replay across reopen, torn tail cut, mid-log corruption refused or skipped, injected
// write/fdatasync failures poison the store, compaction keeps exactly the live data, and a
// property test against an in-memory model with random reopens, compactions and torn tails.
#include "store/wal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <liburing.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "store/log_format.h"

namespace ringcast::store {
namespace {

namespace fs = std::filesystem;

// A test's model of the keyspace in plain strings; Plain(wal->live()) to compare.
using Model = std::map<std::string, std::string>;
Model Plain(const LiveMap& live) {
  Model out;
  for (const auto& [k, v] : live) out.emplace(k, v);
  return out;
}

class WalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rc_wal_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Wal> Open(WalOptions o = {}) {
    o.dir = dir_;
    std::string error;
    auto wal = Wal::Open(o, &error);
    last_error_ = error;
    return wal;
  }
  std::string Seg(uint64_t n) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s/wal-%016llx.log", dir_.c_str(),
                  static_cast<unsigned long long>(n));
    return buf;
  }
  uint64_t DirBytes() {
    uint64_t total = 0;
    for (const auto& e : fs::directory_iterator(dir_)) total += fs::file_size(e.path());
    return total;
  }

  std::string dir_;
  std::string last_error_;
};

class FailingOps : public FileOps {
 public:
  bool fail_sync = false;
  bool fail_write = false;
  int syncs = 0;
  ssize_t Write(int fd, const char* data, size_t n) override {
    if (fail_write) {
      errno = ENOSPC;
      return -1;
    }
    return FileOps::Write(fd, data, n);
  }
  int Fdatasync(int fd) override {
    ++syncs;
    if (fail_sync) {
      errno = EIO;
      return -1;
    }
    return FileOps::Fdatasync(fd);
  }
};

TEST_F(WalTest, CommittedMutationsSurviveReopen) {
  {
    auto wal = Open();
    ASSERT_TRUE(wal) << last_error_;
    ASSERT_TRUE(wal->Put("a", "1"));
    ASSERT_TRUE(wal->Put("b", std::string(100000, 'x')));
    ASSERT_TRUE(wal->Put("a", "2"));
    ASSERT_TRUE(wal->Delete("c"));
    ASSERT_TRUE(wal->Commit());
    ASSERT_TRUE(wal->Put("c", "3"));
    ASSERT_TRUE(wal->Delete("b"));
    ASSERT_TRUE(wal->Commit());
  }
  auto wal = Open();
  ASSERT_TRUE(wal) << last_error_;
  LiveMap want = {{"a", "2"}, {"c", "3"}};
  EXPECT_EQ(wal->live(), want);
  EXPECT_EQ(wal->recovery().records, 6u);
  EXPECT_TRUE(wal->recovery().events.empty());
}

TEST_F(WalTest, TheRecorderSeesEachChangeWithItsValueBefore) {
  auto wal = Open();
  ASSERT_TRUE(wal) << last_error_;
  ASSERT_TRUE(wal->Put("a", "1"));  // not recorded
  std::vector<RecordedChange> changes;
  wal->set_recorder(&changes);
  ASSERT_TRUE(wal->Put("a", "2"));
  ASSERT_TRUE(wal->Put("b", "3"));
  ASSERT_TRUE(wal->Delete("a"));
  ASSERT_TRUE(wal->Delete("none"));
  wal->set_recorder(nullptr);
  ASSERT_TRUE(wal->Put("c", "4"));  // not recorded
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_TRUE(changes[0].had && changes[0].before == "1" && changes[0].put &&
              changes[0].after == "2");
  EXPECT_TRUE(!changes[1].had && changes[1].put && changes[1].after == "3");
  EXPECT_TRUE(changes[2].had && changes[2].before == "2" && !changes[2].put);
  EXPECT_TRUE(!changes[3].had && !changes[3].put);
  // Taken back in reverse order, the map is what it was before the recording.
  for (auto it = changes.rbegin(); it != changes.rend(); ++it) {
    ASSERT_TRUE(it->had ? wal->Put(it->key, it->before) : wal->Delete(it->key));
  }
  EXPECT_EQ(wal->live(), (LiveMap{{"a", "1"}, {"c", "4"}}));
}

TEST_F(WalTest, UncommittedMutationsAreNotDurable) {
  {
    auto wal = Open();
    ASSERT_TRUE(wal->Put("a", "1"));
    ASSERT_TRUE(wal->Commit());
    ASSERT_TRUE(wal->Put("b", "2"));  // never committed
  }
  auto wal = Open();
  EXPECT_EQ(wal->live(), (LiveMap{{"a", "1"}}));
}

TEST_F(WalTest, OneCommitIsOneFdatasync) {
  FailingOps ops;
  WalOptions o;
  o.ops = &ops;
  auto wal = Open(o);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(wal->Put("k" + std::to_string(i), "v"));
  ASSERT_TRUE(wal->Commit());
  EXPECT_EQ(ops.syncs, 1);
  ASSERT_TRUE(wal->Commit());  // nothing pending: no sync
  EXPECT_EQ(ops.syncs, 1);
}

TEST(SyncPolicyTest, Parses) {
  SyncPolicy p;
  ASSERT_TRUE(ParseSyncPolicy("always", &p));
  EXPECT_EQ(p.kind, SyncPolicy::Kind::kAlways);
  ASSERT_TRUE(ParseSyncPolicy("none", &p));
  EXPECT_EQ(p.kind, SyncPolicy::Kind::kNone);
  ASSERT_TRUE(ParseSyncPolicy("interval:25", &p));
  EXPECT_EQ(p.kind, SyncPolicy::Kind::kInterval);
  EXPECT_EQ(p.interval_ms, 25u);
  EXPECT_FALSE(ParseSyncPolicy("interval:", &p));
  EXPECT_FALSE(ParseSyncPolicy("interval:x", &p));
  EXPECT_FALSE(ParseSyncPolicy("sometimes", &p));
}

TEST_F(WalTest, CommitTurnAlwaysSyncsOncePerTurnWithWork) {
  FailingOps ops;
  WalOptions o;
  o.ops = &ops;
  auto wal = Open(o);
  EXPECT_EQ(wal->CommitTurn(0), TurnResult::kDurable);
  EXPECT_EQ(ops.syncs, 0);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(wal->Put("k" + std::to_string(i), "v"));
  EXPECT_EQ(wal->CommitTurn(1), TurnResult::kDurable);
  EXPECT_EQ(ops.syncs, 1);
  EXPECT_EQ(wal->CommitTurn(2), TurnResult::kDurable);
  EXPECT_EQ(ops.syncs, 1);
}

TEST_F(WalTest, CommitTurnIntervalHoldsUntilTheSyncIsDue) {
  FailingOps ops;
  WalOptions o;
  o.ops = &ops;
  o.sync = {SyncPolicy::Kind::kInterval, 10};
  auto wal = Open(o);
  ASSERT_TRUE(wal->Put("a", "1"));
  EXPECT_EQ(wal->CommitTurn(100), TurnResult::kDurable);  // first sync is due at once
  EXPECT_EQ(ops.syncs, 1);
  ASSERT_TRUE(wal->Put("b", "2"));
  EXPECT_EQ(wal->CommitTurn(105), TurnResult::kWaiting);
  EXPECT_EQ(wal->sync_due_ms(), 110u);
  ASSERT_TRUE(wal->Put("c", "3"));
  EXPECT_EQ(wal->CommitTurn(109), TurnResult::kWaiting);
  EXPECT_EQ(ops.syncs, 1);
  EXPECT_EQ(wal->CommitTurn(110), TurnResult::kDurable);  // one sync for both turns
  EXPECT_EQ(ops.syncs, 2);
}

TEST_F(WalTest, CommitTurnNoneNeverSyncsAndFailedSyncFails) {
  FailingOps ops;
  WalOptions o;
  o.ops = &ops;
  o.sync = {SyncPolicy::Kind::kNone, 0};
  {
    auto wal = Open(o);
    ASSERT_TRUE(wal->Put("a", "1"));
    EXPECT_EQ(wal->CommitTurn(0), TurnResult::kDurable);
    EXPECT_EQ(ops.syncs, 0);
  }
  o.sync = {SyncPolicy::Kind::kAlways, 0};
  auto wal = Open(o);
  EXPECT_EQ(wal->live().at("a"), "1");
  ASSERT_TRUE(wal->Put("b", "2"));
  ops.fail_sync = true;
  EXPECT_EQ(wal->CommitTurn(1), TurnResult::kFailed);
  EXPECT_EQ(wal->CommitTurn(2), TurnResult::kFailed);
  EXPECT_EQ(ops.syncs, 1);
}

// Records what the store reports to its observer (the metrics' source).
class RecordingObserver : public WalObserver {
 public:
  struct Write {
    uint64_t bytes, records;
  };
  std::vector<Write> writes;
  int syncs = 0;
  int read_only = 0;
  void OnWrite(uint64_t /*ns*/, uint64_t bytes, uint64_t records) override {
    writes.push_back({bytes, records});
  }
  void OnSync(uint64_t /*ns*/) override { ++syncs; }
  void OnReadOnly() override { ++read_only; }
};

TEST_F(WalTest, ObserverHearsEachGroupWriteAndSync) {
  RecordingObserver obs;
  WalOptions o;
  o.observer = &obs;
  auto wal = Open(o);
  ASSERT_TRUE(wal) << last_error_;
  const uint64_t before = DirBytes();
  ASSERT_TRUE(wal->Put("a", "1"));
  ASSERT_TRUE(wal->Put("b", "2"));
  ASSERT_TRUE(wal->Delete("a"));
  EXPECT_EQ(wal->CommitTurn(0), TurnResult::kDurable);
  ASSERT_EQ(obs.writes.size(), 1u);
  EXPECT_EQ(obs.writes[0].records, 3u);
  EXPECT_EQ(obs.writes[0].bytes, DirBytes() - before);  // what reached the segment
  EXPECT_EQ(obs.syncs, 1);
  EXPECT_EQ(wal->CommitTurn(1), TurnResult::kDurable);  // nothing queued: nothing heard
  EXPECT_EQ(obs.writes.size(), 1u);
  EXPECT_EQ(obs.syncs, 1);
  ASSERT_TRUE(wal->Put("c", "3"));
  ASSERT_TRUE(wal->Commit());
  ASSERT_EQ(obs.writes.size(), 2u);
  EXPECT_EQ(obs.writes[1].records, 1u);
  EXPECT_EQ(obs.syncs, 2);
  EXPECT_EQ(obs.read_only, 0);
}

TEST_F(WalTest, ObserverHearsNoSyncUnderNone) {
  RecordingObserver obs;
  WalOptions o;
  o.observer = &obs;
  o.sync = {SyncPolicy::Kind::kNone, 0};
  auto wal = Open(o);
  for (uint64_t turn = 0; turn < 3; ++turn) {
    ASSERT_TRUE(wal->Put("k" + std::to_string(turn), "v"));
    EXPECT_EQ(wal->CommitTurn(turn), TurnResult::kDurable);
  }
  EXPECT_EQ(obs.writes.size(), 3u);
  EXPECT_EQ(obs.syncs, 0);
}

TEST_F(WalTest, ObserverHearsReadOnlyOnceAndNoFailedCalls) {
  FailingOps ops;
  RecordingObserver obs;
  WalOptions o;
  o.ops = &ops;
  o.observer = &obs;
  auto wal = Open(o);
  ASSERT_TRUE(wal->Put("a", "1"));
  ops.fail_sync = true;
  EXPECT_EQ(wal->CommitTurn(0), TurnResult::kFailed);
  EXPECT_EQ(obs.writes.size(), 1u);  // the write went through; the sync did not
  EXPECT_EQ(obs.syncs, 0);
  EXPECT_EQ(obs.read_only, 1);
  EXPECT_FALSE(wal->Put("b", "2"));
  EXPECT_EQ(wal->CommitTurn(1), TurnResult::kFailed);
  EXPECT_EQ(obs.read_only, 1);
  wal.reset();

  RecordingObserver obs2;
  FailingOps ops2;
  ops2.fail_write = true;
  o.ops = &ops2;
  o.observer = &obs2;
  auto wal2 = Open(o);
  ASSERT_TRUE(wal2->Put("c", "3"));
  EXPECT_EQ(wal2->CommitTurn(0), TurnResult::kFailed);
  EXPECT_TRUE(obs2.writes.empty());
  EXPECT_EQ(obs2.read_only, 1);
}

// Does one I/O through a fresh io_uring, as the control plane does: the result of the CQE.
int RingIo(const TurnIo& io, bool sync) {
  io_uring ring;
  if (io_uring_queue_init(4, &ring, 0) != 0) return -1000;
  io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  if (sync) {
    io_uring_prep_fsync(sqe, io.fd, IORING_FSYNC_DATASYNC);
  } else {
    io_uring_prep_write(sqe, io.fd, io.data, static_cast<unsigned>(io.size), io.offset);
  }
  io_uring_submit(&ring);
  io_uring_cqe* cqe = nullptr;
  int rc = io_uring_wait_cqe(&ring, &cqe);
  int res = rc < 0 ? rc : cqe->res;
  io_uring_queue_exit(&ring);
  return res;
}

TEST_F(WalTest, TurnThroughAnIoUringIsDurableAndLaterPutsWaitForTheNext) {
  RecordingObserver obs;
  FailingOps ops;
  WalOptions o;
  o.observer = &obs;
  o.ops = &ops;
  {
    auto wal = Open(o);
    ASSERT_TRUE(wal) << last_error_;
    ASSERT_TRUE(wal->Put("a", "1"));
    ASSERT_TRUE(wal->Put("b", std::string(70000, 'x')));  // spans blocks
    TurnIo io;
    ASSERT_EQ(wal->BeginTurn(0, &io), TurnStart::kStarted);
    EXPECT_TRUE(wal->turn_in_flight());
    EXPECT_TRUE(io.sync);
    EXPECT_GT(io.size, 70000u);
    // Queued while the turn is in flight: not in it, and nothing is durable yet.
    ASSERT_TRUE(wal->Put("c", "3"));
    EXPECT_FALSE(wal->durable());
    EXPECT_FALSE(wal->Compact());
    int w = RingIo(io, false);
    ASSERT_EQ(w, static_cast<int>(io.size));
    ASSERT_TRUE(wal->WriteDone(w, 5));
    ASSERT_TRUE(wal->SyncDone(RingIo(io, true), 7));
    EXPECT_EQ(wal->EndTurn(1), TurnResult::kDurable);
    EXPECT_FALSE(wal->turn_in_flight());
    EXPECT_TRUE(wal->has_pending());  // "c", for the next turn
    EXPECT_FALSE(wal->durable());
    EXPECT_EQ(ops.syncs, 0);          // the sync was the ring's, not FileOps'
    ASSERT_EQ(obs.writes.size(), 1u);
    EXPECT_EQ(obs.writes[0].records, 2u);
    EXPECT_EQ(obs.syncs, 1);
  }
  auto wal = Open();
  ASSERT_TRUE(wal) << last_error_;
  EXPECT_EQ(Plain(wal->live()), (Model{{"a", "1"}, {"b", std::string(70000, 'x')}}));
  EXPECT_TRUE(wal->recovery().events.empty());
}

TEST_F(WalTest, ShortTurnWriteIsFinishedAndIntervalTurnSyncsAlone) {
  WalOptions o;
  o.sync = {SyncPolicy::Kind::kInterval, 10};
  {
    auto wal = Open(o);
    ASSERT_TRUE(wal->Put("a", "1"));
    ASSERT_TRUE(wal->Put("b", "2"));
    TurnIo io;
    ASSERT_EQ(wal->BeginTurn(100, &io), TurnStart::kStarted);
    ASSERT_TRUE(io.sync);  // the first interval sync is due at once
    // The kernel wrote only 5 bytes: WriteDone writes the rest.
    ASSERT_EQ(::write(io.fd, io.data, 5), 5);
    ASSERT_TRUE(wal->WriteDone(5, 0));
    ASSERT_TRUE(wal->SyncDone(0, 0));
    EXPECT_EQ(wal->EndTurn(100), TurnResult::kDurable);
    // Written now, synced when due: a turn with only the sync.
    ASSERT_TRUE(wal->Put("c", "3"));
    ASSERT_EQ(wal->BeginTurn(105, &io), TurnStart::kStarted);
    EXPECT_FALSE(io.sync);
    ASSERT_TRUE(wal->WriteDone(RingIo(io, false), 0));
    EXPECT_EQ(wal->EndTurn(105), TurnResult::kWaiting);
    EXPECT_EQ(wal->BeginTurn(106, &io), TurnStart::kWaiting);
    ASSERT_EQ(wal->BeginTurn(110, &io), TurnStart::kStarted);
    EXPECT_EQ(io.size, 0u);
    EXPECT_TRUE(io.sync);
    ASSERT_TRUE(wal->SyncDone(RingIo(io, true), 0));
    EXPECT_EQ(wal->EndTurn(110), TurnResult::kDurable);
    EXPECT_TRUE(wal->durable());
  }
  auto wal = Open();
  EXPECT_EQ(Plain(wal->live()), (Model{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  EXPECT_TRUE(wal->recovery().events.empty());
}

TEST_F(WalTest, FailedTurnWriteOrSyncPoisonsAndDropsWhatWasQueuedMeanwhile) {
  for (bool fail_sync : {false, true}) {
    SCOPED_TRACE(fail_sync ? "sync fails" : "write fails");
    RecordingObserver obs;
    WalOptions o;
    o.observer = &obs;
    auto wal = Open(o);
    ASSERT_TRUE(wal->Put("a", "1"));
    TurnIo io;
    ASSERT_EQ(wal->BeginTurn(0, &io), TurnStart::kStarted);
    ASSERT_TRUE(wal->Put("b", "2"));  // queued meanwhile
    if (fail_sync) {
      ASSERT_TRUE(wal->WriteDone(RingIo(io, false), 0));
      EXPECT_FALSE(wal->SyncDone(-EIO, 0));
    } else {
      EXPECT_FALSE(wal->WriteDone(-ENOSPC, 0));
    }
    EXPECT_TRUE(wal->poisoned());
    EXPECT_FALSE(wal->turn_in_flight());
    EXPECT_FALSE(wal->has_pending());
    EXPECT_EQ(obs.read_only, 1);
    EXPECT_EQ(obs.syncs, 0);
    EXPECT_FALSE(wal->Put("c", "3"));
    EXPECT_EQ(wal->BeginTurn(1, &io), TurnStart::kFailed);
    EXPECT_EQ(wal->CommitTurn(1), TurnResult::kFailed);
    wal.reset();
    fs::remove_all(dir_);
    fs::create_directory(dir_);
  }
}

TEST_F(WalTest, TornTailIsCutAndReported) {
  {
    auto wal = Open();
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(wal->Put("k" + std::to_string(i), std::string(5000, 'a' + i)));
      ASSERT_TRUE(wal->Commit());
    }
  }
  const uint64_t size = fs::file_size(Seg(1));
  fs::resize_file(Seg(1), size - 1234);  // inside the last record
  {
    auto wal = Open();
    ASSERT_TRUE(wal) << last_error_;
    EXPECT_EQ(wal->live().size(), 9u);
    EXPECT_EQ(wal->live().count("k9"), 0u);
    ASSERT_EQ(wal->recovery().events.size(), 1u);
    EXPECT_TRUE(wal->recovery().events[0].torn_tail);
    EXPECT_EQ(wal->recovery().events[0].offset + wal->recovery().events[0].bytes, size - 1234);
    // The tail was cut, so new records follow the last good one and read back.
    ASSERT_TRUE(wal->Put("after", "x"));
    ASSERT_TRUE(wal->Commit());
  }
  auto wal = Open();
  ASSERT_TRUE(wal) << last_error_;
  EXPECT_TRUE(wal->recovery().events.empty());
  EXPECT_EQ(wal->live().size(), 10u);
  EXPECT_EQ(wal->live().at("after"), "x");
}

TEST_F(WalTest, TornTailBeforeAnEmptyRolledSegmentIsStillATail) {
  {
    auto wal = Open();
    ASSERT_TRUE(wal->Put("a", "1"));
    ASSERT_TRUE(wal->Put("b", "2"));
    ASSERT_TRUE(wal->Commit());
  }
  fs::resize_file(Seg(1), fs::file_size(Seg(1)) - 2);
  std::ofstream(Seg(2), std::ios::binary).flush();  // an empty segment after it
  auto wal = Open();
  ASSERT_TRUE(wal) << last_error_;
  EXPECT_EQ(wal->live(), (LiveMap{{"a", "1"}}));
  ASSERT_EQ(wal->recovery().events.size(), 1u);
  EXPECT_TRUE(wal->recovery().events[0].torn_tail);
}

TEST_F(WalTest, MidLogCorruptionRefusesStartUnlessSkip) {
  {
    auto wal = Open();
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE(wal->Put("k" + std::to_string(i), std::string(1000, 'v')));
      ASSERT_TRUE(wal->Commit());
    }
  }
  {
    std::fstream f(Seg(1), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(500);
    f.put('\x5a');
  }
  EXPECT_FALSE(Open());
  EXPECT_NE(last_error_.find("corruption in the middle"), std::string::npos) << last_error_;
  EXPECT_NE(last_error_.find("--store-recover skip"), std::string::npos);
  WalOptions o;
  o.recover = RecoverMode::kSkip;
  auto wal = Open(o);
  ASSERT_TRUE(wal) << last_error_;
  // The bad record's block is dropped; the record spanning into the next block loses its FIRST.
  ASSERT_EQ(wal->recovery().events.size(), 2u);
  EXPECT_FALSE(wal->recovery().events[0].torn_tail);
  EXPECT_EQ(wal->recovery().events[0].reason, "checksum mismatch");
  EXPECT_EQ(wal->recovery().events[1].reason, "MIDDLE or LAST fragment without FIRST");
  // Everything from the second block on survived.
  EXPECT_EQ(wal->live().count("k99"), 1u);
  EXPECT_EQ(wal->live().count("k0"), 0u);
  EXPECT_GT(wal->live().size(), 60u);
}

TEST_F(WalTest, FailedFdatasyncPoisonsLaterWrites) {
  FailingOps ops;
  WalOptions o;
  o.ops = &ops;
  {
    auto wal = Open(o);
    ASSERT_TRUE(wal->Put("ok", "1"));
    ASSERT_TRUE(wal->Commit());
    ASSERT_TRUE(wal->Put("lost", "2"));
    ops.fail_sync = true;
    EXPECT_FALSE(wal->Commit());
    EXPECT_TRUE(wal->poisoned());
    ops.fail_sync = false;  // even when the disk recovers, never retry
    const int syncs = ops.syncs;
    EXPECT_FALSE(wal->Put("later", "3"));
    EXPECT_FALSE(wal->Delete("ok"));
    EXPECT_FALSE(wal->Commit());
    EXPECT_FALSE(wal->Compact());
    EXPECT_EQ(ops.syncs, syncs);
  }
  // A restart clears the poison; "later" was never written.
  auto wal = Open();
  ASSERT_TRUE(wal) << last_error_;
  EXPECT_FALSE(wal->poisoned());
  EXPECT_EQ(wal->live().count("later"), 0u);
  EXPECT_EQ(wal->live().at("ok"), "1");
}

TEST_F(WalTest, FailedWritePoisons) {
  FailingOps ops;
  WalOptions o;
  o.ops = &ops;
  auto wal = Open(o);
  ASSERT_TRUE(wal->Put("a", "1"));
  ops.fail_write = true;
  EXPECT_FALSE(wal->Commit());
  EXPECT_TRUE(wal->poisoned());
  EXPECT_EQ(ops.syncs, 0);
  ops.fail_write = false;
  EXPECT_FALSE(wal->Put("b", "2"));
}

TEST_F(WalTest, SegmentsRollAndReplayInOrder) {
  WalOptions o;
  o.segment_bytes = 40000;
  {
    auto wal = Open(o);
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(wal->Put("k", std::to_string(i) + std::string(3000, 'x')));
      ASSERT_TRUE(wal->Commit());
    }
    EXPECT_GE(wal->Files().size(), 3u);
  }
  auto wal = Open(o);
  ASSERT_TRUE(wal) << last_error_;
  EXPECT_EQ(wal->live().at("k").substr(0, 2), "49");
}

TEST_F(WalTest, CompactionKeepsExactlyTheLiveDataAndFreesDisk) {
  WalOptions o;
  o.segment_bytes = 1 << 20;
  o.compact_min_bytes = 1 << 20;
  Model want;
  {
    auto wal = Open(o);
    for (int round = 0; round < 20; ++round) {
      for (int i = 0; i < 100; ++i) {
        std::string k = "k" + std::to_string(i);
        std::string v = std::to_string(round) + std::string(1000, 'x');
        ASSERT_TRUE(wal->Put(k, v));
        want[k] = v;
      }
      for (int i = 0; i < 100; i += 3) {
        ASSERT_TRUE(wal->Delete("k" + std::to_string(i)));
        want.erase("k" + std::to_string(i));
      }
      ASSERT_TRUE(wal->Commit());
    }
    EXPECT_TRUE(wal->NeedsCompaction());
    const uint64_t before = DirBytes();
    ASSERT_TRUE(wal->Compact());
    EXPECT_FALSE(wal->NeedsCompaction());
    EXPECT_EQ(Plain(wal->live()), want);
    const uint64_t after = DirBytes();
    EXPECT_LT(after, before / 10);
    EXPECT_LT(after, 2 * wal->live_bytes() + 4096);
    // Later mutations go to the new segment.
    ASSERT_TRUE(wal->Put("new", "1"));
    ASSERT_TRUE(wal->Commit());
    want["new"] = "1";
  }
  auto wal = Open(o);
  ASSERT_TRUE(wal) << last_error_;
  EXPECT_EQ(Plain(wal->live()), want);
  EXPECT_GT(wal->recovery().snapshot_segment, 0u);
  EXPECT_EQ(wal->recovery().snapshot_records, want.size() - 1);
  EXPECT_EQ(wal->recovery().records, 1u);
}

// Lines of /proc/self/maps that map a file of this test's directory, and how many of those
// files are deleted.
int MappedFromDir(const std::string& dir, int* deleted) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  int n = 0;
  *deleted = 0;
  while (std::getline(maps, line)) {
    if (line.find(dir + "/") == std::string::npos) continue;
    ++n;
    if (line.find("(deleted)") != std::string::npos) ++*deleted;
  }
  return n;
}

// Replayed values view the mapped snapshot and segments; a compaction points them into the new
// snapshot (or copies them), so no deleted file stays mapped and the disk is really freed, and
// values replaced or deleted later are unaffected.
TEST_F(WalTest, ReplayedValuesSurviveCompactionWithoutKeepingDeletedFilesMapped) {
  WalOptions o;
  o.segment_bytes = 64 << 10;
  Model want;
  {
    auto wal = Open(o);
    for (int i = 0; i < 500; ++i) {
      // Sizes that make some records span a block boundary (reassembled, so copied).
      std::string k = "k" + std::to_string(i);
      std::string v(100 + (i * 37) % 900, static_cast<char>('a' + i % 26));
      ASSERT_TRUE(wal->Put(k, v));
      want[k] = v;
    }
    ASSERT_TRUE(wal->Commit());
    ASSERT_TRUE(wal->Compact());
    for (int i = 0; i < 500; i += 7) {
      std::string k = "k" + std::to_string(i);
      ASSERT_TRUE(wal->Put(k, "again"));
      want[k] = "again";
    }
    ASSERT_TRUE(wal->Commit());
  }
  for (int round = 0; round < 3; ++round) {
    auto wal = Open(o);
    ASSERT_TRUE(wal) << last_error_;
    EXPECT_EQ(Plain(wal->live()), want);
    int deleted = 0;
    EXPECT_GT(MappedFromDir(dir_, &deleted), 0);  // the snapshot and segment, viewed in place
    EXPECT_EQ(deleted, 0);
    ASSERT_TRUE(wal->Delete("k1"));
    want.erase("k1");
    ASSERT_TRUE(wal->Put("k2", "replaced " + std::to_string(round)));
    want["k2"] = "replaced " + std::to_string(round);
    ASSERT_TRUE(wal->Commit());
    ASSERT_TRUE(wal->Compact());
    EXPECT_EQ(Plain(wal->live()), want);
    MappedFromDir(dir_, &deleted);
    EXPECT_EQ(deleted, 0);
  }
}

TEST_F(WalTest, IncompleteSnapshotIsIgnored) {
  {
    auto wal = Open();
    ASSERT_TRUE(wal->Put("a", "1"));
    ASSERT_TRUE(wal->Commit());
  }
  // A snapshot claiming to cover segment 1 but cut before its end record.
  std::ofstream(dir_ + "/snap-0000000000000001.log", std::ios::binary) << "garbage";
  std::ofstream(dir_ + "/snap-0000000000000002.log.tmp", std::ios::binary) << "partial";
  auto wal = Open();
  ASSERT_TRUE(wal) << last_error_;
  EXPECT_EQ(wal->live(), (LiveMap{{"a", "1"}}));
  EXPECT_FALSE(fs::exists(dir_ + "/snap-0000000000000002.log.tmp"));
}

// Random operation sequences against an in-memory model: committed state always equals the
// model after any reopen; a crash (reopen without Commit) loses exactly the uncommitted batch;
// a torn tail loses at most the last commit batch's suffix, never anything before it.
TEST_F(WalTest, PropertyRandomOperationsMatchModel) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE(seed);
    fs::remove_all(dir_);
    fs::create_directory(dir_);
    std::mt19937 rng(seed);
    WalOptions o;
    o.segment_bytes = 20000 + rng() % 50000;
    o.compact_min_bytes = 30000;
    Model model, committed;
    auto wal = Open(o);
    ASSERT_TRUE(wal);
    for (int step = 0; step < 400; ++step) {
      const uint32_t op = rng() % 100;
      if (op < 50) {
        std::string k = "k" + std::to_string(rng() % 40);
        std::string v(rng() % 3000, static_cast<char>('a' + rng() % 26));
        ASSERT_TRUE(wal->Put(k, v));
        model[k] = v;
      } else if (op < 70) {
        std::string k = "k" + std::to_string(rng() % 40);
        ASSERT_TRUE(wal->Delete(k));
        model.erase(k);
      } else if (op < 88) {
        ASSERT_TRUE(wal->Commit());
        committed = model;
      } else if (op < 92) {
        ASSERT_TRUE(wal->Commit());
        committed = model;
        if (wal->NeedsCompaction() || rng() % 2 == 0) {
          ASSERT_TRUE(wal->Compact());
        }
      } else if (op < 97) {
        // Crash: drop uncommitted work, reopen.
        wal.reset();
        wal = Open(o);
        ASSERT_TRUE(wal) << last_error_;
        model = committed;
      } else {
        // Crash during a write: commit a batch, then tear the segment inside it.
        ASSERT_TRUE(wal->Commit());
        committed = model;
        ASSERT_TRUE(wal->Put("torn", "x"));
        ASSERT_TRUE(wal->Commit());
        // The newest non-empty segment (a roll after the commit leaves an empty one).
        std::string last;
        for (const auto& f : wal->Files()) {
          if (f.rfind("wal-", 0) == 0 && fs::file_size(dir_ + "/" + f) > 0) last = f;
        }
        const std::string path = dir_ + "/" + last;
        const uint64_t size = fs::file_size(path);
        wal.reset();
        fs::resize_file(path, size - 1 - rng() % 5);  // inside the "torn" record
        wal = Open(o);
        ASSERT_TRUE(wal) << last_error_;
        ASSERT_FALSE(wal->recovery().events.empty());
        model = committed;
      }
      ASSERT_TRUE(Plain(wal->live()) == model)
          << "step " << step << " op " << op << ": " << wal->live().size() << " keys, model "
          << model.size();
    }
    ASSERT_TRUE(wal->Commit());
    wal.reset();
    wal = Open(o);
    ASSERT_TRUE(wal) << last_error_;
    ASSERT_TRUE(Plain(wal->live()) == model);
  }
}

}  // namespace
}  // namespace ringcast::store
