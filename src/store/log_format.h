// The log's physical format, as in leveldb's db/log_format.h (docs/store.md, "The log format").
//
// Owns nothing: constants only. A segment is 32 KiB blocks of fragments; each fragment has a
// 7-byte header (masked CRC-32C of type + payload, little-endian u16 length, type byte).
#pragma once

#include <cstddef>
#include <cstdint>

namespace ringcast::store {

enum class FragmentType : uint8_t { kZero = 0, kFull = 1, kFirst = 2, kMiddle = 3, kLast = 4 };
inline constexpr uint8_t kMaxFragmentType = 4;

inline constexpr size_t kBlockSize = 32768;
inline constexpr size_t kHeaderSize = 4 + 2 + 1;
// A logical record's payload is at most this many bytes; the writer refuses larger ones.
inline constexpr size_t kMaxRecordBytes = size_t{16} << 20;

}  // namespace ringcast::store
