// DialogueSession: the Engine.IO WebSocket transport of a DialogueSocket (dialogue_socket.h),
// GET {dialogue.path}/?EIO=4&transport=websocket[&sid=...].
//
// Without a sid it opens a new socket and sends the open packet at once. With the sid of a
// long-polling socket of this shard it is that socket's upgrade (server/eio_polls.h): "2probe"
// is answered "3probe" and the polling side flushes its waiting poll with a noop; on "5"
// (upgrade) the socket moves here and what the polling side still held is sent first. A close
// before "5" leaves the socket on polling.
// Thread rules: the owning shard's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine/shard_env.h"
#include "protocols/socketio/dialogue_socket.h"
#include "protocols/ws_session.h"

namespace ringcast::protocols::socketio {

// The long-polling side of an upgrade (implemented by the shard's polling sessions).
class DialogueUpgradeSource {
 public:
  virtual ~DialogueUpgradeSource() = default;
  // The probe succeeded: answer a waiting poll with a noop. False when the sid is gone.
  virtual bool OnProbe(std::string_view sid) = 0;
  // The upgrade ("5"): the socket leaves polling; its still-held packets are appended to
  // `held` (one packet each). Null when the sid is gone.
  virtual std::unique_ptr<DialogueSocket> TakeForUpgrade(std::string_view sid,
                                                         std::vector<std::string>* held) = 0;
  // The WebSocket closed before "5".
  virtual void OnProbeAbandoned(std::string_view sid) = 0;
};

class DialogueSession : public WsSession, public DialogueTransport {
 public:
  DialogueSession(engine::ShardEnv* env, DialogueShared* shared, net::Connection& conn);

  // A new socket: sends the open packet and arms the ping (or closes when the app cannot take
  // it). `app`: the Socket.IO application it serves (sio_app.h; null: Dialogue).
  void Start(SioApp* app = nullptr);
  // The upgrade of polling socket `sid` (on this shard).
  void StartUpgrade(DialogueUpgradeSource* source, std::string sid);

  void OnTimer(net::Connection& c, uint8_t kind) override;
  void OnClosed(net::Connection& c) override;

  void SendPacket(std::string_view packet) override;
  void SendPacketFrame(net::LocalFrame* frame) override;
  void CloseTransport(uint16_t code, std::string_view reason) override;
  void ScheduleSocketTimer(uint64_t deadline_ms, uint8_t kind) override;

 protected:
  bool OnTextMessage(std::string_view text) override;
  bool OnBinaryMessage(std::string_view bytes) override;

 private:
  static constexpr uint8_t kSocketTimerBase = kFirstDerivedTimer;  // + the socket's kind
  static constexpr uint64_t kUpgradeTimeoutMs = 10000;
  static constexpr uint8_t kUpgradeTimer = kFirstDerivedTimer + 20;

  bool OnUpgradeText(std::string_view text);

  DialogueShared* shared_;
  std::unique_ptr<DialogueSocket> socket_;
  DialogueUpgradeSource* source_ = nullptr;  // while upgrading
  std::string upgrade_sid_;
};

}  // namespace ringcast::protocols::socketio
