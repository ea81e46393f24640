#include "config/json_schema.h"

#include <cmath>

namespace ringcast::config {

namespace {

uint8_t TypeBitOf(std::string_view name) {
  if (name == "string") return 1;
  if (name == "number") return 2;
  if (name == "integer") return 4;
  if (name == "boolean") return 8;
  if (name == "object") return 16;
  if (name == "array") return 32;
  if (name == "null") return 64;
  return 0;
}

bool IsAnnotation(std::string_view key) {
  return key == "title" || key == "description" || key == "$schema" || key == "$id" ||
         key == "default" || key == "examples";
}

// Code points of valid UTF-8 (simdjson validated it).
uint64_t CodePoints(std::string_view s) {
  uint64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool GetNumber(simdjson::dom::element e, double* out) {
  return e.get_double().get(*out) == simdjson::SUCCESS;
}

bool GetCount(simdjson::dom::element e, uint64_t* out) {
  return e.get_uint64().get(*out) == simdjson::SUCCESS;
}

std::string DescribeType(simdjson::dom::element value) {
  switch (value.type()) {
    case simdjson::dom::element_type::ARRAY:
      return "an array";
    case simdjson::dom::element_type::OBJECT:
      return "an object";
    case simdjson::dom::element_type::STRING:
      return "a string";
    case simdjson::dom::element_type::BOOL:
      return "a boolean";
    case simdjson::dom::element_type::NULL_VALUE:
      return "null";
    default:
      return "a number";
  }
}

}  // namespace

std::string JsonSchema::Compile(std::string_view schema_json, JsonSchema* out) {
  out->nodes_.clear();
  simdjson::dom::parser parser;
  simdjson::padded_string padded(schema_json);
  simdjson::dom::element root;
  if (parser.parse(padded).get(root)) return "the schema is not JSON";
  uint32_t index = 0;
  return CompileNode(root, 0, out, &index);
}

std::string JsonSchema::CompileNode(simdjson::dom::element value, int depth, JsonSchema* out,
                                    uint32_t* index) {
  if (depth > kMaxDepth) return "the schema nests too deep";
  simdjson::dom::object obj;
  if (value.get_object().get(obj)) return "a schema must be an object";
  *index = static_cast<uint32_t>(out->nodes_.size());
  out->nodes_.emplace_back();
  // Child nodes are appended as we go: work on a copy, store it at the end.
  Node node;
  for (auto field : obj) {
    std::string_view key = field.key;
    simdjson::dom::element v = field.value;
    std::string_view sv;
    simdjson::dom::array arr;
    uint64_t count = 0;
    double num = 0;
    if (key == "type") {
      if (v.get_string().get(sv) == simdjson::SUCCESS) {
        node.types = TypeBitOf(sv);
        if (node.types == 0) return "unknown type \"" + std::string(sv) + "\"";
      } else if (v.get_array().get(arr) == simdjson::SUCCESS) {
        for (simdjson::dom::element t : arr) {
          uint8_t bit = t.get_string().get(sv) == simdjson::SUCCESS ? TypeBitOf(sv) : 0;
          if (bit == 0) return "\"type\" must name JSON types";
          node.types |= bit;
        }
      } else {
        return "\"type\" must be a type name or a list of them";
      }
    } else if (key == "properties") {
      simdjson::dom::object props;
      if (v.get_object().get(props)) return "\"properties\" must be an object";
      for (auto p : props) {
        uint32_t child = 0;
        std::string err = CompileNode(p.value, depth + 1, out, &child);
        if (!err.empty()) return "properties." + std::string(p.key) + ": " + err;
        node.properties.emplace_back(std::string(p.key), child);
      }
    } else if (key == "required") {
      if (v.get_array().get(arr)) return "\"required\" must be a list of names";
      for (simdjson::dom::element r : arr) {
        if (r.get_string().get(sv)) return "\"required\" must be a list of names";
        node.required.emplace_back(sv);
      }
    } else if (key == "additionalProperties") {
      bool b = true;
      if (v.get_bool().get(b) == simdjson::SUCCESS) {
        node.additional_allowed = b;
      } else {
        uint32_t child = 0;
        std::string err = CompileNode(v, depth + 1, out, &child);
        if (!err.empty()) return "additionalProperties: " + err;
        node.additional = child;
      }
    } else if (key == "enum") {
      if (v.get_array().get(arr)) return "\"enum\" must be a list";
      node.has_enum = true;
      for (simdjson::dom::element e : arr) node.enum_values.emplace_back(simdjson::minify(e));
    } else if (key == "minLength" || key == "maxLength" || key == "minItems" ||
               key == "maxItems") {
      if (!GetCount(v, &count)) return "\"" + std::string(key) + "\" must be a count";
      (key == "minLength"   ? node.min_length
       : key == "maxLength" ? node.max_length
       : key == "minItems"  ? node.min_items
                            : node.max_items) = count;
    } else if (key == "minimum" || key == "maximum" || key == "exclusiveMinimum" ||
               key == "exclusiveMaximum") {
      if (!GetNumber(v, &num)) return "\"" + std::string(key) + "\" must be a number";
      (key == "minimum"            ? node.minimum
       : key == "maximum"          ? node.maximum
       : key == "exclusiveMinimum" ? node.exclusive_minimum
                                   : node.exclusive_maximum) = num;
    } else if (key == "items") {
      uint32_t child = 0;
      std::string err = CompileNode(v, depth + 1, out, &child);
      if (!err.empty()) return "items: " + err;
      node.items = child;
    } else if (!IsAnnotation(key)) {
      return "unsupported schema keyword \"" + std::string(key) + "\"";
    }
  }
  out->nodes_[*index] = std::move(node);
  return "";
}

std::string JsonSchema::Validate(simdjson::dom::element value) const {
  if (nodes_.empty()) return "";
  std::string path = "data";
  return ValidateNode(0, value, &path);
}

std::string JsonSchema::ValidateNode(uint32_t index, simdjson::dom::element value,
                                     std::string* path) const {
  const Node& n = nodes_[index];
  const auto type = value.type();
  if (n.types != 0) {
    uint8_t have = 0;
    switch (type) {
      case simdjson::dom::element_type::STRING:
        have = kString;
        break;
      case simdjson::dom::element_type::BOOL:
        have = kBoolean;
        break;
      case simdjson::dom::element_type::OBJECT:
        have = kObject;
        break;
      case simdjson::dom::element_type::ARRAY:
        have = kArray;
        break;
      case simdjson::dom::element_type::NULL_VALUE:
        have = kNull;
        break;
      case simdjson::dom::element_type::INT64:
      case simdjson::dom::element_type::UINT64:
        have = kNumber | kInteger;
        break;
      case simdjson::dom::element_type::DOUBLE: {
        double d = 0;
        if (value.get_double().get(d) != simdjson::SUCCESS) d = 0;
        have = std::trunc(d) == d && std::isfinite(d) ? (kNumber | kInteger) : kNumber;
        break;
      }
    }
    if ((n.types & have) == 0) {
      std::string want;
      static constexpr std::pair<uint8_t, const char*> kNames[] = {
          {kString, "string"}, {kNumber, "number"}, {kInteger, "integer"}, {kBoolean, "boolean"},
          {kObject, "object"}, {kArray, "array"},   {kNull, "null"}};
      for (auto [bit, name] : kNames) {
        if ((n.types & bit) == 0) continue;
        if (!want.empty()) want += " or ";
        want += name;
      }
      return *path + ": expected " + want + ", got " + DescribeType(value);
    }
  }
  if (n.has_enum) {
    std::string text(simdjson::minify(value));
    bool found = false;
    for (const std::string& e : n.enum_values) found = found || e == text;
    if (!found) return *path + ": not one of the allowed values";
  }
  if (type == simdjson::dom::element_type::STRING && (n.min_length || n.max_length)) {
    std::string_view s;
    if (value.get_string().get(s) != simdjson::SUCCESS) s = {};
    uint64_t len = CodePoints(s);
    if (n.min_length && len < *n.min_length) {
      return *path + ": shorter than " + std::to_string(*n.min_length) + " characters";
    }
    if (n.max_length && len > *n.max_length) {
      return *path + ": longer than " + std::to_string(*n.max_length) + " characters";
    }
  }
  if (type == simdjson::dom::element_type::INT64 || type == simdjson::dom::element_type::UINT64 ||
      type == simdjson::dom::element_type::DOUBLE) {
    double d = 0;
    if (value.get_double().get(d) != simdjson::SUCCESS) d = 0;
    if (n.minimum && d < *n.minimum) return *path + ": below the minimum";
    if (n.maximum && d > *n.maximum) return *path + ": above the maximum";
    if (n.exclusive_minimum && d <= *n.exclusive_minimum) return *path + ": not above the minimum";
    if (n.exclusive_maximum && d >= *n.exclusive_maximum) return *path + ": not below the maximum";
  }
  if (type == simdjson::dom::element_type::ARRAY) {
    simdjson::dom::array arr;
    if (value.get_array().get(arr) != simdjson::SUCCESS) return "";
    uint64_t size = arr.size();
    if (n.min_items && size < *n.min_items) return *path + ": too few items";
    if (n.max_items && size > *n.max_items) return *path + ": too many items";
    if (n.items) {
      size_t i = 0;
      for (simdjson::dom::element e : arr) {
        size_t mark = path->size();
        *path += "[" + std::to_string(i++) + "]";
        std::string err = ValidateNode(*n.items, e, path);
        if (!err.empty()) return err;
        path->resize(mark);
      }
    }
  }
  if (type == simdjson::dom::element_type::OBJECT) {
    simdjson::dom::object obj;
    if (value.get_object().get(obj) != simdjson::SUCCESS) return "";
    for (const std::string& r : n.required) {
      if (obj[r].error() != simdjson::SUCCESS) return *path + ": \"" + r + "\" is required";
    }
    for (auto field : obj) {
      const uint32_t* child = nullptr;
      for (const auto& [name, idx] : n.properties) {
        if (name == field.key) child = &idx;
      }
      size_t mark = path->size();
      *path += ".";
      path->append(field.key);
      if (child == nullptr && !n.additional_allowed) {
        return *path + ": not an allowed property";
      }
      const uint32_t* schema = child != nullptr ? child : (n.additional ? &*n.additional : nullptr);
      if (schema != nullptr) {
        std::string err = ValidateNode(*schema, field.value, path);
        if (!err.empty()) return err;
      }
      path->resize(mark);
    }
  }
  return "";
}

}  // namespace ringcast::config
