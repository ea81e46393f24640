// MoChat request bodies; see request_body.h for the contract.
#include "apps/mochat/request_body.h"

#include <algorithm>

namespace ringcast::apps::mochat {

using simdjson::SUCCESS;

const char* RequestBody::Parse(std::string_view body) {
  empty_ = body.find_first_not_of(" \t\r\n") == std::string_view::npos;
  if (empty_) return nullptr;
  simdjson::dom::element root;
  if (parser_.parse(body.data(), body.size()).get(root) != SUCCESS || root.get(obj_) != SUCCESS) {
    empty_ = true;
    return "The body must be a JSON object";
  }
  return nullptr;
}

RequestBody::Field RequestBody::Str(std::string_view key, std::string_view* out) const {
  simdjson::dom::element el;
  *out = {};
  if (empty_ || obj_[key].get(el) != SUCCESS || el.is_null()) return Field::kMissing;
  return el.get_string().get(*out) == SUCCESS ? Field::kOk : Field::kBad;
}

RequestBody::Field RequestBody::StrAny(std::initializer_list<std::string_view> keys,
                                       std::string_view* out) const {
  for (std::string_view k : keys) {
    const Field f = Str(k, out);
    if (f != Field::kMissing) return f;
  }
  return Field::kMissing;
}

RequestBody::Field RequestBody::Int(std::string_view key, int64_t* out) const {
  simdjson::dom::element el;
  if (empty_ || obj_[key].get(el) != SUCCESS || el.is_null()) return Field::kMissing;
  if (el.get_int64().get(*out) == SUCCESS) return Field::kOk;
  // A whole number written as a double (JavaScript clients) is fine.
  double d = 0;
  if (el.get_double().get(d) == SUCCESS && d >= -9e15 && d <= 9e15 &&
      d == static_cast<double>(static_cast<int64_t>(d))) {
    *out = static_cast<int64_t>(d);
    return Field::kOk;
  }
  return Field::kBad;
}

RequestBody::Field RequestBody::Object(std::string_view key, std::string* out) const {
  simdjson::dom::element el;
  out->clear();
  if (empty_ || obj_[key].get(el) != SUCCESS || el.is_null()) return Field::kMissing;
  if (!el.is_object()) return Field::kBad;
  *out = simdjson::minify(el);
  return Field::kOk;
}

RequestBody::Field RequestBody::Ids(std::string_view key, size_t max,
                                    std::vector<std::string>* out) const {
  simdjson::dom::element el;
  out->clear();
  if (empty_ || obj_[key].get(el) != SUCCESS || el.is_null()) return Field::kMissing;
  const auto add = [out](std::string_view id) {
    if (std::find(out->begin(), out->end(), id) == out->end()) out->emplace_back(id);
  };
  std::string_view sv;
  if (el.get_string().get(sv) == SUCCESS) {
    if (sv.empty()) return Field::kBad;
    add(sv);
    return Field::kOk;
  }
  simdjson::dom::array arr;
  if (el.get_array().get(arr) != SUCCESS || arr.size() > max) return Field::kBad;
  for (simdjson::dom::element item : arr) {
    simdjson::dom::element id;
    if (item.get_string().get(sv) != SUCCESS &&
        (!item.is_object() || item["id"].get(id) != SUCCESS ||
         id.get_string().get(sv) != SUCCESS)) {
      return Field::kBad;
    }
    if (sv.empty()) return Field::kBad;
    add(sv);
  }
  return Field::kOk;
}

bool ValidEmail(std::string_view email) {
  if (email.size() < 3 || email.size() > 254) return false;
  const size_t at = email.find('@');
  if (at == 0 || at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos)
    return false;
  const std::string_view domain = email.substr(at + 1);
  const size_t dot = domain.find('.');
  if (domain.empty() || dot == 0 || dot == std::string_view::npos || domain.back() == '.')
    return false;
  return std::none_of(email.begin(), email.end(),
                      [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; });
}

}  // namespace ringcast::apps::mochat
