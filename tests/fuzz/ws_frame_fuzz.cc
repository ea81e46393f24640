// libFuzzer target for ws::FrameParser: split invariance and output invariants.
//
// Input layout: byte 0 picks the limits (bits 0-1 max_message_bytes, bit 2 max_fragments,
// bit 3 validate_utf8); byte 1 is the number of split points (mod 16); then two bytes per split
// point (little-endian offsets into the stream, taken mod its size); the rest is the client
// byte stream. The stream is fed whole to one parser and in the chosen chunks (each chunk in its
// own heap block, so a view that outlives its chunk is caught by ASan) to another; any
// difference in events or failure code traps. Also traps on: a delivered text message that is
// not UTF-8 while validation is on, a message over the limit, a fail code outside
// {1002, 1007, 1009, 1011}, or consumed > len.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ws/frame_parser.h"
#include "ws/utf8.h"

namespace {

using ringcast::ws::ConsumeResult;
using ringcast::ws::FrameEvents;
using ringcast::ws::FrameLimits;
using ringcast::ws::FrameParser;
using ringcast::ws::Opcode;

struct Recorder : FrameEvents {
  explicit Recorder(const FrameLimits& l) : limits(l) {}
  bool OnMessage(Opcode op, std::string_view payload) override {
    if (op != Opcode::kText && op != Opcode::kBinary) __builtin_trap();
    if (payload.size() > limits.max_message_bytes) __builtin_trap();
    if (op == Opcode::kText && limits.validate_utf8 && !ringcast::ws::IsValidUtf8(payload)) {
      __builtin_trap();
    }
    Add(static_cast<char>(op), payload);
    return true;
  }
  bool OnPing(std::string_view payload) override { return Control('P', payload); }
  bool OnPong(std::string_view payload) override { return Control('Q', payload); }
  bool OnClose(uint16_t code, std::string_view reason) override {
    if (reason.size() > 123) __builtin_trap();
    if (code != 1005 && !ringcast::ws::IsValidWireCloseCode(code)) __builtin_trap();
    Add('C', reason);
    log.push_back(static_cast<char>(code >> 8));
    log.push_back(static_cast<char>(code));
    return true;
  }
  bool Control(char tag, std::string_view payload) {
    if (payload.size() > 125) __builtin_trap();
    Add(tag, payload);
    return true;
  }
  void Add(char tag, std::string_view payload) {
    log.push_back(tag);
    const uint32_t n = static_cast<uint32_t>(payload.size());
    log.append(reinterpret_cast<const char*>(&n), sizeof(n));
    log.append(payload);
  }

  const FrameLimits& limits;
  std::string log;
};

uint16_t Run(const FrameLimits& limits, const uint8_t* stream, size_t size,
             const std::vector<size_t>& cuts, std::string* log) {
  FrameParser parser(limits);
  Recorder rec(limits);
  uint16_t fail = 0;
  size_t begin = 0;
  size_t next = 0;
  while (begin < size) {
    size_t end = size;
    while (next < cuts.size() && cuts[next] <= begin) ++next;
    if (next < cuts.size() && cuts[next] < end) end = cuts[next];
    const size_t n = end - begin;
    auto chunk = std::make_unique<char[]>(n);
    std::memcpy(chunk.get(), stream + begin, n);
    const ConsumeResult r = parser.Consume(chunk.get(), n, rec);
    if (r.consumed > n) __builtin_trap();
    if (r.fail_code != 0) {
      if (r.fail_code != 1002 && r.fail_code != 1007 && r.fail_code != 1009 &&
          r.fail_code != 1011) {
        __builtin_trap();
      }
      if (!parser.Finished()) __builtin_trap();
      fail = r.fail_code;
      break;
    }
    if (parser.Finished()) break;           // close delivered
    if (r.consumed != n) __builtin_trap();  // the recorder never stops
    begin = end;
  }
  *log = std::move(rec.log);
  return fail;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  FrameLimits limits;
  static constexpr size_t kMaxMessage[] = {0, 125, 1000, 1 << 20};
  limits.max_message_bytes = kMaxMessage[data[0] & 3];
  limits.max_fragments = (data[0] & 4) ? 3 : 1024;
  limits.validate_utf8 = (data[0] & 8) == 0;
  const size_t splits = data[1] % 16;
  size_t offset = 2;
  std::vector<uint16_t> raw_cuts;
  for (size_t i = 0; i < splits && offset + 2 <= size; ++i, offset += 2) {
    raw_cuts.push_back(static_cast<uint16_t>(data[offset] | (data[offset + 1] << 8)));
  }
  const uint8_t* stream = data + offset;
  const size_t stream_size = size - offset;
  std::vector<size_t> cuts;
  if (stream_size > 1) {
    for (uint16_t c : raw_cuts) cuts.push_back(1 + c % (stream_size - 1));
    std::sort(cuts.begin(), cuts.end());
  }
  std::string whole_log;
  std::string split_log;
  const uint16_t whole = Run(limits, stream, stream_size, {}, &whole_log);
  const uint16_t split = Run(limits, stream, stream_size, cuts, &split_log);
  if (whole != split || whole_log != split_log) __builtin_trap();
  return 0;
}
