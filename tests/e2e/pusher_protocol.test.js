// Pusher Channels protocol 7 over WebSocket, driven by the real pusher-js client and by raw
// WebSockets where the exact wire shape matters.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, pusherClient, pusherServer, rawSocket, connected, subscribe, APP } = require('./lib/harness');

let server;
test.before(async () => { server = await startServer(); });
test.after(async () => { await server.stop(); });

test('pusher-js subscribes and receives an event triggered with the pusher SDK', async () => {
  const client = pusherClient(server.port);
  const api = pusherServer(server.port);
  try {
    const channel = client.subscribe('my-channel');
    await new Promise((resolve, reject) => {
      channel.bind('pusher:subscription_succeeded', resolve);
      channel.bind('pusher:subscription_error', reject);
    });
    const got = new Promise((resolve) => channel.bind('my-event', resolve));
    const res = await api.trigger('my-channel', 'my-event', { hello: 'world', n: 1 });
    assert.equal(res.status, 200);
    assert.deepEqual(await got, { hello: 'world', n: 1 });
  } finally {
    client.disconnect();
  }
});

test('connection_established comes first with a digits.digits socket_id and an activity_timeout', async () => {
  const ws = rawSocket(server.port);
  await ws.opened;
  const first = await ws.next(() => true);
  assert.equal(first.event, 'pusher:connection_established');
  assert.equal(typeof first.data, 'string', 'data is double encoded');
  assert.match(first.parsed.socket_id, /^\d+\.\d+$/);
  assert.ok(first.parsed.activity_timeout > 0);
  ws.close();
});

test('pusher:ping is answered with pusher:pong', async () => {
  const ws = rawSocket(server.port);
  await connected(ws);
  ws.sendJson({ event: 'pusher:ping', data: {} });
  const pong = await ws.next((m) => m.event === 'pusher:pong');
  assert.equal(pong.event, 'pusher:pong');
  ws.close();
});

test('subscribe with data as a double-encoded string works too', async () => {
  const ws = rawSocket(server.port);
  await connected(ws);
  ws.sendJson({ event: 'pusher:subscribe', data: JSON.stringify({ channel: 'string-data' }) });
  const ok = await ws.next((m) => m.event === 'pusher_internal:subscription_succeeded');
  assert.equal(ok.channel, 'string-data');
  ws.close();
});

test('unknown app key: pusher:error 4001 and close 4001, and pusher-js does not reconnect', async () => {
  const ws = rawSocket(server.port, { key: 'no-such-key' });
  await ws.opened;
  const err = await ws.next((m) => m.event === 'pusher:error');
  assert.equal(err.parsed.code, 4001);
  const { code } = await ws.closeInfo;
  assert.equal(code, 4001);

  const client = pusherClient(server.port, { key: 'no-such-key' });
  const states = [];
  client.connection.bind('state_change', (s) => states.push(s.current));
  await new Promise((resolve) => setTimeout(resolve, 1500));
  client.disconnect();
  assert.ok(!states.includes('connected'), 'never connected: ' + states);
  assert.ok(states.filter((s) => s === 'connecting').length <= 1, 'no reconnect loop: ' + states);
});

test('protocol version: missing is 4008, non-numeric 4006, unsupported 4007, 5..7 accepted', async () => {
  for (const [query, code] of [['client=js', 4008], ['protocol=abc', 4006], ['protocol=99', 4007], ['protocol=2', 4007]]) {
    const ws = rawSocket(server.port, { query });
    const info = await ws.closeInfo;
    assert.equal(info.code, code, query);
  }
  for (const v of [5, 6, 7]) {
    const ws = rawSocket(server.port, { query: `protocol=${v}` });
    await connected(ws);
    ws.close();
  }
});

test('invalid channel names are refused with pusher:error 4009 and pusher:subscription_error', async () => {
  const ws = rawSocket(server.port);
  await connected(ws);
  for (const name of ['bad channel', 'x'.repeat(165), '#server-to-user-1', 'a:b', '']) {
    ws.messages.length = 0;
    ws.sendJson({ event: 'pusher:subscribe', data: { channel: name } });
    const err = await ws.next((m) => m.event === 'pusher:error');
    assert.equal(err.parsed.code, 4009, name);
    if (name) {
      const sub = await ws.next((m) => m.event === 'pusher:subscription_error');
      assert.equal(sub.channel, name);
      assert.equal(sub.parsed.status, 4009);
    }
  }
  // A valid name right at the limit still works.
  const ok = await subscribe(ws, 'x'.repeat(164));
  assert.equal(ok.event, 'pusher_internal:subscription_succeeded');
  ws.close();
});

test('malformed and unknown messages get pusher:error without closing', async () => {
  const ws = rawSocket(server.port);
  await connected(ws);
  ws.send('not json');
  assert.equal((await ws.next((m) => m.event === 'pusher:error')).event, 'pusher:error');
  ws.messages.length = 0;
  ws.sendJson({ event: 'pusher:unknown-thing', data: {} });
  assert.equal((await ws.next((m) => m.event === 'pusher:error')).event, 'pusher:error');
  ws.messages.length = 0;
  ws.sendJson({ nope: 1 });
  assert.equal((await ws.next((m) => m.event === 'pusher:error')).event, 'pusher:error');
  const ok = await subscribe(ws, 'still-alive');
  assert.equal(ok.event, 'pusher_internal:subscription_succeeded');
  ws.close();
});

test('unsubscribe stops delivery', async () => {
  const api = pusherServer(server.port);
  const ws = rawSocket(server.port);
  await connected(ws);
  await subscribe(ws, 'unsub-a');
  await subscribe(ws, 'unsub-b');
  ws.sendJson({ event: 'pusher:unsubscribe', data: { channel: 'unsub-a' } });
  // Publish on a after the unsubscribe, then on b: b's event proves a's would have arrived.
  await new Promise((r) => setTimeout(r, 100));
  await api.trigger('unsub-a', 'e', 'x');
  await api.trigger('unsub-b', 'e', 'y');
  await ws.next((m) => m.channel === 'unsub-b' && m.event === 'e');
  assert.equal(ws.messages.filter((m) => m.channel === 'unsub-a' && m.event === 'e').length, 0);
  ws.close();
});

test('private channels: a signature from the pusher SDK is accepted, a wrong one refused', async () => {
  const api = pusherServer(server.port);
  const ws = rawSocket(server.port);
  const est = await connected(ws);
  const socketId = est.parsed.socket_id;
  const good = api.authorizeChannel(socketId, 'private-room');
  const ok = await subscribe(ws, 'private-room', { auth: good.auth });
  assert.equal(ok.event, 'pusher_internal:subscription_succeeded');
  const bad = await subscribe(ws, 'private-other', { auth: good.auth });
  assert.equal(bad.event, 'pusher:subscription_error');
  assert.equal(bad.parsed.status, 401);
  const noAuth = await subscribe(ws, 'private-none');
  assert.equal(noAuth.event, 'pusher:subscription_error');
  const got = ws.next((m) => m.event === 'secret');
  await api.trigger('private-room', 'secret', { a: 1 });
  assert.deepEqual((await got).parsed, { a: 1 });
  ws.close();
});

test('pusher-js private channel through a channelAuthorization callback', async () => {
  const api = pusherServer(server.port);
  const client = pusherClient(server.port, {
    channelAuthorization: {
      customHandler: ({ socketId, channelName }, cb) => cb(null, api.authorizeChannel(socketId, channelName)),
    },
  });
  try {
    const channel = client.subscribe('private-js');
    await new Promise((resolve, reject) => {
      channel.bind('pusher:subscription_succeeded', resolve);
      channel.bind('pusher:subscription_error', reject);
    });
    const got = new Promise((resolve) => channel.bind('evt', resolve));
    await api.trigger('private-js', 'evt', 'plain string');
    assert.equal(await got, 'plain string');
  } finally {
    client.disconnect();
  }
});

test('binary frames are refused with close 1003', async () => {
  const ws = rawSocket(server.port);
  await connected(ws);
  ws.send(Buffer.from([1, 2, 3]));
  const { code } = await ws.closeInfo;
  assert.equal(code, 1003);
});

test('app credentials from flags', async () => {
  const s = await startServer({ args: ['--app-id', '42', '--app-key', 'k42', '--app-secret', 's42'], shards: 1 });
  try {
    const ws = rawSocket(s.port, { key: 'k42' });
    await connected(ws);
    await subscribe(ws, 'c');
    const api = pusherServer(s.port, { appId: '42', key: 'k42', secret: 's42' });
    const got = ws.next((m) => m.event === 'e');
    assert.equal((await api.trigger('c', 'e', { ok: true })).status, 200);
    assert.deepEqual((await got).parsed, { ok: true });
    ws.close();
    const dev = rawSocket(s.port, { key: APP.key });
    assert.equal((await dev.closeInfo).code, 4001, 'the dev app is off when an app is configured');
  } finally {
    await s.stop();
  }
});
