// Client events: client-* on private channels, relayed to the other members on every shard,
// never echoed, refused on public channels, when not subscribed and beyond the rate limit.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, pusherClient, pusherServer, rawSocket, connected, subscribe, shardOf } = require('./lib/harness');

let server;
test.before(async () => { server = await startServer({ shards: 2 }); });
test.after(async () => { await server.stop(); });

async function authed(api, channel) {
  const ws = rawSocket(server.port);
  const est = await connected(ws);
  ws.socketId = est.parsed.socket_id;
  const res = await subscribe(ws, channel, { auth: api.authorizeChannel(ws.socketId, channel).auth });
  assert.equal(res.event, 'pusher_internal:subscription_succeeded');
  return ws;
}

test('a client event reaches the other members on both shards, not the sender', async () => {
  const api = pusherServer(server.port);
  const members = [];
  // The kernel spreads connections over the shards by hash: add members until both hold one.
  const shardCount = () => new Set(members.map((ws) => shardOf(ws.socketId))).size;
  while (members.length < 8 || (shardCount() < 2 && members.length < 64)) members.push(await authed(api, 'private-chat'));
  assert.equal(shardCount(), 2, 'members on both shards');
  const [sender, ...others] = members;
  sender.sendJson({ event: 'client-typing', channel: 'private-chat', data: { who: 'a' } });
  for (const ws of others) {
    const m = await ws.next((x) => x.event === 'client-typing');
    assert.equal(m.channel, 'private-chat');
    assert.deepEqual(m.parsed, { who: 'a' });
  }
  // The sender never gets its own event: a server event sent after proves the ordering.
  await api.trigger('private-chat', 'marker', '1');
  await sender.next((x) => x.event === 'marker');
  assert.equal(sender.messages.filter((x) => x.event === 'client-typing').length, 0);
  for (const ws of members) ws.close();
});

test('client events are refused on public channels (4301) and when not subscribed (4009)', async () => {
  const api = pusherServer(server.port);
  const ws = await authed(api, 'private-mine');
  await subscribe(ws, 'public-room');
  ws.sendJson({ event: 'client-x', channel: 'public-room', data: {} });
  assert.equal((await ws.next((m) => m.event === 'pusher:error')).parsed.code, 4301);
  ws.messages.length = 0;
  ws.sendJson({ event: 'client-x', channel: 'private-other', data: {} });
  assert.equal((await ws.next((m) => m.event === 'pusher:error')).parsed.code, 4009);
  ws.close();
});

test('client events beyond 10 per second are refused with 4301', async () => {
  const api = pusherServer(server.port);
  const a = await authed(api, 'private-rate');
  const b = await authed(api, 'private-rate');
  for (let i = 0; i < 15; ++i) a.sendJson({ event: 'client-n', channel: 'private-rate', data: String(i) });
  await a.next((m) => m.event === 'pusher:error' && m.parsed.code === 4301);
  await new Promise((r) => setTimeout(r, 200));
  const got = b.messages.filter((m) => m.event === 'client-n').map((m) => m.parsed);
  assert.equal(got.length, 10);
  assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  a.close();
  b.close();
});

test('pusher-js channel.trigger delivers to another pusher-js client', async () => {
  const api = pusherServer(server.port);
  const auth = { customHandler: ({ socketId, channelName }, cb) => cb(null, api.authorizeChannel(socketId, channelName)) };
  const c1 = pusherClient(server.port, { channelAuthorization: auth });
  const c2 = pusherClient(server.port, { channelAuthorization: auth });
  try {
    const ch1 = c1.subscribe('private-js-ce');
    const ch2 = c2.subscribe('private-js-ce');
    await Promise.all([ch1, ch2].map((ch) => new Promise((resolve) => ch.bind('pusher:subscription_succeeded', resolve))));
    const got = new Promise((resolve) => ch2.bind('client-hello', resolve));
    assert.equal(ch1.trigger('client-hello', { text: 'hi' }), true);
    assert.deepEqual(await got, { text: 'hi' });
  } finally {
    c1.disconnect();
    c2.disconnect();
  }
});
