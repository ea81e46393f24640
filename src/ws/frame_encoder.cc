// Frame encoding; see frame_encoder.h.
#include "ws/frame_encoder.h"

#include <bit>
#include <cstring>

#include "util/utf8_truncate.h"
#include "ws/mask.h"

namespace ringcast::ws {
namespace {

// Header after the first byte: the length field, with the mask bit when `masked`.
size_t EncodeLength(uint8_t* out, uint64_t len, bool masked) {
  const uint8_t mask_bit = masked ? 0x80 : 0x00;
  if (len <= 125) {
    out[0] = static_cast<uint8_t>(mask_bit | len);
    return 1;
  }
  if (len <= 0xFFFF) {
    out[0] = mask_bit | 126;
    out[1] = static_cast<uint8_t>(len >> 8);
    out[2] = static_cast<uint8_t>(len);
    return 3;
  }
  out[0] = mask_bit | 127;
  if constexpr (std::endian::native == std::endian::little) len = __builtin_bswap64(len);
  std::memcpy(out + 1, &len, 8);
  return 9;
}

void AppendMasked(std::string* out, uint8_t first_byte, std::string_view payload,
                  uint32_t mask_key) {
  uint8_t header[kMaxClientHeaderBytes];
  header[0] = first_byte;
  size_t n = 1 + EncodeLength(header + 1, payload.size(), /*masked=*/true);
  const uint8_t key[4] = {static_cast<uint8_t>(mask_key >> 24),
                          static_cast<uint8_t>(mask_key >> 16), static_cast<uint8_t>(mask_key >> 8),
                          static_cast<uint8_t>(mask_key)};
  std::memcpy(header + n, key, 4);
  n += 4;
  out->reserve(out->size() + n + payload.size());
  out->append(reinterpret_cast<const char*>(header), n);
  const size_t start = out->size();
  out->append(payload);
  uint32_t mask;
  std::memcpy(&mask, key, 4);
  (void)ApplyMask(out->data() + start, payload.size(), mask);
}

}  // namespace

size_t EncodeHeader(uint8_t out[kMaxServerHeaderBytes], Opcode op, uint64_t payload_len, bool fin) {
  out[0] = static_cast<uint8_t>((fin ? 0x80 : 0x00) | static_cast<uint8_t>(op));
  return 1 + EncodeLength(out + 1, payload_len, /*masked=*/false);
}

std::string_view ServerFramePayload(std::string_view frame) {
  if (frame.size() < 2) return {};
  const auto len7 = static_cast<uint8_t>(frame[1]) & 0x7f;
  const size_t header = len7 < 126 ? 2 : len7 == 126 ? 4 : 10;
  return frame.size() < header ? std::string_view() : frame.substr(header);
}

void AppendFrame(std::string* out, Opcode op, std::string_view payload, bool fin) {
  uint8_t header[kMaxServerHeaderBytes];
  const size_t n = EncodeHeader(header, op, payload.size(), fin);
  out->reserve(out->size() + n + payload.size());
  out->append(reinterpret_cast<const char*>(header), n);
  out->append(payload);
}

void AppendCloseFrame(std::string* out, uint16_t code, std::string_view reason) {
  if (code == 1005) {
    AppendFrame(out, Opcode::kClose, {});
    return;
  }
  // A close reason must be valid UTF-8 (RFC 6455 5.5.1): cut on a code point boundary, and any
  // invalid byte of a reason built from peer input becomes U+FFFD.
  char payload[2 + kMaxCloseReasonBytes];
  payload[0] = static_cast<char>(code >> 8);
  payload[1] = static_cast<char>(code & 0xFF);
  std::string safe;
  (void)util::AppendUtf8Truncated(&safe, reason, kMaxCloseReasonBytes);
  if (!safe.empty()) std::memcpy(payload + 2, safe.data(), safe.size());
  AppendFrame(out, Opcode::kClose, std::string_view(payload, 2 + safe.size()));
}

void AppendMaskedFrame(std::string* out, Opcode op, std::string_view payload, uint32_t mask_key,
                       bool fin) {
  AppendMasked(out, static_cast<uint8_t>((fin ? 0x80 : 0x00) | static_cast<uint8_t>(op)), payload,
               mask_key);
}

void AppendMaskedFrame(std::string* out, uint8_t first_byte, std::string_view payload,
                       uint32_t mask_key) {
  AppendMasked(out, first_byte, payload, mask_key);
}

}  // namespace ringcast::ws
