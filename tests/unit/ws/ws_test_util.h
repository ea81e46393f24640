// Test helpers for src/ws: an events recorder, a runner that feeds a client byte stream to a
// FrameParser in chosen chunks (each chunk in its own heap block, so a view that outlives its
// chunk shows up under ASan), and builders for raw client frames.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "ws/frame_encoder.h"
#include "ws/frame_parser.h"

namespace ringcast::ws::wstest {

struct Event {
  enum Kind { kMessage, kPing, kPong, kClose };
  Kind kind;
  int value;  // opcode for kMessage, close code for kClose, else 0
  std::string payload;

  bool operator==(const Event&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Event& e) {
  static constexpr const char* kNames[] = {"Message", "Ping", "Pong", "Close"};
  os << kNames[e.kind] << "(" << e.value << ", " << e.payload.size() << " bytes";
  if (e.payload.size() <= 24) {
    os << " \"";
    for (unsigned char c : e.payload) {
      if (c >= 0x20 && c < 0x7f) {
        os << c;
      } else {
        static constexpr char kHex[] = "0123456789abcdef";
        os << "\\x" << kHex[c >> 4] << kHex[c & 15];
      }
    }
    os << "\"";
  }
  return os << ")";
}

struct Outcome {
  std::vector<Event> events;
  uint16_t fail_code = 0;

  bool operator==(const Outcome&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << "{events: [";
  for (size_t i = 0; i < o.events.size(); ++i) os << (i ? ", " : "") << o.events[i];
  return os << "], fail: " << o.fail_code << "}";
}

class Recorder : public FrameEvents {
 public:
  bool OnMessage(Opcode op, std::string_view payload) override {
    last_payload = payload;
    events.push_back({Event::kMessage, static_cast<int>(op), std::string(payload)});
    return Continue();
  }
  bool OnPing(std::string_view payload) override {
    last_payload = payload;
    events.push_back({Event::kPing, 0, std::string(payload)});
    return Continue();
  }
  bool OnPong(std::string_view payload) override {
    last_payload = payload;
    events.push_back({Event::kPong, 0, std::string(payload)});
    return Continue();
  }
  bool OnClose(uint16_t code, std::string_view reason) override {
    last_payload = reason;
    events.push_back({Event::kClose, code, std::string(reason)});
    return true;
  }

  std::vector<Event> events;
  std::string_view last_payload;  // dangling after the callback; compare addresses only
  int stop_after = -1;            // return false from the Nth event (1-based); -1 never

 private:
  bool Continue() { return stop_after < 0 || static_cast<int>(events.size()) < stop_after; }
};

// Feeds `stream` cut before each offset in `cuts` (ascending; out-of-range cuts ignored) until
// the parser fails, delivers a close, or the input ends.
inline Outcome RunParser(std::string_view stream, const FrameLimits& limits,
                         const std::vector<size_t>& cuts) {
  FrameParser parser(limits);
  Recorder rec;
  Outcome out;
  size_t begin = 0;
  size_t next_cut = 0;
  while (begin < stream.size()) {
    size_t end = stream.size();
    while (next_cut < cuts.size() && cuts[next_cut] <= begin) ++next_cut;
    if (next_cut < cuts.size() && cuts[next_cut] < end) end = cuts[next_cut];
    const size_t n = end - begin;
    auto chunk = std::make_unique<char[]>(n);
    std::memcpy(chunk.get(), stream.data() + begin, n);
    const ConsumeResult r = parser.Consume(chunk.get(), n, rec);
    if (r.fail_code != 0) {
      out.fail_code = r.fail_code;
      break;
    }
    if (parser.Finished() || r.consumed != n) break;
    begin = end;
  }
  out.events = std::move(rec.events);
  return out;
}

inline Outcome RunWhole(std::string_view stream, const FrameLimits& limits = {}) {
  return RunParser(stream, limits, {});
}

inline Outcome RunByteByByte(std::string_view stream, const FrameLimits& limits = {}) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < stream.size(); ++i) cuts.push_back(i);
  return RunParser(stream, limits, cuts);
}

// Client frame builders.
inline std::string Masked(Opcode op, std::string_view payload, bool fin = true,
                          uint32_t key = 0x37fa213d) {
  std::string out;
  AppendMaskedFrame(&out, op, payload, key, fin);
  return out;
}

inline std::string MaskedRaw(uint8_t first_byte, std::string_view payload,
                             uint32_t key = 0x0badf00d) {
  std::string out;
  AppendMaskedFrame(&out, first_byte, payload, key);
  return out;
}

// A masked frame whose length field is given verbatim (7-bit value plus extended bytes), for
// non-minimal and out-of-range encodings. `payload` is written as is after masking.
inline std::string MaskedWithLengthField(uint8_t first_byte, uint8_t len7, std::string_view ext_len,
                                         std::string_view payload, uint32_t key = 0x01020304) {
  std::string out;
  out.push_back(static_cast<char>(first_byte));
  out.push_back(static_cast<char>(0x80 | len7));
  out.append(ext_len);
  const char k[4] = {static_cast<char>(key >> 24), static_cast<char>(key >> 16),
                     static_cast<char>(key >> 8), static_cast<char>(key)};
  out.append(k, 4);
  for (size_t i = 0; i < payload.size(); ++i)
    out.push_back(static_cast<char>(payload[i] ^ k[i & 3]));
  return out;
}

inline std::string ClosePayload(uint16_t code, std::string_view reason = {}) {
  std::string p;
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xff));
  p.append(reason);
  return p;
}

inline Event Msg(Opcode op, std::string_view payload) {
  return {Event::kMessage, static_cast<int>(op), std::string(payload)};
}
inline Event Text(std::string_view payload) { return Msg(Opcode::kText, payload); }
inline Event Binary(std::string_view payload) { return Msg(Opcode::kBinary, payload); }
inline Event Ping(std::string_view payload) { return {Event::kPing, 0, std::string(payload)}; }
inline Event Pong(std::string_view payload) { return {Event::kPong, 0, std::string(payload)}; }
inline Event Close(int code, std::string_view reason = {}) {
  return {Event::kClose, code, std::string(reason)};
}

}  // namespace ringcast::ws::wstest
