// Cache channels over two shards: the last REST event is replayed right after
// subscription_succeeded (hit), pusher:cache_miss when there is none, entries expire after
// cache_ttl_s, all four prefixes, no duplicate of an event published around the subscribe.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, pusherServer, rawSocket, connected, subscribe, shardOf } = require('./lib/harness');

let server;
test.before(async () => { server = await startServer({ shards: 2, config: { limits: { cache_ttl_s: 1 } } }); });
test.after(async () => { await server.stop(); });

// Raw sockets until both shards have one.
async function onBothShards() {
  const byShard = new Map();
  const extra = [];
  while (byShard.size < 2) {
    const ws = rawSocket(server.port);
    const est = await connected(ws);
    ws.socketId = est.parsed.socket_id;
    const s = shardOf(ws.socketId);
    if (byShard.has(s)) extra.push(ws); else byShard.set(s, ws);
  }
  for (const ws of extra) ws.close();
  return [...byShard.values()];
}

function after(ws, channel) {
  const i = ws.messages.findIndex((m) => m.channel === channel && m.event === 'pusher_internal:subscription_succeeded');
  return ws.messages.slice(i + 1).filter((m) => m.channel === channel);
}

test('miss, then hit on both shards right after subscription_succeeded, no duplicates', async () => {
  const api = pusherServer(server.port);
  const socks = await onBothShards();
  try {
    const [a, b] = socks;
    assert.equal((await subscribe(a, 'cache-news')).event, 'pusher_internal:subscription_succeeded');
    await a.next((m) => m.event === 'pusher:cache_miss' && m.channel === 'cache-news');
    await api.trigger('cache-news', 'headline', { n: 1 });
    await a.next((m) => m.event === 'headline');
    const info = await (await api.get({ path: '/channels/cache-news', params: { info: 'cache' } })).json();
    assert.equal(info.occupied, true);
    assert.equal(info.cache.event, 'headline');
    assert.deepEqual(JSON.parse(info.cache.data), { n: 1 });
    assert.ok(info.cache.ttl >= 1 && info.cache.ttl <= 1, `ttl ${info.cache.ttl}`);
    const none = await (await api.get({ path: '/channels/cache-empty', params: { info: 'cache' } })).json();
    assert.deepEqual(none, { occupied: false, cache: null });
    const wrong = await api.get({ path: '/channels/news', params: { info: 'cache' } }).catch((e) => e);
    assert.equal(wrong.status, 400);
    // A later subscriber (other shard) gets the cached event right after its confirmation.
    assert.equal((await subscribe(b, 'cache-news')).event, 'pusher_internal:subscription_succeeded');
    await b.next((m) => m.event === 'headline');
    assert.deepEqual(after(b, 'cache-news').map((m) => [m.event, m.parsed]), [['headline', { n: 1 }]]);
    await api.trigger('cache-news', 'headline', { n: 2 });
    await b.next((m) => m.event === 'headline' && m.parsed.n === 2);
    await a.next((m) => m.event === 'headline' && m.parsed.n === 2);
    assert.deepEqual(after(b, 'cache-news').map((m) => m.parsed.n), [1, 2]);
    assert.deepEqual(a.messages.filter((m) => m.event === 'headline').map((m) => m.parsed.n), [1, 2]);
  } finally {
    for (const ws of socks) ws.close();
  }
});

test('the cached event expires after cache_ttl_s', async () => {
  const api = pusherServer(server.port);
  await api.trigger('cache-ttl', 'ev', 'x');
  const ws = rawSocket(server.port);
  try {
    await connected(ws);
    await subscribe(ws, 'cache-ttl');
    await ws.next((m) => m.event === 'ev' && m.channel === 'cache-ttl');
    await new Promise((r) => setTimeout(r, 1200));
    const late = rawSocket(server.port);
    await connected(late);
    await subscribe(late, 'cache-ttl');
    await late.next((m) => m.event === 'pusher:cache_miss');
    assert.equal(late.messages.filter((m) => m.event === 'ev').length, 0);
    late.close();
  } finally {
    ws.close();
  }
});

test('private-cache-, private-encrypted-cache- and presence-cache- replay too', async () => {
  const api = pusherServer(server.port, { encryptionMasterKeyBase64: Buffer.alloc(32, 7).toString('base64') });
  const ws = rawSocket(server.port);
  try {
    const est = await connected(ws);
    const sid = est.parsed.socket_id;
    for (const ch of ['private-cache-a', 'private-encrypted-cache-a']) {
      await api.trigger(ch, 'ev', { ch });
      const res = await subscribe(ws, ch, { auth: api.authorizeChannel(sid, ch).auth });
      assert.equal(res.event, 'pusher_internal:subscription_succeeded');
      const got = await ws.next((m) => m.event === 'ev' && m.channel === ch);
      // The encrypted channel's payload is relayed as the SDK sealed it.
      if (ch.includes('encrypted')) assert.ok(got.parsed.nonce && got.parsed.ciphertext);
      else assert.deepEqual(got.parsed, { ch });
    }
    await api.trigger('presence-cache-a', 'ev', { p: 1 });
    const pa = api.authorizeChannel(sid, 'presence-cache-a', { user_id: 'u1' });
    const res = await subscribe(ws, 'presence-cache-a', pa);
    assert.equal(res.event, 'pusher_internal:subscription_succeeded');
    assert.deepEqual(res.parsed.presence, { ids: ['u1'], hash: { u1: null }, count: 1 });
    assert.deepEqual((await ws.next((m) => m.event === 'ev' && m.channel === 'presence-cache-a')).parsed, { p: 1 });
    // Client events are never cached.
    const none = rawSocket(server.port);
    const est2 = await connected(none);
    ws.sendJson({ event: 'client-x', channel: 'private-cache-a', data: {} });
    await new Promise((r) => setTimeout(r, 100));
    await subscribe(none, 'private-cache-a', { auth: api.authorizeChannel(est2.parsed.socket_id, 'private-cache-a').auth });
    const first = await none.next((m) => m.channel === 'private-cache-a' && m.event !== 'pusher_internal:subscription_succeeded');
    assert.equal(first.event, 'ev');
    none.close();
  } finally {
    ws.close();
  }
});
