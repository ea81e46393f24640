// Store recovery time (issue 10): writes N records (default 1,000,000 kPut mutations of a
// Datonow-sized message, in commits of 1,000) into a fresh directory, then times Wal::Open
// replaying them (and, with --snapshot, after a compaction: loading the snapshot instead).
// A standalone program, not a Google Benchmark (one measurement, seconds long). Run e.g.:
//   build/bench/store_recovery_bench --records 1000000 --dir /tmp/rc-recovery
// --runs N times the Open N times over the same files (the first run may read from disk, the
// rest from the page cache); --keep leaves the directory, --reuse opens it without writing.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "store/wal.h"

using ringcast::store::Wal;
using ringcast::store::WalOptions;

// "RssAnon: ... AnonHugePages: ..." of this process, in MiB.
static std::string Memory() {
  std::ifstream in("/proc/self/smaps_rollup");
  std::string line, out;
  while (std::getline(in, line)) {
    for (const char* name : {"Rss:", "Anonymous:", "AnonHugePages:"}) {
      if (line.rfind(name, 0) == 0) {
        out += " " + std::string(name) +
               std::to_string(std::strtoull(line.c_str() + std::strlen(name), nullptr, 10) / 1024) +
               "MiB";
      }
    }
  }
  return out;
}

int main(int argc, char** argv) {
  uint64_t records = 1000000;
  std::string dir = "/tmp/rc-store-recovery-bench";
  bool snapshot = false, keep = false, reuse = false;
  int runs = 1;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--records") && i + 1 < argc)
      records = std::strtoull(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--dir") && i + 1 < argc)
      dir = argv[++i];
    else if (!std::strcmp(argv[i], "--snapshot"))
      snapshot = true;
    else if (!std::strcmp(argv[i], "--runs") && i + 1 < argc)
      runs = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--keep"))
      keep = true;
    else if (!std::strcmp(argv[i], "--reuse"))
      reuse = keep = true;
    else {
      std::fprintf(stderr,
                   "usage: %s [--records N] [--dir DIR] [--snapshot] [--runs N] [--keep] "
                   "[--reuse]\n",
                   argv[0]);
      return 2;
    }
  }
  if (!reuse) std::filesystem::remove_all(dir);
  WalOptions o;
  o.dir = dir;
  o.compact_min_bytes = UINT64_MAX;  // measure replay of the log itself
  std::string error;
  if (!reuse) {
    auto wal = Wal::Open(o, &error);
    if (!wal) {
      std::fprintf(stderr, "%s\n", error.c_str());
      return 1;
    }
    std::string value(180, 'v');
    char key[32];
    auto t0 = std::chrono::steady_clock::now();
    for (uint64_t i = 1; i <= records; ++i) {
      std::snprintf(key, sizeof key, "mapp-id%c%016llx", 0, static_cast<unsigned long long>(i));
      if (!wal->Put(std::string_view(key, 24), value)) return 1;
      if (i % 1000 == 0 && !wal->Commit()) return 1;
    }
    if (!wal->Commit()) return 1;
    if (snapshot && !wal->Compact()) return 1;
    auto t1 = std::chrono::steady_clock::now();
    std::printf("wrote %llu records (%.1f MiB of log) in %.2f s\n",
                static_cast<unsigned long long>(records), wal->log_bytes() / 1048576.0,
                std::chrono::duration<double>(t1 - t0).count());
  }
  for (int r = 0; r < runs; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    auto wal = Wal::Open(o, &error);
    auto t1 = std::chrono::steady_clock::now();
    if (!wal) {
      std::fprintf(stderr, "%s\n", error.c_str());
      return 1;
    }
    std::printf("recovered %zu keys (%llu replayed, %llu from snapshot) in %.3f s;%s\n",
                wal->live().size(), static_cast<unsigned long long>(wal->recovery().records),
                static_cast<unsigned long long>(wal->recovery().snapshot_records),
                std::chrono::duration<double>(t1 - t0).count(), Memory().c_str());
  }
  if (!keep) std::filesystem::remove_all(dir);
  return 0;
}
