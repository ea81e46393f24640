// libFuzzer target for Dialogue's event schemas (config/json_schema.h): the input's first line
// is compiled as a schema, the rest parsed as the event data and validated against it (data is
// what clients send; schemas come from the config file).
//
// Traps on: a validation whose answer changes when asked twice (the validator keeps no state),
// and a failure message that does not start at "data".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/json_schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(bytes), size);
  const size_t nl = in.find('\n');
  if (nl == std::string_view::npos) return 0;
  ringcast::config::JsonSchema schema;
  if (!ringcast::config::JsonSchema::Compile(in.substr(0, nl), &schema).empty()) return 0;
  simdjson::dom::parser parser;
  simdjson::padded_string data{in.substr(nl + 1)};
  simdjson::dom::element value;
  if (parser.parse(data).get(value) != simdjson::SUCCESS) return 0;
  const std::string first = schema.Validate(value);
  if (first != schema.Validate(value)) std::abort();
  if (!first.empty() && first.compare(0, 4, "data") != 0) std::abort();
  return 0;
}
