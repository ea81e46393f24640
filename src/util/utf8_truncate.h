// Cutting strings that end up in frames and JSON (error messages, echoed channel, event and app
// names, close reasons) so that the result is always valid UTF-8.
//
// Pure functions, any thread. A byte cut (`s.substr(0, n)`) can split a multi-byte code point,
// and echoed names may not be UTF-8 at all (a percent-decoded URL path is any bytes): a client
// that parses JSON strictly then rejects the whole message. These helpers never split a code
// point, replace each byte that is not part of a valid sequence (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF) with U+FFFD, and never write more than `max_bytes`.
// Valid UTF-8 that fits is copied unchanged.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ringcast::util {

// Appends to *out the longest valid UTF-8 rendering of a prefix of `text` that fits in
// `max_bytes` bytes (invalid bytes as U+FFFD, 3 bytes each). Returns true when all of `text`
// was rendered, false when it was cut.
bool AppendUtf8Truncated(std::string* out, std::string_view text, size_t max_bytes);

// The same, as a new string.
std::string Utf8Truncate(std::string_view text, size_t max_bytes);

// The longest prefix of `text`, at most `max_bytes` long, that does not end inside a code
// point: for text already known to be valid UTF-8 (a validated WebSocket text message), where
// a view is enough. It backs off over at most three continuation bytes.
std::string_view Utf8Prefix(std::string_view text, size_t max_bytes);

}  // namespace ringcast::util
