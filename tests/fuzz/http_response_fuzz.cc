// libFuzzer target for the outbound HTTP client's parsers: http::ResponseReader (the webhook
// client's and ringcast-bench's response reader) and http::ParseHttpUrl (webhook target URLs).
//
// Input: byte 0 the number of split points (0-7), then two bytes per split point, then the
// stream. The reader runs over the stream whole, split at the chosen points (each chunk in its
// own heap block, so ASan catches a view kept across Feed calls), and byte by byte when short;
// the transcripts (state, bytes consumed, status, kept body, closes) must be identical, and
// Feed never consumes more than it was given. The stream is also parsed as a URL: an accepted
// one has a host, a port above 0, a target starting with '/', and re-parses to itself from its
// own parts. Any violation traps.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/response_reader.h"
#include "http/url.h"

namespace {

using ringcast::http::HttpUrl;
using ringcast::http::ParseHttpUrl;
using ringcast::http::ResponseReader;

#define FUZZ_CHECK(cond)           \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

// Feeds `stream` cut at `cuts`; returns a transcript of the outcome.
std::string Run(std::string_view stream, const std::vector<size_t>& cuts) {
  ResponseReader r;
  size_t from = 0;
  size_t consumed = 0;
  ResponseReader::State state = ResponseReader::State::kNeedMore;
  std::vector<size_t> ends = cuts;
  ends.push_back(stream.size());
  for (size_t end : ends) {
    if (end < from) continue;
    size_t len = end - from;
    std::unique_ptr<char[]> chunk(new char[len + 1]);
    std::copy(stream.data() + from, stream.data() + end, chunk.get());
    ResponseReader::Result res = r.Feed(chunk.get(), len);
    FUZZ_CHECK(res.consumed <= len);
    consumed += res.consumed;
    state = res.state;
    from = end;
    if (state != ResponseReader::State::kNeedMore) break;
  }
  std::string t = std::to_string(static_cast<int>(state)) + "/" + std::to_string(consumed);
  if (state == ResponseReader::State::kDone) {
    t += "/" + std::to_string(r.status()) + "/" + (r.closes() ? "c" : "k") + "/" +
         std::string(r.body());
    FUZZ_CHECK(r.body().size() <= ResponseReader::kMaxKeptBody);
  }
  return t;
}

void CheckUrl(std::string_view text) {
  HttpUrl u;
  if (!ParseHttpUrl(text, &u).empty()) return;
  FUZZ_CHECK(!u.host.empty());
  FUZZ_CHECK(u.port > 0);
  FUZZ_CHECK(!u.target.empty() && u.target[0] == '/');
  std::string again = std::string(u.tls ? "https://" : "http://") +
                      (u.ipv6 ? "[" + u.host + "]" : u.host) + ":" + std::to_string(u.port) +
                      u.target;
  HttpUrl v;
  FUZZ_CHECK(ParseHttpUrl(again, &v).empty());
  FUZZ_CHECK(v.host == u.host && v.port == u.port && v.target == u.target && v.tls == u.tls);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t n = data[0] % 8;
  if (size < 1 + 2 * n) return 0;
  std::string_view stream(reinterpret_cast<const char*>(data) + 1 + 2 * n, size - 1 - 2 * n);
  std::vector<size_t> cuts;
  for (size_t i = 0; i < n; ++i) {
    size_t c = (static_cast<size_t>(data[1 + 2 * i]) << 8) | data[2 + 2 * i];
    cuts.push_back(stream.empty() ? 0 : c % (stream.size() + 1));
  }
  std::sort(cuts.begin(), cuts.end());
  std::string whole = Run(stream, {});
  FUZZ_CHECK(Run(stream, cuts) == whole);
  if (stream.size() <= 256) {
    std::vector<size_t> every;
    for (size_t i = 1; i < stream.size(); ++i) every.push_back(i);
    FUZZ_CHECK(Run(stream, every) == whole);
  }
  CheckUrl(stream);
  return 0;
}
