// Datonow sockets (docs/protocols/datonow.md, "Sockets") on two shards: token sockets get
// broadcasts and their own targeted notifications (never another token's), as durable; a bad
// token is refused before the upgrade; deleting a token closes its sockets (4010); lastSeenAt is
// stored on connect; appKey sockets share the engine channels with Pusher clients (a Pusher REST
// trigger and presence member events reach them), subscribe over the socket or through POST
// /api/subscribe, and are refused a private channel with a bad signature.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const { startServer, APP, rawSocket, pusherServer, pusherOnShard, presenceAuth, shardOf } = require('./lib/harness');

function call(port, method, urlPath, { body, appId = APP.appId, token = APP.secret } = {}) {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json' };
    if (appId !== null) headers['x-datonow-app-id'] = appId;
    if (token !== null) headers['x-datonow-token'] = token;
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, json });
      });
    });
    req.on('error', reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

const newToken = async (port, name) => (await call(port, 'POST', `/api/apps/${APP.appId}/tokens`, { body: { name } })).json;

async function tokenSocket(port, token) {
  const ws = rawSocket(port, { path: `/ws?token=${token}` });
  await ws.opened;
  const est = await ws.next((m) => m.event === 'datonow:connection_established');
  ws.socketId = est.data.socket_id;
  return ws;
}

async function keySocket(port, key = APP.key) {
  const ws = rawSocket(port, { path: `/ws?appKey=${key}` });
  await ws.opened;
  const est = await ws.next((m) => m.event === 'datonow:connection_established');
  ws.socketId = est.data.socket_id;
  return ws;
}

function refusal(port, query) {
  const ws = rawSocket(port, { path: `/ws?${query}` });
  return ws.opened.then(() => 'opened', (e) => e.message);
}

const sign = (text) => crypto.createHmac('sha256', APP.secret).update(text).digest('hex');

test('token sockets: broadcast reaches every token, a targeted message only its token', async () => {
  const srv = await startServer({ shards: 2 });
  try {
    const a = await newToken(srv.port, 'a');
    const b = await newToken(srv.port, 'b');
    // Sockets of token a on both shards (connections spread by hash: open until both have one).
    const sa = [await tokenSocket(srv.port, a.token)];
    while (sa.length < 20 && new Set(sa.map((s) => shardOf(s.socketId))).size < 2) sa.push(await tokenSocket(srv.port, a.token));
    assert.equal(new Set(sa.map((s) => shardOf(s.socketId))).size, 2, 'token sockets on both shards');
    const sb = await tokenSocket(srv.port, b.token);

    const bc = (await call(srv.port, 'POST', '/api/message', { body: { title: 'all', priority: 8, extras: { v: 1 } } })).json;
    for (const s of [...sa, sb]) {
      const m = await s.next((x) => x.event === 'datonow:notification' && x.data.id === bc.id);
      assert.deepEqual(m.data, bc, 'the frame carries the stored message');
      assert.equal(m.channel, undefined);
    }
    const t = await call(srv.port, 'POST', '/api/message', { token: a.token, body: { title: 'only a' } });
    assert.equal(t.status, 200);
    for (const s of sa) await s.next((x) => x.event === 'datonow:notification' && x.data.id === t.json.id);
    // A broadcast sent after the targeted one reaches b; the targeted one never does.
    const bc2 = (await call(srv.port, 'POST', '/api/message', { body: { title: 'all again' } })).json;
    await sb.next((x) => x.event === 'datonow:notification' && x.data.id === bc2.id);
    assert.deepEqual(sb.messages.filter((x) => x.event === 'datonow:notification').map((x) => x.data.id), [bc.id, bc2.id]);

    // lastSeenAt is stored on connect.
    const list = (await call(srv.port, 'GET', `/api/apps/${APP.appId}/tokens`)).json;
    for (const rec of list) assert.match(rec.lastSeenAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    // ping/pong, and an unsupported message gets datonow:error.
    sb.sendJson({ event: 'datonow:ping', data: {} });
    await sb.next((x) => x.event === 'datonow:pong');
    sb.sendJson({ event: 'datonow:subscribe', data: { channel: 'x' } });
    const err = await sb.next((x) => x.event === 'datonow:error');
    assert.equal(err.data.code, 4200);
    for (const s of [...sa, sb]) s.close();
  } finally {
    await srv.stop();
  }
});

test('token sockets: bad tokens are refused before the upgrade; deleting a token closes its sockets', async () => {
  const srv = await startServer({ shards: 2 });
  try {
    assert.equal(await refusal(srv.port, `token=${'0'.repeat(64)}`), 'HTTP 403');
    assert.equal(await refusal(srv.port, 'token=nothex'), 'HTTP 401');
    assert.equal(await refusal(srv.port, ''), 'HTTP 400');
    const plain = await call(srv.port, 'GET', `/ws?token=${'0'.repeat(64)}`);
    assert.equal(plain.status, 400, 'GET /ws without an upgrade');
    assert.match(plain.json.error, /upgrade/i);
    assert.equal(await refusal(srv.port, `token=${'0'.repeat(64)}&appKey=${APP.key}`), 'HTTP 400');
    const a = await newToken(srv.port, 'doomed');
    const b = await newToken(srv.port, 'stays');
    const sa = [await tokenSocket(srv.port, a.token), await tokenSocket(srv.port, a.token), await tokenSocket(srv.port, a.token)];
    const sb = await tokenSocket(srv.port, b.token);
    const del = await call(srv.port, 'DELETE', `/api/apps/${APP.appId}/tokens/${a.id}`);
    assert.equal(del.status, 200);
    for (const s of sa) {
      const info = await s.closeInfo;
      assert.equal(info.code, 4010);
    }
    assert.equal(await refusal(srv.port, `token=${a.token}`), 'HTTP 403');
    // The other token's socket is untouched.
    const m = (await call(srv.port, 'POST', '/api/message', { body: { title: 'still here' } })).json;
    await sb.next((x) => x.event === 'datonow:notification' && x.data.id === m.id);
    assert.equal(sb.readyState, 1);
    sb.close();
  } finally {
    await srv.stop();
  }
});

test('appKey sockets: Pusher REST trigger, private auth, presence member events, /api/subscribe', async () => {
  const srv = await startServer({ shards: 2 });
  const pusher = pusherServer(srv.port);
  try {
    assert.equal(await refusal(srv.port, `appKey=${APP.key}`), 'opened');
    const bad = rawSocket(srv.port, { path: '/ws?appKey=nope' });
    assert.equal((await bad.closeInfo).code, 4001);

    const c = await keySocket(srv.port);
    c.sendJson({ event: 'datonow:subscribe', data: { channel: 'news' } });
    await c.next((m) => m.event === 'datonow:subscription_succeeded' && m.channel === 'news');
    // A pusher-js client on the same channel, on the other shard: one trigger reaches both.
    const pj0 = await pusherOnShard(srv.port, 1 - shardOf(c.socketId));
    const pjGot = new Promise((resolve) => pj0.subscribe('news').bind('headline', resolve));
    await new Promise((resolve) => pj0.channel('news').bind('pusher:subscription_succeeded', resolve));
    await pusher.trigger('news', 'headline', { text: 'hi' });
    assert.deepEqual(await pjGot, { text: 'hi' });
    pj0.disconnect();
    const ev = await c.next((m) => m.event === 'headline');
    assert.deepEqual(ev.data, { text: 'hi' }, 'data arrives as a JSON value, not double-encoded');
    assert.equal(ev.channel, 'news');
    // The sockets' internal routing channels are not listed as the app's channels.
    const listed = await (await pusher.get({ path: '/channels' })).json();
    assert.ok('news' in listed.channels);
    assert.deepEqual(Object.keys(listed.channels).filter((n) => n.startsWith('#')), []);

    // Private: a bad signature is refused, a good one accepted.
    c.sendJson({ event: 'datonow:subscribe', data: { channel: 'private-x', auth: `${APP.key}:${'0'.repeat(64)}` } });
    const se = await c.next((m) => m.event === 'datonow:subscription_error' && m.channel === 'private-x');
    assert.equal(se.data.status, 401);
    c.sendJson({ event: 'datonow:subscribe', data: { channel: 'private-x', auth: `${APP.key}:${sign(`${c.socketId}:private-x`)}` } });
    await c.next((m) => m.event === 'datonow:subscription_succeeded' && m.channel === 'private-x');

    // Presence: the datonow socket joins, then a pusher-js client; member_added reaches it.
    const channelData = JSON.stringify({ user_id: 'alice', user_info: { name: 'Alice' } });
    c.sendJson({ event: 'datonow:subscribe', data: { channel: 'presence-room', auth: `${APP.key}:${sign(`${c.socketId}:presence-room:${channelData}`)}`, channel_data: channelData } });
    const ok = await c.next((m) => m.event === 'datonow:subscription_succeeded' && m.channel === 'presence-room');
    assert.deepEqual(ok.data.presence.ids, ['alice']);
    // pusher-js on the other shard: the member event crosses shards.
    const pj = await pusherOnShard(srv.port, 1 - shardOf(c.socketId), { channelAuthorization: presenceAuth(pusher, { id: 'bob', info: { name: 'Bob' } }) });
    pj.subscribe('presence-room');
    const added = await c.next((m) => m.event === 'datonow:member_added');
    assert.deepEqual(added.data, { user_id: 'bob', user_info: { name: 'Bob' } });
    pj.disconnect();
    const removed = await c.next((m) => m.event === 'datonow:member_removed');
    assert.equal(removed.data.user_id, 'bob');

    // POST /api/subscribe: accepted for a connected socket, the outcome arrives on it.
    const sub = await call(srv.port, 'POST', '/api/subscribe', { appId: null, token: null, body: { appKey: APP.key, socketId: c.socketId, channel: 'by-rest' } });
    assert.equal(sub.status, 202);
    assert.equal(sub.json.status, 'pending');
    await c.next((m) => m.event === 'datonow:subscription_succeeded' && m.channel === 'by-rest');
    await pusher.trigger('by-rest', 'ping-rest', 'plain text');
    const pr = await c.next((m) => m.event === 'ping-rest');
    assert.equal(pr.data, 'plain text');
    const unsub = await call(srv.port, 'POST', '/api/unsubscribe', { appId: null, token: null, body: { appKey: APP.key, socketId: c.socketId, channel: 'by-rest' } });
    assert.equal(unsub.status, 202);
    const missing = await call(srv.port, 'POST', '/api/subscribe', { appId: null, token: null, body: { appKey: APP.key, socketId: '1.1', channel: 'x' } });
    assert.equal(missing.status, 404);
    const badKey = await call(srv.port, 'POST', '/api/subscribe', { appId: null, token: null, body: { appKey: 'nope', socketId: c.socketId, channel: 'x' } });
    assert.equal(badKey.status, 403);
    const badBody = await call(srv.port, 'POST', '/api/subscribe', { appId: null, token: null, body: { appKey: APP.key } });
    assert.equal(badBody.status, 400);
    c.close();
  } finally {
    await srv.stop();
  }
});

test('Datonow sockets count against the app max_connections with Pusher ones (4004)', async () => {
  const srv = await startServer({ shards: 2, config: { apps: [
    { id: APP.appId, key: APP.key, secret: APP.secret, max_connections: 2 },
  ] } });
  try {
    const t = await newToken(srv.port, 'q');
    const held = [await tokenSocket(srv.port, t.token), await keySocket(srv.port)];
    for (const q of [`token=${t.token}`, `appKey=${APP.key}`]) {
      const ws = rawSocket(srv.port, { path: `/ws?${q}` });
      const err = await ws.next((m) => m.event === 'datonow:error');
      assert.equal(err.data.code, 4004);
      assert.equal((await ws.closeInfo).code, 4004);
    }
    held[0].close();
    await held[0].closeInfo;
    // The closed token socket's place is free again (released when the server tears the
    // connection down, which may trail the client's close event: retry a refused attempt).
    let again = null;
    for (let i = 0; i < 50 && again === null; ++i) {
      const ws = rawSocket(srv.port, { path: `/ws?token=${t.token}` });
      const m = await ws.next((x) => x.event === 'datonow:connection_established' || x.event === 'datonow:error');
      if (m.event === 'datonow:connection_established') again = ws;
      else await ws.closeInfo;
    }
    assert.ok(again, 'a socket is admitted again after one closed');
    again.close();
    held[1].close();
  } finally {
    await srv.stop();
  }
});
