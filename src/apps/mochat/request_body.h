// RequestBody: one MoChat REST body (a JSON object; an empty body reads as {}) and typed reads
// of its fields, for MochatApi. Field names and shapes: docs/protocols/mochat.md.
//
// Owns a simdjson parser reused from call to call (its buffers grow to the largest body seen,
// which the server bounds by limits.max_request_body_bytes). Views it hands out are valid until
// the next Parse. Control-plane thread (one instance per MochatApi); no I/O.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::apps::mochat {

class RequestBody {
 public:
  enum class Field {
    kMissing,  // absent or null
    kOk,
    kBad,  // present with the wrong type (or out of range)
  };

  // Null when `body` is empty or a JSON object, else why not.
  const char* Parse(std::string_view body);

  Field Str(std::string_view key, std::string_view* out) const;
  // The first of `keys` present (aliases: "content" or "text").
  Field StrAny(std::initializer_list<std::string_view> keys, std::string_view* out) const;
  Field Int(std::string_view key, int64_t* out) const;
  // A JSON object, minified.
  Field Object(std::string_view key, std::string* out) const;
  // Ids: an array of strings, or of objects with an "id" (MoChat's participant objects,
  // {"type":"agent","id":"..."}), or one string. kBad past `max` items or on another shape.
  // Duplicates are dropped, order kept.
  Field Ids(std::string_view key, size_t max, std::vector<std::string>* out) const;

 private:
  simdjson::dom::parser parser_;
  simdjson::dom::object obj_;
  bool empty_ = true;
};

// "local@domain": one '@', both sides non-empty, no spaces or control characters, a '.' in the
// domain, at most 254 bytes.
bool ValidEmail(std::string_view email);

}  // namespace ringcast::apps::mochat
