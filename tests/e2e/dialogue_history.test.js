// Dialogue room history (issue 14; docs/protocols/dialogue.md, "History") with the real
// socket.io-client against --shards 2: getHistory pages (newest first) past the in-memory limit,
// syncHistoryOnJoin (N per event, `true`) with nothing received twice while events flow during
// the join, one timestamp per publication (live and history agree), backend triggers kept with
// from "system", the answers Dialogue gives (no eventName, unknown rooms, bad ranges, its rate
// limit), and the history surviving a restart and a kill -9.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { io } = require('socket.io-client');
const { sioClient, next, clientsOnBothShards } = require('./lib/dialogue');
const { startServer, pusherServer, shardOf, APP, waitFor } = require('./lib/harness');

const CONFIG = {
  limits: { client_events_per_second: 1000 },
  dialogue: {
    history_store_limit: 30,
    rooms: [
      {
        id: 'chat', name: 'Chat', defaultSubscriptions: ['message'], syncHistoryOnJoin: 3,
        events: [{ name: 'message', history: { enabled: true, limit: 5 } }, { name: 'typing' }],
      },
      { id: 'log', name: 'Log', defaultSubscriptions: ['*'], syncHistoryOnJoin: true, events: [{ name: '*', history: { enabled: true, limit: 4 } }] },
      { id: 'flow', name: 'Flow', defaultSubscriptions: ['n'], syncHistoryOnJoin: 50, events: [{ name: 'n', history: { enabled: true, limit: 1000 } }] },
      { id: 'plain', name: 'Plain', events: [{ name: 'message' }] },
    ],
  },
};

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringcast-dialogue-history-'));
let server;
const start = async () => { server = await startServer({ shards: 2, config: CONFIG, args: ['--data-dir', dir] }); };
test.before(start);
test.after(async () => { await server.stop(); });

const client = (auth = {}) => sioClient(server.port, auth, { transports: ['websocket'] });

async function join(socket, roomId) {
  socket.emit('dialogue:join', { roomId });
  return next(socket, 'dialogue:joined', (m) => m.roomId === roomId);
}

// As Dialogue's room.getHistory(eventName, start, end): the answer is dialogue:historyResponse.
async function getHistory(socket, roomId, eventName, start, end) {
  socket.emit('dialogue:getHistory', { roomId, eventName, start, end });
  const r = await next(socket, 'dialogue:historyResponse', (m) => m.roomId === roomId && m.eventName === eventName);
  return r.events;
}

const trigger = (socket, roomId, event, data) => socket.emitWithAck('dialogue:trigger', { roomId, event, data });
const settle = (ms = 150) => new Promise((r) => setTimeout(r, ms));

test('getHistory pages newest first, past the in-memory limit; live and history show one timestamp', async () => {
  const a = await client({ userId: 'alice' });
  const b = await client({ userId: 'bob' });
  try {
    await join(a, 'chat');
    for (let i = 1; i <= 12; ++i) await trigger(a, 'chat', 'message', { i });
    const live = [];
    for (let i = 1; i <= 12; ++i) live.push(await next(a, 'dialogue:event', (m) => m.data.i === i));
    const page1 = await getHistory(b, 'chat', 'message', 0, 5);
    assert.deepEqual(page1.map((e) => e.data.i), [12, 11, 10, 9, 8]);
    const page2 = await getHistory(b, 'chat', 'message', 5, 10);  // past memory (limit 5): the store
    assert.deepEqual(page2.map((e) => e.data.i), [7, 6, 5, 4, 3]);
    const page3 = await getHistory(b, 'chat', 'message', 10, 60);
    assert.deepEqual(page3.map((e) => e.data.i), [2, 1]);
    for (const e of [...page1, ...page2, ...page3]) {
      const l = live.find((x) => x.data.i === e.data.i);
      assert.deepEqual(e, l, 'the history entry is the envelope delivered live, timestamp included');
      assert.equal(e.from, 'alice');
      assert.equal(e.event, 'message');
      assert.equal(e.roomId, 'chat');
    }
    for (let i = 1; i < live.length; ++i) assert.ok(live[i].timestamp >= live[i - 1].timestamp);
    // Default range (0, 50), and events the room does not keep.
    const all = await getHistory(b, 'chat', 'message');
    assert.equal(all.length, 12);
    await trigger(a, 'chat', 'typing', { on: true });
    assert.deepEqual(await getHistory(b, 'chat', 'typing', 0, 10), []);
  } finally {
    a.disconnect();
    b.disconnect();
  }
});

test('syncHistoryOnJoin: the newest N per event on join (dialogue:history), all kept with true', async () => {
  const a = await client({ userId: 'a' });
  const b = await client({ userId: 'b' });
  try {
    await join(b, 'chat');
    const h = await next(b, 'dialogue:history', (m) => m.roomId === 'chat');
    assert.deepEqual(h.events.map((e) => e.data.i), [12, 11, 10]);
    // "*" with history: each name its own log (limit 4 each), merged newest first on join.
    await join(a, 'log');
    for (const [event, i] of [['x', 1], ['y', 2], ['x', 3], ['z', 4], ['x', 5], ['x', 6], ['x', 7], ['x', 8]]) {
      await trigger(a, 'log', event, { i });
    }
    for (let i = 1; i <= 8; ++i) await next(a, 'dialogue:event', (m) => m.data.i === i);
    await join(b, 'log');
    const lh = await next(b, 'dialogue:history', (m) => m.roomId === 'log');
    assert.deepEqual(lh.events.map((e) => `${e.event}${e.data.i}`), ['x8', 'x7', 'x6', 'x5', 'z4', 'y2']);
    // A room without history sends none.
    await join(b, 'plain');
    await settle();
    assert.equal(b.log.filter((m) => m.event === 'dialogue:history' && m.args[0].roomId === 'plain').length, 0);
  } finally {
    a.disconnect();
    b.disconnect();
  }
});

test('a join while events flow: history and live together hold every event once, in order', async () => {
  const sender = await client({ userId: 'sender' });
  // The kernel spreads connections over the shards by hash: until both hold one, then 8 at least.
  const joiners = await clientsOnBothShards((i) => client({ userId: `j${i}` }));
  while (joiners.length < 8) joiners.push(await client({ userId: `j${joiners.length}` }));
  try {
    let n = 0;
    let stop = false;
    const pump = (async () => {
      while (!stop) await trigger(sender, 'flow', 'n', { n: ++n });
    })();
    await settle(30);
    for (const s of joiners) {
      await join(s, 'flow');
      await settle(10);
    }
    const target = n + 30;
    while (n < target) await settle(10);
    stop = true;
    await pump;
    // Every joiner has the last event live (a loaded machine may take a while), then a little
    // more for anything that would come twice.
    const lastLive = (s) => s.log.filter((m) => m.event === 'dialogue:event').map((m) => m.args[0].data.n).pop();
    await waitFor(() => joiners.every((s) => lastLive(s) === n), 10000).catch(() => {});
    await settle(100);
    for (const s of joiners) {
      const hist = s.log.filter((m) => m.event === 'dialogue:history').flatMap((m) => m.args[0].events).map((e) => e.data.n).reverse();
      const live = s.log.filter((m) => m.event === 'dialogue:event').map((m) => m.args[0].data.n);
      const seen = [...hist, ...live];
      assert.equal(new Set(seen).size, seen.length, `nothing twice: ${seen.join(',')}`);
      assert.ok(live.length > 0, 'live events after the join');
      assert.equal(live[live.length - 1], n);
      // Gap-free from the first history entry to the last live one.
      for (let i = 1; i < seen.length; ++i) assert.equal(seen[i], seen[i - 1] + 1, `in order: ${seen.join(',')}`);
    }
  } finally {
    sender.disconnect();
    for (const s of joiners) s.disconnect();
  }
});

test('a backend (REST) trigger is kept with from "system"; Dialogue\'s answers for odd requests', async () => {
  const a = await client({ userId: 'a' });
  try {
    await pusherServer(server.port).trigger('chat', 'message', JSON.stringify({ i: 100 }));
    const [top] = await getHistory(a, 'chat', 'message', 0, 1);
    assert.deepEqual(top.data, { i: 100 });
    assert.equal(top.from, 'system');
    // No eventName: an empty answer with eventName null (as Dialogue).
    a.emit('dialogue:getHistory', { roomId: 'chat' });
    assert.deepEqual(await next(a, 'dialogue:historyResponse'), { roomId: 'chat', eventName: null, events: [], start: 0, end: 50 });
    a.emit('dialogue:getHistory', { roomId: 'nope', eventName: 'message' });
    assert.equal((await next(a, 'dialogue:error')).code, 'ROOM_NOT_FOUND');
    a.emit('dialogue:getHistory', { roomId: 'chat', eventName: 'message', start: -1 });
    assert.equal((await next(a, 'dialogue:error')).code, 'INVALID_REQUEST');
    a.emit('dialogue:getHistory', { eventName: 'message' });
    assert.equal((await next(a, 'dialogue:error')).code, 'INVALID_REQUEST');
    // An ack, when asked, carries the same answer.
    const acked = await a.emitWithAck('dialogue:getHistory', { roomId: 'chat', eventName: 'message', start: 0, end: 2 });
    assert.deepEqual(acked.events.map((e) => e.data.i), [100, 12]);
    // Dialogue's limit: 20 history requests a minute per socket (5 used above).
    const codes = [];
    for (let i = 0; i < 16; ++i) {
      const r = await a.emitWithAck('dialogue:getHistory', { roomId: 'chat', eventName: 'message', start: 0, end: 1 });
      codes.push(r.code || 'ok');
    }
    assert.deepEqual(codes.slice(0, 15), Array(15).fill('ok'));
    assert.equal(codes[15], 'RATE_LIMITED');
  } finally {
    a.disconnect();
  }
});

test('history outlives a restart and a kill -9; the store keeps history_store_limit per event', async () => {
  const a = await client({ userId: 'a' });
  const before = await getHistory(a, 'chat', 'message', 0, 100);
  a.disconnect();
  assert.equal(before.length, 13);
  await server.stop('SIGTERM');
  await start();
  const b = await client({ userId: 'b' });
  assert.deepEqual(await getHistory(b, 'chat', 'message', 0, 100), before);
  // Numbering and stamps go on; what a member received is there after a kill -9, meta too.
  await join(b, 'chat');
  for (let i = 13; i <= 40; ++i) {
    const meta = i % 2 === 1 ? { odd: i } : undefined;
    await b.emitWithAck('dialogue:trigger', { roomId: 'chat', event: 'message', data: { i }, meta });
  }
  let last;
  for (let i = 13; i <= 40; ++i) last = await next(b, 'dialogue:event', (m) => m.data.i === i);
  assert.ok(last.timestamp >= before[0].timestamp);
  b.disconnect();
  await server.stop('SIGKILL');
  await start();
  const c = await client({ userId: 'c' });
  try {
    const after = await getHistory(c, 'chat', 'message', 0, 100);
    // history_store_limit 30: the newest 30 of 41 (1..12, 100, 13..40): 40..13, 100, 12.
    assert.equal(after.length, 30);
    assert.deepEqual(after.slice(0, 3).map((e) => e.data.i), [40, 39, 38]);
    assert.equal(after[after.length - 1].data.i, 12);
    assert.deepEqual(after[0], last);
    // From memory (the newest 5) and from the store alike: meta where the trigger had one.
    for (const e of after.slice(0, 28)) {
      assert.deepEqual(e.meta, e.data.i % 2 === 1 ? { odd: e.data.i } : undefined, `meta of ${e.data.i}`);
    }
  } finally {
    c.disconnect();
  }
});

test('a publish to a room nobody is in is in the history at once (channel history off)', async () => {
  // Without the app's channel history a publication nobody subscribes to is not routed at all:
  // the room's history must still show it.
  const config = { apps: [{ id: APP.appId, key: APP.key, secret: APP.secret, history_size: 0 }], dialogue: CONFIG.dialogue };
  const other = await startServer({ shards: 2, config });
  const socket = io(`http://127.0.0.1:${other.port}`, { transports: ['websocket'], reconnection: false });
  try {
    await new Promise((resolve) => socket.once('dialogue:connected', resolve));
    await pusherServer(other.port).trigger('chat', 'message', JSON.stringify({ alone: true }));
    const r = await socket.emitWithAck('dialogue:getHistory', { roomId: 'chat', eventName: 'message', start: 0, end: 5 });
    assert.deepEqual(r.events.map((e) => e.data), [{ alone: true }]);
  } finally {
    socket.disconnect();
    await other.stop();
  }
});

test('every client trigger acknowledged in a history room is in the history after a kill -9', async () => {
  const a = await client({ userId: 'acked' });
  await join(a, 'flow');
  // 25 triggers at once (history_store_limit 30 keeps them all); the kill follows the last ack
  // at once, without waiting for any delivery.
  const acks = await Promise.all(Array.from({ length: 25 }, (_, i) => trigger(a, 'flow', 'n', { k: 1000 + i })));
  await server.stop('SIGKILL');
  a.disconnect();
  const acked = acks.map((r, i) => (r && r.code ? null : 1000 + i)).filter((x) => x !== null);
  assert.ok(acked.length >= 20, `acks: ${JSON.stringify(acks.slice(0, 3))}`);
  await start();
  const b = await client({ userId: 'reader' });
  try {
    const kept = new Set((await getHistory(b, 'flow', 'n', 0, 100)).map((e) => e.data.k));
    assert.deepEqual(acked.filter((k) => !kept.has(k)), [], 'acknowledged but lost');
  } finally {
    b.disconnect();
  }
});
