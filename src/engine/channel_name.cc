#include "engine/channel_name.h"

namespace ringcast::engine {

namespace {
bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}
bool AllowedChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '=' || c == '@' || c == ',' || c == '.' || c == ';';
}
constexpr std::string_view kServerToUser = "#server-to-user-";
}  // namespace

ChannelKind KindOf(std::string_view name) {
  if (StartsWith(name, "private-encrypted-")) return ChannelKind::kPrivateEncrypted;
  if (StartsWith(name, "private-")) return ChannelKind::kPrivate;
  if (StartsWith(name, "presence-")) return ChannelKind::kPresence;
  if (StartsWith(name, kServerToUser)) return ChannelKind::kServerToUser;
  return ChannelKind::kPublic;
}

bool IsCacheChannel(std::string_view name) {
  return StartsWith(name, "cache-") || StartsWith(name, "private-cache-") ||
         StartsWith(name, "private-encrypted-cache-") || StartsWith(name, "presence-cache-");
}

bool NeedsAuth(ChannelKind kind) {
  return kind == ChannelKind::kPrivate || kind == ChannelKind::kPrivateEncrypted ||
         kind == ChannelKind::kPresence;
}

const char* ChannelNameError(std::string_view name, size_t max_length, bool allow_internal) {
  if (name.empty()) return "channel name is empty";
  if (name.size() > max_length) return "channel name is too long";
  size_t start = 0;
  if (name[0] == '#') {
    if (!allow_internal || !StartsWith(name, kServerToUser) || name.size() == kServerToUser.size()) {
      return "channel names starting with '#' are reserved";
    }
    start = 1;
  }
  for (size_t i = start; i < name.size(); ++i) {
    if (!AllowedChar(name[i])) {
      return "channel name may only contain letters, digits and _ - = @ , . ;";
    }
  }
  return nullptr;
}

const char* GenericChannelNameError(std::string_view name, size_t max_length) {
  if (name.empty()) return "Channel name is empty";
  if (name.size() > max_length) return "Channel name too long";
  if (name[0] == '#') return "Channel names starting with '#' are reserved";
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x21 || c > 0x7e) return "Channel name has a character outside printable ASCII";
  }
  return nullptr;
}

const char* EventNameError(std::string_view name, size_t max_length) {
  if (name.empty()) return "event name is empty";
  if (name.size() > max_length) return "event name is too long";
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return "event name contains control characters";
    }
  }
  return nullptr;
}

}  // namespace ringcast::engine
