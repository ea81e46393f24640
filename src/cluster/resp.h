// RESP (the Redis protocol, version 2): commands out, replies in (docs/cluster.md, "The link").
//
// AppendCommand frames one command as an array of bulk strings (binary-safe: an envelope may hold
// any byte). RespReader wraps hiredis' reader (the only part of hiredis ringcast uses; DEPS.md):
// bytes go in as they arrive from the socket, whole replies come out as RespValue trees owned by
// the caller. A reader that sees malformed input, or more than `max_buffered` bytes waiting for
// one reply (a bound on what one Redis reply may cost us), or an array that claims more than
// max_buffered / 4 elements (the least each needs on the wire), is failed for good: the link drops
// the connection and starts a new one with a new reader.
// Thread rules: a RespReader belongs to one thread (the control plane's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct redisReader;

namespace ringcast::cluster {

// Appends `*N\r\n` and `$len\r\n<arg>\r\n` for each argument.
void AppendCommand(std::string* out, std::initializer_list<std::string_view> args);
void AppendCommand(std::string* out, const std::vector<std::string_view>& args);

struct RespValue {
  enum class Type : uint8_t { kString, kStatus, kError, kInteger, kNil, kArray };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string str;  // kString, kStatus, kError
  std::vector<RespValue> elements;

  bool IsError() const { return type == Type::kError; }
  // "OK" status, or an integer reply, or a string: the usual success shapes.
  bool IsStatus(std::string_view s) const { return type == Type::kStatus && str == s; }
};

class RespReader {
 public:
  static constexpr size_t kDefaultMaxBuffered = size_t{64} << 20;
  explicit RespReader(size_t max_buffered = kDefaultMaxBuffered);
  ~RespReader();
  RespReader(const RespReader&) = delete;
  RespReader& operator=(const RespReader&) = delete;

  // Feeds bytes; false (and failed()) on a protocol error or past the bound.
  [[nodiscard]] bool Feed(std::string_view bytes);
  // The next whole reply into *out: true; false when none is complete yet or the reader failed.
  [[nodiscard]] bool Next(RespValue* out);
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

  // The most elements one array may claim; called by the element-table hook in resp.cc.
  size_t max_elements() const { return max_buffered_ / 4; }
  void NoteRefusedArray(int elements);

 private:
  redisReader* reader_;
  size_t max_buffered_;
  std::string error_;
  std::string refused_;  // why the hook refused an array, for error()
};

}  // namespace ringcast::cluster
