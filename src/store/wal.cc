// Segments, replay, group commit, poison and compaction; see wal.h for the contract.
#include "store/wal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "store/log_reader.h"
#include "store/mapped_file.h"
#include "util/clock.h"
#include "util/log.h"

namespace ringcast::store {

ssize_t FileOps::Write(int fd, const char* data, size_t n) { return ::write(fd, data, n); }
int FileOps::Fdatasync(int fd) { return ::fdatasync(fd); }

namespace {

FileOps g_posix_ops;

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
bool GetU32(std::string_view* in, uint32_t* v) {
  if (in->size() < 4) return false;
  *v = 0;
  for (int i = 0; i < 4; ++i)
    *v |= static_cast<uint32_t>(static_cast<uint8_t>((*in)[i])) << (8 * i);
  in->remove_prefix(4);
  return true;
}
bool GetU64(std::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  *v = 0;
  for (int i = 0; i < 8; ++i)
    *v |= static_cast<uint64_t>(static_cast<uint8_t>((*in)[i])) << (8 * i);
  in->remove_prefix(8);
  return true;
}
bool GetString(std::string_view* in, std::string_view* s) {
  uint32_t n;
  if (!GetU32(in, &n) || in->size() < n) return false;
  *s = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

struct Decoded {
  Mutation type;
  std::string_view key, value;
  uint64_t segment = 0, count = 0;
};

bool Decode(std::string_view in, Decoded* d) {
  if (in.empty()) return false;
  const uint8_t t = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  switch (t) {
    case static_cast<uint8_t>(Mutation::kPut):
      d->type = Mutation::kPut;
      return GetString(&in, &d->key) && GetString(&in, &d->value) && in.empty();
    case static_cast<uint8_t>(Mutation::kDelete):
      d->type = Mutation::kDelete;
      return GetString(&in, &d->key) && in.empty();
    case static_cast<uint8_t>(Mutation::kSnapshotEnd):
      d->type = Mutation::kSnapshotEnd;
      return GetU64(&in, &d->segment) && GetU64(&in, &d->count) && in.empty();
    default:
      return false;
  }
}

std::string FileName(const char* prefix, uint64_t n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s-%016" PRIx64 ".log", prefix, n);
  return buf;
}

// "wal-<16 hex>.log" -> 16 hex parsed; false for anything else.
bool ParseName(const std::string& name, const char* prefix, uint64_t* n) {
  const size_t plen = std::strlen(prefix);
  if (name.size() != plen + 1 + 16 + 4 || name.compare(0, plen, prefix) != 0 || name[plen] != '-' ||
      name.compare(plen + 17, 4, ".log") != 0) {
    return false;
  }
  uint64_t v = 0;
  for (size_t i = plen + 1; i < plen + 17; ++i) {
    char c = name[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *n = v;
  return true;
}

bool SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::string EncodePut(std::string_view key, std::string_view value) {
  std::string out;
  out.reserve(9 + key.size() + value.size());
  out.push_back(static_cast<char>(Mutation::kPut));
  PutU32(&out, static_cast<uint32_t>(key.size()));
  out.append(key);
  PutU32(&out, static_cast<uint32_t>(value.size()));
  out.append(value);
  return out;
}

std::string EncodeDelete(std::string_view key) {
  std::string out;
  out.push_back(static_cast<char>(Mutation::kDelete));
  PutU32(&out, static_cast<uint32_t>(key.size()));
  out.append(key);
  return out;
}

Wal::Wal(const WalOptions& options)
    : options_(options),
      ops_(options.ops != nullptr ? options.ops : &g_posix_ops),
      // Chunks of up to 64Ki blocks (a few MiB for keys and values of Datonow's sizes) come
      // from huge pages.
      pool_(std::pmr::pool_options{size_t{1} << 16, 4096}, &huge_),
      live_(&pool_) {}

Wal::~Wal() {
  if (fd_ >= 0) ::close(fd_);
}

std::unique_ptr<Wal> Wal::Open(const WalOptions& options, std::string* error) {
  if (::mkdir(options.dir.c_str(), 0755) != 0 && errno != EEXIST) {
    *error = "mkdir " + options.dir + ": " + std::strerror(errno);
    return nullptr;
  }
  std::unique_ptr<Wal> wal(new Wal(options));
  if (!wal->Replay(error)) return nullptr;
  return wal;
}

void Wal::Apply(std::string_view payload) {
  Decoded d;
  if (!Decode(payload, &d)) return;  // Queue only encodes valid records
  Apply(d.type, d.key, d.value, false);
}

LiveValue Wal::Keep(std::string_view value, bool stable) {
  if (stable || value.empty()) return value.empty() ? LiveValue() : LiveValue(value);
  auto* p = static_cast<char*>(pool_.allocate(value.size(), 1));
  std::memcpy(p, value.data(), value.size());
  LiveValue v(std::string_view(p, value.size()));
  v.owned = true;
  return v;
}

void Wal::Release(const LiveValue& value) {
  if (value.owned) pool_.deallocate(const_cast<char*>(value.data()), value.size(), 1);
}

void Wal::Apply(Mutation type, std::string_view key, std::string_view value, bool stable) {
  if (type == Mutation::kPut) {
    // Keys mostly arrive in increasing order (ids): append at the end without a search.
    if (live_.empty() || live_.rbegin()->first < key) {
      live_.emplace_hint(live_.end(), key, Keep(value, stable));
      live_bytes_ += key.size() + value.size();
      return;
    }
    auto it = live_.find(key);
    if (it == live_.end()) {
      live_.emplace(key, Keep(value, stable));
      live_bytes_ += key.size() + value.size();
    } else {
      live_bytes_ -= it->second.size();
      Release(it->second);
      it->second = Keep(value, stable);
      live_bytes_ += value.size();
    }
  } else if (type == Mutation::kDelete) {
    auto it = live_.find(key);
    if (it != live_.end()) {
      live_bytes_ -= it->first.size() + it->second.size();
      Release(it->second);
      live_.erase(it);
    }
  }
}

std::vector<std::string> Wal::Files() const {
  std::vector<std::string> names;
  DIR* d = ::opendir(options_.dir.c_str());
  if (d == nullptr) return names;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    uint64_t n;
    if (ParseName(name, "wal", &n) || ParseName(name, "snap", &n)) names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

bool Wal::Replay(std::string* error) {
  const std::string& dir = options_.dir;
  std::vector<uint64_t> segments, snapshots;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    *error = "opendir " + dir + ": " + std::strerror(errno);
    return false;
  }
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    uint64_t n;
    if (ParseName(name, "wal", &n)) {
      segments.push_back(n);
    } else if (ParseName(name, "snap", &n)) {
      snapshots.push_back(n);
    } else if (name.size() > 8 && name.compare(0, 5, "snap-") == 0 &&
               name.compare(name.size() - 8, 8, ".log.tmp") == 0) {
      RC_WARN("store: removing incomplete snapshot %s/%s", dir.c_str(), name.c_str());
      ::unlink((dir + "/" + name).c_str());
    }
  }
  ::closedir(d);
  std::sort(segments.begin(), segments.end());
  std::sort(snapshots.rbegin(), snapshots.rend());

  // The newest complete snapshot. Values view the mapping where they can (a record that
  // spanned blocks was reassembled in scratch and is copied).
  std::string scratch;  // a fragmented record, reassembled
  std::string_view rec;
  for (uint64_t n : snapshots) {
    const std::string path = dir + "/" + FileName("snap", n);
    auto file = std::make_unique<MappedFile>();
    if (!file->Open(path, error)) return false;
    LogReader reader(file->bytes());
    LiveMap map(&pool_);  // the same resource as live_, so the move below moves nodes
    uint64_t bytes = 0;
    bool complete = false, bad = false;
    for (;;) {
      ReadStatus s = reader.Read(&rec, &scratch);
      if (s != ReadStatus::kRecord) {
        bad = s != ReadStatus::kEof;
        break;
      }
      Decoded dec;
      if (complete || !Decode(rec, &dec) || dec.type == Mutation::kDelete) {
        bad = true;
        break;
      }
      if (dec.type == Mutation::kSnapshotEnd) {
        complete = dec.segment == n && dec.count == map.size();
        if (!complete) {
          bad = true;
          break;
        }
        continue;
      }
      bytes += dec.key.size() + dec.value.size();
      // Written in key order: each key goes at the end.
      if (map.empty() || map.rbegin()->first < dec.key) {
        map.emplace_hint(map.end(), dec.key, Keep(dec.value, rec.data() != scratch.data()));
      } else {
        bad = true;
        break;
      }
    }
    if (bad || !complete) {
      RC_WARN("store: snapshot %s is incomplete or damaged; ignoring it", path.c_str());
      for (const auto& [k, v] : map) Release(v);
      continue;
    }
    retained_.push_back(std::move(file));
    live_ = std::move(map);
    live_bytes_ = bytes;
    snapshot_ = n;
    recovery_.snapshot_segment = n;
    recovery_.snapshot_records = live_.size();
    break;
  }

  // Segments after the snapshot, in order.
  std::vector<uint64_t> todo;
  for (uint64_t n : segments) {
    if (n > snapshot_) todo.push_back(n);
  }
  // The last segment with bytes in it: only its tail can be torn (a roll after a synced
  // commit may leave an empty segment after it).
  size_t tail_index = 0;
  for (size_t i = 0; i < todo.size(); ++i) {
    struct stat st;
    if (::stat((dir + "/" + FileName("wal", todo[i])).c_str(), &st) == 0 && st.st_size > 0) {
      tail_index = i;
    }
  }
  const bool skip = options_.recover == RecoverMode::kSkip;
  for (size_t i = 0; i < todo.size(); ++i) {
    const bool last = i >= tail_index;
    const std::string name = FileName("wal", todo[i]);
    const std::string path = dir + "/" + name;
    auto file = std::make_unique<MappedFile>();
    if (!file->Open(path, error)) return false;
    LogReader reader(file->bytes());
    std::vector<RecoveryEvent> held;  // problems not yet known to be mid-log or a tail
    auto mid_log = [&](std::vector<RecoveryEvent>& events) {
      for (auto& ev : events) {
        if (!skip) {
          char buf[512];
          std::snprintf(buf, sizeof buf,
                        "store: corruption in the middle of %s at offset %" PRIu64 " (%" PRIu64
                        " bytes: %s); refusing to start (--store-recover skip skips it)",
                        path.c_str(), ev.offset, ev.bytes, ev.reason.c_str());
          *error = buf;
          return false;
        }
        RC_WARN("store: skipped %" PRIu64 " bytes at offset %" PRIu64 " of %s: %s", ev.bytes,
                ev.offset, path.c_str(), ev.reason.c_str());
        recovery_.events.push_back(ev);
      }
      events.clear();
      return true;
    };
    for (;;) {
      ReadStatus s = reader.Read(&rec, &scratch);
      if (s == ReadStatus::kEof) break;
      if (s == ReadStatus::kCorruption || s == ReadStatus::kTornTail) {
        const ReadProblem& p = reader.problem();
        held.push_back({name, p.offset, p.bytes, p.reason, false});
        continue;
      }
      Decoded dec;
      if (!Decode(rec, &dec) || dec.type == Mutation::kSnapshotEnd) {
        held.push_back({name, reader.record_offset(), reader.good_end() - reader.record_offset(),
                        "record checks but is not a mutation", false});
        continue;
      }
      if (!held.empty() && !mid_log(held)) return false;
      Apply(dec.type, dec.key, dec.value, rec.data() != scratch.data());
      ++recovery_.records;
    }
    // Kept while values view it. A torn tail cut below lies after every record returned, so
    // no value views the bytes the truncate removes.
    retained_.push_back(std::move(file));
    if (held.empty()) continue;
    if (!last) {
      if (!mid_log(held)) return false;
      continue;
    }
    // Nothing valid follows in the last segment: a torn tail. Cut it.
    const uint64_t keep = reader.good_end();
    for (auto& ev : held) {
      ev.torn_tail = true;
      RC_WARN("store: cut a torn tail of %s: %" PRIu64 " bytes at offset %" PRIu64 " (%s)",
              path.c_str(), ev.bytes, ev.offset, ev.reason.c_str());
      recovery_.events.push_back(ev);
    }
    if (::truncate(path.c_str(), static_cast<off_t>(keep)) != 0) {
      *error = "truncate " + path + ": " + std::strerror(errno);
      return false;
    }
  }

  // Append to the last segment, or start one.
  uint64_t next = std::max(snapshot_, segments.empty() ? 0 : segments.back());
  if (!todo.empty()) {
    if (!OpenSegment(todo.back(), false, error)) return false;
  } else if (!OpenSegment(next + 1, true, error)) {
    return false;
  }
  for (uint64_t n : todo) {
    struct stat st;
    if (::stat((dir + "/" + FileName("wal", n)).c_str(), &st) == 0) {
      log_bytes_ += static_cast<uint64_t>(st.st_size);
    }
  }
  RC_INFO("store: %s: %" PRIu64 " keys (%" PRIu64 " from snapshot %" PRIu64 ", %" PRIu64
          " mutations replayed), %zu recovery events",
          dir.c_str(), static_cast<uint64_t>(live_.size()), recovery_.snapshot_records,
          recovery_.snapshot_segment, recovery_.records, recovery_.events.size());
  return true;
}

bool Wal::OpenSegment(uint64_t number, bool create, std::string* error) {
  const std::string path = options_.dir + "/" + FileName("wal", number);
  int flags = O_WRONLY | O_APPEND | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0);
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) {
    *error = "open " + path + ": " + std::strerror(errno);
    return false;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    *error = "stat " + path + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  if (create && !SyncDir(options_.dir)) {
    *error = "fsync " + options_.dir + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  segment_ = number;
  segment_size_ = static_cast<uint64_t>(st.st_size);
  writer_ = LogWriter(segment_size_);
  return true;
}

void Wal::Poison(const char* what, int err) {
  if (!poisoned_) {
    RC_ERROR("store: %s failed on segment %" PRIu64
             " of %s: %s; the store is read-only until "
             "restart",
             what, segment_, options_.dir.c_str(), std::strerror(err));
  }
  SetReadOnly();
  pending_.clear();
  pending_records_ = 0;
}

void Wal::SetReadOnly() {
  if (!poisoned_ && options_.observer != nullptr) options_.observer->OnReadOnly();
  poisoned_ = true;
}

bool Wal::Queue(std::string_view payload) {
  if (poisoned_) return false;
  if (!writer_.AddRecord(payload, &pending_)) return false;
  ++pending_records_;
  Apply(payload);
  return true;
}

void Wal::Record(std::string_view key, const std::string_view* value) {
  if (recorder_ == nullptr || poisoned_) return;
  RecordedChange c;
  c.key = std::string(key);
  auto it = live_.find(key);
  c.had = it != live_.end();
  if (c.had) c.before = std::string(it->second);
  c.put = value != nullptr;
  if (c.put) c.after = std::string(*value);
  recorder_->push_back(std::move(c));
}

bool Wal::Put(std::string_view key, std::string_view value) {
  Record(key, &value);
  return Queue(EncodePut(key, value));
}

bool Wal::Delete(std::string_view key) {
  Record(key, nullptr);
  return Queue(EncodeDelete(key));
}

bool ParseSyncPolicy(std::string_view text, SyncPolicy* out) {
  if (text == "always") {
    *out = {SyncPolicy::Kind::kAlways, 0};
    return true;
  }
  if (text == "none") {
    *out = {SyncPolicy::Kind::kNone, 0};
    return true;
  }
  constexpr std::string_view kPrefix = "interval:";
  if (text.substr(0, kPrefix.size()) != kPrefix || text.size() == kPrefix.size() ||
      text.size() > kPrefix.size() + 6) {
    return false;
  }
  uint32_t ms = 0;
  for (char c : text.substr(kPrefix.size())) {
    if (c < '0' || c > '9') return false;
    ms = ms * 10 + static_cast<uint32_t>(c - '0');
  }
  *out = {SyncPolicy::Kind::kInterval, ms};
  return true;
}

bool Wal::WritePending() {
  WalObserver* observer = options_.observer;
  const uint64_t start_ns = observer != nullptr ? util::MonotonicNs() : 0;
  size_t done = 0;
  while (done < pending_.size()) {
    ssize_t w = ops_->Write(fd_, pending_.data() + done, pending_.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      Poison("write", w < 0 ? errno : EIO);
      return false;
    }
    done += static_cast<size_t>(w);
  }
  segment_size_ += pending_.size();
  log_bytes_ += pending_.size();
  if (observer != nullptr) {
    observer->OnWrite(util::MonotonicNs() - start_ns, pending_.size(), pending_records_);
  }
  pending_.clear();
  pending_records_ = 0;
  unsynced_ = true;
  return true;
}

bool Wal::SyncNow() {
  WalObserver* observer = options_.observer;
  const uint64_t start_ns = observer != nullptr ? util::MonotonicNs() : 0;
  if (ops_->Fdatasync(fd_) != 0) {
    Poison("fdatasync", errno);
    return false;
  }
  if (observer != nullptr) observer->OnSync(util::MonotonicNs() - start_ns);
  unsynced_ = false;
  return true;
}

void Wal::MaybeRoll() {
  // Only after a sync: a segment before the last never has an unsynced tail.
  if (unsynced_ || segment_size_ < options_.segment_bytes) return;
  std::string error;
  if (!OpenSegment(segment_ + 1, true, &error)) {
    // What is written is durable; only the next commit has nowhere to go.
    RC_ERROR("store: %s; the store is read-only until restart", error.c_str());
    SetReadOnly();
  }
}

bool Wal::Commit() {
  RC_CHECK(!in_flight_);
  if (poisoned_) return false;
  if (pending_.empty() && !unsynced_) return true;
  if (!pending_.empty() && !WritePending()) return false;
  if (!SyncNow()) return false;
  MaybeRoll();
  return true;
}

TurnResult Wal::CommitTurn(uint64_t now_ms) {
  TurnIo io;
  switch (BeginTurn(now_ms, &io)) {
    case TurnStart::kDurable:
      return TurnResult::kDurable;
    case TurnStart::kWaiting:
      return TurnResult::kWaiting;
    case TurnStart::kFailed:
      return TurnResult::kFailed;
    case TurnStart::kStarted:
      break;
  }
  const bool timed = options_.observer != nullptr;
  if (io.size > 0) {
    const uint64_t start_ns = timed ? util::MonotonicNs() : 0;
    ssize_t w;
    do {
      w = ops_->Write(io.fd, io.data, io.size);
    } while (w < 0 && errno == EINTR);
    const int64_t result = w < 0 ? -int64_t{errno} : int64_t{w};
    const uint64_t ns = timed ? util::MonotonicNs() - start_ns : 0;
    if (!FinishWrite(result, ns)) return TurnResult::kFailed;
  }
  if (io.sync) {
    const uint64_t start_ns = timed ? util::MonotonicNs() : 0;
    const int rc = ops_->Fdatasync(io.fd) == 0 ? 0 : -errno;
    const uint64_t ns = timed ? util::MonotonicNs() - start_ns : 0;
    if (!FinishSync(rc, ns)) return TurnResult::kFailed;
  }
  return EndTurn(now_ms);
}

TurnStart Wal::BeginTurn(uint64_t now_ms, TurnIo* io) {
  RC_CHECK(!in_flight_);
  if (poisoned_) return TurnStart::kFailed;
  bool due = false;
  switch (options_.sync.kind) {
    case SyncPolicy::Kind::kAlways:
      due = true;
      break;
    case SyncPolicy::Kind::kInterval:
      due = now_ms >= last_sync_ms_ + options_.sync.interval_ms;
      break;
    case SyncPolicy::Kind::kNone:
      break;
  }
  const bool write = !pending_.empty();
  const bool sync = due && (write || unsynced_);
  if (!write && !sync) {
    if (options_.sync.kind == SyncPolicy::Kind::kNone) unsynced_ = false;
    return unsynced_ ? TurnStart::kWaiting : TurnStart::kDurable;
  }
  turn_.clear();
  turn_.swap(pending_);  // pending_ keeps the old turn's capacity
  turn_records_ = pending_records_;
  pending_records_ = 0;
  turn_sync_ = sync;
  in_flight_ = true;
  io->fd = fd_;
  io->data = turn_.data();
  io->size = turn_.size();
  io->offset = segment_size_;
  io->sync = sync;
  return TurnStart::kStarted;
}

bool Wal::WriteDone(int64_t result, uint64_t ns) {
  return FinishWrite(ops_->RingWriteResult(fd_, result), ns);
}

bool Wal::SyncDone(int result, uint64_t ns) {
  return FinishSync(ops_->RingSyncResult(fd_, result), ns);
}

bool Wal::FinishWrite(int64_t result, uint64_t ns) {
  RC_CHECK(in_flight_);
  if (result < 0) {
    Poison("write", static_cast<int>(-result));
    EndFailedTurn();
    return false;
  }
  auto done = static_cast<size_t>(result);
  while (done < turn_.size()) {  // a short write: the rest from here
    ssize_t w = ops_->Write(fd_, turn_.data() + done, turn_.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      Poison("write", w < 0 ? errno : EIO);
      EndFailedTurn();
      return false;
    }
    done += static_cast<size_t>(w);
  }
  if (!turn_.empty()) {
    segment_size_ += turn_.size();
    log_bytes_ += turn_.size();
    if (options_.observer != nullptr) options_.observer->OnWrite(ns, turn_.size(), turn_records_);
    unsynced_ = true;
  }
  turn_.clear();
  turn_records_ = 0;
  return true;
}

bool Wal::FinishSync(int result, uint64_t ns) {
  RC_CHECK(in_flight_);
  if (result < 0) {
    Poison("fdatasync", -result);
    EndFailedTurn();
    return false;
  }
  if (options_.observer != nullptr) options_.observer->OnSync(ns);
  unsynced_ = false;
  return true;
}

TurnResult Wal::EndTurn(uint64_t now_ms) {
  RC_CHECK(in_flight_);
  in_flight_ = false;
  if (turn_sync_) last_sync_ms_ = now_ms;
  if (options_.sync.kind == SyncPolicy::Kind::kNone) unsynced_ = false;  // rolling need not wait
  MaybeRoll();
  return unsynced_ ? TurnResult::kWaiting : TurnResult::kDurable;
}

void Wal::EndFailedTurn() {
  in_flight_ = false;
  turn_.clear();
  turn_records_ = 0;
}

bool Wal::NeedsCompaction() const {
  return log_bytes_ > options_.compact_min_bytes &&
         log_bytes_ > options_.compact_factor * live_bytes_;
}

bool Wal::Compact() {
  if (poisoned_ || in_flight_ || !pending_.empty()) return false;
  if (unsynced_ && !SyncNow()) return false;
  const uint64_t covered = segment_;
  std::string error;
  if (!OpenSegment(covered + 1, true, &error)) {
    RC_ERROR("store: compaction: %s", error.c_str());
    return false;
  }
  log_bytes_ = 0;
  std::string data;
  LogWriter w;
  for (const auto& [k, v] : live_) {
    if (!w.AddRecord(EncodePut(k, v), &data)) return false;
  }
  std::string end(1, static_cast<char>(Mutation::kSnapshotEnd));
  PutU64(&end, covered);
  PutU64(&end, live_.size());
  if (!w.AddRecord(end, &data)) return false;

  const std::string final_path = options_.dir + "/" + FileName("snap", covered);
  const std::string tmp = final_path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    RC_ERROR("store: compaction: open %s: %s", tmp.c_str(), std::strerror(errno));
    return false;
  }
  size_t done = 0;
  bool ok = true;
  while (ok && done < data.size()) {
    ssize_t n = ops_->Write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      ok = false;
    else
      done += static_cast<size_t>(n);
  }
  ok = ok && ops_->Fdatasync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), final_path.c_str()) != 0 || !SyncDir(options_.dir)) {
    // The segments are all still there; the snapshot is only an optimisation.
    RC_ERROR("store: compaction: writing %s failed: %s", final_path.c_str(), std::strerror(errno));
    ::unlink(tmp.c_str());
    return false;
  }
  snapshot_ = covered;
  Repoint(final_path);
  for (const std::string& name : Files()) {
    uint64_t n;
    if ((ParseName(name, "wal", &n) && n <= covered) ||
        (ParseName(name, "snap", &n) && n < covered)) {
      ::unlink((options_.dir + "/" + name).c_str());
    }
  }
  SyncDir(options_.dir);
  return true;
}

void Wal::Repoint(const std::string& snapshot_path) {
  auto file = std::make_unique<MappedFile>();
  std::string error;
  bool ok = file->Open(snapshot_path, &error);
  if (ok) {
    // The snapshot holds live_'s entries in order: walk both together, checking each record.
    LogReader reader(file->bytes());
    std::string scratch;
    std::string_view rec;
    for (auto& [k, v] : live_) {
      Decoded d;
      if (reader.Read(&rec, &scratch) != ReadStatus::kRecord || !Decode(rec, &d) ||
          d.type != Mutation::kPut || d.key != k || d.value != v) {
        ok = false;
        break;
      }
      if (rec.data() == scratch.data() || d.value.empty()) continue;  // checked below
      Release(v);
      v = LiveValue(d.value);
    }
  }
  if (!ok) RC_WARN("store: compaction: values not re-read from %s", snapshot_path.c_str());
  // Anything still viewing an older mapping (or all, if the snapshot could not be read back)
  // becomes the Wal's own.
  for (auto& [k, v] : live_) {
    const bool in_new = ok && !v.empty() && v.data() >= file->bytes().data() &&
                        v.data() < file->bytes().data() + file->bytes().size();
    if (!v.owned && !v.empty() && !in_new) v = Keep(v, false);
  }
  retained_.clear();
  if (ok) retained_.push_back(std::move(file));
}

}  // namespace ringcast::store
