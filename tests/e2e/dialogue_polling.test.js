// Socket.IO long-polling (issue 14; docs/protocols/socketio.md "Long-polling across shards"):
// the real socket.io-client with its default transports (polling, then the WebSocket upgrade)
// and polling only, against --shards 2, and a raw Engine.IO polling client whose every request
// opens a new connection, so its polls and posts land on both shards: nothing lost or
// duplicated, in order; the overlap error, the ping timeout, unknown sids.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { io } = require('socket.io-client');
const { startServer, pusherServer } = require('./lib/harness');

const ROOMS = [{ id: 'sandbox', name: 'Sandbox', events: [{ name: '*' }], defaultSubscriptions: ['*'] }];

let server;
test.before(async () => { server = await startServer({ shards: 2, config: { dialogue: { rooms: ROOMS } } }); });
test.after(async () => { await server.stop(); });

// One request on a connection of its own (the kernel picks the shard each time).
function request(port, method, query, body = null) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: `/socket.io/?${query}`, agent: false,
      headers: body === null ? {} : { 'Content-Type': 'text/plain;charset=UTF-8' } }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode, shard: res.headers['x-ringcast-shard'], body: data }));
    });
    req.on('error', reject);
    if (body !== null) req.write(body);
    req.end();
  });
}

// A raw Engine.IO v4 polling client.
async function rawPolling(port, auth) {
  const hs = await request(port, 'GET', 'EIO=4&transport=polling');
  assert.equal(hs.status, 200);
  assert.equal(hs.body[0], '0');
  const open = JSON.parse(hs.body.slice(1));
  assert.deepEqual(open.upgrades, ['websocket']);
  const q = `EIO=4&transport=polling&sid=${encodeURIComponent(open.sid)}`;
  const c = { open, shards: new Set([hs.shard]), events: [], packets: [] };
  c.post = async (...packets) => {
    const res = await request(port, 'POST', q, packets.join('\x1e'));
    c.shards.add(res.shard);
    return res;
  };
  c.poll = async () => {
    const res = await request(port, 'GET', q);
    c.shards.add(res.shard);
    if (res.status !== 200) return res;
    for (const p of res.body.split('\x1e')) {
      c.packets.push(p);
      if (p === '2') await c.post('3');
      if (p.startsWith('42')) {
        const [name, arg] = JSON.parse(p.slice(2));
        if (name === 'dialogue:event') c.events.push(arg);
      }
    }
    return res;
  };
  assert.equal((await c.post(`40${JSON.stringify(auth)}`)).body, 'ok');
  return c;
}

test('raw polling with every request on a new connection: both shards serve it, nothing lost or duplicated', async () => {
  const api = pusherServer(server.port);
  const c = await rawPolling(server.port, { userId: 'raw' });
  // The CONNECT answer and dialogue:connected come in polls.
  while (!c.packets.some((p) => p.startsWith('42["dialogue:connected"'))) await c.poll();
  assert.ok(c.packets.some((p) => p.startsWith('40{"sid":')));
  assert.equal((await c.post('42["dialogue:join",{"roomId":"sandbox"}]')).body, 'ok');
  while (!c.packets.some((p) => p.startsWith('42["dialogue:joined"'))) await c.poll();
  const N = 300;
  const poller = (async () => { while (c.events.length < N) await c.poll(); })();
  for (let i = 0; i < N; i += 10) {
    const batch = [];
    for (let j = i; j < i + 10; ++j) batch.push({ channel: 'sandbox', name: 'seq', data: String(j) });
    assert.equal((await api.triggerBatch(batch)).status, 200);
  }
  let timer;
  await Promise.race([poller, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`got ${c.events.length}`)), 15000); })]);
  clearTimeout(timer);
  assert.deepEqual(c.events.map((e) => e.data), Array.from({ length: N }, (_, i) => i));
  assert.deepEqual([...c.shards].sort(), ['0', '1'], 'requests were read on both shards');
  // A trigger posted from polling reaches the room (the sender included).
  await c.post('42["dialogue:trigger",{"roomId":"sandbox","event":"mine","data":{"k":1}}]');
  while (!c.events.some((e) => e.event === 'mine')) await c.poll();
  assert.equal(c.events.find((e) => e.event === 'mine').from, 'raw');
  // Closing from the client: the session is gone.
  await c.post('1');
  const after = await request(server.port, 'GET', `EIO=4&transport=polling&sid=${encodeURIComponent(c.open.sid)}`);
  assert.equal(after.status, 400);
  assert.deepEqual(JSON.parse(after.body), { code: 1, message: 'Session ID unknown' });
});

test('a second poll while one waits: 400 and the session ends (engine.io overlap)', async () => {
  const c = await rawPolling(server.port, { userId: 'overlap' });
  while (!c.packets.some((p) => p.startsWith('42["dialogue:connected"'))) await c.poll();
  const q = `EIO=4&transport=polling&sid=${encodeURIComponent(c.open.sid)}`;
  const first = request(server.port, 'GET', q);
  await new Promise((r) => setTimeout(r, 100));
  const second = await request(server.port, 'GET', q);
  assert.equal(second.status, 400);
  assert.equal((await first).body, '1', 'the waiting poll gets the close packet');
});

test('socket.io-client, default transports (polling then upgrade): every client gets every event once, in order, across its upgrade', async () => {
  const api = pusherServer(server.port);
  const clients = [];
  // 16 clients: each upgrade lands on its session's shard with odds 1/2, so some do.
  for (let i = 0; i < 16; ++i) {
    const s = io(`http://127.0.0.1:${server.port}`, { auth: { userId: `d${i}` }, reconnection: false });
    s.got = [];
    s.on('dialogue:event', (m) => s.got.push(m.data));
    s.firstTransport = null;
    s.io.on('open', () => { s.firstTransport = s.io.engine.transport.name; });
    s.ready = new Promise((resolve, reject) => { s.once('dialogue:connected', resolve); s.once('connect_error', reject); });
    clients.push(s);
  }
  try {
    for (const s of clients) await s.ready;
    for (const s of clients) assert.equal(s.firstTransport, 'polling', 'the default starts with polling');
    // Join, then publish while the upgrades happen.
    for (const s of clients) assert.deepEqual(await s.timeout(5000).emitWithAck('dialogue:join', { roomId: 'sandbox' }), { roomId: 'sandbox', roomName: 'Sandbox' });
    const N = 200;
    for (let i = 0; i < N; i += 10) {
      const batch = [];
      for (let j = i; j < i + 10; ++j) batch.push({ channel: 'sandbox', name: 'up', data: String(j) });
      assert.equal((await api.triggerBatch(batch)).status, 200);
      await new Promise((r) => setTimeout(r, 10));
    }
    const want = Array.from({ length: N }, (_, i) => i);
    for (const s of clients) {
      const t0 = Date.now();
      while (s.got.length < N && Date.now() - t0 < 10000) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(s.got, want);
    }
    const finals = clients.map((s) => s.io.engine.transport.name);
    // An upgrade probe that lands on the session's shard moves it; one that lands on the other
    // shard is refused and the client stays on polling (docs/protocols/socketio.md).
    assert.ok(finals.every((t) => t === 'websocket' || t === 'polling'));
    assert.ok(finals.includes('websocket'), `some client upgraded: ${finals}`);
  } finally {
    for (const s of clients) s.disconnect();
  }
});

test('socket.io-client, polling only: join, trigger, listRooms ack', async () => {
  const s = io(`http://127.0.0.1:${server.port}`, { auth: { userId: 'po' }, transports: ['polling'], reconnection: false });
  try {
    const hello = await new Promise((resolve, reject) => { s.once('dialogue:connected', resolve); s.once('connect_error', reject); });
    assert.equal(hello.userId, 'po');
    await s.timeout(5000).emitWithAck('dialogue:join', { roomId: 'sandbox' });
    const got = new Promise((resolve) => s.once('dialogue:event', resolve));
    s.emit('dialogue:trigger', { roomId: 'sandbox', event: 'hi', data: 'there' });
    const m = await got;
    assert.equal(m.from, 'po');
    assert.equal(m.data, 'there');
    const rooms = await s.timeout(5000).emitWithAck('dialogue:listRooms');
    assert.deepEqual(rooms.map((r) => r.id), ['sandbox']);
    assert.equal(s.io.engine.transport.name, 'polling');
  } finally {
    s.disconnect();
  }
});

test('polling liveness: a session that never answers the ping is closed', async () => {
  const srv = await startServer({ shards: 2, config: { dialogue: { ping_interval_ms: 200, ping_timeout_ms: 200, rooms: ROOMS } } });
  try {
    const hs = await request(srv.port, 'GET', 'EIO=4&transport=polling');
    const sid = JSON.parse(hs.body.slice(1)).sid;
    const q = `EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`;
    const first = await request(srv.port, 'GET', q);
    assert.equal(first.body, '2', 'the ping comes in a poll');
    await new Promise((r) => setTimeout(r, 600));
    const later = await request(srv.port, 'GET', q);
    assert.equal(later.status, 400);
    assert.equal(JSON.parse(later.body).code, 1);
  } finally {
    await srv.stop();
  }
});
