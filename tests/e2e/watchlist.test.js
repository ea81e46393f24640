// Watchlist online/offline events with the real pusher-js user sign-in over two shards: a watcher
// learns the state of its watched users right after signin_success and every change after it
// (online at the first signed-in connection of a user on any shard, offline after the last);
// extra tabs and closing one of several tabs send nothing; more than 100 ids: signin succeeds,
// the first 100 are watched, pusher:error 4302; churn: 400 watchers told on both shards, and
// server-initiated closes (terminate_connections) free every watch entry and tell the watched
// user's watchers once. The absence of events is checked without
// sleeping: the server's own count of watch entries (/metrics) says when a close was applied,
// and a later event through the same path proves nothing was sent before it.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { startServer, pusherServer, pusherOnShard, rawSocket, connected, waitFor, userAuth, signInRecordingWatchlist } = require('./lib/harness');

let server;
test.before(async () => { server = await startServer({ shards: 2 }); });
test.after(async () => { await server.stop(); });

function watchEntries() {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: server.port, path: '/metrics' }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => {
        const m = /^ringcast_watchlist_entries (\d+)$/m.exec(body);
        if (m) resolve(Number(m[1])); else reject(new Error('no ringcast_watchlist_entries'));
      });
    }).on('error', reject);
  });
}

async function waitEntries(n) {
  let last = -1;
  for (let i = 0; i < 500; ++i) {
    last = await watchEntries();
    if (last === n) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`watch entries stayed ${last}, expected ${n}`);
}

// A pusher-js client on `shard` signed in as `user`, recording its watchlist events in `events`.
async function signedIn(api, shard, user) {
  const c = await pusherOnShard(server.port, shard, { userAuthentication: userAuth(api, user) });
  return signInRecordingWatchlist(c);
}

test('pusher-js watcher: online at the first tab on another shard, nothing for more tabs, offline after the last', async () => {
  const api = pusherServer(server.port);
  const clients = [];
  try {
    const a = await signedIn(api, 0, { id: 'w-a', watchlist: ['w-b', 'w-c'] });
    clients.push(a);
    await waitFor(() => a.events.length === 1);
    assert.deepEqual(a.events, [['offline', ['w-b', 'w-c']]]);

    // b's first tab, on the other shard: online.
    const b1 = await signedIn(api, 1, { id: 'w-b', watchlist: ['w-x'] });
    clients.push(b1);
    await waitFor(() => a.events.length === 2);
    assert.deepEqual(a.events[1], ['online', ['w-b']]);

    // b's second tab: nothing. c signing in afterwards is told after anything b's tab caused.
    const b2 = await signedIn(api, 0, { id: 'w-b' });
    clients.push(b2);
    const c = await signedIn(api, 1, { id: 'w-c' });
    clients.push(c);
    await waitFor(() => a.events.length >= 3);
    assert.deepEqual(a.events.slice(2), [['online', ['w-c']]]);

    // A watcher signing in while b is online learns it at once, in its first events.
    const a2 = await signedIn(api, 1, { id: 'w-a2', watchlist: ['w-b', 'w-c', 'w-nobody'] });
    clients.push(a2);
    await waitFor(() => a2.events.length === 2);
    assert.deepEqual(a2.events, [['online', ['w-b', 'w-c']], ['offline', ['w-nobody']]]);

    // Closing one of b's tabs: nothing (b1's watch entry gone means its close was applied).
    const before = await watchEntries();
    b1.disconnect();
    await waitEntries(before - 1);
    c.disconnect();
    await waitFor(() => a.events.length >= 4 && a2.events.length >= 3);
    assert.deepEqual(a.events.slice(3), [['offline', ['w-c']]]);
    assert.deepEqual(a2.events.slice(2), [['offline', ['w-c']]]);

    // b's last tab: offline, to every watcher on both shards.
    b2.disconnect();
    await waitFor(() => a.events.length >= 5 && a2.events.length >= 4);
    assert.deepEqual(a.events.slice(4), [['offline', ['w-b']]]);
    assert.deepEqual(a2.events.slice(3), [['offline', ['w-b']]]);
  } finally {
    for (const c of clients) c.disconnect();
  }
  await waitEntries(0);  // every watch entry freed with its connection
});

test('more than 100 watched ids: signin succeeds, the first 100 are watched, pusher:error 4302', async () => {
  const api = pusherServer(server.port);
  const ws = rawSocket(server.port);
  const others = [];
  try {
    const est = await connected(ws);
    const ids = Array.from({ length: 150 }, (_, i) => `big-${i}`);
    ws.sendJson({ event: 'pusher:signin', data: api.authenticateUser(est.parsed.socket_id, { id: 'big', watchlist: ids }) });
    await ws.next((m) => m.event === 'pusher:signin_success');
    const first = await ws.next((m) => m.event === 'pusher_internal:watchlist_events');
    assert.equal(first.channel, undefined);
    assert.deepEqual(first.parsed, { events: [{ name: 'offline', user_ids: ids.slice(0, 100) }] });
    const err = await ws.next((m) => m.event === 'pusher:error');
    assert.equal(err.parsed.code, 4302);
    assert.ok(ws.messages.indexOf(err) > ws.messages.findIndex((m) => m.event === 'pusher:signin_success'));

    // Id 99 is watched, id 100 is not: only the first comes online.
    for (const id of ['big-100', 'big-99']) {
      const o = rawSocket(server.port);
      others.push(o);
      const e = await connected(o);
      o.sendJson({ event: 'pusher:signin', data: api.authenticateUser(e.parsed.socket_id, { id }) });
      await o.next((m) => m.event === 'pusher:signin_success');
    }
    const online = await ws.next((m) => m.event === 'pusher_internal:watchlist_events' && m !== first);
    assert.deepEqual(online.parsed, { events: [{ name: 'online', user_ids: ['big-99'] }] });
    // Still open and answering.
    ws.sendJson({ event: 'pusher:ping', data: {} });
    await ws.next((m) => m.event === 'pusher:pong');
  } finally {
    ws.close();
    for (const o of others) o.close();
  }
  await waitEntries(0);
});

test('churn: hundreds of watchers told on both shards, server-initiated closes free every entry', async () => {
  const api = pusherServer(server.port);
  const N = 400;
  const socks = [];
  const signin = async (id, watchlist) => {
    const ws = rawSocket(server.port);
    socks.push(ws);
    const est = await connected(ws);
    ws.sendJson({ event: 'pusher:signin', data: api.authenticateUser(est.parsed.socket_id, { id, watchlist }) });
    await ws.next((m) => m.event === 'pusher:signin_success');
    return ws;
  };
  try {
    // N connections of one user, each watching the star and a few others.
    const watchers = [];
    for (let i = 0; i < N; i += 50) {
      watchers.push(...await Promise.all(Array.from({ length: 50 }, (_, j) =>
        signin('churn-fan', ['churn-star', `churn-x${i + j}`, 'churn-y', 'churn-y']))));
    }
    await waitEntries(3 * N);
    const star = await signin('churn-star', ['churn-fan']);
    const onStar = (m) => m.event === 'pusher_internal:watchlist_events' && m.parsed.events[0].name === 'online';
    for (const ws of watchers) {
      assert.deepEqual((await ws.next(onStar)).parsed, { events: [{ name: 'online', user_ids: ['churn-star'] }] });
    }
    // The star watched an online user: its first event says so.
    assert.deepEqual((await star.next((m) => m.event === 'pusher_internal:watchlist_events')).parsed,
      { events: [{ name: 'online', user_ids: ['churn-fan'] }] });
    // The server closes all N (4009): the star is told once, after the last.
    await api.terminateUserConnections('churn-fan');
    for (const ws of watchers) assert.equal((await ws.closeInfo).code, 4009);
    const off = await star.next((m) => m.event === 'pusher_internal:watchlist_events' && m.parsed.events[0].name === 'offline');
    assert.deepEqual(off.parsed, { events: [{ name: 'offline', user_ids: ['churn-fan'] }] });
    // Anything the closes caused reaches the star before what a later sign-in causes.
    await waitEntries(1);
    await signin('churn-fan', []);
    await waitFor(() => star.messages.filter((m) => m.event === 'pusher_internal:watchlist_events').length >= 3);
    assert.deepEqual(star.messages.filter((m) => m.event === 'pusher_internal:watchlist_events').map((m) => m.parsed.events),
      [[{ name: 'online', user_ids: ['churn-fan'] }], [{ name: 'offline', user_ids: ['churn-fan'] }],
        [{ name: 'online', user_ids: ['churn-fan'] }]]);
  } finally {
    for (const ws of socks) ws.close();
  }
  await waitEntries(0);
});
