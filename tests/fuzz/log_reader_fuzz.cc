// libFuzzer target for store::LogReader: records from arbitrary bytes.
//
// The input is read as a segment. Traps on: a read that makes no progress (more calls than
// input bytes + 2), a reported problem outside the input, good_end() past the input or moving
// backwards, or a returned record whose bytes do not re-frame into a segment that reads back
// the same records (so the writer and the reader agree on everything the reader accepts), or
// a second reader using the view overload (replay's) that differs in any status, record or
// problem from the copying one.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/log_reader.h"
#include "store/log_writer.h"

using ringcast::store::LogReader;
using ringcast::store::LogWriter;
using ringcast::store::ReadStatus;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  LogReader reader(in);
  LogReader viewing(in);
  std::string scratch;
  std::string_view view;
  std::vector<std::string> records;
  std::string rec;
  uint64_t good_end = 0;
  size_t calls = 0;
  bool torn = false;
  for (;;) {
    if (++calls > size + 2) __builtin_trap();
    ReadStatus s = reader.Read(&rec);
    if (viewing.Read(&view, &scratch) != s || viewing.good_end() != reader.good_end() ||
        (s == ReadStatus::kRecord && view != rec) ||
        ((s == ReadStatus::kCorruption || s == ReadStatus::kTornTail) &&
         (viewing.problem().offset != reader.problem().offset ||
          viewing.problem().bytes != reader.problem().bytes))) {
      __builtin_trap();
    }
    if (reader.good_end() > size || reader.good_end() < good_end) __builtin_trap();
    good_end = reader.good_end();
    if (s == ReadStatus::kEof) break;
    if (s == ReadStatus::kRecord) {
      if (torn) __builtin_trap();  // nothing after a torn tail
      records.push_back(rec);
      continue;
    }
    const auto& p = reader.problem();
    if (p.offset > size || p.bytes > size - p.offset) __builtin_trap();
    if (s == ReadStatus::kTornTail) {
      if (torn || p.offset + p.bytes != size) __builtin_trap();
      torn = true;
    }
  }
  std::string framed;
  LogWriter writer;
  for (const auto& r : records) {
    if (!writer.AddRecord(r, &framed)) __builtin_trap();
  }
  LogReader again(framed);
  size_t k = 0;
  for (;;) {
    ReadStatus s = again.Read(&rec);
    if (s == ReadStatus::kEof) break;
    if (s != ReadStatus::kRecord || k >= records.size() || rec != records[k]) __builtin_trap();
    ++k;
  }
  if (k != records.size()) __builtin_trap();
  return 0;
}
