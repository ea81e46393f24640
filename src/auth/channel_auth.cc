// Channel and user authorisation signatures; see channel_auth.h for the contract.
#include "auth/channel_auth.h"

#include "auth/crypto.h"

namespace ringcast::auth {
namespace {

constexpr size_t kMaxSocketIdPartDigits = 20;

bool IsDigits(std::string_view s) {
  if (s.empty() || s.size() > kMaxSocketIdPartDigits) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::string ChannelStringToSign(std::string_view socket_id, std::string_view channel,
                                std::string_view channel_data) {
  std::string out;
  out.reserve(socket_id.size() + channel.size() + channel_data.size() + 2);
  out += socket_id;
  out += ':';
  out += channel;
  if (!channel_data.empty()) {
    out += ':';
    out += channel_data;
  }
  return out;
}

std::string UserStringToSign(std::string_view socket_id, std::string_view user_data) {
  std::string out;
  out.reserve(socket_id.size() + user_data.size() + 8);
  out += socket_id;
  out += "::user::";
  out += user_data;
  return out;
}

std::string ChannelSignature(std::string_view secret, std::string_view socket_id,
                             std::string_view channel, std::string_view channel_data) {
  return HmacSha256Hex(secret, ChannelStringToSign(socket_id, channel, channel_data));
}

std::string UserSignature(std::string_view secret, std::string_view socket_id,
                          std::string_view user_data) {
  return HmacSha256Hex(secret, UserStringToSign(socket_id, user_data));
}

bool VerifyAuthToken(std::string_view auth, std::string_view app_key, std::string_view app_secret,
                     std::string_view string_to_sign) {
  // The signature is hex and never holds ':', so split at the last one.
  const size_t colon = auth.rfind(':');
  if (colon == std::string_view::npos) return false;
  if (auth.substr(0, colon) != app_key) return false;
  std::string given(auth.substr(colon + 1));
  for (char& c : given) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return ConstantTimeEquals(given, HmacSha256Hex(app_secret, string_to_sign));
}

bool IsValidSocketId(std::string_view socket_id) {
  const size_t dot = socket_id.find('.');
  if (dot == std::string_view::npos) return false;
  return IsDigits(socket_id.substr(0, dot)) && IsDigits(socket_id.substr(dot + 1));
}

}  // namespace ringcast::auth
