// XOR masking of WebSocket payloads (RFC 6455 5.3), shared by the parser and the encoder.
//
// A mask is the four key bytes as they appear on the wire, held in a uint32_t in memory order
// (memcpy from the frame), already rotated so that its first byte applies to the next payload
// byte. ApplyMask() masks or unmasks in place, eight bytes per step, and returns the mask
// rotated for the byte after the last one, so a payload split across calls unmasks correctly.
// Pure, allocation-free, any thread.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ringcast::ws {

// The mask rotated forward by `n` payload bytes.
inline uint32_t AdvanceMask(uint32_t mask, size_t n) {
  const int bits = static_cast<int>((n & 3) * 8);
  if constexpr (std::endian::native == std::endian::little) {
    return std::rotr(mask, bits);
  } else {
    return std::rotl(mask, bits);
  }
}

[[nodiscard]] inline uint32_t ApplyMask(char* p, size_t n, uint32_t mask) {
  uint64_t wide = (static_cast<uint64_t>(mask) << 32) | mask;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    uint64_t w[4];
    std::memcpy(w, p + i, 32);
    w[0] ^= wide;
    w[1] ^= wide;
    w[2] ^= wide;
    w[3] ^= wide;
    std::memcpy(p + i, w, 32);
  }
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    w ^= wide;
    std::memcpy(p + i, &w, 8);
  }
  uint8_t key[4];
  std::memcpy(key, &mask, 4);
  for (size_t k = 0; i < n; ++i, ++k) p[i] = static_cast<char>(p[i] ^ key[k & 3]);
  return AdvanceMask(mask, n);
}

}  // namespace ringcast::ws
