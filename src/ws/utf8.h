// Incremental UTF-8 validation (RFC 3629) for WebSocket text messages and close reasons.
//
// Owns: one byte of DFA state. Pure and allocation-free; any thread, one validator per stream.
// Feed() may be called with any split of the input and gives the same verdict as one call over
// the concatenation. It fails fast: it returns false at the first byte that proves the input
// can no longer be the prefix of valid UTF-8 (F4 90 fails at 90, ED A0 (surrogate) at A0, E0 80
// (overlong) at 80, C0/C1/F5..FF at once). Once rejected it stays rejected until Reset().
// AtBoundary() tells whether the bytes so far end on a code point boundary; a text message that
// ends elsewhere is invalid. ASCII runs are skipped eight bytes at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ringcast::ws {

class Utf8Validator {
 public:
  // Returns false as soon as the bytes fed so far cannot start a valid UTF-8 string.
  [[nodiscard]] bool Feed(const uint8_t* p, size_t n);
  [[nodiscard]] bool Feed(std::string_view s) {
    return Feed(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  // True when no partial code point is pending (and nothing was rejected).
  bool AtBoundary() const { return state_ == 0; }
  bool Rejected() const { return state_ == kRejectState; }
  void Reset() { state_ = 0; }

  // The DFA's sticky reject state as stored in state_ (utf8.cc checks it against its tables).
  static constexpr uint8_t kRejectState = 12;

 private:
  uint8_t state_ = 0;
};

// Whole-string check: valid UTF-8 that ends on a code point boundary.
bool IsValidUtf8(std::string_view s);

}  // namespace ringcast::ws
