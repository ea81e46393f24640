// Pusher HTTP API request signing; see request_signature.h for the contract and the order of
// the checks.
#include "auth/request_signature.h"

#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <iterator>
#include <utility>

#include "auth/crypto.h"
#include "util/ascii.h"
#include "util/log.h"

namespace ringcast::auth {
namespace {

constexpr std::string_view kAuthKey = "auth_key";
constexpr std::string_view kAuthTimestamp = "auth_timestamp";
constexpr std::string_view kAuthVersion = "auth_version";
constexpr std::string_view kAuthSignature = "auth_signature";
constexpr std::string_view kBodyMd5 = "body_md5";
constexpr std::string_view kReservedKeys[] = {kAuthKey, kAuthTimestamp, kAuthVersion,
                                              kAuthSignature, kBodyMd5};
// The string to sign is echoed in the "Invalid signature" message up to this many bytes.
constexpr size_t kMaxEchoedBytes = 1024;

using util::EqualsIgnoreCase;

char UpperAscii(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

std::string ToLowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = util::AsciiLower(c);
  return out;
}

bool IsReservedKey(std::string_view key) {
  for (std::string_view reserved : kReservedKeys) {
    if (EqualsIgnoreCase(key, reserved)) return true;
  }
  return false;
}

// A reserved parameter looked up case-insensitively; |count| > 1 means the request is malformed.
struct Lookup {
  const std::string* value = nullptr;
  int count = 0;
};

Lookup Find(const std::vector<QueryParam>& params, std::string_view key) {
  Lookup found;
  for (const QueryParam& p : params) {
    if (!EqualsIgnoreCase(p.key, key)) continue;
    if (found.count++ == 0) found.value = &p.value;
  }
  return found;
}

// Strict non-negative decimal integer: digits only, no sign, no spaces, no overflow.
bool ParseUnixSeconds(std::string_view text, int64_t* out) {
  if (text.empty() || text.front() < '0' || text.front() > '9') return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

std::string FormatTimestamp(int64_t unix_s) {
  char buf[96];
  std::tm tm{};
  const std::time_t t = static_cast<std::time_t>(unix_s);
  char iso[48];
  if (gmtime_r(&t, &tm) != nullptr && std::strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm)) {
    std::snprintf(buf, sizeof(buf), "%" PRId64 " (%s)", unix_s, iso);
  } else {
    std::snprintf(buf, sizeof(buf), "%" PRId64, unix_s);
  }
  return buf;
}

// |a - b| without overflow for any pair of int64 values.
uint64_t AbsDiff(int64_t a, int64_t b) {
  return a >= b ? static_cast<uint64_t>(a) - static_cast<uint64_t>(b)
                : static_cast<uint64_t>(b) - static_cast<uint64_t>(a);
}

// Quotes |s| for an error message: printable ASCII as is, '\n' as \n, other bytes as \xNN.
std::string Quote(std::string_view s) {
  std::string out = "\"";
  const size_t n = std::min(s.size(), kMaxEchoedBytes);
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char esc[8];
      std::snprintf(esc, sizeof(esc), "\\x%02x", c);
      out += esc;
    }
  }
  out += '"';
  if (n < s.size()) out += "...";
  return out;
}

VerifyResult Fail(int status, std::string message) { return {status, std::move(message)}; }

VerifyResult Missing(std::string_view key) {
  return Fail(401, "Missing required query parameter: " + std::string(key));
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

void AppendPercentEncoded(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c)) {
      out->push_back(ch);
    } else {
      out->push_back('%');
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0x0f]);
    }
  }
}

// Indices of |params| (auth_signature excluded) with their lower-cased keys, stably sorted.
struct SortedEntry {
  std::string key;  // lower-cased
  size_t index;
};

std::vector<SortedEntry> SortedForSigning(const std::vector<QueryParam>& params) {
  std::vector<SortedEntry> entries;
  entries.reserve(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    std::string key = ToLowerAscii(params[i].key);
    if (key == kAuthSignature) continue;
    entries.push_back({std::move(key), i});
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const SortedEntry& a, const SortedEntry& b) { return a.key < b.key; });
  return entries;
}

}  // namespace

std::string StringToSign(std::string_view method, std::string_view path,
                         const std::vector<QueryParam>& params) {
  std::string out;
  out.reserve(method.size() + path.size() + 2 + params.size() * 32);
  for (char c : method) out.push_back(UpperAscii(c));
  out += '\n';
  out += path;
  out += '\n';
  const std::vector<SortedEntry> entries = SortedForSigning(params);
  for (size_t i = 0; i < entries.size(); ++i) {
    const bool same_key_as_previous = i > 0 && entries[i].key == entries[i - 1].key;
    if (same_key_as_previous) {
      out += ',';
    } else {
      if (i > 0) out += '&';
      out += entries[i].key;
      out += '=';
    }
    out += params[entries[i].index].value;
  }
  return out;
}

VerifyResult VerifyPusherRequest(const SignedRequest& req, std::string_view app_key,
                                 std::string_view app_secret, int64_t now_unix_s,
                                 int64_t max_skew_s) {
  VerifyResult v = VerifyPusherSignature(req, app_key, app_secret, now_unix_s, max_skew_s);
  if (!v.ok()) return v;
  return VerifyBodyMd5(*req.params, req.body);
}

VerifyResult VerifyBodyMd5(const std::vector<QueryParam>& params, std::string_view body) {
  const Lookup body_md5 = Find(params, kBodyMd5);
  if (body_md5.count > 1) return Fail(400, "Duplicate query parameter: " + std::string(kBodyMd5));
  if (body_md5.value == nullptr) {
    if (!body.empty()) {
      return Fail(401, "Missing required query parameter: body_md5 (the request has a body)");
    }
  } else if (ToLowerAscii(*body_md5.value) != Md5Hex(body)) {
    return Fail(401, "body_md5 does not match the MD5 of the request body");
  }
  return {};
}

VerifyResult VerifyPusherSignature(const SignedRequest& req, std::string_view app_key,
                                   std::string_view app_secret, int64_t now_unix_s,
                                   int64_t max_skew_s) {
  RC_CHECK(req.params != nullptr);
  const std::vector<QueryParam>& params = *req.params;

  Lookup found[std::size(kReservedKeys)];
  for (size_t i = 0; i < std::size(kReservedKeys); ++i) {
    found[i] = Find(params, kReservedKeys[i]);
    if (found[i].count > 1) {
      return Fail(400, "Duplicate query parameter: " + std::string(kReservedKeys[i]));
    }
  }
  const Lookup& auth_key = found[0];
  const Lookup& auth_timestamp = found[1];
  const Lookup& auth_version = found[2];
  const Lookup& auth_signature = found[3];

  if (auth_key.value == nullptr) return Missing(kAuthKey);
  if (!ConstantTimeEquals(*auth_key.value, app_key)) return Fail(401, "Unknown auth_key");
  if (auth_signature.value == nullptr) return Missing(kAuthSignature);
  if (auth_version.value == nullptr) return Missing(kAuthVersion);
  if (*auth_version.value != "1.0") {
    return Fail(401, "Unsupported auth_version " + Quote(*auth_version.value) + ": expected 1.0");
  }

  if (auth_timestamp.value == nullptr) return Missing(kAuthTimestamp);
  int64_t timestamp = 0;
  if (!ParseUnixSeconds(*auth_timestamp.value, &timestamp)) {
    return Fail(401, "Invalid auth_timestamp " + Quote(*auth_timestamp.value) +
                         ": expected Unix time in seconds");
  }
  if (max_skew_s < 0 || AbsDiff(timestamp, now_unix_s) > static_cast<uint64_t>(max_skew_s)) {
    return Fail(401, "Timestamp expired: given timestamp " + FormatTimestamp(timestamp) +
                         " is not within " + std::to_string(max_skew_s) + "s of server time " +
                         FormatTimestamp(now_unix_s));
  }

  // body_md5 (if any) is part of to_sign: it is compared with the body only after this.
  const std::string to_sign = StringToSign(req.method, req.path, params);
  const std::string expected = HmacSha256Hex(app_secret, to_sign);
  if (!ConstantTimeEquals(ToLowerAscii(*auth_signature.value), expected)) {
    return Fail(401, "Invalid signature: you should have sent HmacSHA256Hex(" + Quote(to_sign) +
                         ", your_secret_key), but you sent " + Quote(*auth_signature.value));
  }
  return {};
}

std::string SignedQuery(std::string_view method, std::string_view path,
                        std::vector<QueryParam> params, std::string_view body, std::string_view key,
                        std::string_view secret, int64_t now_unix_s) {
  std::erase_if(params, [](const QueryParam& p) { return IsReservedKey(p.key); });
  params.push_back({std::string(kAuthKey), std::string(key)});
  params.push_back({std::string(kAuthTimestamp), std::to_string(now_unix_s)});
  params.push_back({std::string(kAuthVersion), "1.0"});
  if (!body.empty()) params.push_back({std::string(kBodyMd5), Md5Hex(body)});

  const std::string signature = HmacSha256Hex(secret, StringToSign(method, path, params));

  std::string query;
  for (const SortedEntry& entry : SortedForSigning(params)) {
    const QueryParam& p = params[entry.index];
    AppendPercentEncoded(p.key, &query);
    query += '=';
    AppendPercentEncoded(p.value, &query);
    query += '&';
  }
  query += kAuthSignature;
  query += '=';
  query += signature;
  return query;
}

}  // namespace ringcast::auth
