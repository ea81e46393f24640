// JsonSchema: the JSON Schema subset that Dialogue rooms validate event data with
// (docs/protocols/dialogue.md, "Schemas"). Compiled once at config load; validation walks a
// simdjson DOM value.
//
// Keywords: type (a name or a list of names: string, number, integer, boolean, object, array,
// null), properties, required, additionalProperties (a boolean or a schema), enum (values
// compared as minified JSON), minLength / maxLength (Unicode code points), minimum / maximum /
// exclusiveMinimum / exclusiveMaximum (numbers), items (one schema), minItems / maxItems.
// Annotations (title, description, $schema, $id, default, examples) are accepted and ignored;
// any other keyword is refused at load, so that no rule a user wrote is silently skipped.
// Nesting is bounded (kMaxDepth) at load and so at validation.
// Thread rules: immutable after Compile; Validate may run on any thread.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringcast::config {

class JsonSchema {
 public:
  static constexpr int kMaxDepth = 32;

  // Compiles `schema_json` (a JSON object). Returns "" or why it is not a schema of the subset.
  static std::string Compile(std::string_view schema_json, JsonSchema* out);
  // "" when `value` satisfies the schema, else the first failure: "<path>: <what>" (the path
  // starts at "data").
  std::string Validate(simdjson::dom::element value) const;

 private:
  enum TypeBit : uint8_t {
    kString = 1,
    kNumber = 2,
    kInteger = 4,
    kBoolean = 8,
    kObject = 16,
    kArray = 32,
    kNull = 64,
  };
  struct Node {
    uint8_t types = 0;  // 0: any
    std::vector<std::pair<std::string, uint32_t>> properties;  // name -> node index
    std::vector<std::string> required;
    bool additional_allowed = true;
    std::optional<uint32_t> additional;  // schema of the other properties
    std::vector<std::string> enum_values;  // minified JSON
    bool has_enum = false;
    std::optional<uint64_t> min_length, max_length, min_items, max_items;
    std::optional<double> minimum, maximum, exclusive_minimum, exclusive_maximum;
    std::optional<uint32_t> items;
  };

  static std::string CompileNode(simdjson::dom::element value, int depth, JsonSchema* out,
                                 uint32_t* index);
  std::string ValidateNode(uint32_t index, simdjson::dom::element value, std::string* path) const;

  std::vector<Node> nodes_;  // nodes_[0] is the root
};

}  // namespace ringcast::config
