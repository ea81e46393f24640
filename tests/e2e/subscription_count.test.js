// Subscription counts over two shards with the real pusher-js and the `pusher` SDK's webhook
// validator: for an app with enable_subscription_count, two clients on different shards see
// pusher:subscription_count go 1 -> 2 -> 1 (exact over both shards) and the subscription_count
// webhook says the same; an app without the setting, and presence channels, get no count event
// (checked behind a REST event published after the subscriptions: a count event would come
// first).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, pusherOnShard, pusherServer, rawSocket, connected, subscribe, shardOf, waitFor, APP } = require('./lib/harness');
const { startReceiver } = require('./lib/webhook_receiver');

const APP2 = { appId: 'plain', key: 'plain-key', secret: 'plain-secret' };
let server;
let rx;

test.before(async () => {
  rx = await startReceiver({ '/hook': APP });
  server = await startServer({
    shards: 2,
    config: {
      apps: [
        { id: APP.appId, key: APP.key, secret: APP.secret, enable_subscription_count: true,
          webhooks: [{ url: rx.url('/hook'), event_types: ['subscription_count'] }] },
        { id: APP2.appId, key: APP2.key, secret: APP2.secret },
      ],
      impulse: { secret: 'impulse-secret', app_id: APP.appId },
    },
  });
});
test.after(async () => {
  await server.stop();
  await rx.close();
});

// Subscribes with pusher-js; records every pusher:subscription_count in `counts`.
function countingSubscribe(client, name) {
  const ch = client.subscribe(name);
  const counts = [];
  ch.bind('pusher:subscription_count', (data) => counts.push(data.subscription_count));
  const ok = new Promise((resolve, reject) => {
    ch.bind('pusher:subscription_succeeded', resolve);
    ch.bind('pusher:subscription_error', reject);
  });
  return { ch, counts, ok };
}

test('two pusher-js clients on two shards see the count go 1 -> 2 -> 1, and the webhook too', async () => {
  const a = await pusherOnShard(server.port, 0);
  const b = await pusherOnShard(server.port, 1);
  try {
    const sa = countingSubscribe(a, 'counted-room');
    await sa.ok;
    await waitFor(() => sa.counts.length >= 1);
    assert.deepEqual(sa.counts, [1]);
    assert.equal(sa.ch.subscriptionCount, 1);

    const sb = countingSubscribe(b, 'counted-room');
    await sb.ok;
    await waitFor(() => sa.counts.length >= 2 && sb.counts.length >= 1);
    assert.deepEqual(sa.counts, [1, 2]);
    assert.deepEqual(sb.counts, [2]);

    b.unsubscribe('counted-room');
    await waitFor(() => sa.counts.length >= 3);
    assert.deepEqual(sa.counts, [1, 2, 1]);
    assert.equal(sa.ch.subscriptionCount, 1);

    const hookOf = (n) => (e) => e.name === 'subscription_count' && e.channel === 'counted-room' &&
      e.subscription_count === n;
    await rx.next(hookOf(1));
    await rx.next(hookOf(2));
    await waitFor(() => rx.events.filter(hookOf(1)).length === 2);
    const seen = rx.events.filter((e) => e.channel === 'counted-room').map((e) => e.subscription_count);
    assert.deepEqual(seen, [1, 2, 1]);
    for (const e of rx.events) {
      assert.ok(e.request.valid);
      assert.deepEqual(Object.keys(e).filter((k) => k !== 'request').sort(),
        ['channel', 'name', 'subscription_count']);
    }
  } finally {
    a.disconnect();
    b.disconnect();
  }
});

// Two raw clients on different shards of `key` subscribe to `channel` (with `extra` per
// socket), then a REST event is published to it; resolves with every message each received.
async function subscribeThenPublish(key, app, channel, extra = () => ({})) {
  const socks = [];
  while (socks.length < 2) {
    const ws = rawSocket(server.port, { key });
    const est = await connected(ws);
    ws.socketId = est.parsed.socket_id;
    if (socks.length === 1 && shardOf(ws.socketId) === shardOf(socks[0].socketId)) {
      ws.close();
      continue;
    }
    socks.push(ws);
  }
  try {
    for (const ws of socks) {
      const ok = await subscribe(ws, channel, extra(ws));
      assert.equal(ok.event, 'pusher_internal:subscription_succeeded');
    }
    await pusherServer(server.port, app).trigger(channel, 'after', { x: 1 });
    for (const ws of socks) await ws.next((m) => m.event === 'after');
    return socks.map((ws) => ws.messages.map((m) => m.event));
  } finally {
    for (const ws of socks) ws.close();
  }
}

test('an app without enable_subscription_count gets no count event', async () => {
  const seen = await subscribeThenPublish(APP2.key, APP2, 'plain-room');
  for (const events of seen) {
    assert.ok(!events.includes('pusher_internal:subscription_count'), events.join(','));
  }
  // The same steps on the counting app do show it before the REST event (the check above can fail).
  const counted = await subscribeThenPublish(APP.key, APP, 'counted-room-2');
  for (const events of counted) {
    const at = events.indexOf('pusher_internal:subscription_count');
    assert.ok(at >= 0 && at < events.indexOf('after'), events.join(','));
  }
});

test('presence channels get no subscription_count event (they have member counts)', async () => {
  const api = pusherServer(server.port);
  let n = 0;
  const seen = await subscribeThenPublish(APP.key, APP, 'presence-counted', (ws) => {
    const signed = api.authorizeChannel(ws.socketId, 'presence-counted', { user_id: `u${++n}` });
    return { auth: signed.auth, channel_data: signed.channel_data };
  });
  for (const events of seen) {
    assert.ok(events.includes('pusher_internal:member_added') || events.includes('after'));
    assert.ok(!events.includes('pusher_internal:subscription_count'), events.join(','));
  }
  assert.equal(rx.events.filter((e) => e.channel === 'presence-counted').length, 0);
});

test('a subscribe storm past 100 subscribers is told at most every 5 s, and ends exact', async () => {
  const N = 130;
  const socks = [];
  try {
    const watcher = rawSocket(server.port);
    await connected(watcher);
    socks.push(watcher);
    await subscribe(watcher, 'storm-room');
    const opened = [];
    for (let i = 1; i < N; ++i) {
      const ws = rawSocket(server.port);
      socks.push(ws);
      opened.push(connected(ws).then(() => subscribe(ws, 'storm-room')));
    }
    await Promise.all(opened);
    const counts = () => watcher.messages
      .filter((m) => m.event === 'pusher_internal:subscription_count')
      .map((m) => m.parsed.subscription_count);
    await waitFor(() => counts().at(-1) === N, 12000);
    const large = counts().filter((n) => n > 100);
    assert.ok(large.length <= 2, `over 100 subscribers, told ${large.length} times: ${large}`);
    assert.ok(counts().length < N, `${counts().length} events for ${N} subscribes`);
    await rx.next((e) => e.channel === 'storm-room' && e.subscription_count === N, 5000);
  } finally {
    for (const ws of socks) ws.close();
  }
});

test('an Impulse stream on a counted channel counts, but receives no count event (payloads only)', async () => {
  const ctl = new AbortController();
  const res = await fetch(`http://127.0.0.1:${server.port}/impulse?channel=counted-mixed`, { signal: ctl.signal });
  assert.equal(res.status, 200);
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let text = '';
  const client = await pusherOnShard(server.port, 0);
  try {
    const s = countingSubscribe(client, 'counted-mixed');
    await s.ok;
    // The stream is the first subscriber: the pusher-js client is told 2 (the check can fail).
    await waitFor(() => s.counts.length >= 1);
    assert.deepEqual(s.counts, [2]);
    await pusherServer(server.port).trigger('counted-mixed', 'after', { x: 1 });
    while (!text.includes('"after"') && !text.includes('"x"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += dec.decode(value, { stream: true });
    }
    assert.equal(text, ': Connected to channel: counted-mixed\n\n' +
      'data: {"channel":"counted-mixed","payload":{"x":1}}\n\n');
  } finally {
    ctl.abort();
    client.disconnect();
  }
});
