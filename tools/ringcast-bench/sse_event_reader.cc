// SseEventReader implementation: a line splitter (LF, CRLF, lone CR; lines straddling chunks
// are gathered in line_, the others read in place) and the per-line field rules of the event
// stream. See sse_event_reader.h for the contract.
#include "ringcast-bench/sse_event_reader.h"

#include <cstring>

namespace ringcast::bench {

bool SseEventReader::Line(std::string_view line, SseSink* sink) {
  if (line.empty()) {
    // End of an event: dispatched only when it has data (the spec drops the others).
    bool stop = false;
    if (has_data_) {
      size_t n = data_.size();
      data_.resize(n + kPadding, ' ');
      std::string_view type = event_.empty() ? std::string_view("message") : event_;
      stop = !sink->OnSseEvent(type, std::string_view(data_.data(), n));
    }
    event_.clear();
    data_.clear();
    has_data_ = false;
    return !stop;
  }
  if (line[0] == ':') {
    ++comments_;
    return true;
  }
  size_t colon = line.find(':');
  std::string_view name = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  }
  if (name == "data") {
    if (data_.size() + value.size() + 1 > max_event_bytes_) {
      error_ = "event stream: event over the size limit";
      return false;
    }
    if (has_data_) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
  } else if (name == "event") {
    if (value.size() > max_event_bytes_) {
      error_ = "event stream: event over the size limit";
      return false;
    }
    event_.assign(value);
  }
  // id, retry and unknown fields: ignored.
  return true;
}

SseReadResult SseEventReader::Consume(const char* data, size_t len, SseSink* sink) {
  if (error_ != nullptr) return {0, error_};
  size_t pos = 0;
  if (skip_lf_ && len > 0) {
    skip_lf_ = false;
    if (data[0] == '\n') pos = 1;
  }
  while (pos < len) {
    const char* start = data + pos;
    size_t rest = len - pos;
    // The line ends at the first CR or LF.
    const char* lf = static_cast<const char*>(std::memchr(start, '\n', rest));
    size_t span = lf != nullptr ? static_cast<size_t>(lf - start) : rest;
    const char* cr = static_cast<const char*>(std::memchr(start, '\r', span));
    if (cr != nullptr) span = static_cast<size_t>(cr - start);
    if (cr == nullptr && lf == nullptr) {
      // No terminator in this chunk: keep the partial line.
      if (line_.size() + rest > max_event_bytes_) {
        error_ = "event stream: line over the size limit";
        return {pos, error_};
      }
      line_.append(start, rest);
      return {len, nullptr};
    }
    size_t next = pos + span + 1;
    if (cr != nullptr) {
      if (next < len) {
        if (data[next] == '\n') ++next;
      } else {
        skip_lf_ = true;  // the LF of a CRLF may start the next chunk
      }
    }
    bool go;
    if (line_.empty()) {
      go = Line(std::string_view(start, span), sink);
    } else {
      line_.append(start, span);
      std::string line;
      line.swap(line_);
      go = Line(line, sink);
      line.clear();
      if (line_.empty()) line_.swap(line);  // keep the capacity
    }
    pos = next;
    if (!go) return {pos, error_};
  }
  return {pos, nullptr};
}

}  // namespace ringcast::bench
