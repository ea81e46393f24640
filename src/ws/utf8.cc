// UTF-8 DFA. Every byte falls in one of twelve classes; the state after a byte depends only on
// the state before it and the byte's class. The nine states encode what the next byte may be:
//
//   accept   any lead byte or ASCII          tail1/2/3  1, 2 or 3 bytes of 80..BF still due
//   e0       A0..BF then tail1 (no overlong)  ed         80..9F then tail1 (no surrogates)
//   f0       90..BF then tail2 (no overlong)  f4         80..8F then tail2 (<= U+10FFFF)
//   reject   sticky
//
// The tables are built at compile time from that description; states are stored premultiplied
// by the class count so that a step is one add and one load.
#include "ws/utf8.h"

#include <array>
#include <cstring>

namespace ringcast::ws {
namespace {

enum ByteClass : uint8_t {
  kAscii,    // 00..7F
  kCont8,    // 80..8F
  kCont9,    // 90..9F
  kContAB,   // A0..BF
  kInvalid,  // C0, C1, F5..FF
  kLead2,    // C2..DF
  kLeadE0,   // E0
  kLead3,    // E1..EC, EE, EF
  kLeadED,   // ED
  kLeadF0,   // F0
  kLead4,    // F1..F3
  kLeadF4,   // F4
};
constexpr int kClassCount = kLeadF4 + 1;

enum StateIndex : uint8_t {
  kAccept,
  kReject,
  kTail1,
  kTail2,
  kTail3,
  kAfterE0,
  kAfterED,
  kAfterF0,
  kAfterF4,
};
constexpr int kStateCount = kAfterF4 + 1;

constexpr ByteClass ClassOf(unsigned b) {
  if (b < 0x80) return kAscii;
  if (b < 0x90) return kCont8;
  if (b < 0xA0) return kCont9;
  if (b < 0xC0) return kContAB;
  if (b < 0xC2) return kInvalid;
  if (b < 0xE0) return kLead2;
  if (b == 0xE0) return kLeadE0;
  if (b == 0xED) return kLeadED;
  if (b < 0xF0) return kLead3;
  if (b == 0xF0) return kLeadF0;
  if (b < 0xF4) return kLead4;
  if (b == 0xF4) return kLeadF4;
  return kInvalid;
}

constexpr StateIndex Step(StateIndex s, ByteClass c) {
  const bool cont = c == kCont8 || c == kCont9 || c == kContAB;
  switch (s) {
    case kAccept:
      switch (c) {
        case kAscii:
          return kAccept;
        case kLead2:
          return kTail1;
        case kLeadE0:
          return kAfterE0;
        case kLead3:
          return kTail2;
        case kLeadED:
          return kAfterED;
        case kLeadF0:
          return kAfterF0;
        case kLead4:
          return kTail3;
        case kLeadF4:
          return kAfterF4;
        default:
          return kReject;
      }
    case kTail1:
      return cont ? kAccept : kReject;
    case kTail2:
      return cont ? kTail1 : kReject;
    case kTail3:
      return cont ? kTail2 : kReject;
    case kAfterE0:
      return c == kContAB ? kTail1 : kReject;
    case kAfterED:
      return (c == kCont8 || c == kCont9) ? kTail1 : kReject;
    case kAfterF0:
      return (c == kCont9 || c == kContAB) ? kTail2 : kReject;
    case kAfterF4:
      return c == kCont8 ? kTail2 : kReject;
    default:
      return kReject;
  }
}

constexpr std::array<uint8_t, 256> kClassTable = [] {
  std::array<uint8_t, 256> t{};
  for (unsigned b = 0; b < 256; ++b) t[b] = ClassOf(b);
  return t;
}();

// kNext[state * kClassCount + class] = next_state * kClassCount.
constexpr std::array<uint8_t, kStateCount* kClassCount> kNext = [] {
  std::array<uint8_t, kStateCount * kClassCount> t{};
  for (int s = 0; s < kStateCount; ++s) {
    for (int c = 0; c < kClassCount; ++c) {
      t[s * kClassCount + c] = static_cast<uint8_t>(
          int{Step(static_cast<StateIndex>(s), static_cast<ByteClass>(c))} * kClassCount);
    }
  }
  return t;
}();

static_assert(int{kReject} * kClassCount == Utf8Validator::kRejectState, "stored reject state");
static_assert(kAccept == 0, "AtBoundary() tests for 0");

constexpr uint64_t kHighBits = 0x8080808080808080ull;

}  // namespace

bool Utf8Validator::Feed(const uint8_t* p, size_t n) {
  unsigned s = state_;
  if (s == kRejectState) return false;
  size_t i = 0;
  while (i < n) {
    if (s == 0) {
      // ASCII fast path: only on a code point boundary.
      while (i + 8 <= n) {
        uint64_t w;
        std::memcpy(&w, p + i, 8);
        if (w & kHighBits) break;
        i += 8;
      }
      while (i < n && p[i] < 0x80) ++i;
      if (i == n) break;
    }
    s = kNext[s + kClassTable[p[i]]];
    ++i;
    if (s == kRejectState) {
      state_ = kRejectState;
      return false;
    }
  }
  state_ = static_cast<uint8_t>(s);
  return true;
}

bool IsValidUtf8(std::string_view s) {
  Utf8Validator v;
  return v.Feed(s) && v.AtBoundary();
}

}  // namespace ringcast::ws
