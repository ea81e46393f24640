// DontCode realtime (docs/protocols/dontcode.md) on two shards: the server SDK's calls (mint a
// token, publish with the delivered count, read presence) with the app secret as a Bearer, and
// the browser's socket at `${url}?token=${token}`: only the token's channels are served, an
// expired token closes 4001 (at connect and while connected), a bad one 4003; publishes reach
// pusher-js subscribers of the same channel and the other way round; presence lists identities
// and the sockets see joins and leaves.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const WebSocket = require('ws');
const { startServer, APP, pusherServer, pusherOnShard, shardOf } = require('./lib/harness');

async function rest(port, method, path, body, secret = APP.secret) {
  const headers = { 'content-type': 'application/json' };
  if (secret !== null) headers.authorization = `Bearer ${secret}`;
  const r = await fetch(`http://127.0.0.1:${port}${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, json };
}

const mint = (port, body) => rest(port, 'POST', '/realtime/tokens', body);

// A socket on `${url}?token=${token}` collecting its JSON frames; `next(pred)` waits for one.
function socket(url, token) {
  const ws = new WebSocket(`${url}?token=${encodeURIComponent(token)}`);
  ws.frames = [];
  const waiters = [];
  ws.on('message', (d) => {
    const m = JSON.parse(String(d));
    ws.frames.push(m);
    for (let i = 0; i < waiters.length; ++i) {
      if (waiters[i].pred(m)) { waiters[i].resolve(m); waiters.splice(i, 1); --i; }
    }
  });
  ws.on('error', () => {});
  ws.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  ws.next = (pred, ms = 5000) => {
    const found = ws.frames.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (m) => { clearTimeout(t); resolve(m); } };
      const t = setTimeout(() => reject(new Error('timeout; got ' + JSON.stringify(ws.frames).slice(0, 400))), ms);
      waiters.push(w);
    });
  };
  ws.request = async (obj, type) => {
    const ref = `r${Math.random()}`;
    ws.send(JSON.stringify({ ...obj, ref }));
    return ws.next((m) => m.ref === ref && (type === undefined || m.type === type || m.type === 'error'));
  };
  return ws;
}

async function connected(url, token) {
  const ws = socket(url, token);
  ws.hello = await ws.next((m) => m.type === 'connected');
  return ws;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('DontCode realtime: tokens, channels, publish counts, presence, expiry', { timeout: 60000 }, async (t) => {
  const server = await startServer({ shards: 2 });
  const { port } = server;
  const open = [];
  t.after(async () => { for (const ws of open) ws.terminate(); await server.stop(); });

  await t.test('the REST API needs the app secret as a Bearer; bodies are checked', async () => {
    assert.equal((await rest(port, 'POST', '/realtime/tokens', { channels: ['a'] }, null)).status, 401);
    const wrong = await rest(port, 'POST', '/realtime/tokens', { channels: ['a'] }, 'nope');
    assert.equal(wrong.status, 401);
    assert.equal(typeof wrong.json.error, 'string');
    assert.equal((await rest(port, 'POST', '/realtime/publish', { channel: 'a', data: 1 }, APP.key)).status, 401);
    for (const body of [{}, { channels: [] }, { channels: 'a' }, { channels: ['bad name'] }, { channels: ['#x'] },
      { channels: ['a'], ttl_s: 0 }, { channels: ['a'], identity: 5 }]) {
      const r = await mint(port, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(typeof r.json.error, 'string');
    }
    assert.equal((await rest(port, 'POST', '/realtime/publish', { channel: 'a' })).status, 400);
    assert.equal((await rest(port, 'GET', '/realtime/tokens')).status, 405);
    assert.equal((await rest(port, 'GET', '/realtime/nothing')).status, 404);
    const plain = await fetch(`http://127.0.0.1:${port}/realtime?token=x`);
    assert.deepEqual([plain.status, typeof (await plain.json()).error], [400, 'string'], 'the socket needs an upgrade');
  });

  await t.test('mint, connect, use the allowed channel; refused channels are never served', async () => {
    const before = Date.now();
    const conn = (await mint(port, { channels: ['room:42', 'lobby'], identity: 'user-1' })).json;
    assert.equal(conn.url, `ws://127.0.0.1:${port}/realtime`);
    assert.equal(conn.token.split('.').length, 3);
    const exp = Date.parse(conn.expiresAt);
    assert.ok(exp >= before + 3590e3 && exp <= Date.now() + 3601e3, conn.expiresAt);
    const ws = await connected(conn.url, conn.token);
    open.push(ws);
    assert.equal(ws.hello.identity, 'user-1');
    assert.deepEqual(ws.hello.channels, ['room:42', 'lobby']);
    assert.match(ws.hello.id, /^\d+\.\d+$/);
    assert.equal((await ws.request({ type: 'subscribe', channel: 'room:42' })).type, 'subscribed');
    const refused = await ws.request({ type: 'subscribe', channel: 'room:43' });
    assert.deepEqual([refused.type, refused.code, refused.channel], ['error', 'channel_forbidden', 'room:43']);
    const refusedPub = await ws.request({ type: 'publish', channel: 'room:43', data: 1 });
    assert.equal(refusedPub.code, 'channel_forbidden');
    assert.equal((await ws.request({ type: 'ping' })).type, 'pong');
    assert.equal((await ws.request({ type: 'jump' })).code, 'bad_request');

    assert.deepEqual((await rest(port, 'POST', '/realtime/publish', { channel: 'room:43', data: { no: 1 } })).json, { delivered: 0 });
    const pub = await rest(port, 'POST', '/realtime/publish', { channel: 'room:42', data: { text: 'hello' } });
    assert.deepEqual([pub.status, pub.json], [200, { delivered: 1 }]);
    const msg = await ws.next((m) => m.type === 'message');
    assert.deepEqual(msg, { type: 'message', channel: 'room:42', event: 'message', data: { text: 'hello' } });
    await sleep(100);
    assert.equal(ws.frames.filter((m) => m.type === 'message').length, 1, 'nothing of room:43');
    assert.equal((await ws.request({ type: 'unsubscribe', channel: 'room:42' })).type, 'unsubscribed');
    assert.deepEqual((await rest(port, 'POST', '/realtime/publish', { channel: 'room:42', data: 'x' })).json, { delivered: 0 });
  });

  await t.test('publish counts exactly what it was written to, on both shards and pusher-js', async () => {
    const conn = (await mint(port, { channels: ['lobby'] })).json;
    const sockets = [];
    const shards = new Set();
    while (sockets.length < 4 || shards.size < 2) {
      const ws = await connected(conn.url, conn.token);
      open.push(ws);
      assert.equal(ws.hello.identity, undefined);
      sockets.push(ws);
      shards.add(shardOf(ws.hello.id));
      assert.ok(sockets.length < 100, 'both shards reached');
    }
    for (const ws of sockets) assert.equal((await ws.request({ type: 'subscribe', channel: 'lobby' })).type, 'subscribed');
    const pusher = await pusherOnShard(port, 1);
    t.after(() => pusher.disconnect());
    const got = [];
    const ch = pusher.subscribe('lobby');
    await new Promise((r) => ch.bind('pusher:subscription_succeeded', r));
    ch.bind('message', (d) => got.push(d));
    const r = await rest(port, 'POST', '/realtime/publish', { channel: 'lobby', data: { n: 1 } });
    assert.deepEqual(r.json, { delivered: sockets.length + 1 });
    for (const ws of sockets) assert.deepEqual((await ws.next((m) => m.type === 'message')).data, { n: 1 });
    // A pusher trigger of the same channel reaches the sockets (data parsed when it is JSON).
    await pusherServer(port).trigger('lobby', 'news', JSON.stringify({ from: 'pusher' }));
    for (const ws of sockets) {
      const m = await ws.next((x) => x.type === 'message' && x.event === 'news');
      assert.deepEqual(m.data, { from: 'pusher' });
    }
    // A socket's publish reaches the others and pusher-js, not itself.
    const ack = await sockets[0].request({ type: 'publish', channel: 'lobby', data: 'from a browser' }, 'published');
    assert.equal(ack.type, 'published');
    for (const ws of sockets.slice(1)) {
      const m = await ws.next((x) => x.type === 'message' && x.data === 'from a browser');
      assert.equal(m.event, 'message');
    }
    await waitFor(() => got.length === 2);
    assert.deepEqual(got, [{ n: 1 }, 'from a browser']);
    await sleep(100);
    assert.equal(sockets[0].frames.filter((m) => m.data === 'from a browser').length, 0);
  });

  await t.test('presence lists identities, and joins and leaves are told', async () => {
    const a = await connected(...Object.values(await tokenFor(port, 'alice')));
    const b = await connected(...Object.values(await tokenFor(port, 'bob')));
    open.push(a, b);
    await a.request({ type: 'subscribe', channel: 'room:7' });
    await b.request({ type: 'subscribe', channel: 'room:7' });
    const joined = await a.next((m) => m.type === 'presence');
    assert.deepEqual(joined, { type: 'presence', channel: 'room:7', action: 'join', member: { id: b.hello.id, identity: 'bob' } });
    const list = await rest(port, 'GET', '/realtime/presence/room%3A7');
    assert.equal(list.status, 200);
    const sorted = (xs) => [...xs].sort((x, y) => x.id.localeCompare(y.id));
    assert.deepEqual(sorted(list.json), sorted([{ id: a.hello.id, identity: 'alice' }, { id: b.hello.id, identity: 'bob' }]));
    assert.deepEqual((await rest(port, 'GET', '/realtime/presence/room:8')).json, []);
    b.close();
    const left = await a.next((m) => m.type === 'presence' && m.action === 'leave');
    assert.deepEqual(left.member, { id: b.hello.id, identity: 'bob' });
    await waitFor(async () => (await rest(port, 'GET', '/realtime/presence/room:7')).json.length === 1);
    // b may hear of alice's join (in flight while b subscribed), never of its own.
    const own = b.frames.filter((m) => m.type === 'presence' && m.member.id === b.hello.id);
    assert.deepEqual(own, [], 'no news of its own join');
    for (const m of b.frames.filter((x) => x.type === 'presence')) {
      assert.deepEqual(m, { type: 'presence', channel: 'room:7', action: 'join', member: { id: a.hello.id, identity: 'alice' } });
    }
  });

  await t.test('a bad token closes 4003; an expired one 4001, at connect and while connected', async () => {
    // exp is in whole seconds: ttl_s 2 leaves at least one second to connect.
    const conn = (await mint(port, { channels: ['lobby'], ttl_s: 2 })).json;
    const ws = await connected(conn.url, conn.token);
    assert.deepEqual((await ws.closed).code, 4001);
    assert.equal(ws.frames.at(-1).code, 'token_expired');
    const late = socket(conn.url, conn.token);
    assert.equal((await late.closed).code, 4001);
    const forged = conn.token.slice(0, -4) + (conn.token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    assert.equal((await socket(conn.url, forged).closed).code, 4003);
    assert.equal((await socket(conn.url, 'garbage').closed).code, 4003);
    assert.equal((await socket(conn.url, '').closed).code, 4003);
  });
});

async function tokenFor(port, identity) {
  const c = (await mint(port, { channels: ['room:7'], identity })).json;
  return { url: c.url, token: c.token };
}

async function waitFor(pred, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await sleep(20);
  }
  throw new Error('condition not met');
}

test('DontCode realtime liveness: a WebSocket ping after the activity timeout; no pong closes 4008', { timeout: 20000 }, async () => {
  const server = await startServer({ shards: 1, config: { limits: { activity_timeout_s: 1, pong_timeout_s: 1 } } });
  try {
    const conn = (await mint(server.port, { channels: ['a'] })).json;
    const alive = await connected(conn.url, conn.token);
    let pings = 0;
    alive.on('ping', () => { pings++; });
    const mute = new WebSocket(`${conn.url}?token=${conn.token}`, { autoPong: false });
    mute.on('error', () => {});
    const muteClosed = new Promise((r) => mute.on('close', (code) => r(code)));
    const started = Date.now();
    assert.equal(await muteClosed, 4008);
    assert.ok(Date.now() - started >= 1500, 'not before activity + pong timeouts');
    await sleep(1500);
    assert.ok(pings >= 1, 'the live socket was pinged');
    assert.equal(alive.readyState, WebSocket.OPEN, 'a socket that answers stays');
    alive.close();
  } finally {
    await server.stop();
  }
});
