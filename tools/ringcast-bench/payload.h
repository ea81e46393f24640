// Payload: the event data every published message carries, and its parser.
//
// Text form (only digits, '.', 'x': nothing a JSON encoder escapes, so servers relay it
// byte for byte): "rb1.<publisher>.<channel>.<sequence>.<send time ns>." padded with 'x' to
// the requested size (never cut below the header). The send time is CLOCK_MONOTONIC in
// nanoseconds: publishers and subscribers run in one process, so one clock serves both. At a
// fixed rate it is the intended send time of the schedule, not the moment of the write.
// Pure functions, any thread; Append grows only the caller's string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast::bench {

struct PayloadHeader {
  uint32_t publisher = 0;
  uint32_t channel = 0;
  uint64_t sequence = 0;
  uint64_t sent_ns = 0;
};

// Appends the payload for `h`, padded to `total_bytes` (or just the header if it is longer).
void AppendPayload(std::string* out, const PayloadHeader& h, uint32_t total_bytes);

// Parses a payload; false if `data` is not one (another tool's message, a mangled relay).
[[nodiscard]] bool ParsePayload(std::string_view data, PayloadHeader* out);

}  // namespace ringcast::bench
