#include "util/json_writer.h"

#include <charconv>

namespace ringcast::util {

void AppendJsonEscaped(std::string* out, std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  size_t run = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default: {
        char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(esc, 6);
      }
    }
  }
  out->append(text.data() + run, text.size() - run);
}

void AppendJsonString(std::string* out, std::string_view text) {
  out->push_back('"');
  AppendJsonEscaped(out, text);
  out->push_back('"');
}

void AppendInt(std::string* out, int64_t value) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  out->append(buf, res.ptr);
}

void AppendUint(std::string* out, uint64_t value) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  out->append(buf, res.ptr);
}

std::string* JsonObject::Key(std::string_view key) {
  if (!first_) out_->push_back(',');
  first_ = false;
  AppendJsonString(out_, key);
  out_->push_back(':');
  return out_;
}

JsonObject& JsonObject::Str(std::string_view key, std::string_view value) {
  AppendJsonString(Key(key), value);
  return *this;
}

JsonObject& JsonObject::Int(std::string_view key, int64_t value) {
  AppendInt(Key(key), value);
  return *this;
}

JsonObject& JsonObject::Bool(std::string_view key, bool value) {
  Key(key)->append(value ? "true" : "false");
  return *this;
}

JsonObject& JsonObject::Raw(std::string_view key, std::string_view json) {
  Key(key)->append(json);
  return *this;
}

}  // namespace ringcast::util
