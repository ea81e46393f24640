// Frames logical records into leveldb-format fragments (docs/store.md, "The log format").
//
// Owns: the offset inside the current 32 KiB block. Pure: AddRecord appends the framed bytes
// to a caller's buffer and does no I/O, so the caller decides when one write and one sync carry
// a whole loop turn of records (group commit). One writer per segment; not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "store/log_format.h"

namespace ringcast::store {

class LogWriter {
 public:
  // `segment_bytes`: the segment's current length (0 for a new one), so framing continues in the
  // right place inside its last block.
  explicit LogWriter(uint64_t segment_bytes = 0) : block_offset_(segment_bytes % kBlockSize) {}

  // Appends `payload` as one logical record to `out`. False (nothing appended) if the payload
  // is over kMaxRecordBytes.
  [[nodiscard]] bool AddRecord(std::string_view payload, std::string* out);

 private:
  void EmitFragment(FragmentType type, const char* data, size_t n, std::string* out);

  size_t block_offset_;
};

}  // namespace ringcast::store
