#include "apps/mochat/mochat_socket.h"

#include <charconv>

#include "util/json_writer.h"

namespace ringcast::apps::mochat {

namespace sio = protocols::socketio;

namespace {

std::string Failure(std::string_view code, std::string_view message) {
  std::string out = "{\"success\":false,\"error\":";
  util::JsonObject(&out).Str("code", code).Str("message", message).Close();
  out += '}';
  return out;
}

bool IsSubscriptionEvent(std::string_view name) {
  return name == "session:subscribe" || name == "session:unsubscribe" ||
         name == "panel:subscribe" || name == "panel:unsubscribe";
}

}  // namespace

void MochatSocketApp::OnConnect(sio::DialogueSocket& socket, std::string_view auth) {
  std::string_view token;
  simdjson::dom::object o;
  if (!auth.empty()) {
    padded_.assign(auth);
    padded_.resize(auth.size() + simdjson::SIMDJSON_PADDING);
    if (parser_.parse(padded_.data(), auth.size(), false).get_object().get(o) ==
        simdjson::SUCCESS) {
      if (o["token"].get_string().get(token) != simdjson::SUCCESS) token = {};
    }
  }
  if (token.empty()) {
    socket.RefuseConnect("Authentication failed: auth.token is required");
    return;
  }
  auto* h = new engine::HookCall();
  h->hook = kConnectCall;
  h->body = std::string(token);
  h->has_tag = true;
  if (!socket.CallControl(h)) socket.RefuseConnect("Server busy, retry");
}

void MochatSocketApp::OnEvent(sio::DialogueSocket& socket, std::string_view name,
                              const simdjson::dom::element* arg, const sio::SioPacket& p) {
  if (!IsSubscriptionEvent(name)) {
    // Not MoChat's: ignored, answered when the client waits for an ack.
    socket.Ack(p, Failure("UNKNOWN_EVENT", "Unknown event"));
    return;
  }
  auto* h = new engine::HookCall();
  h->hook = kEventCall;
  h->event = std::string(name);
  h->data = arg != nullptr ? simdjson::minify(*arg) : std::string("null");
  h->user_id = socket.user_id();
  h->has_tag = p.has_id;
  h->tag = p.id;
  if (!socket.CallControl(h)) socket.Ack(p, Failure("SERVER_BUSY", "Server busy, retry"));
}

void MochatSocketApp::OnAnswer(sio::DialogueSocket& socket, engine::HookCall& h) {
  if (h.hook == kConnectCall) {
    if (!h.allowed) {
      socket.RefuseConnect("Authentication failed: invalid token");
      return;
    }
    socket.AcceptConnect(h.answer_user_id, h.app);
    if (!socket.connected()) return;  // gone meanwhile, or over the app's quota
    // Joined right after the CONNECT's answer, before any event of the client is read: its
    // first subscribe reaches the control plane behind the occupancy notes.
    uint64_t token_id = 0;  // HandleMochatCall writes it in claims, in decimal
    (void)std::from_chars(h.claims.data(), h.claims.data() + h.claims.size(), token_id);
    if (!socket.JoinChannel(AgentChannel(h.answer_user_id)) ||
        !socket.JoinChannel(TokenChannel(token_id))) {
      socket.CloseSoon(1013, "Server busy, reconnect later");
    }
    return;
  }
  if (h.hook == kEventCall) {
    sio::SioPacket p;
    p.has_id = h.has_tag;
    p.id = h.tag;
    socket.Ack(p, h.message.empty() ? Failure("SERVER_ERROR", "No answer") : h.message);
  }
}

void MochatSocketApp::OnEnd(sio::DialogueSocket& socket) {
  if (!socket.connected()) return;  // never accepted: nothing was remembered
  auto* h = new engine::HookCall();
  h->hook = kClosedCall;
  (void)socket.CallControl(h);  // backed up: its subscriptions go with the socket bound
}

bool MochatSocketApp::OnPublication(sio::DialogueSocket& socket,
                                    const engine::PublicationView& pub) {
  if (pub.event == kRevokeEvent) {
    socket.CloseSoon(kCloseTokenRevoked, "Token rotated");
    return false;
  }
  return pub.event.starts_with("notify:");
}

}  // namespace ringcast::apps::mochat
