// Dialogue rooms over Socket.IO (issue 14; docs/protocols/dialogue.md), with the real
// socket.io-client over the WebSocket transport against --shards 2: dialogue:connected with the
// handshake auth, join/leave, allowed and refused events, subscriptions, acks, the rate limit,
// binary attachments refused, unknown namespaces, Engine.IO's errors and ping timeout, and the
// channel shared with Pusher (a REST trigger reaches Socket.IO members, a Dialogue trigger
// reaches pusher-js).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const WebSocket = require('ws');
const { io } = require('socket.io-client');
const { startServer, pusherClient, pusherServer, shardOf } = require('./lib/harness');
const { sioClient, next: nextEvent, clientsOnBothShards } = require('./lib/dialogue');

const CONFIG = {
  dialogue: {
    rooms: [
      {
        id: 'chat', name: 'Chat Room', description: 'talk', maxSize: 100, defaultSubscriptions: ['message'],
        events: [{ name: 'message' }, { name: 'typing' }],
      },
      { id: 'readonly', name: 'Announcements', events: [] },
      { id: 'sandbox', name: 'Sandbox', events: [{ name: '*' }], defaultSubscriptions: ['*'] },
      { id: 'user:42', name: 'Inbox of 42', events: ['note'], defaultSubscriptions: ['note'] },
      { id: 'game', name: 'Game Lobby', maxSize: 4, events: [{ name: 'move' }], defaultSubscriptions: ['move'] },
      { id: 'race', name: 'Race', maxSize: 3, events: [] },
      {
        id: 'strict', name: 'Strict', defaultSubscriptions: ['*'],
        events: [{
          name: 'message',
          schema: {
            type: 'object', required: ['text', 'senderId'],
            properties: { text: { type: 'string', minLength: 1, maxLength: 20 }, senderId: { type: 'string' } },
          },
        }],
      },
    ],
  },
};

let server;
test.before(async () => { server = await startServer({ shards: 2, config: CONFIG }); });
test.after(async () => { await server.stop(); });

// A connected Socket.IO client (WebSocket transport; lib/dialogue.js).
const client = (auth = {}, opts = {}) => sioClient(server.port, auth, { transports: ['websocket'], ...opts });
const next = (socket, event, pred = () => true, ms = 3000) => nextEvent(socket, event, pred, ms);

async function join(socket, roomId) {
  socket.emit('dialogue:join', { roomId });
  return next(socket, 'dialogue:joined', (m) => m.roomId === roomId);
}

const settle = () => new Promise((r) => setTimeout(r, 150));

test('connect: dialogue:connected carries the clientId and the auth userId (else the token, else the socket id)', async () => {
  const a = await client({ userId: 'alice' });
  const b = await client({ token: 'tok-b' });
  const c = await client();
  try {
    assert.equal(a.hello.userId, 'alice');
    assert.equal(typeof a.hello.clientId, 'string');
    assert.notEqual(a.hello.clientId, b.hello.clientId);
    assert.equal(b.hello.userId, 'tok-b');
    assert.equal(c.hello.userId, c.hello.clientId);
    // A user id travels with every event: bounded (as presence user ids, 128 bytes).
    const long = io(`http://127.0.0.1:${server.port}`, { transports: ['websocket'], auth: { userId: 'x'.repeat(129) }, reconnection: false });
    const err = await new Promise((resolve) => long.once('connect_error', resolve));
    assert.equal(err.message, 'userId is too long');
    long.disconnect();
  } finally {
    for (const s of [a, b, c]) s.disconnect();
  }
});

test('join, trigger on both shards (sender included), leave', async () => {
  const members = await clientsOnBothShards((i) => client({ userId: `u${i}` }));
  try {
    for (const s of members) assert.deepEqual(await join(s, 'chat'), { roomId: 'chat', roomName: 'Chat Room' });
    const [sender] = members;
    const before = Date.now();
    sender.emit('dialogue:trigger', { roomId: 'chat', event: 'message', data: { text: 'hi', senderId: 'u0' } });
    for (const s of members) {
      const m = await next(s, 'dialogue:event', (x) => x.event === 'message');
      assert.equal(m.roomId, 'chat');
      assert.equal(m.from, 'u0');
      assert.deepEqual(m.data, { text: 'hi', senderId: 'u0' });
      assert.ok(m.timestamp >= before - 1000 && m.timestamp <= Date.now() + 1000, 'timestamp in ms');
    }
    // Leaving: dialogue:left, and nothing more from the room.
    const leaver = members[members.length - 1];
    leaver.emit('dialogue:leave', { roomId: 'chat' });
    assert.deepEqual(await next(leaver, 'dialogue:left'), { roomId: 'chat' });
    sender.emit('dialogue:trigger', { roomId: 'chat', event: 'message', data: { text: 'after' } });
    await next(sender, 'dialogue:event', (x) => x.data.text === 'after');
    await settle();
    assert.equal(leaver.log.filter((m) => m.event === 'dialogue:event').length, 0);
  } finally {
    for (const s of members) s.disconnect();
  }
});

test('refused: unknown room, an event the room does not list, any event in a read-only room; nothing delivered', async () => {
  const a = await client({ userId: 'a' });
  const watcher = await client({ userId: 'w' });
  try {
    await join(watcher, 'chat');
    await join(watcher, 'readonly');
    await watcher.timeout(3000).emitWithAck('dialogue:subscribeAll', { roomId: 'chat' });
    await watcher.timeout(3000).emitWithAck('dialogue:subscribeAll', { roomId: 'readonly' });
    a.emit('dialogue:join', { roomId: 'nope' });
    assert.equal((await next(a, 'dialogue:error')).code, 'ROOM_NOT_FOUND');
    a.emit('dialogue:trigger', { roomId: 'chat', event: 'shout', data: {} });
    const e1 = await next(a, 'dialogue:error');
    assert.equal(e1.code, 'EVENT_NOT_ALLOWED');
    assert.match(e1.message, /shout/);
    a.emit('dialogue:trigger', { roomId: 'readonly', event: 'message', data: {} });
    assert.equal((await next(a, 'dialogue:error')).code, 'EVENT_NOT_ALLOWED');
    a.emit('dialogue:trigger', { roomId: 'chat', event: 'pusher:subscribe', data: {} });
    assert.equal((await next(a, 'dialogue:error')).code, 'EVENT_NOT_ALLOWED');
    a.emit('dialogue:trigger', { roomId: 'nope', event: 'message', data: {} });
    assert.equal((await next(a, 'dialogue:error')).code, 'ROOM_NOT_FOUND');
    a.emit('dialogue:join', {});
    assert.equal((await next(a, 'dialogue:error')).code, 'INVALID_REQUEST');
    a.emit('dialogue:join');  // no payload at all
    assert.equal((await next(a, 'dialogue:error')).code, 'INVALID_REQUEST');
    await settle();
    assert.equal(watcher.log.filter((m) => m.event === 'dialogue:event').length, 0);
  } finally {
    a.disconnect();
    watcher.disconnect();
  }
});

test('schemas: data that fails its event schema is refused (VALIDATION_FAILED; a REST trigger 400) and not delivered', async () => {
  const a = await client({ userId: 'a' });
  const b = await client({ userId: 'b' });
  try {
    await join(a, 'strict');
    await join(b, 'strict');
    for (const [data, why] of [[{ text: 'hi' }, /senderId/], [{ text: '', senderId: 'a' }, /data\.text/], [{ text: 'x'.repeat(21), senderId: 'a' }, /longer/], ['text', /expected object/]]) {
      const err = await a.timeout(3000).emitWithAck('dialogue:trigger', { roomId: 'strict', event: 'message', data });
      assert.equal(err.code, 'VALIDATION_FAILED');
      assert.match(err.message, why);
    }
    assert.deepEqual(await a.timeout(3000).emitWithAck('dialogue:trigger', { roomId: 'strict', event: 'message', data: { text: 'ok', senderId: 'a' } }), { ok: true });
    const m = await next(b, 'dialogue:event');
    assert.deepEqual(m.data, { text: 'ok', senderId: 'a' });
    // Backend triggers are checked too: 400, nothing delivered.
    const api = pusherServer(server.port);
    for (const [event, data, why] of [['message', { text: 'no sender' }, /senderId/], ['message', 'plain text', /expected object/], ['other', {}, /not allowed/]]) {
      const err = await api.trigger('strict', event, data).then(() => null, (e) => e);
      assert.ok(err, `${event} refused`);
      assert.equal(err.status, 400);
      assert.match(err.body, why);
    }
    await api.trigger('strict', 'message', { text: 'backend', senderId: 'srv' });
    const fromBackend = await next(b, 'dialogue:event');
    assert.deepEqual(fromBackend.data, { text: 'backend', senderId: 'srv' });
    assert.equal(fromBackend.from, 'system');
    await settle();
    assert.equal(b.log.filter((x) => x.event === 'dialogue:event').length, 0, 'nothing refused was delivered');
  } finally {
    a.disconnect();
    b.disconnect();
  }
});

test('bounded rooms: maxSize counts members over both shards; ROOM_FULL beyond; a leave and a disconnect free a place', async () => {
  const members = await clientsOnBothShards((i) => client({ userId: `g${i}` }));
  while (members.length < 6) members.push(await client({ userId: `g${members.length}` }));
  const joinAck = (s, roomId) => s.timeout(3000).emitWithAck('dialogue:join', { roomId });
  const lobby = { roomId: 'game', roomName: 'Game Lobby' };
  try {
    for (let i = 0; i < 4; ++i) assert.deepEqual(await joinAck(members[i], 'game'), lobby);
    const full = await joinAck(members[4], 'game');
    assert.equal(full.code, 'ROOM_FULL');
    assert.equal((await next(members[4], 'dialogue:error')).code, 'ROOM_FULL', 'as an event too');
    assert.deepEqual(await joinAck(members[0], 'game'), lobby, 'a member joining again is answered joined');
    members[0].emit('dialogue:leave', { roomId: 'game' });
    await next(members[0], 'dialogue:left');
    assert.deepEqual(await joinAck(members[4], 'game'), lobby, 'the place a leave freed');
    assert.equal((await joinAck(members[5], 'game')).code, 'ROOM_FULL');
    members[1].disconnect();
    let again;
    for (let tries = 0; tries < 40; ++tries) {
      again = await joinAck(members[5], 'game');
      if (again.roomId) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(again, lobby, 'the place a disconnect freed');
    // Ten joins at once over both shards: exactly maxSize (3) get in.
    const racers = await clientsOnBothShards((i) => client({ userId: `r${i}` }));
    while (racers.length < 10) racers.push(await client({ userId: `r${racers.length}` }));
    const answers = await Promise.all(racers.map((s) => joinAck(s, 'race')));
    assert.equal(answers.filter((a) => a.roomId === 'race').length, 3);
    assert.equal(answers.filter((a) => a.code === 'ROOM_FULL').length, 7);
    for (const s of racers) s.disconnect();
  } finally {
    for (const s of members) s.disconnect();
  }
});

test('subscriptions: defaultSubscriptions, subscribe, subscribeAll, unsubscribe; room ids with ":"', async () => {
  const a = await client({ userId: 'a' });
  const b = await client({ userId: 'b' });
  const send = async (event, n) => {
    a.emit('dialogue:trigger', { roomId: 'chat', event, data: { n } });
    await next(a, 'dialogue:event', (x) => x.data.n === n && x.event === event).catch(() => {});
  };
  const got = () => b.log.filter((m) => m.event === 'dialogue:event').map((m) => `${m.args[0].event}:${m.args[0].data.n}`);
  try {
    await join(a, 'chat');
    a.emit('dialogue:subscribeAll', { roomId: 'chat' });
    await join(b, 'chat');
    await send('typing', 1);   // b: not subscribed by default
    await send('message', 2);  // b: default subscription
    const ok = { ok: true };
    assert.deepEqual(await b.timeout(3000).emitWithAck('dialogue:subscribe', { roomId: 'chat', eventName: 'typing' }), ok);
    await send('typing', 3);
    assert.deepEqual(await b.timeout(3000).emitWithAck('dialogue:unsubscribe', { roomId: 'chat', eventName: 'message' }), ok);
    await send('message', 4);
    b.emit('dialogue:unsubscribe', { roomId: 'chat', eventName: 'typing' });
    assert.deepEqual(await b.timeout(3000).emitWithAck('dialogue:subscribeAll', { roomId: 'chat' }), ok);
    await send('typing', 5);
    await send('message', 6);
    await settle();
    assert.deepEqual(got(), ['message:2', 'typing:3', 'typing:5', 'message:6']);
    // Subscribing in a room not joined: NOT_IN_ROOM.
    b.emit('dialogue:subscribe', { roomId: 'sandbox', eventName: 'x' });
    assert.equal((await next(b, 'dialogue:error')).code, 'NOT_IN_ROOM');
    // A room id with ':' (the seed's user:${id} rooms).
    await join(b, 'user:42');
    a.emit('dialogue:trigger', { roomId: 'user:42', event: 'note', data: 'plain' });
    const m = await next(b, 'dialogue:event', (x) => x.roomId === 'user:42');
    assert.equal(m.data, 'plain');
  } finally {
    a.disconnect();
    b.disconnect();
  }
});

test('acks: a join, a trigger and listRooms asked with a callback are answered by the ack too', async () => {
  const a = await client({ userId: 'a' });
  try {
    assert.deepEqual(await a.timeout(3000).emitWithAck('dialogue:join', { roomId: 'sandbox' }), { roomId: 'sandbox', roomName: 'Sandbox' });
    assert.deepEqual(await a.timeout(3000).emitWithAck('dialogue:trigger', { roomId: 'sandbox', event: 'anything', data: [1, 2] }), { ok: true });
    assert.equal((await next(a, 'dialogue:event')).event, 'anything');
    const err = await a.timeout(3000).emitWithAck('dialogue:join', { roomId: 'missing' });
    assert.equal(err.code, 'ROOM_NOT_FOUND');
    const rooms = await a.timeout(3000).emitWithAck('dialogue:listRooms');
    assert.deepEqual(rooms.map((r) => r.id), ['chat', 'readonly', 'sandbox', 'user:42', 'game', 'race', 'strict']);
    const chat = rooms.find((r) => r.id === 'chat');
    assert.equal(chat.name, 'Chat Room');
    assert.equal(chat.description, 'talk');
    assert.equal(chat.maxSize, 100);
    assert.equal(typeof chat.size, 'number');
  } finally {
    a.disconnect();
  }
});

test('a Pusher REST trigger reaches Socket.IO members (from "system", JSON data parsed); a Dialogue trigger reaches pusher-js', async () => {
  const api = pusherServer(server.port);
  const s = await client({ userId: 'sio' });
  const pj = pusherClient(server.port);
  try {
    await join(s, 'sandbox');
    const ch = pj.subscribe('sandbox');
    await new Promise((resolve) => ch.bind('pusher:subscription_succeeded', resolve));
    await api.trigger('sandbox', 'news', { headline: 'up' });
    const m = await next(s, 'dialogue:event', (x) => x.event === 'news');
    assert.equal(m.from, 'system');
    assert.deepEqual(m.data, { headline: 'up' });
    await api.trigger('sandbox', 'plain', 'not json');
    assert.equal((await next(s, 'dialogue:event', (x) => x.event === 'plain')).data, 'not json');
    const got = new Promise((resolve) => ch.bind('chat-line', resolve));
    s.emit('dialogue:trigger', { roomId: 'sandbox', event: 'chat-line', data: { text: 'to pusher' } });
    assert.deepEqual(await got, { text: 'to pusher' });
  } finally {
    s.disconnect();
    pj.disconnect();
  }
});

test('rate limit: triggers beyond 10 per second are refused with RATE_LIMITED', async () => {
  const a = await client({ userId: 'fast' });
  try {
    await join(a, 'sandbox');
    for (let i = 0; i < 15; ++i) a.emit('dialogue:trigger', { roomId: 'sandbox', event: 'tick', data: i });
    assert.equal((await next(a, 'dialogue:error')).code, 'RATE_LIMITED');
    await settle();
    const ticks = a.log.filter((m) => m.event === 'dialogue:event').map((m) => m.args[0].data);
    assert.deepEqual(ticks, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  } finally {
    a.disconnect();
  }
});

test('binary attachments are refused with INVALID_REQUEST and the connection stays', async () => {
  const a = await client({ userId: 'bin' });
  try {
    a.emit('dialogue:trigger', { roomId: 'sandbox', event: 'blob', data: Buffer.from([1, 2, 3]) });
    assert.equal((await next(a, 'dialogue:error')).code, 'INVALID_REQUEST');
    assert.deepEqual(await a.timeout(3000).emitWithAck('dialogue:join', { roomId: 'sandbox' }), { roomId: 'sandbox', roomName: 'Sandbox' });
  } finally {
    a.disconnect();
  }
});

test('an unknown namespace gets CONNECT_ERROR "Invalid namespace"', async () => {
  const socket = io(`http://127.0.0.1:${server.port}/admin`, { transports: ['websocket'], reconnection: false });
  try {
    const err = await new Promise((resolve) => socket.once('connect_error', resolve));
    assert.equal(err.message, 'Invalid namespace');
  } finally {
    socket.disconnect();
  }
});

test('Engine.IO refusals: version, transport, unknown sid (HTTP 400 with engine.io codes)', async () => {
  const get = async (q) => {
    const res = await fetch(`http://127.0.0.1:${server.port}/socket.io/?${q}`);
    return { status: res.status, body: await res.json() };
  };
  assert.deepEqual(await get('EIO=3&transport=polling'), { status: 400, body: { code: 5, message: 'Unsupported protocol version' } });
  assert.deepEqual(await get('EIO=4&transport=carrier-pigeon'), { status: 400, body: { code: 0, message: 'Transport unknown' } });
  assert.deepEqual(await get('EIO=4&transport=polling&sid=nope'), { status: 400, body: { code: 1, message: 'Session ID unknown' } });
});

test('liveness: the server pings; a client that never pongs is closed, one that pongs stays', async () => {
  const srv = await startServer({ shards: 1, config: { dialogue: { ping_interval_ms: 200, ping_timeout_ms: 200, rooms: [] } } });
  const open = (pong) => new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/socket.io/?EIO=4&transport=websocket`);
    ws.pings = 0;
    ws.on('message', (d) => {
      const t = d.toString();
      if (t[0] === '0') { ws.handshake = JSON.parse(t.slice(1)); resolve(ws); }
      if (t === '2') { ws.pings++; if (pong) ws.send('3'); }
    });
    ws.closed = new Promise((r) => ws.on('close', (code) => r(code)));
  });
  try {
    const quiet = await open(false);
    const lively = await open(true);
    assert.equal(quiet.handshake.pingInterval, 200);
    assert.equal(quiet.handshake.pingTimeout, 200);
    assert.deepEqual(quiet.handshake.upgrades, []);
    assert.equal(typeof quiet.handshake.sid, 'string');
    await quiet.closed;
    await new Promise((r) => setTimeout(r, 900));
    assert.equal(lively.readyState, WebSocket.OPEN, 'a client that answers pings stays');
    assert.ok(lively.pings >= 3, `pinged ${lively.pings} times`);
    lively.close();
  } finally {
    await srv.stop();
  }
});
