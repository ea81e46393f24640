// libFuzzer target: the SSE request parsing (protocols/sse/sse_request.h): the query of
// GET /sse/{key} and the resume token, as SseSession::Start uses them. Checks: no crash or
// sanitizer report; every channel non-empty and unique, at most the cap; a parsed token has
// exactly the asked number of positions and round-trips through AppendEventId.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/sse/sse_request.h"

using ringcast::protocols::sse::AppendEventId;
using ringcast::protocols::sse::ParseEventId;
using ringcast::protocols::sse::ParseSseQuery;
using ringcast::protocols::sse::SsePosition;
using ringcast::protocols::sse::SseRequest;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t split = in.find('\n');
  std::string_view query = in.substr(0, split);
  std::string_view id = split == std::string_view::npos ? std::string_view() : in.substr(split + 1);
  SseRequest req;
  if (ParseSseQuery(query, 8, &req) == nullptr) {
    if (req.channels.empty() || req.channels.size() > 8) std::abort();
    for (size_t i = 0; i < req.channels.size(); ++i) {
      if (req.channels[i].empty()) std::abort();
      for (size_t j = 0; j < i; ++j) {
        if (req.channels[i] == req.channels[j]) std::abort();
      }
    }
  }
  for (size_t n = 1; n <= 3; ++n) {
    std::vector<SsePosition> pos;
    if (!ParseEventId(id, n, &pos)) {
      if (!pos.empty()) std::abort();
      continue;
    }
    if (pos.size() != n) std::abort();
    std::string again;
    AppendEventId(&again, pos);
    std::vector<SsePosition> back;
    if (!ParseEventId(again, n, &back) || back != pos) std::abort();
  }
  return 0;
}
