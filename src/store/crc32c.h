// CRC-32C (Castagnoli, reflected polynomial 0x82f63b78) and leveldb's CRC mask, for the log.
//
// Owns nothing: pure functions over bytes, safe on any thread. Extend continues a CRC over more
// bytes (Extend(Value(a), b) == Value(a + b)). Mask/Unmask are leveldb's: a CRC stored inside
// checksummed data is masked so that the outer CRC of data containing CRCs is not trivial.
// Extend uses the CPU's crc32 instruction (SSE4.2) when it has one, else ExtendPortable (a
// table); both give the same result for every input (tests compare them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ringcast::store::crc32c {

uint32_t Extend(uint32_t crc, const char* data, size_t n);
uint32_t ExtendPortable(uint32_t crc, const char* data, size_t n);
// True when Extend uses the crc32 instruction.
bool Accelerated();
inline uint32_t Value(const char* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view s) { return Extend(0, s.data(), s.size()); }

inline constexpr uint32_t kMaskDelta = 0xa282ead8u;
inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }
inline uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace ringcast::store::crc32c
