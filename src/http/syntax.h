// Lexical pieces of HTTP/1.1 (RFC 9110 section 5.6): character classes and list splitting.
//
// Header-only, constexpr, no state: shared by the request parser, the body reader and the
// header lookups so that all of them agree on what a token, whitespace or a list element is.
// Whitespace, case folding and list splitting come from util/ascii.h (src/ws parses the same
// header syntax). Internal to src/http/; nothing outside this folder should include it.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "util/ascii.h"

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

// A byte allowed in a header field value: VCHAR, obs-text, SP, HTAB. Rejects NUL, CR, LF, the
// other CTLs and DEL.
constexpr bool IsFieldValueChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}

// The shared ASCII helpers (util/ascii.h) under the names this folder's code uses.
using util::EqualsIgnoreCase;
using util::ForEachListElement;
using util::HexDigitValue;
using util::IsOws;
using util::TrimOws;

}  // namespace ringcast::http
