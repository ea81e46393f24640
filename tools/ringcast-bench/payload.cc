// Payload implementation: writing "rb1.<publisher>.<channel>.<sequence>.<send ns>." padded
// with 'x', and parsing it back with std::from_chars. Pure functions, any thread; Append only
// grows the caller's string.
#include "ringcast-bench/payload.h"

#include <charconv>

namespace ringcast::bench {
namespace {

constexpr std::string_view kMagic = "rb1.";

void AppendNumber(std::string* out, uint64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, res.ptr);
  out->push_back('.');
}

// Reads digits up to the next '.', which it consumes.
bool ReadNumber(std::string_view* in, uint64_t* out) {
  const char* begin = in->data();
  const char* end = begin + in->size();
  auto res = std::from_chars(begin, end, *out);
  if (res.ec != std::errc() || res.ptr == end || *res.ptr != '.') return false;
  in->remove_prefix(static_cast<size_t>(res.ptr - begin) + 1);
  return true;
}

}  // namespace

void AppendPayload(std::string* out, const PayloadHeader& h, uint32_t total_bytes) {
  size_t start = out->size();
  out->append(kMagic);
  AppendNumber(out, h.publisher);
  AppendNumber(out, h.channel);
  AppendNumber(out, h.sequence);
  AppendNumber(out, h.sent_ns);
  size_t written = out->size() - start;
  if (written < total_bytes) out->append(total_bytes - written, 'x');
}

bool ParsePayload(std::string_view data, PayloadHeader* out) {
  if (data.substr(0, kMagic.size()) != kMagic) return false;
  data.remove_prefix(kMagic.size());
  uint64_t publisher, channel;
  if (!ReadNumber(&data, &publisher) || !ReadNumber(&data, &channel) ||
      !ReadNumber(&data, &out->sequence) || !ReadNumber(&data, &out->sent_ns)) {
    return false;
  }
  if (publisher > UINT32_MAX || channel > UINT32_MAX) return false;
  out->publisher = static_cast<uint32_t>(publisher);
  out->channel = static_cast<uint32_t>(channel);
  return true;
}

}  // namespace ringcast::bench
