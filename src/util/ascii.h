// ASCII text helpers for the protocol parsers: case folding, hex digits, optional whitespace and
// comma-separated lists (RFC 9110 section 5.6), as HTTP, the WebSocket handshake and the REST
// signature check all need them.
//
// Header-only, constexpr, no state, any thread. Only ASCII letters fold ('É' is not 'é'); bytes
// >= 0x80 compare as themselves. The one implementation of each: src/http, src/ws and src/auth
// are leaves that may not include each other, so what they share lives here.
#pragma once

#include <cstddef>
#include <string_view>

namespace ringcast::util {

constexpr char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// True when `a` and `b` are equal ignoring ASCII case.
constexpr bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

// The value of a hex digit (either case), or -1 when `c` is not one.
constexpr int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// OWS / BWS: space or horizontal tab.
constexpr bool IsOws(char c) { return c == ' ' || c == '\t'; }

// `s` without leading and trailing OWS.
constexpr std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}

// Calls fn(element) for each non-empty element of a comma-separated list, OWS trimmed. Empty
// elements ("a, ,b") are skipped, as RFC 9110 section 5.6.1 asks of recipients.
template <typename Fn>
constexpr void ForEachListElement(std::string_view list, Fn&& fn) {
  while (true) {
    const size_t comma = list.find(',');
    const std::string_view element = TrimOws(list.substr(0, comma));
    if (!element.empty()) fn(element);
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace ringcast::util
