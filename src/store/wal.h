// The write-ahead log store: segment files of leveldb-format records in one data directory,
// replayed into a live key/value map at start-up, group-committed, snapshotted and compacted
// (docs/store.md).
//
// Owns: the data directory's files, the open segment's descriptor, the live map (its memory
// pool, and read-only mappings of the snapshot and segments its values view; docs/store.md,
// "How replay reads"), the records queued since the last commit and those of the turn in flight.
// Single-threaded: the control plane owns it. Put/Delete apply to the live map at once and queue a
// record; Commit writes everything queued with one write and one fdatasync, and only a true Commit
// makes those mutations durable (callers release replies after it). A turn (BeginTurn ...
// EndTurn) is the same group commit with the write and fdatasync done by the caller, through its
// io_uring, while Put/Delete queue for the next turn. A failed write or fdatasync poisons the
// store: that Commit and every later Put/Delete/Commit/Compact return false until the process
// restarts (never retry an fsync). Start-up cuts a torn tail of the last segment and refuses
// mid-log corruption unless RecoverMode::kSkip; both are logged and listed in recovery().
// Figures (metrics): an optional WalObserver hears of every group write, every fdatasync of a
// segment and the store turning read-only, on the Wal's thread; the store keeps no metrics
// itself (it uses only util).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <memory_resource>
#include <string>
#include <string_view>
#include <vector>

#include "store/huge_page_resource.h"
#include "store/log_writer.h"
#include "store/mapped_file.h"

namespace ringcast::store {

enum class RecoverMode { kFail, kSkip };

// When a commit's write is followed by fdatasync (docs/operations.md, "The store").
struct SyncPolicy {
  enum class Kind { kAlways, kInterval, kNone };
  Kind kind = Kind::kAlways;
  uint32_t interval_ms = 0;
};
// "always", "interval:MS" or "none"; false for anything else.
bool ParseSyncPolicy(std::string_view text, SyncPolicy* out);

enum class TurnResult {
  kDurable,  // everything queued so far is as durable as the policy makes it: release replies
  kWaiting,  // written, the interval's sync is due at sync_due_ms(): hold replies
  kFailed,   // poisoned: answer 503
};

// What BeginTurn hands out: the group commit's I/O, for the caller to do (the control plane
// through its io_uring): first the write of `size` bytes (none: a sync alone), then, only after
// the write completed, an fdatasync when `sync` says.
struct TurnIo {
  int fd = -1;
  const char* data = nullptr;  // valid until the turn ends
  size_t size = 0;
  uint64_t offset = 0;  // the segment's end (the file is O_APPEND: the write appends anyway)
  bool sync = false;
};

enum class TurnStart {
  kDurable,  // nothing to do: what is queued so far is durable (release replies)
  kWaiting,  // nothing to do before sync_due_ms() (hold replies)
  kFailed,   // poisoned (answer 503)
  kStarted,  // do the TurnIo, then WriteDone / SyncDone / EndTurn
};

// System calls the store makes on its files; tests inject failures through a subclass.
class FileOps {
 public:
  virtual ~FileOps() = default;
  virtual ssize_t Write(int fd, const char* data, size_t n);
  virtual int Fdatasync(int fd);
  // The results of a turn's write and fdatasync done by the caller (an io_uring), as the store
  // takes them (Wal::WriteDone, Wal::SyncDone): as given, unless a test injects a failure or a
  // delay here.
  virtual int64_t RingWriteResult(int /*fd*/, int64_t result) { return result; }
  virtual int RingSyncResult(int /*fd*/, int result) { return result; }
};

// Hears what the store did, for metrics (server/store_metrics.h). Called on the Wal's thread
// right after the call it describes; must not block or call back into the Wal.
class WalObserver {
 public:
  virtual ~WalObserver() = default;
  // One successful write of everything queued (one group commit): `records` records of
  // `bytes` bytes (framing included) in `ns` nanoseconds.
  virtual void OnWrite(uint64_t ns, uint64_t bytes, uint64_t records) = 0;
  // One successful fdatasync of the open segment, in `ns` nanoseconds (under SyncPolicy kNone
  // only from Commit, which always syncs; a snapshot's own fdatasync is not reported).
  virtual void OnSync(uint64_t ns) = 0;
  // The store became read-only (a failed write, fdatasync or segment roll); once.
  virtual void OnReadOnly() = 0;
};

struct WalOptions {
  std::string dir;
  RecoverMode recover = RecoverMode::kFail;
  SyncPolicy sync;                                 // used by CommitTurn; Commit always syncs
  uint64_t segment_bytes = uint64_t{64} << 20;     // roll to a new segment past this
  uint64_t compact_min_bytes = uint64_t{4} << 20;  // NeedsCompaction: log bytes over both this
  uint64_t compact_factor = 2;                     // and this times the live bytes
  FileOps* ops = nullptr;                          // nullptr: plain system calls
  WalObserver* observer = nullptr;                 // nullptr: no figures
};

struct RecoveryEvent {
  std::string file;
  uint64_t offset = 0;
  uint64_t bytes = 0;
  std::string reason;
  bool torn_tail = false;  // true: cut from the end; false: skipped mid-log (kSkip)
};

struct RecoveryReport {
  uint64_t records = 0;           // mutations replayed from segments
  uint64_t snapshot_records = 0;  // live keys loaded from the snapshot
  uint64_t snapshot_segment = 0;  // 0: no snapshot used
  std::vector<RecoveryEvent> events;
};

// Mutation records (docs/store.md, "Records: one type per mutation").
enum class Mutation : uint8_t { kPut = 1, kDelete = 2, kSnapshotEnd = 3 };

// The live keyspace. Its nodes, keys and owned values come from the Wal's pool (on huge pages,
// see huge_page_resource.h); a LiveMap made elsewhere (a test's expected value) uses the
// default resource and compares equal by contents.
// Lookups take any string type (std::string, std::string_view, a literal) through KeyLess.
struct KeyLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a < b; }
};
// A live value: a view of bytes that are either the Wal's own (owned: copied into its pool by
// Put/Delete or for a record that spanned blocks) or still in the mapped snapshot or segment
// that held the record (replay and compaction map those files and keep the mappings; see
// docs/store.md, "Recovery"). Valid while the key is live and unchanged, like a reference.
struct LiveValue : std::string_view {
  LiveValue() = default;
  LiveValue(std::string_view v) : std::string_view(v) {}  // NOLINT: a view converts implicitly
  LiveValue(const char* s) : std::string_view(s) {}       // NOLINT: for expected maps in tests
  bool owned = false;
};
using LiveMap = std::pmr::map<std::pmr::string, LiveValue, KeyLess>;

// One Put or Delete as a recorder saw it (Wal::set_recorder): the key's value before (had:
// present) and after (put: a Put of `after`; else a Delete).
struct RecordedChange {
  std::string key;
  bool had = false;
  std::string before;
  bool put = false;
  std::string after;
};

class Wal {
 public:
  // Opens (creating if needed) the directory and replays it. nullptr with *error set when it
  // cannot start (I/O error, mid-log corruption under kFail).
  static std::unique_ptr<Wal> Open(const WalOptions& options, std::string* error);
  ~Wal();
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  const LiveMap& live() const { return live_; }
  const RecoveryReport& recovery() const { return recovery_; }

  [[nodiscard]] bool Put(std::string_view key, std::string_view value);
  [[nodiscard]] bool Delete(std::string_view key);
  // While set, every Put and Delete also appends what it changes to *recorder (cluster mode:
  // a request's mutations, to commit to Redis or to undo; docs/cluster.md, "The Datonow store").
  // nullptr stops recording.
  void set_recorder(std::vector<RecordedChange>* recorder) { recorder_ = recorder; }
  // One write and one fdatasync for everything queued. True with nothing queued. Not while a
  // turn is in flight.
  [[nodiscard]] bool Commit();
  // Group commit for one loop turn under the sync policy: one write of everything queued, and
  // one fdatasync when the policy says (always: now; interval: when MS have passed since the
  // last; none: never). `now_ms` is a monotonic clock. Does the I/O itself (BeginTurn, the
  // FileOps calls, WriteDone, SyncDone, EndTurn).
  [[nodiscard]] TurnResult CommitTurn(uint64_t now_ms);

  // The same group commit with the I/O done by the caller (the control plane, through its
  // io_uring), so that the thread is free while the disk syncs. BeginTurn moves everything
  // queued into the turn's buffer (Put/Delete go on queueing for the next turn) and says what
  // to do. Then: WriteDone with the write's result (bytes written or -errno; a short write is
  // finished here with FileOps), SyncDone with the fdatasync's (0 or -errno) when io.sync, and
  // EndTurn. `ns`: how long the call took, for the observer. WriteDone or SyncDone false: the
  // store is poisoned and the turn is over (answer 503). One turn at a time.
  [[nodiscard]] TurnStart BeginTurn(uint64_t now_ms, TurnIo* io);
  [[nodiscard]] bool WriteDone(int64_t result, uint64_t ns);
  [[nodiscard]] bool SyncDone(int result, uint64_t ns);
  // kDurable or kWaiting (an interval's sync is not due yet: hold replies).
  TurnResult EndTurn(uint64_t now_ms);
  bool turn_in_flight() const { return in_flight_; }
  // With kWaiting: when the next CommitTurn syncs.
  uint64_t sync_due_ms() const { return last_sync_ms_ + options_.sync.interval_ms; }
  bool has_pending() const { return !pending_.empty(); }
  // False while a mutation is buffered or written but not yet synced: an answer that reads the
  // live map then may show what a crash would lose, so it waits for the commit too.
  bool durable() const { return pending_.empty() && !unsynced_ && !in_flight_; }
  bool poisoned() const { return poisoned_; }

  // Bytes in segments since the last snapshot, and the bytes of live keys and values.
  uint64_t log_bytes() const { return log_bytes_; }
  uint64_t live_bytes() const { return live_bytes_; }
  bool NeedsCompaction() const;
  // Snapshot the live map and delete the segments it covers. Needs nothing pending and no turn
  // in flight.
  [[nodiscard]] bool Compact();

  // Current file names in the directory that belong to the store, sorted (for tests).
  std::vector<std::string> Files() const;

 private:
  explicit Wal(const WalOptions& options);
  bool Replay(std::string* error);
  bool OpenSegment(uint64_t number, bool create, std::string* error);
  bool Queue(std::string_view payload);
  void Record(std::string_view key, const std::string_view* value);  // value nullptr: a Delete
  void Poison(const char* what, int err);
  void SetReadOnly();
  void Apply(std::string_view payload);
  // `stable`: value's bytes are in a retained mapping and may be kept as a view.
  void Apply(Mutation type, std::string_view key, std::string_view value, bool stable);
  LiveValue Keep(std::string_view value, bool stable);
  void Release(const LiveValue& value);
  // After a snapshot is written: point values into it (or copy them) so that no value
  // refers to a file that compaction deletes, then keep only its mapping.
  void Repoint(const std::string& snapshot_path);
  bool WritePending();
  bool SyncNow();
  bool FinishWrite(int64_t result, uint64_t ns);
  bool FinishSync(int result, uint64_t ns);
  void EndFailedTurn();
  void MaybeRoll();

  WalOptions options_;
  FileOps* ops_;
  // Mapped files that live values view (the snapshot and segments replayed, or the snapshot
  // written by the last compaction).
  std::vector<std::unique_ptr<MappedFile>> retained_;
  HugePageResource huge_;                        // before pool_ and live_, which use it
  std::pmr::unsynchronized_pool_resource pool_;  // before live_
  LiveMap live_;
  uint64_t live_bytes_ = 0;
  RecoveryReport recovery_;
  int fd_ = -1;
  uint64_t segment_ = 0;       // number of the open segment
  uint64_t segment_size_ = 0;  // its length
  uint64_t snapshot_ = 0;      // number of the newest snapshot (0: none)
  uint64_t log_bytes_ = 0;
  LogWriter writer_;
  std::string pending_;
  uint64_t pending_records_ = 0;  // records in pending_
  // The turn begun by BeginTurn: its bytes (being written), records and whether it syncs.
  std::string turn_;
  uint64_t turn_records_ = 0;
  bool turn_sync_ = false;
  bool in_flight_ = false;
  bool poisoned_ = false;
  bool unsynced_ = false;  // written since the last fdatasync
  uint64_t last_sync_ms_ = 0;
  std::vector<RecordedChange>* recorder_ = nullptr;
};

std::string EncodePut(std::string_view key, std::string_view value);
std::string EncodeDelete(std::string_view key);

}  // namespace ringcast::store
