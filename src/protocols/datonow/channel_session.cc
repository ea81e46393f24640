#include "protocols/datonow/channel_session.h"

#include "engine/app_registry.h"
#include "engine/datonow_channels.h"
#include "util/json_writer.h"

namespace ringcast::protocols::datonow {

DatonowChannelSession::DatonowChannelSession(engine::ShardEnv* env, DatonowShared* shared,
                                             net::Connection& conn, uint32_t app)
    : PusherSession(env, &shared->pusher, conn, app, 0, {}),
      dshared_(shared),
      command_sub_(&conn, shared->format) {}

void DatonowChannelSession::Start() {
  if (app() != engine::AppRegistry::kNone && env().apps().app(app()).enabled &&
      !conn().over_capacity() && !env().shutting_down()) {
    // Refused only when the control plane is backed up: REST subscriptions then answer 404
    // (socket not connected) and the client can still subscribe over the socket.
    (void)env().Subscribe(app(), engine::datonow::SocketChannel(socket_id()), &command_sub_);
  }
  PusherSession::Start();
}

void DatonowChannelSession::OnClosed(net::Connection& c) {
  env().UnsubscribeAll(&command_sub_);
  PusherSession::OnClosed(c);
}

void DatonowChannelSession::QueueCommand(std::string_view text) {
  if (closing()) return;
  if (!commands_) commands_ = std::make_unique<std::vector<std::string>>();
  if (commands_->size() >= kMaxCommands) {
    std::string data;
    util::JsonObject(&data)
        .Int("code", wire::kErrorRejected)
        .Str("message", "Too many REST subscription requests waiting; dropped")
        .Close();
    SendEvent("pusher:error", {}, data);
    return;
  }
  commands_->emplace_back(text);
  if (commands_->size() == 1) loop().ScheduleTimer(conn(), loop().now_ms(), kCommandTimer);
}

void DatonowChannelSession::OnTimer(net::Connection& c, uint8_t kind) {
  if (kind != kCommandTimer) {
    PusherSession::OnTimer(c, kind);
    return;
  }
  if (!commands_) return;
  std::unique_ptr<std::vector<std::string>> run = std::move(commands_);
  for (const std::string& text : *run) {
    if (closing() || !c.open()) break;
    (void)OnTextMessage(text);
  }
}

bool DatonowChannelSession::OnTextMessage(std::string_view text) {
  std::string translated;
  if (const char* err = dshared_->translator.Translate(text, &translated)) {
    std::string data;
    util::JsonObject(&data).Int("code", wire::kErrorGeneric).Str("message", err).Close();
    SendEvent("pusher:error", {}, data);
    return conn().open();
  }
  return PusherSession::OnTextMessage(translated);
}

void DatonowChannelSession::SendEvent(std::string_view event, std::string_view channel,
                                      std::string_view data_json) {
  std::string& s = dshared_->scratch;
  s.clear();
  wire::AppendFrame(&s, event, channel, data_json, {}, &dshared_->validator);
  SendText(s);
}

}  // namespace ringcast::protocols::datonow
