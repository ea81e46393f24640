#include "auth/jwt.h"

#include "auth/crypto.h"

namespace ringcast::auth {

bool Base64UrlDecode(std::string_view encoded, std::string* out) {
  out->clear();
  if (encoded.size() % 4 == 1) return false;
  std::string b64;
  b64.reserve(encoded.size() + 3);
  for (char c : encoded) {
    if (c == '+' || c == '/' || c == '=') return false;  // the standard alphabet, or padding
    b64.push_back(c == '-' ? '+' : c == '_' ? '/' : c);
  }
  while (b64.size() % 4 != 0) b64.push_back('=');
  return Base64Decode(b64, out);
}

std::string Base64UrlEncode(std::string_view data) {
  std::string b64 = Base64Encode(data);
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  for (char& c : b64) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return b64;
}

std::string SignJwtHs256(std::string_view header, std::string_view claims,
                         std::string_view secret) {
  std::string token = Base64UrlEncode(header);
  token += '.';
  token += Base64UrlEncode(claims);
  const std::array<uint8_t, 32> mac = HmacSha256(secret, token);
  token += '.';
  token += Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac.data()), 32));
  return token;
}

const char* VerifyJwtHs256(std::string_view token, std::string_view secret, std::string* header,
                           std::string* claims) {
  if (token.size() > kMaxJwtBytes) return "token too long";
  const size_t a = token.find('.');
  const size_t b = a == std::string_view::npos ? a : token.find('.', a + 1);
  if (b == std::string_view::npos || token.find('.', b + 1) != std::string_view::npos) {
    return "not a JWT";
  }
  std::string sig;
  if (!Base64UrlDecode(token.substr(b + 1), &sig) || sig.size() != 32) return "bad signature";
  const std::array<uint8_t, 32> mac = HmacSha256(secret, token.substr(0, b));
  if (!ConstantTimeEquals(sig, std::string_view(reinterpret_cast<const char*>(mac.data()), 32))) {
    return "bad signature";
  }
  if (!Base64UrlDecode(token.substr(0, a), header) ||
      !Base64UrlDecode(token.substr(a + 1, b - a - 1), claims)) {
    return "not a JWT";
  }
  return nullptr;
}

}  // namespace ringcast::auth
