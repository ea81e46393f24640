// ClientFrameReader implementation: header accumulation across chunks, validation of the
// header (RSV, opcode, mask bit, lengths, control-frame rules, fragmentation order, size limit),
// zero-copy delivery of frames that lie whole in one chunk, and assembly of the others into one
// buffer that is released after delivery. See client_frame_reader.h for the contract.
#include "ringcast-bench/client_frame_reader.h"

#include <algorithm>
#include <cstring>

namespace ringcast::bench {
namespace {

bool IsKnownOpcode(uint8_t op) { return op <= 2 || (op >= 8 && op <= 10); }

}  // namespace

const char* ClientFrameReader::ParseHeader(size_t* need) {
  uint8_t b0 = header_[0];
  uint8_t b1 = header_[1];
  if ((b0 & 0x70) != 0) return "RSV bits set (no extension was negotiated)";
  uint8_t op = b0 & 0x0F;
  bool fin = (b0 & 0x80) != 0;
  if (!IsKnownOpcode(op)) return "unknown opcode";
  if ((b1 & 0x80) != 0) return "server frame is masked";
  uint8_t len7 = b1 & 0x7F;
  size_t ext = len7 == 126 ? 2 : (len7 == 127 ? 8 : 0);
  *need = 2 + ext;
  if (header_len_ < *need) return nullptr;
  uint64_t len = len7;
  if (ext > 0) {
    len = 0;
    for (size_t i = 0; i < ext; ++i) len = (len << 8) | header_[2 + i];
    if (ext == 8 && (len >> 63) != 0) return "64-bit length with the top bit set";
  }
  if (op >= 8) {
    if (!fin) return "fragmented control frame";
    if (len > 125) return "control frame over 125 bytes";
    if (op == 8 && len == 1) return "close frame with a 1-byte payload";
  } else {
    if (op == 0 && message_op_ == 0) return "continuation frame outside a fragmented message";
    if (op != 0 && message_op_ != 0) return "new data frame inside a fragmented message";
    if (len > max_message_bytes_ || assembled_.size() + len > max_message_bytes_) {
      return "message over the size limit";
    }
    if (op != 0 && !fin) message_op_ = op;
  }
  frame_op_ = op;
  frame_fin_ = fin;
  remaining_ = len;
  return nullptr;
}

bool ClientFrameReader::FinishFrame(std::string_view payload, bool from_buffer, FrameSink* sink) {
  if (frame_op_ >= 8) {
    bool go = true;
    if (frame_op_ == static_cast<uint8_t>(ws::Opcode::kClose)) {
      uint16_t code = ws::kCloseNoStatus;
      std::string_view reason;
      if (payload.size() >= 2) {
        code = static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8) |
                                     static_cast<uint8_t>(payload[1]));
        reason = payload.substr(2);
      }
      go = sink->OnClose(code, reason);
    } else if (frame_op_ == static_cast<uint8_t>(ws::Opcode::kPing)) {
      go = sink->OnPing(payload);
    } else {
      go = sink->OnPong(payload);
    }
    if (from_buffer) {
      assembled_.resize(control_mark_);
      if (assembled_.empty() && message_op_ == 0) std::string().swap(assembled_);
    }
    return go;
  }
  if (!frame_fin_) return true;  // a fragment: its bytes wait in assembled_
  uint8_t op = message_op_ != 0 ? message_op_ : frame_op_;
  message_op_ = 0;
  bool go = sink->OnMessage(static_cast<ws::Opcode>(op), payload);
  if (from_buffer) std::string().swap(assembled_);
  return go;
}

FrameReadResult ClientFrameReader::Consume(const char* data, size_t len, FrameSink* sink) {
  size_t pos = 0;
  const char* error = nullptr;
  while (pos < len) {
    if (!in_frame_) {
      size_t need = 2;
      for (;;) {
        if (header_len_ < need) {
          size_t take = std::min(need - header_len_, len - pos);
          std::memcpy(header_ + header_len_, data + pos, take);
          header_len_ = static_cast<uint8_t>(header_len_ + take);
          pos += take;
          if (header_len_ < need) return {pos, nullptr};  // wait for the rest of the header
        }
        error = ParseHeader(&need);
        if (error != nullptr) return {pos, error};
        if (header_len_ >= need) break;
      }
      header_len_ = 0;
      in_frame_ = true;
      bool control = frame_op_ >= 8;
      bool whole = control || (frame_fin_ && frame_op_ != 0);
      if (whole && remaining_ <= len - pos) {
        // The whole payload is in this chunk: hand out a view (zero copy).
        std::string_view payload(data + pos, static_cast<size_t>(remaining_));
        pos += static_cast<size_t>(remaining_);
        remaining_ = 0;
        in_frame_ = false;
        if (!FinishFrame(payload, false, sink)) return {pos, nullptr};
        continue;
      }
      if (control) control_mark_ = static_cast<uint32_t>(assembled_.size());
      assembled_.reserve(assembled_.size() + static_cast<size_t>(remaining_) + kPadding);
    }
    size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, len - pos));
    assembled_.append(data + pos, take);
    pos += take;
    remaining_ -= take;
    if (remaining_ == 0) {
      in_frame_ = false;
      std::string_view payload(assembled_);
      if (frame_op_ >= 8) payload.remove_prefix(control_mark_);
      if (!FinishFrame(payload, true, sink)) return {pos, nullptr};
    }
  }
  return {pos, nullptr};
}

}  // namespace ringcast::bench
