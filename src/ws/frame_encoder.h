// Writing RFC 6455 frames: unmasked server frames (the fan-out path encodes each published
// message once and shares the bytes with every subscriber), and masked client frames for tests,
// the fuzzer and the load generator.
//
// Pure functions, any thread, no allocation beyond growing the caller's string. Lengths always
// use the minimal encoding (7-bit, 16-bit for 126..65535, 64-bit above). The encoder does not
// police its input: a control payload over 125 bytes or an invalid close code is the caller's
// bug. The first_byte overloads write any FIN/RSV/opcode byte, so tests can build frames that a
// conforming peer must reject.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ws/frame_parser.h"

namespace ringcast::ws {

inline constexpr size_t kMaxServerHeaderBytes = 10;
inline constexpr size_t kMaxClientHeaderBytes = 14;
inline constexpr size_t kMaxCloseReasonBytes = 123;

// Writes a server (unmasked) frame header into out; returns its size (2, 4 or 10).
size_t EncodeHeader(uint8_t out[kMaxServerHeaderBytes], Opcode op, uint64_t payload_len,
                    bool fin = true);

void AppendFrame(std::string* out, Opcode op, std::string_view payload, bool fin = true);

// The payload of one whole server frame as EncodeHeader and AppendFrame write it (unmasked;
// a header of 2, 4 or 10 bytes); empty when `frame` is shorter than its header says.
std::string_view ServerFramePayload(std::string_view frame);

// A close frame with `code` and `reason` cut to at most 123 bytes on a UTF-8 boundary, invalid
// bytes replaced by U+FFFD (util::AppendUtf8Truncated). Code 1005 ("no status") writes an empty
// payload and drops the reason.
void AppendCloseFrame(std::string* out, uint16_t code, std::string_view reason);

// Client frames. The four key bytes go on the wire most significant byte first
// (mask_key 0x37fa213d -> 37 fa 21 3d).
void AppendMaskedFrame(std::string* out, Opcode op, std::string_view payload, uint32_t mask_key,
                       bool fin = true);
// `first_byte` is written as is: FIN (0x80), RSV1-3 (0x70) and any opcode (0x0F).
void AppendMaskedFrame(std::string* out, uint8_t first_byte, std::string_view payload,
                       uint32_t mask_key);

}  // namespace ringcast::ws
