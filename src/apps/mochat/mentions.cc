// Mention syntax; see mentions.h for the contract.
#include "apps/mochat/mentions.h"

#include <algorithm>

namespace ringcast::apps::mochat {
namespace {

bool TokenByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

}  // namespace

std::vector<std::string_view> MentionTokens(std::string_view text, size_t max) {
  std::vector<std::string_view> out;
  for (size_t i = 0; i < text.size() && out.size() < max; ++i) {
    if (text[i] != '@' || (i > 0 && (TokenByte(text[i - 1]) || text[i - 1] == '@'))) continue;
    size_t end = i + 1;
    while (end < text.size() && TokenByte(text[end])) ++end;
    std::string_view token = text.substr(i + 1, end - i - 1);
    while (!token.empty() && (token.back() == '.' || token.back() == '-')) token.remove_suffix(1);
    if (!token.empty() && std::find(out.begin(), out.end(), token) == out.end()) {
      out.push_back(token);
    }
    i = end - 1;
  }
  return out;
}

}  // namespace ringcast::apps::mochat
