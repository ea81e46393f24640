#include "protocols/socketio/dialogue_session.h"

#include <utility>

namespace ringcast::protocols::socketio {

DialogueSession::DialogueSession(engine::ShardEnv* env, DialogueShared* shared,
                                 net::Connection& conn)
    : WsSession(env, conn), shared_(shared) {}

void DialogueSession::Start(SioApp* app) {
  socket_ = std::make_unique<DialogueSocket>(&env(), shared_, conn().serial(), app);
  uint16_t code = 0;
  const char* refused = conn().over_capacity() ? "Over capacity" : socket_->Acquire(&code);
  if (refused != nullptr) {
    socket_.reset();
    return Close(code == 0 ? 1013 : code, refused);
  }
  std::string open = "0" + socket_->OpenData(/*upgrades=*/false);
  SendText(open);
  socket_->Attach(this);
}

void DialogueSession::StartUpgrade(DialogueUpgradeSource* source, std::string sid) {
  source_ = source;
  upgrade_sid_ = std::move(sid);
  loop().ScheduleTimer(conn(), loop().now_ms() + kUpgradeTimeoutMs, kUpgradeTimer);
}

bool DialogueSession::OnUpgradeText(std::string_view text) {
  if (text == "2probe") {
    if (!source_->OnProbe(upgrade_sid_)) {
      source_ = nullptr;
      Close(1000, "Session ID unknown");
      return false;
    }
    SendText("3probe");
    return true;
  }
  if (text != "5") {
    return true;  // nothing else belongs on the socket before the upgrade (engine.io ignores it)
  }
  std::vector<std::string> held;
  socket_ = source_->TakeForUpgrade(upgrade_sid_, &held);
  source_ = nullptr;
  if (!socket_) {
    Close(1000, "Session ID unknown");
    return false;
  }
  for (const std::string& packet : held) SendText(packet);
  socket_->Attach(this);
  return conn().open();
}

void DialogueSession::OnTimer(net::Connection& c, uint8_t kind) {
  if (kind == kUpgradeTimer) {
    if (source_ != nullptr && c.open() && !closing()) {
      source_->OnProbeAbandoned(upgrade_sid_);
      source_ = nullptr;
      Close(1000, "Upgrade timeout");
    }
    return;
  }
  if (kind >= kSocketTimerBase && kind < kUpgradeTimer) {
    if (socket_ && !closing() && c.open()) socket_->OnTimer(kind - kSocketTimerBase);
    return;
  }
  WsSession::OnTimer(c, kind);
}

void DialogueSession::OnClosed(net::Connection& c) {
  (void)c;
  if (source_ != nullptr) source_->OnProbeAbandoned(upgrade_sid_);
  source_ = nullptr;
  socket_.reset();  // leaves its rooms, releases the app's connection
}

bool DialogueSession::OnTextMessage(std::string_view text) {
  if (source_ != nullptr) return OnUpgradeText(text);
  if (!socket_) return false;
  return socket_->OnEioText(text) && conn().open();
}

bool DialogueSession::OnBinaryMessage(std::string_view bytes) {
  (void)bytes;
  if (!socket_) {
    Close(1003, "Unexpected binary message");
    return false;
  }
  return socket_->OnEioBinary() && conn().open();
}

void DialogueSession::SendPacket(std::string_view packet) { SendText(packet); }

void DialogueSession::SendPacketFrame(net::LocalFrame* frame) {
  if (closing()) return;
  frame->Ref();
  loop().Send(conn(), frame);
}

void DialogueSession::CloseTransport(uint16_t code, std::string_view reason) {
  Close(code, reason);
}

void DialogueSession::ScheduleSocketTimer(uint64_t deadline_ms, uint8_t kind) {
  loop().ScheduleTimer(conn(), deadline_ms, static_cast<uint8_t>(kSocketTimerBase + kind));
}

}  // namespace ringcast::protocols::socketio
