// leveldb-format framing; see log_writer.h for the contract.
#include "store/log_writer.h"

#include "store/crc32c.h"

namespace ringcast::store {

bool LogWriter::AddRecord(std::string_view payload, std::string* out) {
  if (payload.size() > kMaxRecordBytes) return false;
  const char* p = payload.data();
  size_t left = payload.size();
  bool begin = true;
  do {
    const size_t block_left = kBlockSize - block_offset_;
    if (block_left < kHeaderSize) {
      out->append(block_left, '\0');  // trailer: too small for a header
      block_offset_ = 0;
    }
    const size_t avail = kBlockSize - block_offset_ - kHeaderSize;
    const size_t n = left < avail ? left : avail;
    const bool end = n == left;
    FragmentType type = begin && end ? FragmentType::kFull
                        : begin      ? FragmentType::kFirst
                        : end        ? FragmentType::kLast
                                     : FragmentType::kMiddle;
    EmitFragment(type, p, n, out);
    p += n;
    left -= n;
    begin = false;
  } while (left > 0);
  return true;
}

void LogWriter::EmitFragment(FragmentType type, const char* data, size_t n, std::string* out) {
  const char t = static_cast<char>(type);
  uint32_t crc = crc32c::Mask(crc32c::Extend(crc32c::Value(&t, 1), data, n));
  char header[kHeaderSize];
  header[0] = static_cast<char>(crc & 0xff);
  header[1] = static_cast<char>((crc >> 8) & 0xff);
  header[2] = static_cast<char>((crc >> 16) & 0xff);
  header[3] = static_cast<char>(crc >> 24);
  header[4] = static_cast<char>(n & 0xff);
  header[5] = static_cast<char>(n >> 8);
  header[6] = t;
  out->append(header, kHeaderSize);
  out->append(data, n);
  block_offset_ += kHeaderSize + n;
}

}  // namespace ringcast::store
