// Fuzzes the two small request readers of the edge endpoints: the Cookie header scan of the
// dashboard's admin token (server/dashboard.h CookieValue) and the request line of the
// metrics port (server/metrics_endpoint.h ParseRequestLine). Input: a cookie name up to the
// first NUL byte, then the header or head bytes.
// Invariants: results are views inside the input; a cookie value never holds ';' and, when
// found, is preceded by "name="; a parsed method has no space, a path no space or '?'.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/dashboard.h"
#include "server/metrics_endpoint.h"

namespace {
bool Inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}
void Check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Copy into its own heap block so ASan catches a read past the end.
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t nul = input.find('\0');
  std::string name = nul == std::string::npos ? "ringcast_admin" : input.substr(0, nul);
  std::string body = nul == std::string::npos ? input : input.substr(nul + 1);
  std::string_view header(body);

  if (!name.empty()) {
    std::string_view v = ringcast::server::CookieValue(header, name);
    Check(Inside(v, header));
    Check(v.find(';') == std::string_view::npos);
    if (!v.empty()) {
      size_t at = static_cast<size_t>(v.data() - header.data());
      Check(at >= name.size() + 1 && header[at - 1] == '=');
      Check(header.substr(at - 1 - name.size(), name.size()) == name);
    }
  }

  std::string_view method;
  std::string_view path;
  if (ringcast::server::ParseRequestLine(header, &method, &path)) {
    Check(Inside(method, header) && Inside(path, header));
    Check(method.find(' ') == std::string_view::npos);
    Check(path.find(' ') == std::string_view::npos && path.find('?') == std::string_view::npos);
  }
  return 0;
}
