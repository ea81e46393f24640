// The server side of the RFC 6455 opening handshake (section 4.2): validating the upgrade
// request's header values and writing the 101 answer or the refusal.
//
// Pure functions, any thread. Header values come in as string_views (already located by the
// caller's HTTP parser; this folder must not depend on src/http) and are trimmed of spaces and
// tabs here. No extension is ever accepted: a client's permessage-deflate offer is declined by
// not answering it, so the 101 never carries Sec-WebSocket-Extensions and frames never have
// RSV bits set. No subprotocol is selected either.
#pragma once

#include <string>
#include <string_view>

namespace ringcast::ws {

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key: base64(SHA-1(key + RFC 6455 GUID)).
std::string ComputeAcceptKey(std::string_view client_key);

struct UpgradeCheck {
  int status;                // 0 ok, 400 bad request, 426 wrong or missing version
  std::string_view message;  // static text naming the first failed rule; empty when ok
};

// Checks in this order, reporting the first failure: method GET (400), HTTP/1.1 or later
// (400), Upgrade lists the token "websocket" case-insensitively (400), Connection has the
// "upgrade" token (400; the caller tokenizes Connection), Sec-WebSocket-Version is exactly 13
// (426, also when absent: the refusal must carry Sec-WebSocket-Version: 13), and
// Sec-WebSocket-Key is the base64 form of exactly 16 bytes (400).
[[nodiscard]] UpgradeCheck CheckUpgrade(std::string_view method, int http_version_minor,
                                        std::string_view upgrade_header,
                                        bool connection_has_upgrade_token,
                                        std::string_view version_header,
                                        std::string_view key_header);

// Appends the complete 101 response (status line, Upgrade, Connection, Sec-WebSocket-Accept,
// blank line).
void AppendUpgradeResponse(std::string* out, std::string_view accept_key);

// Appends a complete refusal for a failed check (status 400 or 426): a short text/plain body
// with the check's message and Connection: close; a 426 also carries Upgrade: websocket and
// Sec-WebSocket-Version: 13.
void AppendUpgradeRefusal(std::string* out, const UpgradeCheck& check);

}  // namespace ringcast::ws
