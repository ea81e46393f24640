// Query strings and paths: percent-decoding (RFC 3986 section 2.1), the
// application/x-www-form-urlencoded key/value split, and path segments.
//
// Pure functions, any thread. Decoding writes into caller-owned strings; decoded bytes may be
// anything (NUL, invalid UTF-8): checking them is the caller's job. A malformed escape ('%' not
// followed by two hex digits) is an error, never passed through.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "util/query_param.h"

namespace ringcast::http {

// Replaces *out with `in` percent-decoded; with plus_as_space, '+' becomes ' ' ("%2B" is always
// '+'). Returns false, leaving *out empty, on a bad escape.
[[nodiscard]] bool PercentDecode(std::string_view in, std::string* out, bool plus_as_space);

using util::QueryParam;

// Replaces *out with the parameters of `raw` (the text after '?'), in order: split on '&', empty
// pieces skipped, a piece without '=' has an empty value, keys and values percent-decoded (with
// '+' as space when plus_as_space). Returns false, leaving *out empty, on a bad escape.
// The Pusher REST API decodes without plus_as_space: the pusher npm SDK signs raw values and puts
// them in the URL unescaped, so a '+' there is a plus.
[[nodiscard]] bool ParseQuery(std::string_view raw, std::vector<QueryParam>* out,
                              bool plus_as_space);

// The index-th segment of `path`, the text between two '/' (or after the last one):
// PathSegment("/apps/42/events", 1) == "42". A leading '/' is skipped; an empty view when the
// path has no such segment (and for an empty segment, as in "/a//b" index 1).
std::string_view PathSegment(std::string_view path, size_t index);

}  // namespace ringcast::http
