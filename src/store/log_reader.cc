// leveldb-format reassembly; see log_reader.h for the contract.
#include "store/log_reader.h"

#include "store/crc32c.h"
#include "store/log_format.h"

namespace ringcast::store {
namespace {

uint32_t LoadU32(const char* p) {
  const auto* u = reinterpret_cast<const uint8_t*>(p);
  return static_cast<uint32_t>(u[0]) | (static_cast<uint32_t>(u[1]) << 8) |
         (static_cast<uint32_t>(u[2]) << 16) | (static_cast<uint32_t>(u[3]) << 24);
}

}  // namespace

ReadStatus LogReader::Torn(uint64_t from, const char* reason) {
  problem_ = {from, data_.size() - from, reason};
  pos_ = data_.size();
  return ReadStatus::kTornTail;
}

ReadStatus LogReader::Corrupt(uint64_t from, uint64_t to, const char* reason) {
  problem_ = {from, to - from, reason};
  return ReadStatus::kCorruption;
}

ReadStatus LogReader::Read(std::string* record) {
  std::string_view view;
  ReadStatus s = Read(&view, record);
  if (s == ReadStatus::kRecord && view.data() != record->data()) record->assign(view);
  return s;
}

ReadStatus LogReader::Read(std::string_view* out, std::string* record) {
  record->clear();
  bool in_record = false;  // inside a FIRST..LAST sequence
  uint64_t start = 0;      // where the current logical record began
  const uint64_t size = data_.size();
  for (;;) {
    const uint64_t block_left = kBlockSize - pos_ % kBlockSize;
    if (block_left < kHeaderSize) {
      // Trailer. The writer writes it only together with the next fragment, so a file that
      // ends inside it ends inside a record.
      if (size - pos_ <= block_left) {
        if (pos_ == size && !in_record) return ReadStatus::kEof;
        return Torn(in_record ? start : pos_, "ends in a block trailer");
      }
      pos_ += block_left;
      continue;
    }
    if (pos_ == size) {
      if (!in_record) return ReadStatus::kEof;
      return Torn(start, "ends inside a fragmented record");
    }
    if (size - pos_ < kHeaderSize) return Torn(in_record ? start : pos_, "ends inside a header");
    const char* h = data_.data() + pos_;
    const uint32_t len =
        static_cast<uint8_t>(h[4]) | (static_cast<uint32_t>(static_cast<uint8_t>(h[5])) << 8);
    const uint8_t type = static_cast<uint8_t>(h[6]);
    const uint64_t block_end = pos_ + block_left < size ? pos_ + block_left : size;
    if (kHeaderSize + len > block_left || type == 0 || type > kMaxFragmentType) {
      // The header cannot be trusted: drop the rest of the block (and a partial record).
      uint64_t from = in_record ? start : pos_;
      pos_ = block_end;
      return Corrupt(from, block_end,
                     type == 0                 ? "zero fragment type"
                     : type > kMaxFragmentType ? "bad fragment type"
                                               : "length past the block");
    }
    if (size - pos_ - kHeaderSize < len) {
      return Torn(in_record ? start : pos_, "ends inside a fragment");
    }
    const uint32_t expected = crc32c::Unmask(LoadU32(h));
    const uint32_t actual = crc32c::Extend(crc32c::Value(h + 6, 1), h + kHeaderSize, len);
    if (expected != actual) {
      uint64_t from = in_record ? start : pos_;
      pos_ = block_end;
      return Corrupt(from, block_end, "checksum mismatch");
    }
    const uint64_t frag_start = pos_;
    const auto ftype = static_cast<FragmentType>(type);
    if ((ftype == FragmentType::kFull || ftype == FragmentType::kFirst) && in_record) {
      // A new record begins before the last one ended: report the partial one; the new
      // fragment is read on the next call.
      return Corrupt(start, frag_start, "fragmented record without its LAST");
    }
    pos_ += kHeaderSize + len;
    switch (ftype) {
      case FragmentType::kFull:
        *out = std::string_view(h + kHeaderSize, len);
        record_offset_ = frag_start;
        good_end_ = pos_;
        return ReadStatus::kRecord;
      case FragmentType::kFirst:
        record->assign(h + kHeaderSize, len);
        in_record = true;
        start = frag_start;
        break;
      case FragmentType::kMiddle:
      case FragmentType::kLast:
        if (!in_record) {
          return Corrupt(frag_start, pos_, "MIDDLE or LAST fragment without FIRST");
        }
        record->append(h + kHeaderSize, len);
        if (ftype == FragmentType::kLast) {
          *out = *record;
          record_offset_ = start;
          good_end_ = pos_;
          return ReadStatus::kRecord;
        }
        break;
      default:
        break;  // unreachable: type checked above
    }
  }
}

}  // namespace ringcast::store
