// Reassembles logical records from a segment's bytes (docs/store.md, "Recovery").
//
// Owns: a read position in a caller-owned byte view (which must outlive the reader). Pure: no
// I/O, no logging; what it finds is returned, and the caller (Wal) decides torn tail versus
// mid-log corruption, which needs to know whether valid records follow. Every byte of the input
// ends up in exactly one returned record, a reported problem, a block trailer, or the EOF.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast::store {

enum class ReadStatus {
  kRecord,      // *record holds the next logical record
  kEof,         // clean end: the input ends right after a complete record (or is empty)
  kTornTail,    // the input ends inside a fragment or a FIRST..LAST sequence; then kEof
  kCorruption,  // bad bytes (see problem()); reading continues after them
};

struct ReadProblem {
  uint64_t offset = 0;  // where the bad bytes start
  uint64_t bytes = 0;   // how many were dropped
  const char* reason = "";
};

class LogReader {
 public:
  explicit LogReader(std::string_view data) : data_(data) {}

  [[nodiscard]] ReadStatus Read(std::string* record);
  // The same, without a copy where it can: with kRecord, *record views the input itself for a
  // FULL fragment, or *scratch (which holds the reassembled fragments) for a fragmented record;
  // valid until the next call.
  [[nodiscard]] ReadStatus Read(std::string_view* record, std::string* scratch);

  // The last kTornTail or kCorruption.
  const ReadProblem& problem() const { return problem_; }
  // Offset just after the last complete logical record returned (0 if none): where a torn
  // tail is cut.
  uint64_t good_end() const { return good_end_; }
  // Offset of the start of the last returned record.
  uint64_t record_offset() const { return record_offset_; }

 private:
  ReadStatus Torn(uint64_t from, const char* reason);
  ReadStatus Corrupt(uint64_t from, uint64_t to, const char* reason);

  std::string_view data_;
  uint64_t pos_ = 0;
  uint64_t good_end_ = 0;
  uint64_t record_offset_ = 0;
  ReadProblem problem_;
};

}  // namespace ringcast::store
