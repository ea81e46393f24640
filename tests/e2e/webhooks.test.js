// Webhooks: sent by the control plane to a local receiver, each request checked with the
// `pusher` SDK's webhook() validator: channel_occupied, channel_vacated delayed ~3 s and only
// when no shard has subscribers, a vacate cancelled by a resubscribe within 3 s, client_event,
// a delivery retried after a 500, and per-app isolation with event_types and filters.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, pusherServer, rawSocket, connected, subscribe, shardOf, APP } = require('./lib/harness');
const { startReceiver } = require('./lib/webhook_receiver');
const { parsePrometheusText } = require('./lib/prom_text');

const APP2 = { appId: 'app2', key: 'key2', secret: 'secret2' };
let server;
let rx;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test.before(async () => {
  rx = await startReceiver({ '/hook': APP, '/hook2': APP2 });
  server = await startServer({
    shards: 2,
    config: {
      apps: [
        { id: APP.appId, key: APP.key, secret: APP.secret,
          webhooks: [{ url: rx.url('/hook'), headers: { 'X-Test': 'yes' } }] },
        { id: APP2.appId, key: APP2.key, secret: APP2.secret,
          webhooks: [{ url: rx.url('/hook2'), event_types: ['channel_occupied'],
            filter: { channel_name_starts_with: 'only-', channel_name_ends_with: '-x' } }] },
      ],
    },
  });
});
test.after(async () => {
  await server.stop();
  await rx.close();
});

async function client(key = APP.key) {
  const ws = rawSocket(server.port, { key });
  const est = await connected(ws);
  ws.socketId = est.parsed.socket_id;
  return ws;
}

const hookOf = (name, channel) => (e) => e.name === name && e.channel === channel && e.request.path === '/hook';

test('channel_occupied is delivered, signed for the app, with the target\'s headers', async () => {
  const ws = await client();
  const t0 = Date.now();
  await subscribe(ws, 'room-1');
  const ev = await rx.next(hookOf('channel_occupied', 'room-1'));
  assert.ok(ev.request.valid);
  assert.equal(ev.request.headers['content-type'], 'application/json');
  assert.equal(ev.request.headers['x-pusher-key'], APP.key);
  assert.equal(ev.request.headers['x-test'], 'yes');
  assert.ok(Math.abs(ev.request.data.time_ms - t0) < 5000);
  assert.deepEqual(Object.keys(ev).filter((k) => k !== 'request').sort(), ['channel', 'name']);
  // The validator is a real check: the same request does not pass with another app's secret.
  const other = pusherServer(server.port, { ...APP, secret: 'wrong' });
  assert.equal(other.webhook({ headers: ev.request.headers, rawBody: ev.request.body }).isValid(), false);
  ws.close();
});

test('channel_vacated waits ~3 s and only comes when no shard has subscribers', async () => {
  const a = await client();
  let b = await client();
  while (shardOf(b.socketId) === shardOf(a.socketId)) { b.close(); b = await client(); }
  await subscribe(a, 'room-2');
  await subscribe(b, 'room-2');
  await rx.next(hookOf('channel_occupied', 'room-2'));
  a.close();  // the channel stays occupied on b's shard
  await sleep(3600);
  assert.equal(rx.events.filter(hookOf('channel_vacated', 'room-2')).length, 0,
    'no channel_vacated while a member remains on another shard');
  const t0 = Date.now();
  b.close();
  const ev = await rx.next(hookOf('channel_vacated', 'room-2'), 6000);
  const waited = ev.request.at - t0;
  assert.ok(waited >= 2800 && waited < 5000, `vacated after ${waited} ms`);
  assert.equal(rx.events.filter(hookOf('channel_occupied', 'room-2')).length, 1);
});

test('unsubscribe and resubscribe within 3 s sends neither channel_vacated nor channel_occupied', async () => {
  const ws = await client();
  await subscribe(ws, 'room-3');
  await rx.next(hookOf('channel_occupied', 'room-3'));
  ws.sendJson({ event: 'pusher:unsubscribe', data: { channel: 'room-3' } });
  await sleep(500);
  await subscribe(ws, 'room-3');
  await sleep(3800);
  assert.equal(rx.events.filter(hookOf('channel_vacated', 'room-3')).length, 0);
  assert.equal(rx.events.filter(hookOf('channel_occupied', 'room-3')).length, 1);
  ws.close();
});

test('client_event carries the event, its data as a string and the sender\'s socket_id', async () => {
  const api = pusherServer(server.port);
  const a = await client();
  const b = await client();
  for (const ws of [a, b]) {
    const res = await subscribe(ws, 'private-chat', { auth: api.authorizeChannel(ws.socketId, 'private-chat').auth });
    assert.equal(res.event, 'pusher_internal:subscription_succeeded');
  }
  a.sendJson({ event: 'client-typing', channel: 'private-chat', data: { who: 'a' } });
  const ev = await rx.next((e) => e.name === 'client_event' && e.channel === 'private-chat');
  assert.equal(ev.event, 'client-typing');
  assert.deepEqual(JSON.parse(ev.data), { who: 'a' });
  assert.equal(ev.socket_id, a.socketId);
  a.close();
  b.close();
});

async function webhookCounters() {
  const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
  const m = parsePrometheusText(await res.text());
  const v = (name) => m.families.get(name).samples[0].value;
  return { failures: v('ringcast_webhook_failures_total'), delivered: v('ringcast_webhook_deliveries_total') };
}

test('a delivery answered 500 is retried about 1 s later with the same signed body', async () => {
  const before = rx.requests.length;
  const counted = await webhookCounters();
  rx.failNext = 1;
  const ws = await client();
  await subscribe(ws, 'retry-room');
  const ev = await rx.next(hookOf('channel_occupied', 'retry-room'), 6000);
  const mine = rx.requests.slice(before).filter((r) => r.body.includes('"retry-room"'));
  assert.equal(mine.length, 2, 'one failed attempt and one retry');
  assert.equal(mine[0].status, 500);
  assert.ok(mine[0].valid);
  assert.equal(mine[1].body, mine[0].body);
  assert.equal(ev.request, mine[1]);
  const gap = mine[1].at - mine[0].at;
  assert.ok(gap >= 800 && gap < 3000, `retried after ${gap} ms`);
  // /metrics counts the failed attempt and the delivery; the delivery is counted when the server
  // reads the receiver's 200, which may come after the receiver recorded the request.
  let now = await webhookCounters();
  for (let i = 0; i < 100 && now.delivered < counted.delivered + 1; ++i) {
    await sleep(20);
    now = await webhookCounters();
  }
  assert.ok(now.failures >= counted.failures + 1, `failures ${counted.failures} -> ${now.failures}`);
  assert.ok(now.delivered >= counted.delivered + 1, `deliveries ${counted.delivered} -> ${now.delivered}`);
  ws.close();
});

test('apps are isolated; event_types and the channel-name filter choose what a target gets', async () => {
  const ws = await client(APP2.key);
  for (const ch of ['only-a-x', 'other-x', 'only-b']) await subscribe(ws, ch);
  const ev = await rx.next((e) => e.request.path === '/hook2' && e.channel === 'only-a-x');
  assert.equal(ev.name, 'channel_occupied');
  assert.equal(ev.request.headers['x-pusher-key'], APP2.key);
  ws.close();
  await sleep(3500);  // a vacate would have come by now: event_types leaves it out
  const app2 = rx.events.filter((e) => e.request.path === '/hook2');
  assert.deepEqual(app2.map((e) => `${e.name} ${e.channel}`), ['channel_occupied only-a-x']);
  assert.equal(rx.events.filter((e) => e.request.path === '/hook' && /only-|other-/.test(e.channel)).length, 0);
  assert.equal(rx.requests.filter((r) => !r.valid).length, 0, 'every request passed the validator');
});

// A raw socket on the given shard (the kernel spreads connections over the shards).
async function clientOnShard(shard) {
  for (let i = 0; i < 40; ++i) {
    const ws = await client();
    if (shardOf(ws.socketId) === shard) return ws;
    ws.close();
  }
  throw new Error(`no connection landed on shard ${shard}`);
}

async function joinPresence(ws, channel, userId) {
  const channelData = JSON.stringify({ user_id: userId, user_info: { name: userId } });
  const api = pusherServer(server.port);
  const { auth } = api.authorizeChannel(ws.socketId, channel, JSON.parse(channelData));
  const ack = await subscribe(ws, channel, { auth, channel_data: channelData });
  assert.equal(ack.event, 'pusher_internal:subscription_succeeded');
}

test('member_added on a user\'s first connection only, member_removed ~3 s after the last, across shards', async () => {
  const ch = 'presence-hooks';
  const members = (name) => rx.events.filter((e) => e.request.path === '/hook' && e.channel === ch && e.name === name);
  const tab1 = await clientOnShard(0);
  const tab2 = await clientOnShard(1);
  await joinPresence(tab1, ch, 'u1');
  const added = await rx.next(hookOf('member_added', ch));
  assert.equal(added.user_id, 'u1');
  await joinPresence(tab2, ch, 'u1');  // the same user on the other shard: not a new member
  tab1.close();
  await sleep(3600);  // a member_removed for the first tab would have come by now
  assert.deepEqual(members('member_added').map((e) => e.user_id), ['u1']);
  assert.equal(members('member_removed').length, 0, 'u1 still has a connection');
  const t0 = Date.now();
  tab2.close();
  const removed = await rx.next(hookOf('member_removed', ch), 8000);
  assert.equal(removed.user_id, 'u1');
  const waited = Date.now() - t0;
  assert.ok(waited >= 2500, `member_removed after ${waited} ms`);
  assert.ok(rx.requests.filter((r) => !r.valid).length === 0);
});

test('cache_miss: one webhook per channel however many subscribers miss', async () => {
  const ch = 'cache-hooks';
  const a = await clientOnShard(0);
  const b = await clientOnShard(1);
  for (const ws of [a, b]) {
    await subscribe(ws, ch);
    await ws.next((m) => m.event === 'pusher:cache_miss' && m.channel === ch);
  }
  await rx.next(hookOf('cache_miss', ch));
  await sleep(300);  // past the 50 ms batching window: a duplicate would be here
  const misses = rx.events.filter((e) => e.request.path === '/hook' && e.channel === ch && e.name === 'cache_miss');
  assert.equal(misses.length, 1);
  a.close();
  b.close();
});
