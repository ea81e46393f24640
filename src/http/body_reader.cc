// BodyReader implementation (contract in body_reader.h).
//
// Content-Length: one step, kLength, copying until remaining_ is 0.
// Chunked, one byte at a time except data:
//   kChunkSize --hex--> kChunkSize --CR--> kChunkSizeLf --LF--> kChunkData (size > 0)
//                                                            \--> kTrailerStart (size 0)
//   kChunkSize --SP/HTAB--> kChunkSizeWs --';'--> kChunkExt --CR--> kChunkSizeLf
//   kChunkData --size bytes--> kChunkDataCr --CR--> kChunkDataLf --LF--> kChunkSize
//   kTrailerStart --tchar--> kTrailerLine --CR--> kTrailerLf --LF--> kTrailerStart
//   kTrailerStart --CR--> kFinalLf --LF--> kDone
// Anything else is a 400. The size check against max_body_bytes runs on every digit, so an
// oversized chunk is refused (413) before its data arrives and the size never overflows.

#include "http/body_reader.h"

#include <algorithm>

#include "http/syntax.h"
#include "util/log.h"

namespace ringcast::http {

void BodyReader::Start(const RequestHead& head, const Limits& limits) {
  *this = BodyReader();
  max_body_bytes_ = limits.max_body_bytes;
  max_line_bytes_ = limits.max_head_bytes;
  if (head.chunked) {
    step_ = Step::kChunkSize;
  } else if (head.content_length > 0) {
    if (static_cast<uint64_t>(head.content_length) > max_body_bytes_) {
      Fail(413, "request body too large");
      return;
    }
    step_ = Step::kLength;
    remaining_ = static_cast<uint64_t>(head.content_length);
  } else {
    step_ = Step::kDone;
  }
}

bool BodyReader::Fail(int status, std::string_view message) {
  step_ = Step::kError;
  error_status_ = status;
  error_message_ = message;
  return false;
}

ParseState BodyReader::Feed(std::string_view in, size_t* consumed, std::string* body) {
  size_t pos = 0;
  ParseState result = ParseState::kNeedMore;
  while (true) {
    if (step_ == Step::kDone) {
      result = ParseState::kDone;
      break;
    }
    if (step_ == Step::kError) {
      result = ParseState::kError;
      break;
    }
    if (pos == in.size()) break;
    if (step_ == Step::kLength || step_ == Step::kChunkData) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, in.size() - pos));
      if (body != nullptr) body->append(in.data() + pos, n);
      pos += n;
      remaining_ -= n;
      body_bytes_ += n;
      if (remaining_ == 0) step_ = step_ == Step::kLength ? Step::kDone : Step::kChunkDataCr;
      continue;
    }
    if (!StepChunkFraming(in[pos])) {
      result = ParseState::kError;
      break;
    }
    ++pos;
  }
  *consumed = pos;
  return result;
}

bool BodyReader::StepChunkFraming(char c) {
  // chunked-body = *chunk last-chunk trailer-section CRLF
  // chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF; last-chunk = 1*("0") [ chunk-ext ] CRLF
  switch (step_) {
    case Step::kChunkSize: {
      if (++line_bytes_ > max_line_bytes_) return Fail(400, "chunk size line too long");
      const int digit = HexDigitValue(c);
      if (digit >= 0) {
        const uint64_t budget = max_body_bytes_ - body_bytes_;
        // remaining_ * 16 + digit <= budget, without overflow.
        if (static_cast<uint64_t>(digit) > budget ||
            remaining_ > (budget - static_cast<uint64_t>(digit)) / 16) {
          return Fail(413, "request body too large");
        }
        remaining_ = remaining_ * 16 + static_cast<uint64_t>(digit);
        ++size_digits_;
        return true;
      }
      if (size_digits_ == 0) return Fail(400, "missing chunk size");
      if (c == '\r') {
        step_ = Step::kChunkSizeLf;
      } else if (c == ';') {
        step_ = Step::kChunkExt;
      } else if (IsOws(c)) {
        step_ = Step::kChunkSizeWs;
      } else {
        return Fail(400, "invalid chunk size");
      }
      return true;
    }
    case Step::kChunkSizeWs:
      if (++line_bytes_ > max_line_bytes_) return Fail(400, "chunk size line too long");
      if (c == ';') {
        step_ = Step::kChunkExt;
      } else if (!IsOws(c)) {
        return Fail(400, "invalid chunk size");
      }
      return true;
    case Step::kChunkExt:
      if (++line_bytes_ > max_line_bytes_) return Fail(400, "chunk size line too long");
      if (c == '\r') {
        step_ = Step::kChunkSizeLf;
      } else if (!IsFieldValueChar(c)) {
        return Fail(400, "control character in a chunk extension");
      }
      return true;
    case Step::kChunkSizeLf:
      if (c != '\n') return Fail(400, "chunk size line without CRLF");
      line_bytes_ = 0;
      size_digits_ = 0;
      step_ = remaining_ == 0 ? Step::kTrailerStart : Step::kChunkData;
      return true;
    case Step::kChunkDataCr:
      if (c != '\r') return Fail(400, "chunk data longer than its size");
      step_ = Step::kChunkDataLf;
      return true;
    case Step::kChunkDataLf:
      if (c != '\n') return Fail(400, "chunk data without CRLF");
      step_ = Step::kChunkSize;
      return true;
    case Step::kTrailerStart:
    case Step::kTrailerLine:
      if (++line_bytes_ > max_line_bytes_) return Fail(431, "trailer section too large");
      if (c == '\r') {
        step_ = step_ == Step::kTrailerStart ? Step::kFinalLf : Step::kTrailerLf;
      } else if (step_ == Step::kTrailerStart ? !IsTchar(c) : !IsFieldValueChar(c)) {
        return Fail(400, "invalid trailer field");
      } else {
        step_ = Step::kTrailerLine;
      }
      return true;
    case Step::kTrailerLf:
    case Step::kFinalLf:
      if (++line_bytes_ > max_line_bytes_) return Fail(431, "trailer section too large");
      if (c != '\n') return Fail(400, "trailer line without CRLF");
      step_ = step_ == Step::kFinalLf ? Step::kDone : Step::kTrailerStart;
      return true;
    case Step::kLength:
    case Step::kChunkData:
    case Step::kDone:
    case Step::kError:
      break;
  }
  RC_CHECK(false);  // Feed() handles the other steps itself
  return false;
}

}  // namespace ringcast::http
