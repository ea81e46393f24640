// Lexical pieces of HTTP/1.1 (RFC 9110 section 5.6): character classes and list splitting.
//
// Header-only, constexpr, no state: shared by the request parser, the body reader and the
// header lookups so that all of them agree on what a token, whitespace or a list element is.
// Internal to src/http/; nothing outside this folder should include it.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace ringcast::http {

namespace syntax_internal {
constexpr std::array<bool, 256> MakeTcharTable() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
inline constexpr std::array<bool, 256> kTchar = MakeTcharTable();
}  // namespace syntax_internal

// tchar: the characters of a token (method, header name, transfer coding).
constexpr bool IsTchar(char c) { return syntax_internal::kTchar[static_cast<unsigned char>(c)]; }

// OWS / BWS: space or horizontal tab.
constexpr bool IsOws(char c) { return c == ' ' || c == '\t'; }

// A byte allowed in a header field value: VCHAR, obs-text, SP, HTAB. Rejects NUL, CR, LF, the
// other CTLs and DEL.
constexpr bool IsFieldValueChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}

constexpr char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

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

}  // namespace ringcast::http
