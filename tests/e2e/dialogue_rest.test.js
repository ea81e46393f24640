// Dialogue's REST API (issue 14; docs/protocols/dialogue.md, "REST API") on --shards 2 with the
// real socket.io-client: requests signed like the Pusher HTTP API with the app's key and secret;
// POST /dialogue/rooms/{roomId}/events reaches the room's members on both shards as
// dialogue:event from "system" and is checked against the room's rules (400, nothing delivered);
// rooms created and deleted by the backend are broadcast, and only the backend deletes them;
// GET a room (its size over the shards), the room list, the participants; direct sends to one
// client and to every socket of a user; a user's created rooms are capped (TOO_MANY_ROOMS).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { startServer, APP, shardOf } = require('./lib/harness');
const { sioClient, next, clientsOnBothShards } = require('./lib/dialogue');

const CONFIG = {
  limits: { client_events_per_second: 1000 },
  dialogue: {
    rooms: [
      { id: 'chat', name: 'Chat', defaultSubscriptions: ['message'],
        events: [{ name: 'message', schema: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } } }] },
      { id: 'user:42', name: 'Inbox', defaultSubscriptions: ['*'], events: [] },
    ],
  },
};

let server;
test.before(async () => { server = await startServer({ shards: 2, config: CONFIG }); });
test.after(async () => { await server.stop(); });

// A signed request: "METHOD\nPATH\nsorted query" HMAC-SHA256 with the secret, as the Pusher API.
async function api(method, path, body, { secret = APP.secret } = {}) {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const params = { auth_key: APP.key, auth_timestamp: String(Math.floor(Date.now() / 1000)), auth_version: '1.0' };
  if (text !== undefined) params.body_md5 = crypto.createHash('md5').update(text).digest('hex');
  const query = Object.keys(params).sort().map((k) => `${k}=${params[k]}`).join('&');
  const sig = crypto.createHmac('sha256', secret).update(`${method}\n${path}\n${query}`).digest('hex');
  const res = await fetch(`http://127.0.0.1:${server.port}${path}?${query}&auth_signature=${sig}`, {
    method, body: text, headers: text === undefined ? {} : { 'Content-Type': 'application/json' },
  });
  return { status: res.status, body: await res.json() };
}

test('POST /dialogue/rooms/{id}/events: members on both shards get it from system; rules checked', async () => {
  const clients = await clientsOnBothShards(() => sioClient(server.port, {}, { transports: ['websocket'] }));
  for (const s of clients) s.emit('dialogue:join', { roomId: 'chat' });
  for (const s of clients) await next(s, 'dialogue:joined');
  assert.deepEqual(await api('POST', '/dialogue/rooms/chat/events', { event: 'message', data: { text: 'from the backend' } }),
    { status: 200, body: { ok: true } });
  for (const s of clients) {
    const ev = await next(s, 'dialogue:event');
    assert.deepEqual([ev.event, ev.roomId, ev.from, ev.data], ['message', 'chat', 'system', { text: 'from the backend' }]);
    assert.ok(Math.abs(ev.timestamp - Date.now()) < 60000);
  }
  // Refused, nothing delivered: schema, event not listed, unknown room, reserved name, bad body.
  const bad = [
    ['/dialogue/rooms/chat/events', { event: 'message', data: { text: 7 } }, 400, 'VALIDATION_FAILED'],
    ['/dialogue/rooms/chat/events', { event: 'typing', data: {} }, 400, 'VALIDATION_FAILED'],
    ['/dialogue/rooms/nope/events', { event: 'message', data: {} }, 404, 'ROOM_NOT_FOUND'],
    ['/dialogue/rooms/chat/events', { event: 'pusher:x', data: {} }, 400, 'EVENT_NOT_ALLOWED'],
    ['/dialogue/rooms/chat/events', { data: {} }, 400, 'INVALID_REQUEST'],
  ];
  for (const [path, body, status, reason] of bad) {
    const r = await api('POST', path, body);
    assert.equal(r.status, status, JSON.stringify(r));
    assert.equal(r.body.reason, reason);
  }
  // The backend may publish any event in a read-only room; ids with ':' work.
  const inbox = clients[0];
  inbox.emit('dialogue:join', { roomId: 'user:42' });
  await next(inbox, 'dialogue:joined', (d) => d.roomId === 'user:42');
  assert.equal((await api('POST', '/dialogue/rooms/user:42/events', { name: 'notice', data: 'plain text' })).status, 200);
  const notice = await next(inbox, 'dialogue:event', (m) => m.roomId === 'user:42');
  assert.deepEqual([notice.event, notice.data, notice.from], ['notice', 'plain text', 'system']);
  await new Promise((r) => setTimeout(r, 200));
  for (const s of clients) assert.equal(s.log.filter((m) => m.event === 'dialogue:event' && m.args[0].roomId === 'chat').length, 0);
  // Signature, method.
  assert.equal((await api('POST', '/dialogue/rooms/chat/events', { event: 'message', data: { text: 'x' } }, { secret: 'wrong' })).status, 401);
  assert.equal((await api('PUT', '/dialogue/rooms/chat/events', {})).status, 405);
  assert.equal((await api('GET', '/dialogue/nothing')).status, 404);
  for (const s of clients) s.disconnect();
});

test('rooms from the backend: created and deleted with broadcasts; size, list and participants over the shards', async () => {
  const clients = await clientsOnBothShards((i) => sioClient(server.port, { userId: `p${i}` }));
  const created = await api('POST', '/dialogue/rooms', { id: 'ops:1', name: 'Ops', maxSize: 10 });
  assert.equal(created.status, 201);
  assert.deepEqual(created.body, { id: 'ops:1', name: 'Ops', maxSize: 10 });
  for (const s of clients) assert.equal((await next(s, 'dialogue:roomCreated', (r) => r.id === 'ops:1')).name, 'Ops');
  assert.equal((await api('POST', '/dialogue/rooms', { id: 'ops:1', name: 'Again' })).body.reason, 'ROOM_EXISTS');
  assert.equal((await api('POST', '/dialogue/rooms', { name: 'no id' })).status, 400);

  for (const s of clients) assert.equal((await s.timeout(5000).emitWithAck('dialogue:join', { roomId: 'ops:1' })).roomId, 'ops:1');
  const info = await api('GET', '/dialogue/rooms/ops:1');
  assert.deepEqual(info, { status: 200, body: { id: 'ops:1', name: 'Ops', maxSize: 10, size: clients.length } });
  const who = await api('GET', '/dialogue/rooms/ops:1/participants');
  assert.equal(who.status, 200);
  assert.deepEqual(who.body.participants.map((p) => p.clientId).sort(), clients.map((s) => s.hello.clientId).sort());
  assert.deepEqual(who.body.participants.map((p) => p.userId).sort(), clients.map((s) => s.hello.userId).sort());
  const list = await api('GET', '/dialogue/rooms');
  assert.deepEqual(list.body.rooms.map((r) => r.id), ['chat', 'user:42', 'ops:1']);
  assert.equal(list.body.rooms[2].size, clients.length);
  assert.equal((await api('GET', '/dialogue/rooms/none')).status, 404);

  // A client may not delete the backend's room, nor anyone a room of the config.
  const denied = await clients[0].timeout(5000).emitWithAck('dialogue:deleteRoom', { roomId: 'ops:1' });
  assert.equal(denied.code, 'PERMISSION_DENIED');
  assert.equal((await api('DELETE', '/dialogue/rooms/chat')).status, 403);
  assert.deepEqual(await api('DELETE', '/dialogue/rooms/ops:1'), { status: 200, body: { ok: true } });
  for (const s of clients) assert.deepEqual(await next(s, 'dialogue:roomDeleted', (r) => r.roomId === 'ops:1'), { roomId: 'ops:1' });
  assert.equal((await api('GET', '/dialogue/rooms/ops:1')).status, 404);
  assert.equal((await api('DELETE', '/dialogue/rooms/ops:1')).status, 404);
  // The backend deletes a client's room too.
  await clients[1].timeout(5000).emitWithAck('dialogue:createRoom', { id: 'theirs', name: 'Theirs' });
  assert.equal((await api('DELETE', '/dialogue/rooms/theirs')).status, 200);
  for (const s of clients) s.disconnect();
});

test('meta: a REST trigger\'s and a client trigger\'s meta reach the members in the envelope', async () => {
  const all = await clientsOnBothShards((i) => sioClient(server.port, { userId: `m${i}` }, { transports: ['websocket'] }));
  const a = all[0];
  const b = all.find((s) => shardOf(s.hello.clientId) !== shardOf(a.hello.clientId));
  for (const s of [a, b]) assert.equal((await s.timeout(5000).emitWithAck('dialogue:join', { roomId: 'chat' })).roomId, 'chat');
  const meta = { correlationId: 'abc-123', flags: ['x'], depth: { n: 1 } };
  assert.equal((await api('POST', '/dialogue/rooms/chat/events', { event: 'message', data: { text: 'with meta' }, meta })).status, 200);
  for (const s of [a, b]) {
    const ev = await next(s, 'dialogue:event', (m) => m.data.text === 'with meta');
    assert.deepEqual([ev.from, ev.meta], ['system', meta]);
  }
  assert.deepEqual(await a.timeout(5000).emitWithAck('dialogue:trigger', { roomId: 'chat', event: 'message', data: { text: 'client meta' }, meta: { variant: 'A' } }), { ok: true });
  for (const s of [a, b]) assert.deepEqual((await next(s, 'dialogue:event', (m) => m.data.text === 'client meta')).meta, { variant: 'A' });
  // Without meta: no meta field (as Dialogue's envelope); meta must be an object.
  assert.deepEqual(await a.timeout(5000).emitWithAck('dialogue:trigger', { roomId: 'chat', event: 'message', data: { text: 'plain' } }), { ok: true });
  assert.equal('meta' in (await next(b, 'dialogue:event', (m) => m.data.text === 'plain')), false);
  assert.equal((await a.timeout(5000).emitWithAck('dialogue:trigger', { roomId: 'chat', event: 'message', data: { text: 'x' }, meta: 'str' })).code, 'INVALID_REQUEST');
  assert.equal((await api('POST', '/dialogue/rooms/chat/events', { event: 'message', data: { text: 'x' }, meta: [1] })).status, 400);
  for (const s of all) s.disconnect();
});

test('direct sends: to one client (any shard), to every socket of a user; unknown clients 404', async () => {
  const clients = await clientsOnBothShards((i) => sioClient(server.port, { userId: i < 2 ? 'dana' : `x${i}` }));
  for (const s of clients) {
    const r = await api('POST', `/dialogue/clients/${s.hello.clientId}/events`, { event: 'notice', data: { for: s.hello.clientId } });
    assert.deepEqual(r, { status: 200, body: { ok: true } });
    assert.deepEqual(await next(s, 'notice'), { for: s.hello.clientId });
  }
  const dana = clients.filter((s) => s.hello.userId === 'dana');
  const r = await api('POST', '/dialogue/users/dana/events', { name: 'ping', data: 'hi dana' });
  assert.deepEqual(r, { status: 200, body: { sent: dana.length } });
  for (const s of dana) assert.equal(await next(s, 'ping'), 'hi dana');
  await new Promise((res) => setTimeout(res, 200));
  for (const s of clients.filter((c) => c.hello.userId !== 'dana')) assert.ok(!s.log.some((m) => m.event === 'ping'));
  assert.deepEqual(await api('POST', '/dialogue/users/nobody/events', { event: 'ping', data: 1 }), { status: 200, body: { sent: 0 } });
  assert.equal((await api('POST', '/dialogue/clients/1.2/events', { event: 'e', data: 1 })).status, 404);
  assert.equal((await api('POST', '/dialogue/clients/not-an-id/events', { event: 'e', data: 1 })).status, 404);
  assert.equal((await api('POST', `/dialogue/clients/${clients[0].hello.clientId}/events`, { event: 'disconnect', data: 1 })).status, 400);
  clients[0].disconnect();
  await new Promise((res) => setTimeout(res, 200));
  assert.equal((await api('POST', `/dialogue/clients/${clients[0].hello.clientId}/events`, { event: 'e', data: 1 })).body.reason, 'CLIENT_NOT_FOUND');
  for (const s of clients) s.disconnect();
});

test('a user creates at most 100 rooms (TOO_MANY_ROOMS), a deletion frees a place', async () => {
  const s = await sioClient(server.port, { userId: 'builder' }, { transports: ['websocket'] });
  const acks = [];
  for (let i = 0; i < 100; i++) acks.push(s.timeout(5000).emitWithAck('dialogue:createRoom', { id: `b${i}`, name: `B${i}` }));
  for (const a of await Promise.all(acks)) assert.ok(a.id, JSON.stringify(a));
  const over = await s.timeout(5000).emitWithAck('dialogue:createRoom', { id: 'b100', name: 'B100' });
  assert.equal(over.code, 'TOO_MANY_ROOMS');
  assert.deepEqual(await s.timeout(5000).emitWithAck('dialogue:deleteRoom', { roomId: 'b0' }), { ok: true });
  assert.equal((await s.timeout(5000).emitWithAck('dialogue:createRoom', { id: 'b100', name: 'B100' })).id, 'b100');
  // Another user is not held by it.
  const t = await sioClient(server.port, { userId: 'other' }, { transports: ['websocket'] });
  assert.equal((await t.timeout(5000).emitWithAck('dialogue:createRoom', { id: 'o1', name: 'O1' })).id, 'o1');
  s.disconnect();
  t.disconnect();
});
