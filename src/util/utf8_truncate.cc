// UTF-8-safe truncation; see utf8_truncate.h for the contract.
#include "util/utf8_truncate.h"

#include <cstdint>

namespace ringcast::util {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence at the start of `s`, or 0 when the first byte does not
// start one (RFC 3629 table: second-byte ranges exclude overlongs and surrogates).
size_t ValidSequenceLength(std::string_view s) {
  const auto b = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const auto cont = [&](size_t i) { return i < s.size() && (b(i) & 0xC0) == 0x80; };
  const uint8_t c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (s.size() < 2) return 0;
    const uint8_t lo = c == 0xE0 ? 0xA0 : 0x80;
    const uint8_t hi = c == 0xED ? 0x9F : 0xBF;
    if (b(1) < lo || b(1) > hi) return 0;
    return cont(2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (s.size() < 2) return 0;
    const uint8_t lo = c == 0xF0 ? 0x90 : 0x80;
    const uint8_t hi = c == 0xF4 ? 0x8F : 0xBF;
    if (b(1) < lo || b(1) > hi) return 0;
    return cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

}  // namespace

bool AppendUtf8Truncated(std::string* out, std::string_view text, size_t max_bytes) {
  size_t budget = max_bytes;
  size_t i = 0;
  while (i < text.size()) {
    // Copy an ASCII run in one append.
    size_t run = i;
    while (run < text.size() && run - i < budget && static_cast<uint8_t>(text[run]) < 0x80) {
      ++run;
    }
    if (run > i) {
      out->append(text.data() + i, run - i);
      budget -= run - i;
      i = run;
      continue;
    }
    if (budget == 0) return false;
    const size_t n = ValidSequenceLength(text.substr(i));
    const std::string_view piece = n == 0 ? kReplacement : text.substr(i, n);
    if (piece.size() > budget) return false;
    out->append(piece);
    budget -= piece.size();
    i += n == 0 ? 1 : n;
  }
  return true;
}

std::string Utf8Truncate(std::string_view text, size_t max_bytes) {
  std::string out;
  (void)AppendUtf8Truncated(&out, text, max_bytes);
  return out;
}

std::string_view Utf8Prefix(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t cut = max_bytes;
  // text[cut] is the first byte left out: while it continues a code point, the code point
  // started inside the prefix and must go too.
  for (int k = 0; k < 3 && cut > 0 && (static_cast<uint8_t>(text[cut]) & 0xC0) == 0x80; ++k) {
    --cut;
  }
  return text.substr(0, cut);
}

}  // namespace ringcast::util
