// Cluster mode (docs/cluster.md): a redis-server child on a free port and three ringcast nodes
// with --redis-url (node timeout 3 s), a webhook receiver for every node. A REST publish on one
// node reaches pusher-js subscribers on every node once, in order; subscription counts, channel
// lists, presence members and user counts are cluster-wide; socket_id exclusion, client events
// and terminate_connections cross nodes; one user on two nodes is one presence member, with
// member events and webhooks once; channel_vacated is sent once, and not at all for a comeback
// on another node; a kill -9'd node's members are removed within the timeout, a SIGTERM'd
// node's at once; cache channels, Impulse streams and SSE resumes (Last-Event-ID) work on any
// node; with Redis stopped /ready is false and publishes are refused with 503 (never
// delivered; a Datonow trigger's requestId is not remembered, so its retry publishes), and
// after its restart the nodes deliver again and write their presence back. A churn of
// hundreds of tabs over four nodes, ended by a kill -9, leaves every count and event exact.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const net = require('node:net');
const crypto = require('node:crypto');
const { startReceiver } = require('./lib/webhook_receiver');
const { APP, startServer, pusherClient, pusherServer, rawSocket, connected, subscribe, waitFor, presenceAuth, userAuth, signInRecordingWatchlist } = require('./lib/harness');

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function startRedis(port) {
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  return { proc, exited, async stop() { proc.kill('SIGKILL'); await exited; } };
}

async function status(port, path) {
  return (await fetch(`http://127.0.0.1:${port}${path}`)).status;
}

async function metric(port, name) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

async function waitReady(port, ms = 10000) {
  const start = Date.now();
  while ((await status(port, '/ready')) !== 200) {
    if (Date.now() - start > ms) throw new Error(`node on ${port} not ready`);
    await sleep(50);
  }
}

function connect(port, opts = {}) {
  const c = pusherClient(port, opts);
  c.connected = new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('pusher-js did not connect')), 5000);
    c.connection.bind('connected', () => { clearTimeout(t); resolve(c.connection.socket_id); });
  });
  return c;
}

// Subscribes and records every `event` on `channel`; resolves once subscription_succeeded came.
function listen(client, channel, event) {
  const ch = client.subscribe(channel);
  const got = [];
  ch.bind(event, (data) => got.push(data));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no subscription_succeeded for ${channel}`)), 5000);
    ch.bind('pusher:subscription_succeeded', () => { clearTimeout(t); resolve(got); });
    ch.bind('pusher:subscription_error', (e) => { clearTimeout(t); reject(new Error(JSON.stringify(e))); });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The smallest node timeout (3 s): a killed node's members go within about 3.6 s.
const nodeArgs = (url, id) => ['--redis-url', url, '--cluster-node-id', `node-${id}`,
  '--shutdown-grace-ms', '200', '--cluster-node-timeout-ms', '3000'];

const IMPULSE_SECRET = 'impulse-cluster-secret';
const COUNT_APP = { appId: 'app-count', key: 'key-count', secret: 'secret-count' };
let redisPort;
let redis;
let rx;
let config;
let nodes = [];
const clients = [];

test.before(async () => {
  redisPort = await freePort();
  redis = startRedis(redisPort);
  rx = await startReceiver({ '/hook': APP });
  config = {
    apps: [
      { id: APP.appId, key: APP.key, secret: APP.secret, webhooks: [{ url: rx.url('/hook') }] },
      { id: COUNT_APP.appId, key: COUNT_APP.key, secret: COUNT_APP.secret, enable_subscription_count: true },
    ],
    impulse: { secret: IMPULSE_SECRET, app_id: APP.appId },
    dialogue: { app_id: APP.appId, rooms: [{ id: 'chat', name: 'Chat', defaultSubscriptions: ['*'], events: [{ name: 'message' }] }] },
  };
  const url = `redis://127.0.0.1:${redisPort}`;
  nodes = await Promise.all(['a', 'b', 'c'].map((id) =>
    startServer({ shards: 2, args: nodeArgs(url, id), config })));
  for (const n of nodes) {
    const start = Date.now();
    while ((await status(n.port, '/ready')) !== 200) {
      if (Date.now() - start > 10000) throw new Error('node not ready: ' + n.stderr());
      await sleep(50);
    }
  }
});

test.after(async () => {
  for (const c of clients) c.disconnect();
  await Promise.all(nodes.map((n) => n.stop()));
  if (redis) await redis.stop();
  if (rx) await rx.close();
});

test('a publish on A reaches subscribers on A, B and C once each, in order', async () => {
  const subs = nodes.map((n) => connect(n.port));
  clients.push(...subs);
  await Promise.all(subs.map((c) => c.connected));
  const got = await Promise.all(subs.map((c) => listen(c, 'news', 'headline')));
  const api = pusherServer(nodes[0].port);
  for (let i = 1; i <= 20; ++i) await api.trigger('news', 'headline', { n: i });
  await waitFor(() => got.every((g) => g.length >= 20), 5000);
  await sleep(200);  // nothing more comes
  for (const g of got) assert.deepEqual(g.map((d) => d.n), Array.from({ length: 20 }, (_, i) => i + 1));
  // A batch on C too.
  await pusherServer(nodes[2].port).triggerBatch([
    { channel: 'news', name: 'headline', data: { n: 21 } },
    { channel: 'news', name: 'headline', data: { n: 22 } },
  ]);
  await waitFor(() => got.every((g) => g.length >= 22), 5000);
  for (const g of got) assert.deepEqual(g.slice(20).map((d) => d.n), [21, 22]);
  assert.ok(await metric(nodes[0].port, 'ringcast_cluster_published_total') >= 20);
  assert.ok(await metric(nodes[1].port, 'ringcast_cluster_received_total') >= 22);
  assert.equal(await metric(nodes[1].port, 'ringcast_cluster_redis_up'), 1);
});

test('subscription_count and occupied are cluster-wide in REST answers', async () => {
  const a = connect(nodes[0].port);
  const b1 = connect(nodes[1].port);
  const b2 = connect(nodes[1].port);
  clients.push(a, b1, b2);
  await Promise.all([a.connected, b1.connected, b2.connected]);
  await Promise.all([listen(a, 'counted', 'x'), listen(b1, 'counted', 'x'), listen(b2, 'counted', 'x')]);
  const api = pusherServer(nodes[2].port);  // no subscriber on C
  const one = await (await api.get({ path: '/channels/counted', params: { info: 'subscription_count' } })).json();
  assert.deepEqual(one, { occupied: true, subscription_count: 3 });
  const res = await (await api.trigger('counted', 'x', {}, { info: 'subscription_count' })).json();
  assert.deepEqual(res, { channels: { counted: { subscription_count: 3 } } });
  const list = await (await api.get({ path: '/channels' })).json();
  assert.ok('counted' in list.channels, JSON.stringify(list));
  b2.unsubscribe('counted');
  await sleep(100);
  const after = await (await api.get({ path: '/channels/counted', params: { info: 'subscription_count' } })).json();
  assert.deepEqual(after, { occupied: true, subscription_count: 2 });
});

test('pusher_internal:subscription_count events tell the count over every node', async () => {
  const a = rawSocket(nodes[0].port, { key: COUNT_APP.key });
  const b = rawSocket(nodes[1].port, { key: COUNT_APP.key });
  try {
    await Promise.all([connected(a), connected(b)]);
    await subscribe(a, 'scored');
    await a.next((m) => m.event === 'pusher_internal:subscription_count' && m.parsed.subscription_count === 1);
    await subscribe(b, 'scored');
    // Both hear 2: B's join made it due on B, which asked A too.
    await a.next((m) => m.event === 'pusher_internal:subscription_count' && m.parsed.subscription_count === 2);
    await b.next((m) => m.event === 'pusher_internal:subscription_count' && m.parsed.subscription_count === 2);
  } finally {
    a.close();
    b.close();
  }
});

test('socket_id exclusion works for a socket on another node', async () => {
  const b = connect(nodes[1].port);
  const c = connect(nodes[2].port);
  clients.push(b, c);
  const bId = await b.connected;
  await c.connected;
  const [gotB, gotC] = await Promise.all([listen(b, 'room-x', 'say'), listen(c, 'room-x', 'say')]);
  const api = pusherServer(nodes[0].port);
  await api.trigger('room-x', 'say', { n: 1 }, { socket_id: bId });
  await api.trigger('room-x', 'say', { n: 2 });
  await waitFor(() => gotC.length >= 2 && gotB.length >= 1, 5000);
  await sleep(200);
  assert.deepEqual(gotC.map((d) => d.n), [1, 2]);
  assert.deepEqual(gotB.map((d) => d.n), [2], 'the excluded socket on B got its own event');
});

test('client events cross nodes, not back to their sender', async () => {
  const api = pusherServer(nodes[0].port);
  const authorizer = {
    customHandler: ({ socketId, channelName }, cb) => cb(null, api.authorizeChannel(socketId, channelName)),
  };
  const a = connect(nodes[0].port, { channelAuthorization: authorizer });
  const c = connect(nodes[2].port, { channelAuthorization: authorizer });
  clients.push(a, c);
  await Promise.all([a.connected, c.connected]);
  const [gotA, gotC] = await Promise.all([listen(a, 'private-chat', 'client-typing'),
    listen(c, 'private-chat', 'client-typing')]);
  a.channel('private-chat').trigger('client-typing', { who: 'a' });
  await waitFor(() => gotC.length >= 1, 5000);
  await sleep(200);
  assert.deepEqual(gotC, [{ who: 'a' }]);
  assert.deepEqual(gotA, []);
});

test('terminate_connections closes the user on every node', async () => {
  // Raw sockets: a pusher-js client closed by the server keeps its WebSocket library's 30 s
  // close-handshake timer alive (signin.test.js).
  const api = pusherServer(nodes[0].port);
  const socks = [rawSocket(nodes[1].port), rawSocket(nodes[2].port), rawSocket(nodes[2].port)];
  try {
    for (const [i, ws] of socks.entries()) {
      const est = await connected(ws);
      if (i === 2) continue;  // another user: stays
      ws.sendJson({ event: 'pusher:signin', data: api.authenticateUser(est.parsed.socket_id, { id: 'u-9' }) });
      await ws.next((m) => m.event === 'pusher:signin_success');
    }
    // signin_success comes once the node's subscription to the user's channel is confirmed.
    await api.terminateUserConnections('u-9');
    assert.equal((await socks[0].closeInfo).code, 4009);
    assert.equal((await socks[1].closeInfo).code, 4009);
    await sleep(100);
    assert.equal(socks[2].readyState, 1, 'a connection of another user was closed');
  } finally {
    for (const ws of socks) ws.close();
  }
});

// A presence subscriber that records member events.
async function presenceMember(port, user, channel) {
  const api = pusherServer(port);
  const c = connect(port, { channelAuthorization: presenceAuth(api, user) });
  clients.push(c);
  await c.connected;
  const ch = c.subscribe(channel);
  const events = [];
  ch.bind('pusher:member_added', (m) => events.push(['added', m.id]));
  ch.bind('pusher:member_removed', (m) => events.push(['removed', m.id]));
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no presence subscription_succeeded')), 5000);
    ch.bind('pusher:subscription_succeeded', () => { clearTimeout(t); resolve(); });
  });
  const ids = () => { const out = []; ch.members.each((m) => out.push(m.id)); return out.sort(); };
  return { client: c, channel: ch, events, ids };
}

test('presence: one user on two nodes is one member; events once each, across nodes', async () => {
  const room = 'presence-lobby';
  const a1 = await presenceMember(nodes[0].port, { id: 'u1', info: { name: 'Ann' } }, room);
  assert.deepEqual(a1.ids(), ['u1']);
  const b1 = await presenceMember(nodes[1].port, { id: 'u2', info: { name: 'Bob' } }, room);
  assert.deepEqual(b1.ids(), ['u1', 'u2'], 'the member list on B holds the member on A');
  await waitFor(() => a1.events.length >= 1, 5000);
  assert.deepEqual(a1.events, [['added', 'u2']]);
  // A second tab of u1, on C: no member_added anywhere; its list has both.
  const c1 = await presenceMember(nodes[2].port, { id: 'u1', info: { name: 'Ann' } }, room);
  assert.deepEqual(c1.ids(), ['u1', 'u2']);
  assert.equal(c1.channel.members.count, 2);
  // The REST API on a node without members of the room answers for the cluster.
  const d = await startServer({ shards: 1, args: nodeArgs(`redis://127.0.0.1:${redisPort}`, 'q'), config });
  try {
    await waitReady(d.port);
    const api = pusherServer(d.port);
    const one = await (await api.get({ path: `/channels/${room}`, params: { info: 'user_count' } })).json();
    assert.deepEqual(one, { occupied: true, user_count: 2 });
    const list = await (await api.get({ path: '/channels', params: { filter_by_prefix: 'presence-', info: 'user_count' } })).json();
    assert.deepEqual(list.channels[room], { user_count: 2 });
    const users = await (await api.get({ path: `/channels/${room}/users` })).json();
    assert.deepEqual(users, { users: [{ id: 'u1' }, { id: 'u2' }] });
    const none = await (await api.get({ path: '/channels/presence-nobody', params: { info: 'user_count' } })).json();
    assert.deepEqual(none, { occupied: false, user_count: 0 });
    const bad = await api.get({ path: '/channels/news', params: { info: 'user_count' } }).catch((e) => e);
    assert.equal(bad.status, 400, 'validation is the single-node one');
  } finally {
    await d.stop();
  }
  // u1's first tab goes: u1 is still there (on C), so nobody hears member_removed.
  a1.client.disconnect();
  await sleep(300);
  assert.deepEqual(b1.events, []);
  // Its last tab goes: member_removed once, on B.
  c1.client.disconnect();
  await waitFor(() => b1.events.length >= 1, 5000);
  await sleep(200);
  assert.deepEqual(b1.events, [['removed', 'u1']]);
  assert.deepEqual(b1.ids(), ['u2']);
  b1.client.disconnect();
  // The webhooks: once each cluster-wide (member_removed after its 3 s delay).
  await rx.next((e) => e.name === 'member_removed' && e.channel === room && e.user_id === 'u2', 8000);
  await rx.next((e) => e.name === 'channel_vacated' && e.channel === room, 8000);
  await sleep(300);
  const hooks = rx.events.filter((e) => e.channel === room).map((e) => `${e.name} ${e.user_id || ''}`.trim());
  assert.deepEqual(hooks.filter((h) => h.startsWith('member_added')).sort(), ['member_added u1', 'member_added u2']);
  assert.deepEqual(hooks.filter((h) => h.startsWith('member_removed')).sort(), ['member_removed u1', 'member_removed u2']);
  assert.deepEqual(hooks.filter((h) => h.startsWith('channel_')), ['channel_occupied', 'channel_vacated']);
});

test('channel_vacated once, after the last subscriber anywhere leaves; a comeback on another node cancels it', async () => {
  const room = 'hooked-room';
  const a = connect(nodes[0].port);
  const b = connect(nodes[1].port);
  clients.push(a, b);
  await Promise.all([a.connected, b.connected]);
  await listen(a, room, 'x');
  await listen(b, room, 'x');
  await rx.next((e) => e.name === 'channel_occupied' && e.channel === room);
  a.unsubscribe(room);
  await sleep(3500);  // past the delay: B still has it, nothing is sent
  assert.deepEqual(rx.events.filter((e) => e.channel === room).map((e) => e.name), ['channel_occupied']);
  // B leaves, and a subscriber on C comes back within the delay: neither webhook is sent.
  b.unsubscribe(room);
  await sleep(500);
  const c = connect(nodes[2].port);
  clients.push(c);
  await c.connected;
  await listen(c, room, 'x');
  await sleep(3500);
  assert.deepEqual(rx.events.filter((e) => e.channel === room).map((e) => e.name), ['channel_occupied']);
  c.unsubscribe(room);
  const vacated = await rx.next((e) => e.name === 'channel_vacated' && e.channel === room, 8000);
  await sleep(1500);
  assert.deepEqual(rx.events.filter((e) => e.channel === room).map((e) => e.name), ['channel_occupied', 'channel_vacated']);
  assert.ok(vacated);
});

test('kill -9 of a node: its presence members are removed on the others within the bound', async () => {
  const url = `redis://127.0.0.1:${redisPort}`;
  const d = await startServer({ shards: 1, args: nodeArgs(url, 'd'), config });
  try {
    const start = Date.now();
    while ((await status(d.port, '/ready')) !== 200) {
      if (Date.now() - start > 10000) throw new Error('node d not ready');
      await sleep(50);
    }
    const room = 'presence-crash';
    const watcher = await presenceMember(nodes[0].port, { id: 'w' }, room);
    const doomed = await presenceMember(d.port, { id: 'gone' }, room);
    assert.deepEqual(doomed.ids(), ['gone', 'w']);
    await waitFor(() => watcher.events.length >= 1, 5000);
    assert.deepEqual(watcher.events, [['added', 'gone']]);
    await d.stop('SIGKILL');
    const killed = Date.now();
    await waitFor(() => watcher.events.length >= 2, 8000);
    const took = Date.now() - killed;
    assert.deepEqual(watcher.events, [['added', 'gone'], ['removed', 'gone']]);
    assert.ok(took <= 3000 + 1000, `removed after ${took} ms (timeout 3000, and scheduling slack)`);
    assert.deepEqual(watcher.ids(), ['w']);
    await rx.next((e) => e.name === 'member_removed' && e.channel === room && e.user_id === 'gone', 8000);
    await sleep(300);
    assert.equal(rx.events.filter((e) => e.name === 'member_removed' && e.user_id === 'gone').length, 1);
    watcher.client.disconnect();
  } finally {
    await d.stop('SIGKILL');
  }
});

test('a node stopped with SIGTERM: its presence members are removed at once, not after the timeout', async () => {
  const e = await startServer({ shards: 1, args: nodeArgs(`redis://127.0.0.1:${redisPort}`, 'e'), config });
  let stopped = false;
  try {
    await waitReady(e.port);
    const room = 'presence-leaving';
    const watcher = await presenceMember(nodes[0].port, { id: 'w2' }, room);
    // A raw socket: pusher-js would reconnect elsewhere... here nowhere, and its timers linger.
    const ws = rawSocket(e.port);
    const est = await connected(ws);
    const api = pusherServer(e.port);
    const auth = api.authorizeChannel(est.parsed.socket_id, room, { user_id: 'bye' });
    ws.sendJson({ event: 'pusher:subscribe', data: { channel: room, ...auth } });
    await ws.next((m) => m.event === 'pusher_internal:subscription_succeeded');
    await waitFor(() => watcher.events.length >= 1, 5000);
    const t0 = Date.now();
    await e.stop('SIGTERM');
    stopped = true;
    await waitFor(() => watcher.events.length >= 2, 5000);
    assert.deepEqual(watcher.events, [['added', 'bye'], ['removed', 'bye']]);
    assert.ok(Date.now() - t0 < 2500, `removed after ${Date.now() - t0} ms`);
    watcher.client.disconnect();
  } finally {
    if (!stopped) await e.stop('SIGKILL');
  }
});

test('cache channels are shared: the last event on A is replayed to a subscriber on B; one cache_miss webhook', async () => {
  const api = pusherServer(nodes[0].port);
  await api.trigger('cache-score', 'goal', { n: 1 });  // nobody subscribes anywhere yet
  const b = rawSocket(nodes[1].port);
  const c = rawSocket(nodes[2].port);
  const c2 = rawSocket(nodes[0].port);
  try {
    await Promise.all([connected(b), connected(c), connected(c2)]);
    b.sendJson({ event: 'pusher:subscribe', data: { channel: 'cache-score' } });
    await b.next((m) => m.event === 'goal');
    const after = b.messages.filter((m) => m.channel === 'cache-score').map((m) => m.event);
    assert.deepEqual(after, ['pusher_internal:subscription_succeeded', 'goal']);
    // A miss on two nodes: pusher:cache_miss on both, one cache_miss webhook.
    for (const ws of [c, c2]) ws.sendJson({ event: 'pusher:subscribe', data: { channel: 'cache-empty' } });
    await c.next((m) => m.event === 'pusher:cache_miss');
    await c2.next((m) => m.event === 'pusher:cache_miss');
    await rx.next((e) => e.name === 'cache_miss' && e.channel === 'cache-empty');
    await sleep(300);
    assert.equal(rx.events.filter((e) => e.name === 'cache_miss' && e.channel === 'cache-empty').length, 1);
  } finally {
    for (const ws of [b, c, c2]) ws.close();
  }
});

test('Impulse: the real client on B and C receives a push made on A as soon as its stream is open', async () => {
  const lib = await import('@impulselab/realtime');
  const { EventSource } = require('eventsource');
  const sources = [];
  globalThis.EventSource = class Tracked extends EventSource {
    constructor(...args) { super(...args); sources.push(this); }
  };
  const subs = [nodes[1], nodes[2]].map((n) => {
    const client = lib.createRealtimeClient({ serviceUrl: `http://127.0.0.1:${n.port}/impulse` });
    const got = [];
    client.subscribe('user:online', (ev) => got.push(ev));
    return { client, got };
  });
  try {
    // Open means subscribed on every node: one push right after reaches both.
    await waitFor(() => sources.length === 2 && sources.every((es) => es.readyState === 1), 5000);
    const server = lib.createServerClient({ serviceUrl: `http://127.0.0.1:${nodes[0].port}/impulse`, token: IMPULSE_SECRET });
    await server.push('user:online', { n: 1 });
    await waitFor(() => subs.every((s) => s.got.length >= 1), 5000);
    await sleep(100);
    for (const s of subs) assert.deepEqual(s.got, [{ channel: 'user:online', payload: { n: 1 } }]);
  } finally {
    for (const s of subs) s.client.close();
  }
});

test('DontCode realtime: a token minted on A works on B and C; publish on A delivers to both and counts them; presence lists every node\'s sockets; socket publishes and presence events cross nodes', async () => {
  const WebSocket = require('ws');
  const rest = async (port, path, body) => {
    const r = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${APP.secret}` },
      body: JSON.stringify(body),
    });
    return r.json();
  };
  const open = (port, token) => new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/realtime?token=${token}`);
    ws.frames = [];
    ws.on('message', (d) => {
      const f = JSON.parse(String(d));
      ws.frames.push(f);
      if (f.type === 'connected') { ws.hello = f; ws.send(JSON.stringify({ type: 'subscribe', channel: 'room:9' })); }
      if (f.type === 'subscribed') resolve(ws);
    });
    ws.on('error', reject);
  });
  const token = async (identity) => (await rest(nodes[0].port, '/realtime/tokens', { channels: ['room:9'], identity })).token;
  const b = await open(nodes[1].port, await token('bee'));
  const c = await open(nodes[2].port, await token('cee'));
  try {
    await waitFor(() => b.frames.some((f) => f.type === 'presence' && f.member.identity === 'cee'), 5000);
    const r = await rest(nodes[0].port, '/realtime/publish', { channel: 'room:9', data: { n: 1 } });
    assert.deepEqual(r, { delivered: 2 });
    // Presence asked on A lists the sockets of B and C (every node's), on any node.
    for (const n of nodes) {
      const res = await fetch(`http://127.0.0.1:${n.port}/realtime/presence/room%3A9`, { headers: { authorization: `Bearer ${APP.secret}` } });
      const list = (await res.json()).sort((x, y) => x.identity.localeCompare(y.identity));
      assert.deepEqual(list, [{ id: b.hello.id, identity: 'bee' }, { id: c.hello.id, identity: 'cee' }]);
    }
    await waitFor(() => [b, c].every((ws) => ws.frames.some((f) => f.type === 'message' && f.data.n === 1)), 5000);
    c.send(JSON.stringify({ type: 'publish', channel: 'room:9', data: 'from C' }));
    await waitFor(() => b.frames.some((f) => f.type === 'message' && f.data === 'from C'), 5000);
    await sleep(200);
    assert.equal(c.frames.filter((f) => f.data === 'from C').length, 0, 'not back to its sender');
    assert.equal(b.frames.filter((f) => f.type === 'message').length, 2, 'each once');
  } finally {
    b.close();
    c.close();
  }
});

test('Dialogue: a client trigger on B and a REST trigger on A reach members on B and C, meta included', async () => {
  const { sioClient, next } = require('./lib/dialogue');
  const b = await sioClient(nodes[1].port, { userId: 'ub' }, { transports: ['websocket'] });
  const c = await sioClient(nodes[2].port, { userId: 'uc' }, { transports: ['websocket'] });
  try {
    for (const s of [b, c]) assert.equal((await s.timeout(5000).emitWithAck('dialogue:join', { roomId: 'chat' })).roomId, 'chat');
    await sleep(200);  // the joins' cluster subscriptions
    const meta = { trace: 't-1', n: [1, 2] };
    assert.deepEqual(await b.timeout(5000).emitWithAck('dialogue:trigger', { roomId: 'chat', event: 'message', data: { x: 1 }, meta }), { ok: true });
    for (const s of [b, c]) {
      const ev = await next(s, 'dialogue:event', (m) => m.data.x === 1);
      assert.deepEqual([ev.from, ev.meta], ['ub', meta]);
    }
    await pusherServer(nodes[0].port).trigger('chat', 'message', JSON.stringify({ x: 2 }));
    for (const s of [b, c]) {
      const ev = await next(s, 'dialogue:event', (m) => m.data.x === 2);
      assert.deepEqual([ev.from, 'meta' in ev], ['system', false]);
    }
  } finally {
    b.disconnect();
    c.disconnect();
  }
});

test('Datonow: an appKey socket on B, subscribed by POST /api/subscribe on A, gets a publish made on C', async () => {
  const ws = rawSocket(nodes[1].port, { path: `/ws?appKey=${APP.key}` });
  try {
    await ws.opened;
    const est = await ws.next((m) => m.event === 'datonow:connection_established');
    const post = (port, body) => fetch(`http://127.0.0.1:${port}/api/subscribe`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    const sub = await post(nodes[0].port, { appKey: APP.key, socketId: est.data.socket_id, channel: 'dn-news' });
    assert.equal(sub.status, 202);
    await ws.next((m) => m.event === 'datonow:subscription_succeeded' && m.channel === 'dn-news');
    await pusherServer(nodes[2].port).trigger('dn-news', 'flash', { n: 1 });
    const ev = await ws.next((m) => m.event === 'flash');
    assert.deepEqual(ev.data, { n: 1 });
    // A socket no node holds: 404, asked of every node.
    const missing = await post(nodes[0].port, { appKey: APP.key, socketId: '123.4', channel: 'x' });
    assert.equal(missing.status, 404);
  } finally {
    ws.close();
  }
});

// A Datonow REST call (X-Datonow-App-Id / X-Datonow-Token; the app secret unless `token`).
async function dnCall(port, method, urlPath, { body, token = APP.secret } = {}) {
  const res = await fetch(`http://127.0.0.1:${port}${urlPath}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-datonow-app-id': APP.appId, 'x-datonow-token': token },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text };
}

async function tokenSocket(port, token) {
  const ws = rawSocket(port, { path: `/ws?token=${token}` });
  await ws.opened;
  await ws.next((m) => m.event === 'datonow:connection_established');
  return ws;
}

test('Datonow store shared: a token made on A works on B and C; messages, state and deletes seen everywhere', async () => {
  const [a, b, c] = nodes.map((n) => n.port);
  const made = await dnCall(a, 'POST', `/api/apps/${APP.appId}/tokens`, { body: { name: 'across' } });
  assert.equal(made.status, 200, made.text);
  const tok = made.json.token;
  // At once on the other nodes: the token socket on B, REST with the token on C.
  const ws = await tokenSocket(b, tok);
  const sockets = [ws];
  try {
    const inbox = await dnCall(c, 'GET', '/api/messages', { token: tok });
    assert.equal(inbox.status, 200, inbox.text);
    // A message targeted at the token, posted on C with the token, reaches its socket on B; a
    // broadcast posted on A too; both listed on B.
    const mine = await dnCall(c, 'POST', '/api/message', { token: tok, body: { title: 'to me' } });
    assert.equal(mine.status, 200, mine.text);
    await ws.next((m) => m.event === 'datonow:notification' && m.data.id === mine.json.id);
    const all = await dnCall(a, 'POST', '/api/message', { body: { title: 'to all' } });
    await ws.next((m) => m.event === 'datonow:notification' && m.data.id === all.json.id);
    assert.ok(all.json.id > mine.json.id, 'ids given out in one sequence across nodes');
    const listed = await dnCall(b, 'GET', '/api/messages', { token: tok });
    assert.deepEqual(listed.json.messages.map((m) => [m.id, m.read]), [[all.json.id, false], [mine.json.id, false]]);
    // Read on A, seen on C; lastSeenAt stored by B's socket, seen on A.
    assert.equal((await dnCall(a, 'POST', `/api/messages/${mine.json.id}/read`, { token: tok })).status, 200);
    const after = await dnCall(c, 'GET', '/api/messages', { token: tok });
    assert.deepEqual(after.json.messages.map((m) => m.read), [false, true]);
    const tokens = (await dnCall(a, 'GET', `/api/apps/${APP.appId}/tokens`)).json;
    const rec = tokens.find((t) => t.token === tok);
    assert.match(rec.lastSeenAt, /^\d{4}-/);
    // Concurrent posts on all three nodes: every one answered 200 with its own id, all listed.
    const posts = await Promise.all(Array.from({ length: 30 }, (_, i) =>
      dnCall(nodes[i % 3].port, 'POST', '/api/message', { body: { title: `burst ${i}` } })));
    for (const p of posts) assert.equal(p.status, 200, p.text);
    const ids = posts.map((p) => p.json.id);
    assert.equal(new Set(ids).size, 30, 'no id given twice');
    const page = await dnCall(b, 'GET', '/api/messages?limit=100');
    for (const id of ids) assert.ok(page.json.messages.some((m) => m.id === id), `message ${id} listed on B`);
    // A node started now loads the store from Redis: same tokens, same inbox.
    const d = await startServer({ shards: 1, args: nodeArgs(`redis://127.0.0.1:${redisPort}`, 'd'), config });
    try {
      await waitReady(d.port);
      const onD = await dnCall(d.port, 'GET', '/api/messages?limit=100');
      assert.deepEqual(onD.json, page.json);
      assert.equal((await tokenSocket(d.port, tok)).close(), undefined);
      assert.deepEqual((await dnCall(d.port, 'GET', `/api/apps/${APP.appId}/tokens`)).json.map((t) => t.id),
        (await dnCall(a, 'GET', `/api/apps/${APP.appId}/tokens`)).json.map((t) => t.id));
    } finally {
      await d.stop();
    }
    // The token deleted on C: refused on A at once, and its socket on B closed.
    const del = await dnCall(c, 'DELETE', `/api/apps/${APP.appId}/tokens/${made.json.id}`);
    assert.equal(del.status, 200, del.text);
    assert.equal((await dnCall(a, 'GET', '/api/messages', { token: tok })).status, 403);
    assert.equal((await ws.closeInfo).code, 4010, "the deleted token's socket on B is closed");
    const refused = rawSocket(a, { path: `/ws?token=${tok}` });
    sockets.push(refused);
    assert.equal(await refused.opened.then(() => 'opened', (e) => e.message), 'HTTP 403');
    // Messages deleted on A are gone on B and C.
    assert.equal((await dnCall(a, 'DELETE', '/api/messages')).status, 200);
    for (const port of [b, c]) assert.deepEqual((await dnCall(port, 'GET', '/api/messages')).json.messages, []);
  } finally {
    for (const s of sockets) s.close();
  }
});

test('Datonow churn across nodes: 1000 token sockets opened on two nodes, closed by token deletes on a third (4010)', { timeout: 60000 }, async () => {
  const url = `redis://127.0.0.1:${redisPort}`;
  const limitsOff = ['--datonow-api-requests-per-minute', '0', '--datonow-ws-connections-per-second', '0'];
  const extra = await Promise.all(['churn-d', 'churn-e'].map((id) =>
    startServer({ shards: 2, args: [...nodeArgs(url, id), ...limitsOff], config })));
  const sockets = [];
  try {
    for (const n of extra) await waitReady(n.port);
    const tokens = [];
    for (let i = 0; i < 10; ++i) {
      const t = await dnCall(nodes[0].port, 'POST', `/api/apps/${APP.appId}/tokens`, { body: { name: `churn-${i}` } });
      assert.equal(t.status, 200, t.text);
      tokens.push(t.json);
    }
    let next = 0;
    const opener = async () => {
      for (let i = next++; i < 1000; i = next++) {
        const ws = rawSocket(extra[i % 2].port, { path: `/ws?token=${tokens[i % 10].token}` });
        sockets.push(ws);
        await ws.opened;
        await ws.next((m) => m.event === 'datonow:connection_established');
      }
    };
    await Promise.all(Array.from({ length: 50 }, opener));
    // Every token deleted on A: every socket on D and E is closed by its node with 4010.
    for (const t of tokens) {
      assert.equal((await dnCall(nodes[0].port, 'DELETE', `/api/apps/${APP.appId}/tokens/${t.id}`)).status, 200);
    }
    const codes = await Promise.all(sockets.map((ws) => ws.closeInfo.then((c) => c.code)));
    assert.deepEqual([...new Set(codes)], [4010]);
    for (const n of extra) {
      const left = (await dnCall(n.port, 'GET', `/api/apps/${APP.appId}/tokens`)).json.map((t) => t.id);
      for (const t of tokens) assert.ok(!left.includes(t.id), `token ${t.id} still listed on a node`);
    }
  } finally {
    for (const ws of sockets) ws.close();
    await Promise.all(extra.map((n) => n.stop()));
  }
});

test('Datonow trigger: a requestId is remembered cluster-wide; its repeat on another node is a replay, one delivery', async () => {
  const sub = connect(nodes[2].port);
  clients.push(sub);
  await sub.connected;
  const got = await listen(sub, 'dn-once', 'note');
  const first = await datonowTrigger(nodes[0].port, { channel: 'dn-once', event: 'note', data: { n: 1 }, requestId: 'x-1' });
  assert.equal(first.status, 200, first.text);
  assert.equal(first.replayed, null);
  const again = await datonowTrigger(nodes[1].port, { channel: 'dn-once', event: 'note', data: { n: 1 }, requestId: 'x-1' });
  assert.equal(again.status, 200, again.text);
  assert.equal(again.replayed, 'true');
  assert.equal(again.text, first.text, 'the first answer, word for word');
  // The same new id sent to all three nodes at once: one first, two replays, one delivery.
  const race = await Promise.all(nodes.map((n) =>
    datonowTrigger(n.port, { channel: 'dn-once', event: 'note', data: { n: 2 }, requestId: 'x-2' })));
  for (const r of race) assert.equal(r.status, 200, r.text);
  assert.equal(race.filter((r) => r.replayed === 'true').length, 2);
  assert.equal(new Set(race.map((r) => r.text)).size, 1);
  await sleep(300);
  assert.deepEqual(got, [{ n: 1 }, { n: 2 }]);
  sub.unsubscribe('dn-once');
});

test('Datonow store: kill -9 of a node mid-burst; every write it acknowledged is on the others', async () => {
  const e = await startServer({ shards: 1, args: nodeArgs(`redis://127.0.0.1:${redisPort}`, 'e'), config });
  await waitReady(e.port);
  const acked = [];
  let sent = 0;
  // Eight writers, each posting until the node is gone.
  const writer = async () => {
    for (;;) {
      const r = await dnCall(e.port, 'POST', '/api/message', { body: { title: `crash ${sent++}` } }).catch(() => null);
      if (r === null) return;
      if (r.status === 200) acked.push(r.json.id);
    }
  };
  const writers = Array.from({ length: 8 }, writer);
  await waitFor(() => acked.length >= 100, 10000);
  e.proc.kill('SIGKILL');
  await Promise.all(writers);
  await e.exited;
  assert.ok(acked.length >= 100, `acknowledged ${acked.length} of ${sent}`);
  const listed = new Set();
  let cursor = null;
  do {
    const page = await dnCall(nodes[1].port, 'GET', `/api/messages?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    for (const m of page.json.messages) listed.add(m.id);
    cursor = page.json.nextCursor;
  } while (cursor !== null);
  for (const id of acked) assert.ok(listed.has(id), `acknowledged message ${id} lost`);
  // And B goes on taking writes with fresh ids.
  const next = await dnCall(nodes[1].port, 'POST', '/api/message', { body: { title: 'after crash' } });
  assert.equal(next.status, 200, next.text);
  assert.ok(!listed.has(next.json.id));
  assert.equal((await dnCall(nodes[1].port, 'DELETE', '/api/messages')).status, 200);
});

// An SSE stream (eventsource) on `port`, resuming from `lastId` when given.
function sseOpen(port, query, lastId) {
  const { EventSource } = require('eventsource');
  const opts = lastId ? {
    fetch: (url, init) => fetch(url, { ...init, headers: { ...(init.headers || {}), 'Last-Event-ID': lastId } }),
  } : {};
  const es = new EventSource(`http://127.0.0.1:${port}/sse/${APP.key}?${query}`, opts);
  const got = [];
  es.addEventListener('error', () => {});
  es.addEventListener('ev', (e) => got.push({ id: e.lastEventId, ...JSON.parse(e.data) }));
  es.addEventListener('ringcast:gap', (e) => got.push({ gap: e.data }));
  const opened = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('stream did not open')), 5000);
    es.addEventListener('open', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
  return { es, got, opened };
}

test('SSE resume with Last-Event-ID on another node: every event exactly once, in order', async () => {
  const channels = ['feed-x', 'feed-y'];
  const api = pusherServer(nodes[0].port);
  const got = [];
  let cur = sseOpen(nodes[1].port, 'channels=feed-x,feed-y');
  await cur.opened;
  const N = 120;
  const pub = (async () => {
    for (let i = 0; i < N; i++) {
      await api.trigger(channels, 'ev', String(i));
      await sleep(2);
    }
  })();
  for (const next of [nodes[2], nodes[0], nodes[1]]) {
    const want = got.length + cur.got.length + 15;
    await waitFor(() => got.length + cur.got.length >= Math.min(want, 2 * N), 10000);
    cur.es.close();
    got.push(...cur.got);
    const lastId = got[got.length - 1].id;
    await sleep(30);  // events published now are only in Redis' history
    cur = sseOpen(next.port, 'channels=feed-x,feed-y', lastId);
    await cur.opened;
  }
  await pub;
  await waitFor(() => got.length + cur.got.length >= 2 * N, 10000);
  await sleep(100);
  cur.es.close();
  got.push(...cur.got);
  assert.deepEqual(got.filter((g) => g.gap), [], 'no gap');
  for (const ch of channels) {
    const seen = got.filter((g) => g.channel === ch).map((g) => Number(g.data));
    assert.deepEqual(seen, [...Array(N).keys()], `channel ${ch}: every event once, in order`);
  }
});

// A pusher-js client on `port` signed in as `user`, recording its watchlist events.
async function watcher(port, user) {
  const api = pusherServer(port);
  const c = connect(port, { userAuthentication: userAuth(api, user) });
  clients.push(c);
  await c.connected;
  return signInRecordingWatchlist(c);
}

test('watchlists across nodes: online and offline from other nodes, the state at sign-in, a kill -9', async () => {
  const a = await watcher(nodes[0].port, { id: 'wl-a', watchlist: ['wl-b', 'wl-c', 'wl-d'] });
  await waitFor(() => a.events.length === 1);
  assert.deepEqual(a.events, [['offline', ['wl-b', 'wl-c', 'wl-d']]]);
  // b signs in on B: online for a, on A.
  const b1 = await watcher(nodes[1].port, { id: 'wl-b' });
  await waitFor(() => a.events.length === 2);
  assert.deepEqual(a.events[1], ['online', ['wl-b']]);
  // b's second tab on C, then its first tab goes: nothing; then c on C: online (after nothing).
  const b2 = await watcher(nodes[2].port, { id: 'wl-b' });
  b1.disconnect();
  await sleep(300);
  const c = await watcher(nodes[2].port, { id: 'wl-c' });
  await waitFor(() => a.events.length >= 3);
  assert.deepEqual(a.events.slice(2), [['online', ['wl-c']]]);
  // A watcher signing in on B while b and c are online on C learns it in its first events.
  const a2 = await watcher(nodes[1].port, { id: 'wl-a2', watchlist: ['wl-b', 'wl-c', 'wl-nobody'] });
  await waitFor(() => a2.events.length >= 2);
  const first = Object.fromEntries(a2.events.slice(0, 2));
  assert.deepEqual(first, { online: ['wl-b', 'wl-c'], offline: ['wl-nobody'] });
  // b's last tab goes: offline for both watchers.
  b2.disconnect();
  await waitFor(() => a.events.length === 4 && a2.events.length === 3);
  assert.deepEqual(a.events[3], ['offline', ['wl-b']]);
  assert.deepEqual(a2.events[2], ['offline', ['wl-b']]);
  // d signs in on a node that is then killed: offline within the node timeout.
  const url = `redis://127.0.0.1:${redisPort}`;
  const g = await startServer({ shards: 1, args: nodeArgs(url, 'g'), config });
  try {
    await waitReady(g.port);
    const d = await watcher(g.port, { id: 'wl-d' });
    await waitFor(() => a.events.length === 5);
    assert.deepEqual(a.events[4], ['online', ['wl-d']]);
    await g.stop('SIGKILL');
    const killed = Date.now();
    await waitFor(() => a.events.length === 6, 8000);
    assert.deepEqual(a.events[5], ['offline', ['wl-d']]);
    assert.ok(Date.now() - killed <= 3000 + 1000, `offline after ${Date.now() - killed} ms`);
    d.disconnect();  // pusher-js would try the dead node again and again
  } finally {
    await g.stop('SIGKILL');
  }
  for (const x of [a, a2, c]) x.disconnect();
});

// Churn over four nodes: CHURN raw sockets (40 users, several tabs each, some on the same user
// on different nodes) join a presence channel and a plain one and leave in every way (close,
// unsubscribe first, terminate without a close), in waves of WAVE at once; then a fourth node
// that still holds members is killed with SIGKILL. Afterwards every node answers the same:
// only the observer is a member, the plain channel is vacant; the observer saw, per user,
// member_added and member_removed alternating (never twice in a row) and ending removed; the
// member webhooks pair up per user, and channel_occupied/channel_vacated of the plain channel
// pair up too (the last one vacated).
test('churn: joins and leaves of many tabs over four nodes, then a kill -9, leave every count exact', async () => {
  const CHURN = Number(process.env.CLUSTER_CHURN || 400);
  const WAVE = 40;
  const room = 'presence-churn';
  const plain = 'churn-plain';
  const url = `redis://127.0.0.1:${redisPort}`;
  const f = await startServer({ shards: 2, args: nodeArgs(url, 'f'), config });
  let killed = false;
  try {
    await waitReady(f.port);
    const ports = [...nodes.map((n) => n.port), f.port];
    const watcher = await presenceMember(nodes[0].port, { id: 'observer' }, room);
    const sockets = [];
    const one = async (i, stay) => {
      const port = ports[i % ports.length];
      const ws = rawSocket(port);
      const est = await connected(ws);
      const auth = pusherServer(port).authorizeChannel(est.parsed.socket_id, room, { user_id: `u${i % 40}` });
      ws.sendJson({ event: 'pusher:subscribe', data: { channel: room, ...auth } });
      ws.sendJson({ event: 'pusher:subscribe', data: { channel: plain } });
      await ws.next((m) => m.channel === room && m.event === 'pusher_internal:subscription_succeeded');
      await ws.next((m) => m.channel === plain && m.event === 'pusher_internal:subscription_succeeded');
      if (stay) { sockets.push(ws); return; }
      switch (i % 3) {
        case 0: ws.close(); break;
        case 1:
          ws.sendJson({ event: 'pusher:unsubscribe', data: { channel: room } });
          ws.sendJson({ event: 'pusher:unsubscribe', data: { channel: plain } });
          setTimeout(() => ws.close(), 20);
          break;
        default: ws.terminate();
      }
      await ws.closeInfo;
    };
    for (let i = 0; i < CHURN; i += WAVE) {
      // The last wave's sockets on the fourth node stay, for the kill.
      const last = i + WAVE >= CHURN;
      await Promise.all(Array.from({ length: Math.min(WAVE, CHURN - i) }, (_, k) =>
        one(i + k, last && (i + k) % ports.length === 3)));
    }
    assert.ok(sockets.length > 0);
    // Past the webhook batching (50 ms): a node killed before it posts loses what it gathered
    // (docs/cluster.md), here the member_added of its last joins.
    await sleep(300);
    await f.stop('SIGKILL');
    killed = true;
    for (const ws of sockets) ws.terminate();

    // Within the node timeout (3 s), every node tells the same: the observer alone.
    const api = pusherServer(nodes[1].port);
    const start = Date.now();
    for (;;) {
      const users = await (await api.get({ path: `/channels/${room}/users` })).json();
      if (users.users.length === 1) break;
      if (Date.now() - start > 8000) throw new Error('members left: ' + JSON.stringify(users));
      await sleep(200);
    }
    for (const n of nodes) {
      const a = pusherServer(n.port);
      assert.deepEqual(await (await a.get({ path: `/channels/${room}/users` })).json(), { users: [{ id: 'observer' }] });
      assert.deepEqual(await (await a.get({ path: `/channels/${room}`, params: { info: 'user_count' } })).json(),
        { occupied: true, user_count: 1 });
      assert.deepEqual(await (await a.get({ path: `/channels/${plain}` })).json(), { occupied: false });
      assert.equal(await status(n.port, '/ready'), 200);
    }
    // The observer's view: per user, added and removed alternate and end removed.
    await sleep(500);
    const byUser = new Map();
    for (const [kind, id] of watcher.events) {
      const seq = byUser.get(id) || [];
      assert.notEqual(seq[seq.length - 1], kind, `${id}: ${kind} twice in a row: ${JSON.stringify(seq)}`);
      seq.push(kind);
      byUser.set(id, seq);
    }
    assert.equal(byUser.size, 40, 'every user was seen joining');
    for (const [id, seq] of byUser) {
      assert.equal(seq[0], 'added', id);
      assert.equal(seq[seq.length - 1], 'removed', `${id}: ${JSON.stringify(seq)}`);
    }
    assert.deepEqual(watcher.ids(), ['observer']);
    // Webhooks: member_added and member_removed pair up per user; occupied and vacated of the
    // plain channel too, once its last vacate (3 s after the last leave) is sent.
    await rx.next((e) => e.name === 'channel_vacated' && e.channel === plain &&
      rx.events.filter((x) => x.channel === plain && x.name === 'channel_vacated').length ===
      rx.events.filter((x) => x.channel === plain && x.name === 'channel_occupied').length, 10000);
    await sleep(1000);
    const hooks = rx.events.filter((e) => e.channel === room && e.user_id !== 'observer');
    for (let u = 0; u < 40; ++u) {
      const added = hooks.filter((e) => e.user_id === `u${u}` && e.name === 'member_added').length;
      const removed = hooks.filter((e) => e.user_id === `u${u}` && e.name === 'member_removed').length;
      assert.ok(added >= 1, `u${u}: no member_added webhook`);
      assert.equal(added, removed, `u${u}: ${added} member_added against ${removed} member_removed`);
    }
    const plainHooks = rx.events.filter((e) => e.channel === plain).map((e) => e.name);
    assert.equal(plainHooks.filter((n) => n === 'channel_occupied').length,
      plainHooks.filter((n) => n === 'channel_vacated').length, JSON.stringify(plainHooks));
    watcher.client.disconnect();
  } finally {
    if (!killed) await f.stop('SIGKILL');
  }
});

// A signed Datonow trigger (docs/protocols/datonow.md) to `port`.
async function datonowTrigger(port, fields) {
  const body = JSON.stringify({ appKey: APP.key, ...fields });
  const sig = 'sha256=' + crypto.createHmac('sha256', APP.secret).update(body).digest('hex');
  const res = await fetch(`http://127.0.0.1:${port}/api/trigger`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-datonow-signature': sig }, body,
  });
  return { status: res.status, replayed: res.headers.get('x-datonow-replayed'), text: await res.text() };
}

test('Redis stopped: /ready false and publishes refused with 503; restarted: delivered again', async () => {
  const sub = connect(nodes[1].port);
  clients.push(sub);
  await sub.connected;
  const got = await listen(sub, 'outage', 'tick');
  const before = await presenceMember(nodes[1].port, { id: 'stayer' }, 'presence-outage');
  // A watcher on A of a user signed in on B, across the outage.
  const wr = await watcher(nodes[0].port, { id: 'wl-w', watchlist: ['wl-r'] });
  const r1 = await watcher(nodes[1].port, { id: 'wl-r' });
  await waitFor(() => wr.events.length === 2).catch(() => { throw new Error('before: ' + JSON.stringify(wr.events)); });
  const api = pusherServer(nodes[0].port);
  await api.trigger('outage', 'tick', { n: 1 });
  await waitFor(() => got.length === 1, 5000);
  // A Datonow trigger with a requestId on A reaches B; its repeat is a replay, not delivered.
  const dn = await listen(sub, 'outage-dn', 'note');
  let r = await datonowTrigger(nodes[0].port, { channel: 'outage-dn', event: 'note', data: { n: 1 }, requestId: 'rq-1' });
  assert.equal(r.status, 200, r.text);
  await waitFor(() => dn.length === 1, 5000);
  r = await datonowTrigger(nodes[0].port, { channel: 'outage-dn', event: 'note', data: { n: 1 }, requestId: 'rq-1' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.replayed, 'true');

  // A Datonow token and message made before the outage (the store lives in Redis too).
  const tok = (await dnCall(nodes[0].port, 'POST', `/api/apps/${APP.appId}/tokens`, { body: { name: 'outage' } })).json;
  const msg = (await dnCall(nodes[1].port, 'POST', '/api/message', { token: tok.token, body: { title: 'before' } })).json;

  await redis.stop();
  for (const n of nodes) {
    const start = Date.now();
    while ((await status(n.port, '/ready')) !== 503) {
      if (Date.now() - start > 5000) throw new Error('/ready stayed 200 with Redis down');
      await sleep(20);
    }
  }
  const refused = await api.trigger('outage', 'tick', { n: 2 }).catch((e) => e);
  assert.equal(refused.status, 503, 'a publish while Redis is down is refused');
  assert.match(refused.body, /Redis/);
  assert.equal(await status(nodes[0].port, '/health'), 200, 'the node itself stays up');
  // A first requestId while Redis is down: 503, and not remembered (its retry below publishes).
  r = await datonowTrigger(nodes[0].port, { channel: 'outage-dn', event: 'note', data: { n: 2 }, requestId: 'rq-2' });
  assert.equal(r.status, 503, r.text);
  r = await datonowTrigger(nodes[0].port, { channel: 'outage-dn', event: 'note', data: { n: 2 }, requestId: 'rq-2' });
  assert.equal(r.status, 503, 'the retry of a refused requestId is not replayed as a 2xx: ' + r.text);
  assert.ok(await metric(nodes[0].port, 'ringcast_cluster_refused_total') >= 1);
  // The Datonow store: reads from the node's replica, writes refused (never answered and lost);
  // a token socket still opens.
  const down = await dnCall(nodes[2].port, 'POST', '/api/message', { body: { title: 'during' } });
  assert.equal(down.status, 503, down.text);
  const read = await dnCall(nodes[2].port, 'GET', '/api/messages', { token: tok.token });
  assert.equal(read.status, 200, read.text);
  assert.deepEqual(read.json.messages.map((m) => m.id), [msg.id]);
  (await tokenSocket(nodes[2].port, tok.token)).close();

  redis = startRedis(redisPort);
  for (const n of nodes) {
    const start = Date.now();
    while ((await status(n.port, '/ready')) !== 200) {
      if (Date.now() - start > 10000) throw new Error('node not ready again: ' + n.stderr());
      await sleep(50);
    }
  }
  // Resubscribed on reconnect: the subscriber on B gets the next publish, and never n=2.
  const start = Date.now();
  let n = 3;
  while (got.length < 2) {
    if (Date.now() - start > 5000) throw new Error('no delivery after Redis came back');
    await api.trigger('outage', 'tick', { n: n++ });
    await sleep(50);
  }
  assert.ok(got.every((d) => d.n !== 2), 'the refused publish was delivered');
  assert.equal(got[0].n, 1);
  // The refused requestId, retried: published now (a first request, not a replay), once.
  r = await datonowTrigger(nodes[0].port, { channel: 'outage-dn', event: 'note', data: { n: 2 }, requestId: 'rq-2' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.replayed, null);
  await waitFor(() => dn.length === 2, 5000);
  assert.deepEqual(dn, [{ n: 1 }, { n: 2 }]);
  // Redis came back empty: a node's replica seeded the Datonow store again; the token and the
  // message made before the outage work on every node, and new writes are taken.
  for (const n of nodes) {
    const inbox = await dnCall(n.port, 'GET', '/api/messages', { token: tok.token });
    assert.equal(inbox.status, 200, inbox.text);
    assert.deepEqual(inbox.json.messages.map((m) => m.title), ['before']);
  }
  const again = await dnCall(nodes[1].port, 'POST', '/api/message', { body: { title: 'after' } });
  assert.equal(again.status, 200, again.text);
  assert.ok(again.json.id > msg.id, 'ids go on from where they were');
  assert.equal((await dnCall(nodes[0].port, 'GET', '/api/messages')).json.messages[0].title, 'after');
  // Redis came back empty: B wrote its members again (resync), so a member joining on C sees
  // the one on B, and B hears of the newcomer.
  const later = await presenceMember(nodes[2].port, { id: 'newcomer' }, 'presence-outage');
  assert.deepEqual(later.ids(), ['newcomer', 'stayer']);
  await waitFor(() => before.events.some((e) => e[1] === 'newcomer'), 5000);
  before.client.disconnect();
  later.client.disconnect();
  // B wrote its signed-in users back too (A may have asked Redis before that: an offline and
  // online again in between, docs/cluster.md): the user is online, and its last tab going is
  // an offline.
  const last = () => wr.events[wr.events.length - 1];
  await waitFor(() => last()[0] === 'online', 5000);
  assert.equal(wr.events.length % 2, 0, JSON.stringify(wr.events));
  const n0 = wr.events.length;
  r1.disconnect();
  await waitFor(() => wr.events.length === n0 + 1, 5000).catch(() => { throw new Error('after: ' + JSON.stringify(wr.events)); });
  assert.deepEqual(last(), ['offline', ['wl-r']]);
  wr.disconnect();
});

test('a bad --redis-url stops the start with exit code 2', () => {
  const { spawnSync } = require('node:child_process');
  const { BIN } = require('./lib/harness');
  for (const url of ['redis://127.0.0.1:99999', 'redis://:pw@', 'rediss://127.0.0.1:6379']) {
    const r = spawnSync(BIN, ['--port', '0', '--redis-url', url, '--data-dir', nodes[0].dataDir + '-bad'],
      { encoding: 'utf8', timeout: 10000 });
    assert.equal(r.status, 2, `${url}: ${r.stderr}`);
    assert.match(r.stderr, /redis/i);
  }
});
