// Dialogue's backend hooks (issue 14; docs/protocols/dialogue.md, "Hooks") against a local HTTP
// receiver, with the real socket.io-client on --shards 2: authenticate (its userId and claims
// win; a refusal is a CONNECT_ERROR), beforeJoin (JOIN_DENIED), beforeEach (transforms, refuses
// with VALIDATION_FAILED, keeps a socket's order), afterEach and the lifecycle notifications;
// every call signed with the app's secret (X-Pusher-Signature) over keep-alive connections; a
// hook that times out or fails under each failure policy (reject, allow).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const { startServer, APP, waitFor } = require('./lib/harness');
const { sioClient, next, clientsOnBothShards } = require('./lib/dialogue');

// A hooks receiver: every call recorded ({hook, body, headers, socket}); `answer(call)` returns
// {status, body, delayMs} (default 200 {}).
async function receiver() {
  const r = { calls: [], answer: () => ({}), sockets: new Set() };
  r.server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => { raw += d; });
    req.on('end', () => {
      const call = { hook: req.headers['x-dialogue-hook'], raw, body: JSON.parse(raw), headers: req.headers, socket: req.socket };
      r.sockets.add(req.socket);
      r.calls.push(call);
      const a = r.answer(call) || {};
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(a.status || 200, { 'Content-Type': 'application/json' });
        res.end(a.body === undefined ? '{}' : (typeof a.body === 'string' ? a.body : JSON.stringify(a.body)));
      };
      if (a.delayMs) setTimeout(send, a.delayMs); else send();
    });
  });
  r.server.keepAliveTimeout = 30000;
  await new Promise((resolve) => r.server.listen(0, '127.0.0.1', resolve));
  r.port = r.server.address().port;
  r.of = (hook) => r.calls.filter((c) => c.hook === hook);
  r.close = () => { r.server.closeAllConnections(); r.server.close(); };
  return r;
}

const ROOMS = [
  { id: 'chat', name: 'Chat', defaultSubscriptions: ['message'],
    events: [{ name: 'message', schema: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } } }] },
  { id: 'vip', name: 'VIP', defaultSubscriptions: ['message'], events: [{ name: 'message' }] },
];
const ALL = ['authenticate', 'beforeJoin', 'beforeEach', 'afterEach', 'connected', 'disconnected', 'joined', 'left', 'roomCreated', 'roomDeleted'];

function hooksConfig(port, extra = {}) {
  return {
    limits: { client_events_per_second: 1000 },
    dialogue: { rooms: ROOMS, hooks: { url: `http://127.0.0.1:${port}/hooks`, on: ALL, timeout_ms: 1000, ...extra } },
  };
}

test('every hook: signed calls on keep-alive connections; authenticate, beforeJoin, beforeEach, afterEach, lifecycle', async () => {
  const rx = await receiver();
  const server = await startServer({ shards: 2, config: hooksConfig(rx.port) });
  try {
    rx.answer = (c) => {
      const b = c.body;
      if (c.hook === 'authenticate') {
        if (b.authData.password !== 'open sesame') return { body: { error: `bad password for ${b.authData.name}` } };
        return { body: { jwt: { sub: `user:${b.authData.name}`, role: b.authData.name === 'ann' ? 'vip' : 'member' } } };
      }
      if (c.hook === 'beforeJoin' && b.roomId === 'vip' && b.auth?.role !== 'vip') return { body: { error: 'VIP access required' } };
      if (c.hook === 'beforeEach') {
        if (b.message.data.text.includes('darn')) return { body: { error: 'Message contains inappropriate content' } };
        return { body: { message: { ...b.message, data: { text: b.message.data.text.toUpperCase(), by: b.from } } } };
      }
      return {};
    };
    // authenticate: refused with its message; allowed: its jwt.sub is the user id (auth.userId ignored).
    await assert.rejects(sioClient(server.port, { name: 'eve', password: 'guess' }), /bad password for eve/);
    const clients = await clientsOnBothShards((i) => sioClient(server.port, { name: i === 0 ? 'ann' : `bob${i}`, password: 'open sesame', userId: 'mallory' }, i % 2 ? { transports: ['websocket'] } : {}));
    const [ann, bob] = [clients[0], clients[clients.length - 1]];
    assert.equal(ann.hello.userId, 'user:ann');
    assert.equal(bob.hello.userId, `user:bob${clients.length - 1}`);

    // Signed with the app's secret, X-Pusher-Key the app's key, hook and time_ms first.
    for (const c of rx.calls) {
      assert.equal(c.headers['x-pusher-key'], APP.key);
      assert.equal(c.headers['x-pusher-signature'], crypto.createHmac('sha256', APP.secret).update(c.raw).digest('hex'));
      assert.equal(c.body.hook, c.hook);
      assert.ok(Math.abs(c.body.time_ms - Date.now()) < 60000);
    }
    const auth = rx.of('authenticate').find((c) => c.body.authData.name === 'ann');
    assert.ok(auth.body.clientId);

    // beforeJoin: the claims travel as `auth`; VIP only for ann.
    for (const s of clients) s.emit('dialogue:join', { roomId: 'chat' });
    for (const s of clients) await next(s, 'dialogue:joined', (d) => d.roomId === 'chat');
    bob.emit('dialogue:join', { roomId: 'vip' });
    assert.deepEqual(await next(bob, 'dialogue:error'), { code: 'JOIN_DENIED', message: 'VIP access required' });
    const joined = await ann.timeout(5000).emitWithAck('dialogue:join', { roomId: 'vip' });
    assert.equal(joined.roomId, 'vip');
    const vipAsk = rx.of('beforeJoin').find((c) => c.body.roomId === 'vip' && c.body.userId === 'user:ann');
    assert.equal(vipAsk.body.auth.role, 'vip');
    assert.equal(vipAsk.body.room.name, 'VIP');

    // beforeEach transforms (every member, both shards, gets the new data), refuses, keeps order.
    const texts = ['one', 'two', 'darn it', 'three', 'four'];
    const acks = texts.map((text) => bob.timeout(5000).emitWithAck('dialogue:trigger', { roomId: 'chat', event: 'message', data: { text } }));
    const answers = await Promise.all(acks);
    assert.deepEqual(answers[2], { code: 'VALIDATION_FAILED', message: 'Message contains inappropriate content' });
    for (const i of [0, 1, 3, 4]) assert.deepEqual(answers[i], { ok: true });
    for (const s of clients) {
      const got = [];
      while (got.length < 4) got.push((await next(s, 'dialogue:event', (m) => m.roomId === 'chat')).data);
      assert.deepEqual(got.map((d) => d.text), ['ONE', 'TWO', 'THREE', 'FOUR']);
      assert.equal(got[0].by, bob.hello.userId);
    }
    assert.deepEqual(rx.of('beforeEach').map((c) => c.body.message.data.text), texts, 'asked in order');

    // afterEach: after delivery, with the sent message and the room's members.
    await waitFor(() => rx.of('afterEach').length === 4, 5000);
    // Notifications run side by side (up to 16 connections): their arrival order is not kept.
    const after = rx.of('afterEach').find((c) => c.body.message.data.text === 'ONE').body;
    assert.deepEqual(rx.of('afterEach').map((c) => c.body.message.data.text).sort(), ['FOUR', 'ONE', 'THREE', 'TWO']);
    assert.equal(after.roomId, 'chat');
    assert.equal(after.message.data.text, 'ONE');
    assert.equal(after.message.from, bob.hello.userId);
    assert.equal(after.recipientCount, clients.length);

    // Lifecycle: connected, joined, left, roomCreated, roomDeleted, disconnected.
    const made = await ann.timeout(5000).emitWithAck('dialogue:createRoom', { id: 'hooked', name: 'Hooked' });
    assert.equal(made.id, 'hooked');
    await ann.timeout(5000).emitWithAck('dialogue:deleteRoom', { roomId: 'hooked' });
    await ann.timeout(5000).emitWithAck('dialogue:leave', { roomId: 'vip' });
    ann.disconnect();
    await waitFor(() => rx.of('disconnected').some((c) => c.body.userId === 'user:ann'), 5000);
    assert.equal(rx.of('connected').length, clients.length);
    assert.ok(rx.of('joined').some((c) => c.body.userId === 'user:ann' && c.body.roomId === 'vip'));
    assert.ok(rx.of('left').some((c) => c.body.userId === 'user:ann' && c.body.roomId === 'vip'));
    assert.equal(rx.of('roomCreated')[0].body.room.id, 'hooked');
    assert.equal(rx.of('roomCreated')[0].body.userId, 'user:ann');
    assert.deepEqual([rx.of('roomDeleted')[0].body.roomId, rx.of('roomDeleted')[0].body.userId], ['hooked', 'user:ann']);

    // Keep-alive: far fewer connections than calls.
    assert.ok(rx.calls.length >= 20, `${rx.calls.length} calls`);
    assert.ok(rx.sockets.size < rx.calls.length / 2, `${rx.sockets.size} connections for ${rx.calls.length} calls`);
    for (const s of clients) s.disconnect();
  } finally {
    await server.stop();
    rx.close();
  }
});

// The backend is slow (past timeout_ms) or broken (500, a non-JSON answer, nobody listening).
async function failurePolicy(policy, rx) {
  const server = await startServer({ shards: 2, config: hooksConfig(rx.port, { timeout_ms: 200, on_failure: policy }) });
  return server;
}

test('a hook that times out or fails: reject refuses what it guards', async () => {
  const rx = await receiver();
  const server = await failurePolicy('reject', rx);
  try {
    rx.answer = () => ({ delayMs: 1500 });
    await assert.rejects(sioClient(server.port, { userId: 'u1' }), /authenticate hook failed: timed out/);
    rx.answer = () => ({ status: 500 });
    await assert.rejects(sioClient(server.port, { userId: 'u1' }), /authenticate hook failed: HTTP status 500/);
    // The connection is in; then beforeJoin and beforeEach time out.
    rx.answer = (c) => (c.hook === 'authenticate' ? {} : { delayMs: 1500 });
    const s = await sioClient(server.port, { userId: 'u1' }, { transports: ['websocket'] });
    assert.equal(s.hello.userId, 'u1', 'an answer without a user id keeps the default identity');
    const denied = await s.timeout(5000).emitWithAck('dialogue:join', { roomId: 'chat' });
    assert.equal(denied.code, 'JOIN_DENIED');
    assert.match(denied.message, /beforeJoin hook failed: timed out/);
    rx.answer = (c) => (c.hook === 'beforeEach' ? { body: 'not json' } : {});
    assert.equal((await s.timeout(5000).emitWithAck('dialogue:join', { roomId: 'chat' })).roomId, 'chat');
    const refused = await s.timeout(5000).emitWithAck('dialogue:trigger', { roomId: 'chat', event: 'message', data: { text: 'hi' } });
    assert.equal(refused.code, 'VALIDATION_FAILED');
    assert.match(refused.message, /beforeEach hook failed: the answer is not a JSON object/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(s.log.filter((m) => m.event === 'dialogue:event').length, 0, 'not delivered');
    s.disconnect();
  } finally {
    await server.stop();
    rx.close();
  }
});

test('a hook that times out or fails: allow lets it through unchanged', async () => {
  const rx = await receiver();
  const server = await failurePolicy('allow', rx);
  try {
    rx.answer = () => ({ delayMs: 1500 });
    const s = await sioClient(server.port, { userId: 'u2' });
    assert.equal(s.hello.userId, 'u2', 'the default identity');
    assert.equal((await s.timeout(5000).emitWithAck('dialogue:join', { roomId: 'chat' })).roomId, 'chat');
    assert.deepEqual(await s.timeout(5000).emitWithAck('dialogue:trigger', { roomId: 'chat', event: 'message', data: { text: 'as sent' } }), { ok: true });
    const ev = await next(s, 'dialogue:event');
    assert.deepEqual(ev.data, { text: 'as sent' });
    s.disconnect();
    // Nobody listening at all: the same.
    rx.close();
    const t = await sioClient(server.port, { userId: 'u3' }, { transports: ['websocket'] });
    assert.equal(t.hello.userId, 'u3');
    t.disconnect();
  } finally {
    await server.stop();
    rx.close();
  }
});

test('per-hook policies: on_failure as an object', async () => {
  const rx = await receiver();
  const server = await startServer({ shards: 2, config: hooksConfig(rx.port, { timeout_ms: 200, on_failure: { authenticate: 'allow', beforeJoin: 'reject' } }) });
  try {
    rx.answer = () => ({ status: 503 });
    const s = await sioClient(server.port, { userId: 'u4' });
    assert.equal(s.hello.userId, 'u4');
    const denied = await s.timeout(5000).emitWithAck('dialogue:join', { roomId: 'chat' });
    assert.equal(denied.code, 'JOIN_DENIED');
    s.disconnect();
  } finally {
    await server.stop();
    rx.close();
  }
});

test('churn with lifecycle hooks on: every client\'s connected, joined, left and disconnected are told once each to a slow backend, in order', { timeout: 60000 }, async () => {
  const rx = await receiver();
  rx.answer = () => ({ delayMs: 5 });
  const server = await startServer({
    shards: 2,
    config: { limits: { client_events_per_second: 1000 },
      dialogue: { rooms: ROOMS, hooks: { url: `http://127.0.0.1:${rx.port}/hooks`, on: ['connected', 'joined', 'left', 'disconnected'], timeout_ms: 5000 } } },
  });
  try {
    const N = 400;
    let nextI = 0;
    const left = new Map();  // clientId -> whether it left the room itself
    const worker = async () => {
      for (;;) {
        const i = nextI++;
        if (i >= N) return;
        const c = await sioClient(server.port, { userId: `u${i}` }, i % 3 ? { transports: ['websocket'] } : {});
        left.set(c.hello.clientId, i % 2 === 1);
        c.emit('dialogue:join', { roomId: 'chat' });
        await next(c, 'dialogue:joined');
        if (i % 2) c.emit('dialogue:leave', { roomId: 'chat' });
        if (i % 2) await next(c, 'dialogue:left');
        c.disconnect();
      }
    };
    await Promise.all(Array.from({ length: 12 }, worker));
    // Each client: connected, joined, left (when it left: a disconnect notifies no left, as
    // docs/protocols/dialogue.md says), disconnected, each once, arriving in that order (a
    // socket's calls are made one at a time), with time_ms in that order too.
    await waitFor(() => rx.of('disconnected').length === N, 30000);
    await new Promise((r) => setTimeout(r, 300));
    const byClient = new Map();
    for (const c of rx.calls) {
      const id = c.body.clientId;
      if (!byClient.has(id)) byClient.set(id, []);
      byClient.get(id).push(c.hook);
    }
    assert.equal(byClient.size, N);
    const bad = [...byClient.entries()].filter(([id, hooks]) =>
      hooks.join() !== (left.get(id) ? 'connected,joined,left,disconnected' : 'connected,joined,disconnected'));
    // time_ms (when each was queued) puts each client's calls back in order.
    const stamps = new Map();
    for (const c of rx.calls) {
      if (!stamps.has(c.body.clientId)) stamps.set(c.body.clientId, {});
      stamps.get(c.body.clientId)[c.hook] = c.body.time_ms;
    }
    const unordered = [...stamps.values()].filter((t) => !(t.connected <= t.joined && t.joined <= (t.left ?? t.joined) &&
      (t.left ?? t.joined) <= t.disconnected));
    assert.deepEqual(unordered.slice(0, 3), []);
    assert.deepEqual(bad.slice(0, 5), []);
    const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    const refused = /ringcast_dialogue_hook_calls_total\{outcome="refused"\} (\d+)/.exec(text);
    const failed = /ringcast_dialogue_hook_calls_total\{outcome="failed"\} (\d+)/.exec(text);
    assert.deepEqual([refused && refused[1], failed && failed[1]], ['0', '0']);
  } finally {
    await server.stop();
    rx.close();
  }
});

test('https hooks: verified against the CA, and kept alive: many calls over a few TLS sessions, a server-closed session replaced', async () => {
  const https = require('node:https');
  const { makeTestCa } = require('./lib/test_ca');
  const ca = makeTestCa();
  const cert = ca.issue('hooks');
  const fs = require('node:fs');
  const calls = [];
  let handshakes = 0;
  const rx = https.createServer({ cert: fs.readFileSync(cert.certFile), key: fs.readFileSync(cert.keyFile) }, (req, res) => {
    let raw = '';
    req.on('data', (d) => { raw += d; });
    req.on('end', () => {
      calls.push({ hook: req.headers['x-dialogue-hook'], body: JSON.parse(raw), sig: req.headers['x-pusher-signature'], raw, socket: req.socket });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(req.headers['x-dialogue-hook'] === 'authenticate' ? JSON.stringify({ userId: 'tls-user' }) : '{}');
    });
  });
  rx.on('secureConnection', () => { ++handshakes; });
  rx.keepAliveTimeout = 30000;
  await new Promise((resolve) => rx.listen(0, '127.0.0.1', resolve));
  const server = await startServer({
    shards: 2,
    args: ['--webhook-ca-file', ca.caFile],
    config: { limits: { client_events_per_second: 1000 },
      dialogue: { rooms: ROOMS, hooks: { url: `https://localhost:${rx.address().port}/hooks`, on: ['authenticate', 'beforeJoin', 'connected', 'joined'], timeout_ms: 2000 } } },
  });
  try {
    // One client after the other: each makes 4 calls (authenticate, connected, beforeJoin,
    // joined), one at a time (one socket's calls are ordered), so a kept session serves them.
    for (let i = 0; i < 5; ++i) {
      const c = await sioClient(server.port, {}, { transports: ['websocket'] });
      assert.equal(c.hello.userId, 'tls-user');
      c.emit('dialogue:join', { roomId: 'chat' });
      await next(c, 'dialogue:joined');
      c.disconnect();
    }
    await waitFor(() => calls.filter((c) => c.hook === 'joined').length === 5);
    assert.equal(calls.length, 20);
    for (const c of calls) assert.equal(c.sig, crypto.createHmac('sha256', APP.secret).update(c.raw).digest('hex'));
    assert.ok(handshakes <= 4, `20 calls over ${handshakes} TLS sessions`);
    const before = handshakes;
    // The receiver drops its idle sessions: the next calls go again on fresh ones, none lost.
    rx.closeIdleConnections();
    await new Promise((r) => setTimeout(r, 100));
    const c = await sioClient(server.port, {}, { transports: ['websocket'] });
    assert.equal(c.hello.userId, 'tls-user');
    c.disconnect();
    await waitFor(() => calls.filter((x) => x.hook === 'connected').length === 6);
    assert.ok(handshakes > before);
    const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    assert.match(text, /ringcast_dialogue_hook_calls_total\{outcome="failed"\} 0/);
  } finally {
    await server.stop();
    rx.closeAllConnections();
    rx.close();
  }
});
