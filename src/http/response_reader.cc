// ResponseReader implementation: finding the end of the head (even across chunks),
// the header fields a client needs (Content-Length, Transfer-Encoding, Connection,
// Sec-WebSocket-Accept, Content-Type), and body framing: Content-Length, chunked with trailers, or
// none. See response_reader.h for the contract.
#include "http/response_reader.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "http/syntax.h"

namespace ringcast::http {
namespace {

// Whether the comma-separated `list` (a Connection or Transfer-Encoding value) names `token`.
bool HasToken(std::string_view list, std::string_view token) {
  bool found = false;
  ForEachListElement(list,
                     [&](std::string_view e) { found = found || EqualsIgnoreCase(e, token); });
  return found;
}

}  // namespace

void ResponseReader::Reset() {
  head_.clear();
  body_.clear();
  truncated_ = false;
  line_.clear();
  accept_.clear();
  content_type_.clear();
  remaining_ = 0;
  error_ = nullptr;
  status_ = 0;
  phase_ = Phase::kHead;
  closes_ = false;
}

bool ResponseReader::ParseHead() {
  std::string_view head(head_);
  size_t eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ') {
    error_ = "malformed HTTP status line";
    return false;
  }
  bool http10 = status_line[7] == '0';
  auto res = std::from_chars(status_line.data() + 9, status_line.data() + 12, status_);
  if (res.ec != std::errc() || res.ptr != status_line.data() + 12 || status_ < 100) {
    error_ = "malformed HTTP status code";
    return false;
  }
  bool has_length = false;
  bool chunked = false;
  bool keep_alive_token = false;
  closes_ = false;
  size_t pos = eol + 2;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    if (end == std::string_view::npos) end = head.size();
    std::string_view line = head.substr(pos, end - pos);
    pos = end + 2;
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      error_ = "malformed HTTP header line";
      return false;
    }
    std::string_view name = line.substr(0, colon);
    std::string_view value = TrimOws(line.substr(colon + 1));
    if (EqualsIgnoreCase(name, "content-length")) {
      uint64_t n = 0;
      auto r = std::from_chars(value.data(), value.data() + value.size(), n);
      if (r.ec != std::errc() || r.ptr != value.data() + value.size()) {
        error_ = "malformed Content-Length";
        return false;
      }
      has_length = true;
      remaining_ = n;
    } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
      chunked = HasToken(value, "chunked");
    } else if (EqualsIgnoreCase(name, "connection")) {
      if (HasToken(value, "close")) closes_ = true;
      if (HasToken(value, "keep-alive")) keep_alive_token = true;
    } else if (EqualsIgnoreCase(name, "sec-websocket-accept")) {
      accept_.assign(value);
    } else if (EqualsIgnoreCase(name, "content-type")) {
      content_type_.assign(value);
    }
  }
  if (http10 && !keep_alive_token) closes_ = true;
  if (status_ < 200 || status_ == 204 || status_ == 304) {
    phase_ = Phase::kDone;  // no body
  } else if (chunked) {
    phase_ = Phase::kChunkSize;
  } else if (has_length) {
    phase_ = remaining_ == 0 ? Phase::kDone : Phase::kBody;
  } else {
    // Body until close: the reader does not wait for it; the connection cannot be reused.
    closes_ = true;
    phase_ = Phase::kDone;
  }
  return true;
}

void ResponseReader::KeepBody(const char* data, size_t n) {
  size_t room = max_kept_ - std::min(max_kept_, body_.size());
  if (n > room) truncated_ = true;
  body_.append(data, std::min(room, n));
}

bool ResponseReader::ReadLine(const char* data, size_t len, size_t* pos) {
  while (*pos < len) {
    char ch = data[(*pos)++];
    if (ch == '\n') {
      if (!line_.empty() && line_.back() == '\r') line_.pop_back();
      return true;
    }
    if (line_.size() > 1024) {
      error_ = "chunk line too long";
      return false;
    }
    line_.push_back(ch);
  }
  return false;
}

ResponseReader::Result ResponseReader::Feed(const char* data, size_t len) {
  size_t pos = 0;
  if (error_ != nullptr) return {0, State::kError};
  while (phase_ != Phase::kDone) {
    switch (phase_) {
      case Phase::kHead: {
        if (pos == len) return {pos, State::kNeedMore};
        size_t old = head_.size();
        size_t take = std::min(len - pos, kMaxHeadBytes + 4 - old);
        head_.append(data + pos, take);
        size_t from = old >= 3 ? old - 3 : 0;
        size_t end = head_.find("\r\n\r\n", from);
        if (end == std::string::npos) {
          pos += take;
          if (head_.size() > kMaxHeadBytes) {
            error_ = "HTTP response head too large";
            return {pos, State::kError};
          }
          continue;
        }
        size_t used = end + 4 - old;  // bytes of this chunk that belong to the head
        pos += used;
        head_.resize(end + 4);
        if (!ParseHead()) return {pos, State::kError};
        break;
      }
      case Phase::kBody: {
        if (pos == len) return {pos, State::kNeedMore};
        size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, len - pos));
        KeepBody(data + pos, take);
        pos += take;
        remaining_ -= take;
        if (remaining_ == 0) phase_ = Phase::kDone;
        break;
      }
      case Phase::kChunkSize: {
        if (!ReadLine(data, len, &pos)) {
          if (error_ != nullptr) return {pos, State::kError};
          return {pos, State::kNeedMore};
        }
        std::string_view line(line_);
        line = line.substr(0, line.find(';'));
        uint64_t n = 0;
        auto r = std::from_chars(line.data(), line.data() + line.size(), n, 16);
        if (line.empty() || r.ec != std::errc()) {
          error_ = "malformed chunk size";
          return {pos, State::kError};
        }
        line_.clear();
        remaining_ = n;
        phase_ = n == 0 ? Phase::kTrailer : Phase::kChunkData;
        break;
      }
      case Phase::kChunkData: {
        if (pos == len) return {pos, State::kNeedMore};
        size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, len - pos));
        KeepBody(data + pos, take);
        pos += take;
        remaining_ -= take;
        if (remaining_ == 0) phase_ = Phase::kChunkDataEnd;
        break;
      }
      case Phase::kChunkDataEnd:
      case Phase::kTrailer: {
        if (!ReadLine(data, len, &pos)) {
          if (error_ != nullptr) return {pos, State::kError};
          return {pos, State::kNeedMore};
        }
        bool empty = line_.empty();
        line_.clear();
        if (phase_ == Phase::kChunkDataEnd) {
          if (!empty) {
            error_ = "chunk data not followed by CRLF";
            return {pos, State::kError};
          }
          phase_ = Phase::kChunkSize;
        } else if (empty) {
          phase_ = Phase::kDone;
        }
        break;
      }
      case Phase::kDone:
        break;
    }
  }
  return {pos, State::kDone};
}

}  // namespace ringcast::http
