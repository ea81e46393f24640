// Datonow signed trigger and REST rate limit (docs/protocols/datonow.md, "Signed trigger",
// "Rate limits"): POST /api/trigger signed with HMAC-SHA256 of the raw body reaches a pusher-js
// subscriber (one channel and several); a missing signature is 401, a wrong one 403; socketId
// excludes that socket; a repeated requestId answers the first result and delivers nothing, also
// after a SIGKILL and a restart on the same --data-dir; the per-app REST budget answers 429 with
// Retry-After and a JSON body, the trigger and /api/subscribe|unsubscribe counting against it
// like the other /api/ routes.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const crypto = require('node:crypto');
const { startServer, APP, pusherClient, pusherServer, rawSocket, connected, subscribe, waitFor } = require('./lib/harness');

function request(port, method, urlPath, { body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath,
      headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, json, text });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const sign = (body, secret = APP.secret) =>
  'sha256=' + crypto.createHmac('sha256', secret).update(body).digest('hex');

// Signs and sends `fields` (appKey added) as the guide's server SDK does.
function trigger(port, fields, { secret = APP.secret, signature } = {}) {
  const body = JSON.stringify({ appKey: APP.key, ...fields });
  return request(port, 'POST', '/api/trigger', {
    body, headers: { 'x-datonow-signature': signature ?? sign(body, secret) } });
}

test('a signed trigger reaches pusher-js subscribers on one channel and on several', async () => {
  const server = await startServer({ shards: 2 });
  const client = pusherClient(server.port);
  try {
    const got = [];
    const subscribed = (name) => new Promise((resolve) => {
      const ch = client.subscribe(name);
      ch.bind('pusher:subscription_succeeded', resolve);
      ch.bind('goal_scored', (data) => got.push({ name, data }));
      ch.bind('announcement', (data) => got.push({ name, data }));
    });
    await Promise.all([subscribed('live-scores'), subscribed('room-1'), subscribed('room-2')]);
    let r = await trigger(server.port, { channel: 'live-scores', event: 'goal_scored',
      data: { team: 'Home', score: '2-1' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.ok, true);
    assert.deepEqual(r.json.channels, ['live-scores']);
    assert.equal(r.json.requestId, null);
    r = await trigger(server.port, { channel: ['room-1', 'room-2'], event: 'announcement',
      data: { text: 'Maintenance in 5 min' } });
    assert.equal(r.status, 200, r.text);
    await waitFor(() => got.length >= 3, 10000);
    assert.deepEqual(got.find((g) => g.name === 'live-scores').data, { team: 'Home', score: '2-1' });
    assert.deepEqual(got.filter((g) => g.name !== 'live-scores').map((g) => g.name).sort(), ['room-1', 'room-2']);
  } finally {
    client.disconnect();
    await server.stop();
  }
});

test('signature and body errors: 401 missing, 403 wrong, 400 bad body, 405 method', async () => {
  const server = await startServer({ shards: 1 });
  try {
    const body = JSON.stringify({ appKey: APP.key, channel: 'c', event: 'e', data: {} });
    let r = await request(server.port, 'POST', '/api/trigger', { body });
    assert.equal(r.status, 401);
    assert.match(r.json.error, /X-Datonow-Signature/);
    r = await request(server.port, 'POST', '/api/trigger', { body, headers: { 'x-datonow-signature': 'sha256=abc' } });
    assert.equal(r.status, 403);
    r = await trigger(server.port, { channel: 'c', event: 'e', data: {} }, { secret: 'not-the-secret' });
    assert.equal(r.status, 403);
    assert.equal(r.json.code, 403);
    // Signed with the secret but for another body (one byte changed).
    r = await request(server.port, 'POST', '/api/trigger', { body: body.replace('"c"', '"d"'),
      headers: { 'x-datonow-signature': sign(body) } });
    assert.equal(r.status, 403);
    // A client-token-style auth header is not a signature.
    r = await request(server.port, 'POST', '/api/trigger', { body,
      headers: { 'x-datonow-app-id': APP.appId, 'x-datonow-token': APP.secret } });
    assert.equal(r.status, 401);
    const other = JSON.stringify({ appKey: 'no-such-key', channel: 'c', event: 'e', data: {} });
    r = await request(server.port, 'POST', '/api/trigger', { body: other, headers: { 'x-datonow-signature': sign(other) } });
    assert.equal(r.status, 403);
    for (const [fields, re] of [
      [{ channel: 'c', data: {} }, /event/],
      [{ event: 'e', data: {} }, /channel/],
      [{ channel: 5, event: 'e', data: {} }, /channel/],
      [{ channel: [], event: 'e', data: {} }, /channel/],
      [{ channel: 'c', event: 'e' }, /data/],
      [{ channel: 'bad name!', event: 'e', data: {} }, /channel name/],
      [{ channel: 'c', event: 'e', data: {}, socketId: 'x' }, /socketId/],
      [{ channel: 'c', event: 'e', data: {}, requestId: 7 }, /requestId/],
    ]) {
      r = await trigger(server.port, fields);
      assert.equal(r.status, 400, JSON.stringify(fields) + ' ' + r.text);
      assert.match(r.json.error, re);
    }
    const noKey = JSON.stringify({ channel: 'c', event: 'e', data: {} });
    r = await request(server.port, 'POST', '/api/trigger', { body: noKey, headers: { 'x-datonow-signature': sign(noKey) } });
    assert.equal(r.status, 400);
    assert.match(r.json.error, /appKey/);
    r = await trigger(server.port, { channel: 'c', event: 'e', data: 'x'.repeat(20000) });
    assert.equal(r.status, 413);
    r = await request(server.port, 'GET', '/api/trigger');
    assert.equal(r.status, 405);
  } finally {
    await server.stop();
  }
});

test('socketId excludes that socket only', async () => {
  const server = await startServer({ shards: 2 });
  const a = rawSocket(server.port);
  const b = rawSocket(server.port);
  try {
    const established = await connected(a);
    await connected(b);
    const socketId = JSON.parse(established.data).socket_id;
    assert.equal((await subscribe(a, 'chat')).event, 'pusher_internal:subscription_succeeded');
    assert.equal((await subscribe(b, 'chat')).event, 'pusher_internal:subscription_succeeded');
    let r = await trigger(server.port, { channel: 'chat', event: 'message_sent', data: { n: 1 }, socketId });
    assert.equal(r.status, 200, r.text);
    await b.next((m) => m.event === 'message_sent' && m.parsed.n === 1);
    r = await trigger(server.port, { channel: 'chat', event: 'message_sent', data: { n: 2 } });
    assert.equal(r.status, 200, r.text);
    await a.next((m) => m.event === 'message_sent' && m.parsed.n === 2);
    await b.next((m) => m.event === 'message_sent' && m.parsed.n === 2);
    // Events of one channel arrive in order: had A got n=1, it would be before n=2.
    assert.deepEqual(a.messages.filter((m) => m.event === 'message_sent').map((m) => m.parsed.n), [2]);
  } finally {
    a.close();
    b.close();
    await server.stop();
  }
});

// Triggers `fields`, then a marker; resolves to the answer and the events `ws` got up to the marker.
async function triggerThenMarker(port, ws, fields, marker) {
  const r = await trigger(port, fields);
  const m = await trigger(port, { channel: fields.channel, event: 'marker', data: { marker } });
  assert.equal(m.status, 200, m.text);
  await ws.next((x) => x.event === 'marker' && x.parsed.marker === marker);
  const events = ws.messages.filter((x) => x.event === 'order_created' || x.event === 'marker').map((x) => x.event);
  return { r, events };
}

test('a repeated requestId answers the first result and delivers nothing, also after a restart', async () => {
  const server = await startServer({ shards: 2 });
  const dir = server.dataDir;
  const fields = { channel: 'orders', event: 'order_created', data: { orderId: 42 }, requestId: crypto.randomUUID() };
  let first;
  {
    const ws = rawSocket(server.port);
    try {
      await connected(ws);
      await subscribe(ws, 'orders');
      const one = await triggerThenMarker(server.port, ws, fields, 1);
      first = one.r;
      assert.equal(first.status, 200, first.text);
      assert.equal(first.json.requestId, fields.requestId);
      assert.equal(first.headers['x-datonow-replayed'], undefined);
      const two = await triggerThenMarker(server.port, ws, fields, 2);
      assert.equal(two.r.status, 200, two.r.text);
      assert.equal(two.r.text, first.text, 'the first result, byte for byte');
      assert.equal(two.r.headers['x-datonow-replayed'], 'true');
      assert.deepEqual(two.events, ['order_created', 'marker', 'marker'], 'delivered once');
      // Another requestId is a new trigger.
      const three = await triggerThenMarker(server.port, ws, { ...fields, requestId: 'other' }, 3);
      assert.equal(three.r.status, 200);
      assert.notEqual(three.r.text, first.text);
      assert.deepEqual(three.events, ['order_created', 'marker', 'marker', 'order_created', 'marker']);
    } finally {
      ws.close();
    }
  }
  // The answer came after the record was durable: a SIGKILL right after keeps it.
  await server.stop('SIGKILL');
  const again = await startServer({ shards: 2, args: ['--data-dir', dir] });
  const ws = rawSocket(again.port);
  try {
    await connected(ws);
    await subscribe(ws, 'orders');
    const after = await triggerThenMarker(again.port, ws, fields, 4);
    assert.equal(after.r.status, 200, after.r.text);
    assert.equal(after.r.text, first.text);
    assert.equal(after.r.headers['x-datonow-replayed'], 'true');
    assert.deepEqual(after.events, ['marker'], 'not delivered again after the restart');
  } finally {
    ws.close();
    await again.stop();
  }
});

test('REST rate limit per app: 429 with Retry-After and JSON; the trigger counts too; Pusher not', async () => {
  const server = await startServer({ shards: 1, config: {
    apps: [{ id: APP.appId, key: APP.key, secret: APP.secret, datonow_api_requests_per_minute: 3 }] } });
  try {
    const read = () => request(server.port, 'GET', '/api/messages',
      { headers: { 'x-datonow-app-id': APP.appId, 'x-datonow-token': APP.secret } });
    assert.equal((await read()).status, 200);
    assert.equal((await trigger(server.port, { channel: 'c', event: 'e', data: {} })).status, 200);
    assert.equal((await read()).status, 200);
    let r = await trigger(server.port, { channel: 'c', event: 'e', data: {} });
    assert.equal(r.status, 429, r.text);
    assert.ok(Number(r.headers['retry-after']) >= 1, 'Retry-After in seconds');
    assert.equal(r.json.code, 429);
    assert.match(r.json.error, /3 Datonow API requests per minute/);
    r = await read();
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers['retry-after']) >= 1);
    // The Pusher REST API is not limited by it.
    const pusher = pusherServer(server.port);
    for (let i = 0; i < 5; i++) {
      const res = await pusher.trigger('c', 'e', { i });
      assert.equal(res.status, 200);
    }
  } finally {
    await server.stop();
  }
});

test('REST rate limit per app: /api/subscribe and /api/unsubscribe count too (429 JSON, Retry-After)', async () => {
  const server = await startServer({ shards: 1, config: {
    apps: [{ id: APP.appId, key: APP.key, secret: APP.secret, datonow_api_requests_per_minute: 3 }] } });
  try {
    const sub = (path) => request(server.port, 'POST', path, {
      body: JSON.stringify({ appKey: APP.key, socketId: '1.1', channel: 'c' }),
      headers: { 'content-type': 'application/json' } });
    // No such socket: 404, counted all the same (like a wrong token on the other routes).
    assert.equal((await sub('/api/subscribe')).status, 404);
    assert.equal((await sub('/api/unsubscribe')).status, 404);
    assert.equal((await request(server.port, 'GET', '/api/messages',
      { headers: { 'x-datonow-app-id': APP.appId, 'x-datonow-token': APP.secret } })).status, 200);
    for (const path of ['/api/subscribe', '/api/unsubscribe']) {
      const r = await sub(path);
      assert.equal(r.status, 429, r.text);
      assert.ok(Number(r.headers['retry-after']) >= 1, 'Retry-After in seconds');
      assert.equal(r.json.code, 429);
      assert.match(r.json.error, /3 Datonow API requests per minute/);
    }
    // An unknown appKey names no app: 403, not counted, not 429.
    const other = await request(server.port, 'POST', '/api/subscribe', {
      body: JSON.stringify({ appKey: 'nope', socketId: '1.1', channel: 'c' }) });
    assert.equal(other.status, 403);
    assert.equal(other.json.code, 403);
  } finally {
    await server.stop();
  }
});
