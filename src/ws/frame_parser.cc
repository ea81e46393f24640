// Frame parser state machine (see frame_parser.h for the contract).
//
//   kHeader --(2 bytes: RSV, opcode, mask, control and fragmentation rules)--
//           --(whole header: length encoding, 1009 size and fragment limits)--> kPayload
//   kPayload --(last payload byte; at once for an empty payload)--> deliver --> kHeader
//   any failure, or a delivered close --> kDead
//
// Where the open message's bytes live: while it began in this chunk and nothing is buffered,
// they stay in `data` (a Run): each fragment's payload is unmasked in place and moved left so
// that it follows the previous fragment (the header bytes in between are already parsed), and
// the message is delivered as a view into `data`. A message still open when the chunk ends is
// copied to msg_buf_, and its later bytes are appended there. A control frame split across
// chunks collects in ctrl_buf_. Checks run as soon as the bytes that decide them are known, the
// same way for every split, so every split yields the same events and the same failure.
#include "ws/frame_parser.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <utility>

#include "ws/mask.h"

namespace ringcast::ws {
namespace {

constexpr uint8_t kFinBit = 0x80;
constexpr uint8_t kRsvBits = 0x70;
constexpr uint8_t kOpcodeBits = 0x0F;
constexpr uint8_t kMaskBit = 0x80;
constexpr uint8_t kLen7Bits = 0x7F;
constexpr size_t kControlBufferBytes = 125;
constexpr uint32_t kMinMessageBuffer = 128;

constexpr bool IsControl(unsigned op) { return (op & 0x8) != 0; }

// Header size implied by the second byte (mask bit and 7-bit length).
constexpr size_t HeaderSize(uint8_t b1) {
  size_t n = (b1 & kMaskBit) ? 6 : 2;
  const uint8_t len7 = b1 & kLen7Bits;
  if (len7 == 126) n += 2;
  if (len7 == 127) n += 8;
  return n;
}

uint32_t Clamp32(size_t v) {
  return static_cast<uint32_t>(std::min<size_t>(v, std::numeric_limits<uint32_t>::max()));
}

}  // namespace

bool IsValidWireCloseCode(uint16_t code) {
  if (code >= 1000 && code <= 1014) return code != 1004 && code != 1005 && code != 1006;
  return code >= 3000 && code <= 4999;
}

FrameParser::FrameParser(const FrameLimits& limits)
    : max_message_(Clamp32(limits.max_message_bytes)),
      max_fragments_(Clamp32(limits.max_fragments)),
      validate_utf8_(limits.validate_utf8 ? 1 : 0) {}

FrameParser::~FrameParser() { Destroy(); }

FrameParser::FrameParser(FrameParser&& other) noexcept
    : max_message_(other.max_message_), max_fragments_(other.max_fragments_) {
  *this = std::move(other);
}

FrameParser& FrameParser::operator=(FrameParser&& other) noexcept {
  if (this == &other) return *this;
  Destroy();
  msg_buf_ = std::exchange(other.msg_buf_, nullptr);
  ctrl_buf_ = std::exchange(other.ctrl_buf_, nullptr);
  msg_len_ = other.msg_len_;
  msg_cap_ = other.msg_cap_;
  frame_left_ = other.frame_left_;
  mask_ = other.mask_;
  max_message_ = other.max_message_;
  max_fragments_ = other.max_fragments_;
  fragments_ = other.fragments_;
  std::memcpy(hdr_, other.hdr_, sizeof(hdr_));
  hdr_len_ = other.hdr_len_;
  ctrl_len_ = other.ctrl_len_;
  utf8_ = other.utf8_;
  state_ = other.state_;
  validate_utf8_ = other.validate_utf8_;
  frame_fin_ = other.frame_fin_;
  frame_op_ = other.frame_op_;
  msg_op_ = other.msg_op_;
  other.Reset();
  return *this;
}

void FrameParser::Destroy() {
  std::free(msg_buf_);
  std::free(ctrl_buf_);
  msg_buf_ = nullptr;
  ctrl_buf_ = nullptr;
}

void FrameParser::Reset() {
  Destroy();
  msg_len_ = msg_cap_ = frame_left_ = mask_ = fragments_ = 0;
  hdr_len_ = ctrl_len_ = 0;
  utf8_.Reset();
  state_ = kHeader;
  frame_fin_ = 0;
  frame_op_ = 0;
  msg_op_ = 0;
}

size_t FrameParser::AllocatedBytes() const {
  return msg_cap_ + (ctrl_buf_ != nullptr ? kControlBufferBytes : 0);
}

FrameParser::Failure FrameParser::CheckFirstBytes(uint8_t b0, uint8_t b1) const {
  if (b0 & kRsvBits) return {kCloseProtocolError, "RSV bits set without a negotiated extension"};
  const unsigned op = b0 & kOpcodeBits;
  if ((op > 2 && op < 8) || op > 10) return {kCloseProtocolError, "reserved opcode"};
  if (!(b1 & kMaskBit)) return {kCloseProtocolError, "client frame not masked"};
  const unsigned len7 = b1 & kLen7Bits;
  if (IsControl(op)) {
    if (!(b0 & kFinBit)) return {kCloseProtocolError, "fragmented control frame"};
    if (len7 > 125) return {kCloseProtocolError, "control frame payload over 125 bytes"};
    if (op == 8 && len7 == 1) return {kCloseProtocolError, "close frame with a 1-byte payload"};
  } else if (op == 0) {
    if (msg_op_ == 0) return {kCloseProtocolError, "continuation frame outside a message"};
  } else if (msg_op_ != 0) {
    return {kCloseProtocolError, "data frame inside a fragmented message"};
  }
  return {};
}

FrameParser::Failure FrameParser::StartFrame(const uint8_t* h, const Run& run) {
  const uint8_t len7 = h[1] & kLen7Bits;
  const uint8_t* q = h + 2;
  uint64_t payload_len = len7;
  if (len7 == 126) {
    payload_len = (uint64_t{q[0]} << 8) | q[1];
    q += 2;
    if (payload_len < 126) return {kCloseProtocolError, "non-minimal 16-bit payload length"};
  } else if (len7 == 127) {
    payload_len = 0;
    for (int i = 0; i < 8; ++i) payload_len = (payload_len << 8) | q[i];
    q += 8;
    if (payload_len >> 63) return {kCloseProtocolError, "64-bit payload length with MSB set"};
    if (payload_len < 65536) return {kCloseProtocolError, "non-minimal 64-bit payload length"};
  }
  const unsigned op = h[0] & kOpcodeBits;
  if (!IsControl(op)) {
    if (op != 0) {  // text or binary: a new message
      msg_op_ = static_cast<uint8_t>(op);
      fragments_ = 0;
      utf8_.Reset();
    }
    if (fragments_ >= max_fragments_) {
      return {kCloseMessageTooBig, "message has too many fragments"};
    }
    ++fragments_;
    if (uint64_t{msg_len_} + run.len + payload_len > max_message_) {
      return {kCloseMessageTooBig, "message too big"};
    }
  }
  std::memcpy(&mask_, q, 4);
  frame_left_ = static_cast<uint32_t>(payload_len);  // <= 125 or <= max_message_
  frame_op_ = static_cast<uint8_t>(op & 0xF);
  frame_fin_ = (h[0] & kFinBit) ? 1 : 0;
  state_ = kPayload;
  return {};
}

bool FrameParser::EnsureMessageCapacity(uint64_t need) {
  if (need <= msg_cap_) return true;
  uint64_t cap = std::max<uint64_t>({need, uint64_t{msg_cap_} * 2, kMinMessageBuffer});
  cap = std::min<uint64_t>(cap, std::max<uint64_t>(need, max_message_));
  void* p = std::realloc(msg_buf_, cap);
  if (p == nullptr) return false;
  msg_buf_ = static_cast<char*>(p);
  msg_cap_ = static_cast<uint32_t>(cap);
  return true;
}

void FrameParser::ReleaseControlBuffer() {
  std::free(ctrl_buf_);
  ctrl_buf_ = nullptr;
  ctrl_len_ = 0;
}

// p[0, n) are payload bytes of the current frame, already unmasked.
FrameParser::Step FrameParser::AddPayload(char* p, size_t n, Run& run, FrameEvents& events,
                                          Failure* fail) {
  if (IsControl(frame_op_)) {
    if (frame_left_ == 0 && ctrl_len_ == 0) return FinishFrame(p, n, run, events, fail);
    if (ctrl_buf_ == nullptr) {
      ctrl_buf_ = static_cast<char*>(std::malloc(kControlBufferBytes));
      if (ctrl_buf_ == nullptr) {
        *fail = {kCloseInternalError, "out of memory"};
        return Step::kFail;
      }
    }
    std::memcpy(ctrl_buf_ + ctrl_len_, p, n);
    ctrl_len_ = static_cast<uint8_t>(ctrl_len_ + n);
    if (frame_left_ > 0) return Step::kContinue;
    return FinishFrame(ctrl_buf_, ctrl_len_, run, events, fail);
  }
  if (msg_op_ == static_cast<uint8_t>(Opcode::kText) && validate_utf8_ &&
      !utf8_.Feed(reinterpret_cast<const uint8_t*>(p), n)) {
    *fail = {kCloseInvalidPayload, "invalid UTF-8 in text message"};
    return Step::kFail;
  }
  if (msg_len_ == 0) {
    // The message so far lives in this chunk: keep it contiguous there.
    if (run.start == nullptr) run.start = p;
    if (run.start + run.len != p && n > 0) std::memmove(run.start + run.len, p, n);
    run.len += n;
  } else if (n > 0) {
    if (!EnsureMessageCapacity(uint64_t{msg_len_} + n + frame_left_)) {
      *fail = {kCloseInternalError, "out of memory"};
      return Step::kFail;
    }
    std::memcpy(msg_buf_ + msg_len_, p, n);
    msg_len_ += static_cast<uint32_t>(n);
  }
  if (frame_left_ > 0) return Step::kContinue;
  return FinishFrame(p, n, run, events, fail);
}

// The current frame's payload is complete; for a control frame it is p[0, n).
FrameParser::Step FrameParser::FinishFrame(char* p, size_t n, Run& run, FrameEvents& events,
                                           Failure* fail) {
  state_ = kHeader;
  if (IsControl(frame_op_)) return DeliverControl(std::string_view(p, n), events, fail);
  if (!frame_fin_) return Step::kContinue;
  return DeliverMessage(run, events, fail);
}

FrameParser::Step FrameParser::DeliverControl(std::string_view payload, FrameEvents& events,
                                              Failure* fail) {
  bool go_on = true;
  switch (static_cast<Opcode>(frame_op_)) {
    case Opcode::kPing:
      go_on = events.OnPing(payload);
      break;
    case Opcode::kPong:
      go_on = events.OnPong(payload);
      break;
    default: {  // kClose; a 1-byte payload was refused with the header
      uint16_t code = kCloseNoStatus;
      std::string_view reason;
      if (payload.size() >= 2) {
        code = static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8) |
                                     static_cast<uint8_t>(payload[1]));
        reason = payload.substr(2);
        // The reason is checked before the code, as wslay does, so both fail alike.
        if (validate_utf8_ && !IsValidUtf8(reason)) {
          *fail = {kCloseInvalidPayload, "invalid UTF-8 in close reason"};
          return Step::kFail;
        }
        if (!IsValidWireCloseCode(code)) {
          *fail = {kCloseProtocolError, "invalid close code"};
          return Step::kFail;
        }
      }
      (void)events.OnClose(code, reason);
      ReleaseControlBuffer();
      return Step::kClosed;
    }
  }
  ReleaseControlBuffer();
  return go_on ? Step::kContinue : Step::kStop;
}

FrameParser::Step FrameParser::DeliverMessage(Run& run, FrameEvents& events, Failure* fail) {
  const auto op = static_cast<Opcode>(msg_op_);
  if (op == Opcode::kText && validate_utf8_ && !utf8_.AtBoundary()) {
    *fail = {kCloseInvalidPayload, "text message ends inside a UTF-8 sequence"};
    return Step::kFail;
  }
  const std::string_view payload =
      msg_len_ > 0 ? std::string_view(msg_buf_, msg_len_) : std::string_view(run.start, run.len);
  const bool go_on = events.OnMessage(op, payload);
  msg_op_ = 0;
  msg_len_ = 0;
  fragments_ = 0;
  utf8_.Reset();
  run = Run{};
  if (msg_cap_ > kRetainedBufferBytes) {
    std::free(msg_buf_);
    msg_buf_ = nullptr;
    msg_cap_ = 0;
  }
  return go_on ? Step::kContinue : Step::kStop;
}

ConsumeResult FrameParser::Consume(char* data, size_t len, FrameEvents& events) {
  if (state_ == kDead) return {0, 0, {}};
  Run run;
  Failure fail;
  Step step = Step::kContinue;
  size_t pos = 0;
  while (pos < len && step == Step::kContinue) {
    if (state_ == kPayload) {
      const size_t n = std::min<size_t>(frame_left_, len - pos);
      char* p = data + pos;
      mask_ = ApplyMask(p, n, mask_);
      frame_left_ -= static_cast<uint32_t>(n);
      pos += n;
      step = AddPayload(p, n, run, events, &fail);
      continue;
    }
    // kHeader.
    const uint8_t* header;
    const size_t avail = len - pos;
    const auto* in = reinterpret_cast<const uint8_t*>(data + pos);
    if (hdr_len_ == 0 && avail >= 2 && avail >= HeaderSize(in[1])) {
      fail = CheckFirstBytes(in[0], in[1]);
      if (fail.code != 0) {
        pos += 2;
        step = Step::kFail;
        break;
      }
      header = in;
      pos += HeaderSize(in[1]);
    } else {
      if (hdr_len_ < 2) {
        const size_t take = std::min<size_t>(2 - hdr_len_, avail);
        std::memcpy(hdr_ + hdr_len_, in, take);
        hdr_len_ = static_cast<uint8_t>(hdr_len_ + take);
        pos += take;
        if (hdr_len_ < 2) break;
        fail = CheckFirstBytes(hdr_[0], hdr_[1]);
        if (fail.code != 0) {
          step = Step::kFail;
          break;
        }
      }
      const size_t size = HeaderSize(hdr_[1]);
      const size_t take = std::min<size_t>(size - hdr_len_, len - pos);
      std::memcpy(hdr_ + hdr_len_, data + pos, take);
      hdr_len_ = static_cast<uint8_t>(hdr_len_ + take);
      pos += take;
      if (hdr_len_ < size) break;
      hdr_len_ = 0;
      header = hdr_;
    }
    fail = StartFrame(header, run);
    if (fail.code != 0) {
      step = Step::kFail;
      break;
    }
    if (frame_left_ == 0) step = AddPayload(data + pos, 0, run, events, &fail);
  }

  if (step == Step::kFail || step == Step::kClosed) {
    state_ = kDead;
    return {pos, fail.code, fail.reason};
  }
  // Carry the open message's bytes in this chunk over to the next call.
  if (run.len > 0) {
    const uint64_t pending =
        (state_ == kPayload && !IsControl(frame_op_)) ? uint64_t{frame_left_} : 0;
    if (!EnsureMessageCapacity(run.len + pending)) {
      state_ = kDead;
      return {pos, kCloseInternalError, "out of memory"};
    }
    std::memcpy(msg_buf_, run.start, run.len);
    msg_len_ = static_cast<uint32_t>(run.len);
  }
  return {pos, 0, {}};
}

}  // namespace ringcast::ws
