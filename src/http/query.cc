// Percent-decoding, query splitting and path segments (contract in query.h). Decoding is a single
// pass with one reserve per output string; nothing here keeps state between calls.

#include "http/query.h"

#include "util/ascii.h"

namespace ringcast::http {

bool PercentDecode(std::string_view in, std::string* out, bool plus_as_space) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      const int hi = i + 2 < in.size() ? util::HexDigitValue(in[i + 1]) : -1;
      const int lo = hi >= 0 ? util::HexDigitValue(in[i + 2]) : -1;
      if (lo < 0) {
        out->clear();
        return false;
      }
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

bool ParseQuery(std::string_view raw, std::vector<QueryParam>* out, bool plus_as_space) {
  out->clear();
  while (!raw.empty()) {
    const size_t amp = raw.find('&');
    const std::string_view piece = raw.substr(0, amp);
    raw.remove_prefix(amp == std::string_view::npos ? raw.size() : amp + 1);
    if (piece.empty()) continue;
    const size_t eq = piece.find('=');
    QueryParam& param = out->emplace_back();
    const bool ok = PercentDecode(piece.substr(0, eq), &param.key, plus_as_space) &&
                    (eq == std::string_view::npos ||
                     PercentDecode(piece.substr(eq + 1), &param.value, plus_as_space));
    if (!ok) {
      out->clear();
      return false;
    }
  }
  return true;
}

std::string_view PathSegment(std::string_view path, size_t index) {
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  for (size_t i = 0;; ++i) {
    const size_t slash = path.find('/');
    if (i == index) return path.substr(0, slash);
    if (slash == std::string_view::npos) return {};
    path.remove_prefix(slash + 1);
  }
}

}  // namespace ringcast::http
