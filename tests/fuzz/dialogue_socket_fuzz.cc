// libFuzzer target for a Dialogue socket's message handling (protocols/socketio/dialogue_socket.h):
// the input is split like a long-polling body and each Engine.IO packet goes to one socket, as
// a client would send it ('b' packets as binary data), on a real ShardEnv with a fixed Dialogue
// config (a wildcard room, a bounded room, a room with a schema, a read-only room). The control
// plane's answers to bounded-room joins are given after each packet (granted and refused in
// turn), and so are its answers to history queries (a join's sync, getHistory), with a JSON
// and a non-JSON event; createRoom / deleteRoom are decided by a real registry
// (api/dialogue_rooms.h) and applied as every shard applies them, and each input's created rooms
// are deleted after it. Even-sized inputs run without the per-user trigger limit (the shard
// forwards triggers itself); odd-sized ones go to a second socket world whose config turns every
// hook on (engine/hook_call.h), and whose triggers the control plane decides: its calls are
// answered allowed (with a user id and claims, or transformed data), refused, and
// failed-but-allowed in turn.
//
// Traps on: a packet the socket sends that is not an Engine.IO packet, or a Socket.IO message
// that does not decode or whose JSON does not parse; a hook call whose body is not a JSON
// object; a membership left behind when the socket is gone; a granted room slot not given back.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/dialogue_rooms.h"
#include "config/config.h"
#include "engine/app_registry.h"
#include "engine/shard_env.h"
#include "engine/socket_id.h"
#include "net/io_loop.h"
#include "protocols/socketio/dialogue_shared.h"
#include "protocols/socketio/dialogue_socket.h"
#include "protocols/socketio/packet.h"

namespace {

namespace sio = ringcast::protocols::socketio;
namespace engine = ringcast::engine;

#define FUZZ_CHECK(cond)           \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

struct Link : engine::ControlLink {
  bool NoteOccupied(uint32_t, std::string_view) override { return true; }
  void NoteVacated(uint32_t, std::string_view) override {}
  bool ForwardPublication(ringcast::runtime::SharedBuf* buf) override {
    buf->Release();
    return true;
  }
  bool NotePresenceJoin(engine::PresenceNote* note) override {
    delete note;
    return false;
  }
  void NotePresenceLeave(uint32_t, std::string_view, std::string_view, uint64_t) override {}
  bool NoteRoomJoin(engine::RoomSlot* slot) override {
    slots.emplace_back(slot);
    return true;
  }
  void NoteRoomLeave(uint32_t, std::string_view) override { --held; }
  bool QueryRoomHistory(engine::RoomHistoryQuery* q) override {
    histories.emplace_back(q);
    return true;
  }
  bool RequestRoomChange(engine::RoomChange* c) override {
    changes.emplace_back(c);
    return true;
  }
  bool CallHook(engine::HookCall* h) override {
    simdjson::dom::object obj;
    if (h->kind == engine::HookCall::Kind::kTrigger && !h->before_each) {
      FUZZ_CHECK(h->body.empty());  // nobody is asked: no body built
    } else {
      FUZZ_CHECK(json.parse(h->body).get_object().get(obj) == simdjson::SUCCESS);
    }
    if (h->kind == engine::HookCall::Kind::kNotify) {
      delete h;
      return true;
    }
    hooks.emplace_back(h);
    return true;
  }
  simdjson::dom::parser json;
  std::vector<std::unique_ptr<engine::HookCall>> hooks;
  std::vector<std::unique_ptr<engine::RoomSlot>> slots;
  std::vector<std::unique_ptr<engine::RoomHistoryQuery>> histories;
  std::vector<std::unique_ptr<engine::RoomChange>> changes;
  int held = 0;  // slots granted and not given back
};

struct Transport : sio::DialogueTransport {
  void SendPacket(std::string_view packet) override {
    sio::EioPacket e;
    FUZZ_CHECK(sio::DecodeEioPacket(packet, &e));
    if (e.type != sio::EioType::kMessage) return;
    sio::SioPacket p;
    FUZZ_CHECK(sio::DecodeSioPacket(e.data, &p) == nullptr);
    if (p.data.empty()) return;
    simdjson::dom::element value;
    FUZZ_CHECK(json.parse(std::string(p.data)).get(value) == simdjson::SUCCESS);
  }
  void SendPacketFrame(ringcast::net::LocalFrame*) override {}
  void CloseTransport(uint16_t, std::string_view) override {}
  void ScheduleSocketTimer(uint64_t, uint8_t) override {}
  simdjson::dom::parser json;
};

constexpr const char* kConfig = R"({"dialogue":{"user_events_per_second":0,"rooms":[
  {"id":"any","name":"Any","events":[{"name":"*"}],"defaultSubscriptions":["*"]},
  {"id":"duo","name":"Duo","maxSize":2,"events":["m"]},
  {"id":"chat","name":"Chat","defaultSubscriptions":["message"],"syncHistoryOnJoin":true,
   "events":[{"name":"message","history":{"enabled":true},"schema":{"type":"object","required":["text"],
     "properties":{"text":{"type":"string","maxLength":20},"n":{"type":"integer","minimum":0},
                   "tags":{"type":"array","items":{"enum":["a","b"]},"maxItems":3}}}}]},
  {"id":"user:1","name":"Read only","events":[]}]}})";

// The control plane's answers to the history queries asked so far (two events each).
void AnswerHistories(sio::DialogueShared* shared, Link* link) {
  std::vector<std::unique_ptr<engine::RoomHistoryQuery>> qs = std::move(link->histories);
  link->histories.clear();
  uint64_t stamp = 1000;
  for (auto& q : qs) {
    for (const char* data : {"{\"text\":\"x\"}", "not \"json\""}) {
      engine::RoomHistoryQuery::Item item;
      item.event = q->sync ? "message" : q->event;
      item.stamp_us = stamp++;
      item.from = "u\"1";
      item.data = data;
      q->items.push_back(std::move(item));
    }
    shared->OnRoomHistory(*q);
  }
}

// The control plane's answers to the hook calls made so far: allowed (a user id and claims, or
// transformed data), refused, failed and allowed anyway, in turn.
void AnswerHooks(sio::DialogueShared* shared, Link* link, uint32_t* turn) {
  std::vector<std::unique_ptr<engine::HookCall>> hs = std::move(link->hooks);
  link->hooks.clear();
  for (auto& h : hs) {
    switch ((*turn)++ % 3) {
      case 0:
        h->allowed = true;
        h->answer_user_id = "hooked\"user";
        h->claims = R"({"role":"vip"})";
        h->data = R"({"text":"HOOKED"})";
        break;
      case 1:
        h->allowed = false;
        h->message = "refused \"here\"";
        if (h->kind == engine::HookCall::Kind::kTrigger) h->code = "VALIDATION_FAILED";
        break;
      default:
        h->allowed = true;
        h->failed = true;
        h->message = "beforeJoin hook failed: timed out";
        break;
    }
    shared->OnHookAnswer(*h);
  }
}

// The control plane's decisions on the room changes asked so far, applied to the shard.
void AnswerChanges(sio::DialogueShared* shared, Link* link, ringcast::api::DialogueRooms* rooms) {
  std::vector<std::unique_ptr<engine::RoomChange>> cs = std::move(link->changes);
  link->changes.clear();
  for (auto& c : cs) {
    rooms->Apply(c.get());
    c->asker = true;
    shared->OnRoomChange(*c);
  }
}

constexpr const char* kHookedConfig = R"({"dialogue":{"hooks":{"url":"http://127.0.0.1:9/hooks",
  "on":["authenticate","beforeJoin","beforeEach","afterEach","connected","disconnected","joined",
        "left","roomCreated","roomDeleted"]},"rooms":[
  {"id":"any","name":"Any","events":[{"name":"*"}],"defaultSubscriptions":["*"]},
  {"id":"duo","name":"Duo","maxSize":2,"events":["m"]}]}})";

struct World {
  explicit World(const char* config) {
    if (!ringcast::config::ApplyConfigJson(config, &cfg).empty() ||
        !ringcast::config::Finalize(&cfg).empty()) {
      __builtin_trap();
    }
    apps = std::make_unique<engine::AppRegistry>(cfg.apps);
    env = std::make_unique<engine::ShardEnv>(0, &loop, apps.get(), &cfg, &ids, &link);
    shared.Register(env.get());
    rooms = std::make_unique<ringcast::api::DialogueRooms>(&cfg.dialogue, 64);
  }
  ringcast::config::ServerConfig cfg;
  std::unique_ptr<engine::AppRegistry> apps;
  engine::SocketIdCodec ids{1};
  ringcast::net::IoLoop loop;
  Link link;
  std::unique_ptr<engine::ShardEnv> env;
  sio::DialogueShared shared;
  std::unique_ptr<ringcast::api::DialogueRooms> rooms;
  uint32_t hook_turn = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* plain = new World(kConfig);
  static World* hooked = new World(kHookedConfig);
  World* world = (size & 1) != 0 ? hooked : plain;
  static uint64_t serial = 0;
  Transport transport;
  bool grant = true;
  {
    sio::DialogueSocket socket(world->env.get(), &world->shared, ++serial);
    uint16_t code = 0;
    FUZZ_CHECK(socket.Acquire(&code) == nullptr);
    socket.Attach(&transport);
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    for (std::string_view packet : sio::SplitEioPayload(in)) {
      bool open =
          !packet.empty() && packet[0] == 'b' ? socket.OnEioBinary() : socket.OnEioText(packet);
      // The control plane's answers, as they would come back.
      std::vector<std::unique_ptr<engine::RoomSlot>> slots = std::move(world->link.slots);
      world->link.slots.clear();
      for (auto& slot : slots) {
        slot->granted = grant;
        grant = !grant;
        if (slot->granted) ++world->link.held;
        world->shared.OnRoomSlot(*slot);
      }
      AnswerHistories(&world->shared, &world->link);
      AnswerChanges(&world->shared, &world->link, world->rooms.get());
      AnswerHooks(&world->shared, &world->link, &world->hook_turn);
      if (!open || socket.closed()) break;
    }
  }
  // Late answers find no socket: a granted slot is given back.
  for (auto& slot : world->link.slots) {
    slot->granted = true;
    ++world->link.held;
    world->shared.OnRoomSlot(*slot);
  }
  world->link.slots.clear();
  AnswerHistories(&world->shared, &world->link);  // late: no socket takes them
  AnswerChanges(&world->shared, &world->link, world->rooms.get());
  AnswerHooks(&world->shared, &world->link, &world->hook_turn);  // late: no socket takes them
  // The input's created rooms go, so that every input starts from the config's rooms.
  while (!world->shared.created.empty()) {
    const size_t before = world->shared.created.size();
    auto* c = new engine::RoomChange();
    c->op = engine::RoomChange::Op::kDelete;
    c->id = world->shared.created.back()->id;
    c->backend = true;  // the backend deletes any created room
    world->link.changes.emplace_back(c);
    AnswerChanges(&world->shared, &world->link, world->rooms.get());
    FUZZ_CHECK(world->shared.created.size() == before - 1);
    FUZZ_CHECK(world->rooms->created() == world->shared.created.size());
  }
  FUZZ_CHECK(world->env->channels().channel_count() == 0);
  FUZZ_CHECK(world->link.held == 0);
  return 0;
}
