// libFuzzer target for the HTTP/1.1 request layer: RequestParser + BodyReader run as a
// connection's read loop would run them (parse a head, read its body, go on with the rest).
//
// Input: byte 0 picks the limits, byte 1 the number of split points (0-7), then two bytes per
// split point, then the stream. The stream is run whole, split at the chosen points, and (when
// short) byte by byte; the three transcripts must be identical. Each run also checks invariants:
// head_size within the buffer and the limit, every view inside the head bytes, a head re-parsed
// from exactly its own bytes gives the same result, the body reader consuming every byte it was
// given when it needs more (and then being owed bytes) and never more than it was given, and
// stopping exactly at Content-Length. Any violation traps.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/body_reader.h"
#include "http/request_parser.h"

namespace {

using ringcast::http::BodyReader;
using ringcast::http::Header;
using ringcast::http::Limits;
using ringcast::http::ParseState;
using ringcast::http::RequestHead;
using ringcast::http::RequestParser;

#define FUZZ_CHECK(cond)           \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

void Append(std::string* s, std::string_view v) {
  s->append(std::to_string(v.size()));
  s->push_back(':');
  s->append(v);
}

std::string Describe(const RequestHead& h) {
  std::string s;
  s += std::to_string(static_cast<int>(h.method));
  Append(&s, h.method_name);
  Append(&s, h.target);
  Append(&s, h.path);
  Append(&s, h.query);
  s += std::to_string(h.version_minor);
  for (const Header& hd : h.header_list()) {
    Append(&s, hd.name);
    Append(&s, hd.value);
  }
  s += "cl" + std::to_string(h.content_length) + (h.chunked ? "C" : "c") +
       (h.keep_alive ? "K" : "k") + (h.upgrade ? "U" : "u");
  return s;
}

bool Inside(std::string_view view, std::string_view buf) {
  if (view.empty()) return true;
  const auto v = reinterpret_cast<uintptr_t>(view.data());
  const auto b = reinterpret_cast<uintptr_t>(buf.data());
  return v >= b && v + view.size() <= b + buf.size();
}

bool IsParserStatus(int s) {
  return s == 400 || s == 411 || s == 413 || s == 431 || s == 501 || s == 505;
}

void CheckHead(const RequestHead& head, std::string_view buf, size_t head_size,
               const Limits& limits) {
  FUZZ_CHECK(head_size > 0 && head_size <= buf.size() && head_size <= limits.max_head_bytes);
  FUZZ_CHECK(buf[head_size - 1] == '\n');
  const std::string_view head_bytes = buf.substr(0, head_size);
  FUZZ_CHECK(head.header_count <= RequestHead::kMaxHeaders);
  FUZZ_CHECK(!head.method_name.empty() && Inside(head.method_name, head_bytes));
  FUZZ_CHECK(!head.target.empty() && Inside(head.target, head_bytes));
  FUZZ_CHECK(!head.path.empty() && Inside(head.path, head.target));
  FUZZ_CHECK(Inside(head.query, head.target));
  FUZZ_CHECK(head.version_minor <= 1);
  for (const Header& h : head.header_list()) {
    FUZZ_CHECK(!h.name.empty() && Inside(h.name, head_bytes) && Inside(h.value, head_bytes));
  }
  FUZZ_CHECK(head.content_length >= -1);
  FUZZ_CHECK(head.content_length <= static_cast<int64_t>(limits.max_body_bytes));
  FUZZ_CHECK(!(head.chunked && head.content_length != -1));

  // The head alone, in a fresh buffer, parses to the same head: the parser never looked past it.
  const std::string copy(head_bytes);
  RequestParser again(limits);
  RequestHead head2;
  FUZZ_CHECK(again.Parse(copy, &head2) == ParseState::kDone);
  FUZZ_CHECK(again.head_size() == head_size);
  FUZZ_CHECK(Describe(head2) == Describe(head));
}

// Runs the stream, delivered as `pieces`, through a connection's read loop; returns everything
// it saw.
std::string Run(const std::vector<std::string_view>& pieces, const Limits& limits) {
  std::string transcript;
  std::string pending;  // received, not yet consumed
  size_t next = 0;
  RequestParser parser(limits);
  BodyReader reader;
  RequestHead head;
  std::string body;
  bool in_body = false;
  while (true) {
    if (!in_body) {
      const ParseState st = parser.Parse(pending, &head);
      if (st == ParseState::kNeedMore) {
        FUZZ_CHECK(pending.size() <= limits.max_head_bytes);
        if (next == pieces.size()) return transcript + "|need-head";
        pending.append(pieces[next++]);
        continue;
      }
      if (st == ParseState::kError) {
        FUZZ_CHECK(IsParserStatus(parser.error_status()) && !parser.error_message().empty());
        return transcript + "|head-error " + std::to_string(parser.error_status()) + " " +
               std::string(parser.error_message());
      }
      FUZZ_CHECK(parser.error_status() == 0);
      CheckHead(head, pending, parser.head_size(), limits);
      transcript += "|head " + Describe(head);
      reader.Start(head, limits);
      pending.erase(0, parser.head_size());
      body.clear();
      in_body = true;
    }
    size_t consumed = SIZE_MAX;
    const ParseState st = reader.Feed(pending, &consumed, &body);
    FUZZ_CHECK(consumed <= pending.size());
    FUZZ_CHECK(body.size() == reader.body_bytes() && body.size() <= limits.max_body_bytes);
    pending.erase(0, consumed);
    if (st == ParseState::kNeedMore) {
      FUZZ_CHECK(pending.empty());
      FUZZ_CHECK(head.chunked || static_cast<int64_t>(body.size()) < head.content_length);
      if (next == pieces.size()) return transcript + "|need-body " + body;
      pending.append(pieces[next++]);
      continue;
    }
    if (st == ParseState::kError) {
      const int s = reader.error_status();
      FUZZ_CHECK((s == 400 || s == 413 || s == 431) && !reader.error_message().empty());
      return transcript + "|body-error " + std::to_string(s) + " " +
             std::string(reader.error_message()) + " after " + body;
    }
    if (!head.chunked) {
      FUZZ_CHECK(static_cast<int64_t>(body.size()) == std::max<int64_t>(head.content_length, 0));
    }
    transcript += "|body " + body;
    in_body = false;
    parser.Reset();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  Limits limits;
  // Low nibble: head limit (0 = default 16384, else 32..480); bits 4-5: body limit.
  if ((data[0] & 0x0f) != 0) limits.max_head_bytes = (data[0] & 0x0f) * 32u;
  constexpr size_t kBodyLimits[] = {1 << 20, 8, 64, 512};
  limits.max_body_bytes = kBodyLimits[(data[0] >> 4) & 3];
  const size_t cuts = data[1] % 8;
  if (size < 2 + 2 * cuts) return 0;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 2 + 2 * cuts,
                                size - 2 - 2 * cuts);

  std::vector<size_t> points;
  for (size_t i = 0; i < cuts; ++i) {
    const size_t raw = data[2 + 2 * i] | (static_cast<size_t>(data[3 + 2 * i]) << 8);
    points.push_back(raw % (stream.size() + 1));
  }
  std::sort(points.begin(), points.end());
  std::vector<std::string_view> split;
  size_t from = 0;
  for (size_t p : points) {
    split.push_back(stream.substr(from, p - from));
    from = p;
  }
  split.push_back(stream.substr(from));

  const std::string whole = Run({stream}, limits);
  FUZZ_CHECK(Run(split, limits) == whole);
  if (stream.size() <= 2048) {
    std::vector<std::string_view> bytes;
    for (size_t i = 0; i < stream.size(); ++i) bytes.push_back(stream.substr(i, 1));
    FUZZ_CHECK(Run(bytes, limits) == whole);
  }
  return 0;
}
