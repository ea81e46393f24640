// JSON output: appends JSON text to a std::string. Hand-written because messages are small and
// built on the control plane or per connection, never per delivery (a broadcast frame is encoded
// once). Escapes '"', '\\' and control characters; passes UTF-8 through unchanged.
// Pure functions, any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast::util {

// Appends `text` as a quoted JSON string.
void AppendJsonString(std::string* out, std::string_view text);

// Appends the escaped body of a JSON string without the surrounding quotes.
void AppendJsonEscaped(std::string* out, std::string_view text);

void AppendInt(std::string* out, int64_t value);
void AppendUint(std::string* out, uint64_t value);

// Small builder for flat objects: JsonObject o(&s); o.Str("a","x").Int("n",1).Close();
class JsonObject {
 public:
  explicit JsonObject(std::string* out) : out_(out) { out_->push_back('{'); }
  JsonObject& Str(std::string_view key, std::string_view value);
  JsonObject& Int(std::string_view key, int64_t value);
  JsonObject& Bool(std::string_view key, bool value);
  // Appends `json` verbatim as the value (caller guarantees it is valid JSON).
  JsonObject& Raw(std::string_view key, std::string_view json);
  // Starts a value for `key`; the caller appends the value text itself.
  std::string* Key(std::string_view key);
  void Close() { out_->push_back('}'); }

 private:
  std::string* out_;
  bool first_ = true;
};

}  // namespace ringcast::util
