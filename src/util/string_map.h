// StringMap<V>: an unordered_map keyed by std::string that is looked up by std::string_view
// without building a std::string (transparent hash and equality, C++20 heterogeneous lookup).
//
// For maps keyed by names that arrive as views into a frame or request: channel names, app keys.
// Same thread rules as std::unordered_map (none of its own).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ringcast::util {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

}  // namespace ringcast::util
