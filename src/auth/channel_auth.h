// Channel and user authorisation signatures for the WebSocket side of the Pusher protocol:
// private/encrypted/presence subscriptions and pusher:signin.
//
// Owns no state; pure functions, callable from any thread at once.
// Strings to sign (lower-case hex HMAC-SHA256 keyed with the app secret):
//   private, encrypted:  "<socket_id>:<channel>"
//   presence:            "<socket_id>:<channel>:<channel_data>" (the exact JSON text sent)
//   user signin:         "<socket_id>::user::<user_data>"
// The client sends auth as "<app_key>:<hex>". VerifyAuthToken compares the key exactly and the
// signature in constant time, accepting upper- or lower-case hex. It never parses JSON.
#pragma once

#include <string>
#include <string_view>

namespace ringcast::auth {

// Lower-case hex signature for a channel subscription. channel_data is appended (after ':')
// only when non-empty, which is what the SDKs do for presence channels.
std::string ChannelSignature(std::string_view secret, std::string_view socket_id,
                             std::string_view channel, std::string_view channel_data = {});

// Lower-case hex signature for pusher:signin.
std::string UserSignature(std::string_view secret, std::string_view socket_id,
                          std::string_view user_data);

// The string ChannelSignature signs; callers use it with VerifyAuthToken.
std::string ChannelStringToSign(std::string_view socket_id, std::string_view channel,
                                std::string_view channel_data = {});
// The string UserSignature signs.
std::string UserStringToSign(std::string_view socket_id, std::string_view user_data);

// True iff |auth| is "<app_key>:<signature>" and the signature is the HMAC-SHA256 of
// |string_to_sign| under |app_secret|.
[[nodiscard]] bool VerifyAuthToken(std::string_view auth, std::string_view app_key,
                                   std::string_view app_secret, std::string_view string_to_sign);

// ^\d+\.\d+$ with 1..20 digits on each side (the format every server SDK validates).
[[nodiscard]] bool IsValidSocketId(std::string_view socket_id);

}  // namespace ringcast::auth
