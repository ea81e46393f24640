// The Pusher HTTP API, driven by the real pusher SDK and by hand-signed requests.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { startServer, pusherServer, rawSocket, connected, subscribe, rawHttp, httpAnswers: answers, APP } = require('./lib/harness');

let server;
test.before(async () => { server = await startServer({ config: {
  apps: [{ id: APP.appId, key: APP.key, secret: APP.secret }, { id: 'off', key: 'off-key', secret: 'off-secret', enabled: false }],
} }); });
test.after(async () => { await server.stop(); });

function md5(s) { return crypto.createHash('md5').update(s).digest('hex'); }
function hmac(secret, s) { return crypto.createHmac('sha256', secret).update(s).digest('hex'); }

// Signs like the SDKs do; `tweak` may alter the parts after signing.
async function signedPost(path, body, { secret = APP.secret, key = APP.key, ts = Math.floor(Date.now() / 1000), tweak = {} } = {}) {
  const params = { auth_key: key, auth_timestamp: String(ts), auth_version: '1.0', body_md5: md5(body) };
  const query = Object.keys(params).sort().map((k) => `${k}=${params[k]}`).join('&');
  const sig = hmac(secret, `POST\n${path}\n${query}`);
  const url = `http://127.0.0.1:${server.port}${tweak.path || path}?${tweak.query || query}&auth_signature=${tweak.sig || sig}`;
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: tweak.body ?? body });
  return { status: res.status, json: await res.json().catch(() => null) };
}

test('trigger answers 200 {} and delivers the data double encoded', async () => {
  const ws = rawSocket(server.port);
  await connected(ws);
  await subscribe(ws, 'api-basic');
  const api = pusherServer(server.port);
  const res = await api.trigger('api-basic', 'ev', { x: [1, 2, 3] });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {});
  const m = await ws.next((msg) => msg.event === 'ev');
  assert.equal(m.channel, 'api-basic');
  assert.equal(typeof m.data, 'string');
  assert.deepEqual(JSON.parse(m.data), { x: [1, 2, 3] });
  ws.close();
});

test('one trigger to several channels reaches each', async () => {
  const ws = rawSocket(server.port);
  await connected(ws);
  for (const c of ['multi-1', 'multi-2', 'multi-3']) await subscribe(ws, c);
  const api = pusherServer(server.port);
  await api.trigger(['multi-1', 'multi-2', 'multi-3'], 'ev', 'hi');
  for (const c of ['multi-1', 'multi-2', 'multi-3']) await ws.next((m) => m.event === 'ev' && m.channel === c);
  ws.close();
});

test('batch events arrive in order', async () => {
  const ws = rawSocket(server.port);
  await connected(ws);
  await subscribe(ws, 'batch-a');
  await subscribe(ws, 'batch-b');
  const api = pusherServer(server.port);
  const batch = [];
  for (let i = 0; i < 10; ++i) batch.push({ channel: i % 2 ? 'batch-a' : 'batch-b', name: 'seq', data: String(i) });
  const res = await api.triggerBatch(batch);
  assert.equal(res.status, 200);
  await ws.next((m) => m.event === 'seq' && m.data === '9');
  const got = ws.messages.filter((m) => m.event === 'seq').map((m) => Number(m.data));
  assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  ws.close();
});

test('batch of more than 10 events is refused with 400 and nothing is published', async () => {
  const ws = rawSocket(server.port);
  await connected(ws);
  await subscribe(ws, 'batch-big');
  const batch = [];
  for (let i = 0; i < 11; ++i) batch.push({ channel: 'batch-big', name: 'x', data: String(i) });
  const res = await signedPost('/apps/app-id/batch_events', JSON.stringify({ batch }));
  assert.equal(res.status, 400);
  assert.equal(res.json.code, 400);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(ws.messages.filter((m) => m.event === 'x').length, 0);
  ws.close();
});

test('socket_id excludes exactly that connection', async () => {
  const a = rawSocket(server.port);
  const b = rawSocket(server.port);
  const estA = await connected(a);
  await connected(b);
  await subscribe(a, 'excl');
  await subscribe(b, 'excl');
  const api = pusherServer(server.port);
  await api.trigger('excl', 'first', 'x', { socket_id: estA.parsed.socket_id });
  await api.trigger('excl', 'second', 'y');
  await a.next((m) => m.event === 'second');
  await b.next((m) => m.event === 'second');
  assert.equal(a.messages.filter((m) => m.event === 'first').length, 0, 'excluded socket got it');
  assert.equal(b.messages.filter((m) => m.event === 'first').length, 1);
  a.close();
  b.close();
});

test('signature failures are 401 with a JSON error', async () => {
  const body = JSON.stringify({ name: 'e', channels: ['sig'], data: 'x' });
  assert.equal((await signedPost('/apps/app-id/events', body)).status, 200, 'control: a good signature passes');
  const cases = {
    'wrong secret': { secret: 'nope' },
    'wrong key': { key: 'other-key' },
    // 605, not 601: the server may read its clock a second boundary later than this line did,
    // and 600 s apart is still accepted (the limit is "more than 600 s").
    'expired timestamp': { ts: Math.floor(Date.now() / 1000) - 605 },
    'future timestamp': { ts: Math.floor(Date.now() / 1000) + 605 },
    'tampered body': { tweak: { body: JSON.stringify({ name: 'e', channels: ['sig'], data: 'y' }) } },
    'bad signature': { tweak: { sig: 'a'.repeat(64) } },
  };
  for (const [label, opts] of Object.entries(cases)) {
    const r = await signedPost('/apps/app-id/events', body, opts);
    assert.equal(r.status, 401, label);
    assert.equal(r.json.code, 401, label);
    assert.equal(typeof r.json.error, 'string', label);
  }
  const unsigned = await fetch(`http://127.0.0.1:${server.port}/apps/app-id/events`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  assert.equal(unsigned.status, 401);
  const sdk = pusherServer(server.port, { secret: 'wrong' });
  await assert.rejects(sdk.trigger('sig', 'e', 'x'), (e) => e.status === 401);
});

test('unknown app is 404, disabled app 403, wrong method 405', async () => {
  const body = JSON.stringify({ name: 'e', channels: ['c'], data: 'x' });
  assert.equal((await signedPost('/apps/nope/events', body)).status, 404);
  assert.equal((await signedPost('/apps/off/events', body, { key: 'off-key', secret: 'off-secret' })).status, 403);
  const r = await fetch(`http://127.0.0.1:${server.port}/apps/app-id/events`);
  assert.equal(r.status, 405);
  assert.equal((await r.json()).code, 405);
});

test('data over 10 KB is 413; too many channels and bad names are 400', async () => {
  const big = JSON.stringify({ name: 'e', channels: ['c'], data: 'x'.repeat(10 * 1024 + 1) });
  const r1 = await signedPost('/apps/app-id/events', big);
  assert.equal(r1.status, 413);
  assert.equal(r1.json.code, 413);
  const ok = JSON.stringify({ name: 'e', channels: ['c'], data: 'x'.repeat(10 * 1024) });
  assert.equal((await signedPost('/apps/app-id/events', ok)).status, 200);
  const channels = Array.from({ length: 101 }, (_, i) => `c${i}`);
  assert.equal((await signedPost('/apps/app-id/events', JSON.stringify({ name: 'e', channels, data: 'x' }))).status, 400);
  assert.equal((await signedPost('/apps/app-id/events', JSON.stringify({ name: 'e', channels: channels.slice(0, 100), data: 'x' }))).status, 200);
  assert.equal((await signedPost('/apps/app-id/events', JSON.stringify({ name: 'e', channels: ['bad name'], data: 'x' }))).status, 400);
  assert.equal((await signedPost('/apps/app-id/events', JSON.stringify({ channels: ['c'], data: 'x' }))).status, 400);
  assert.equal((await signedPost('/apps/app-id/events', '{not json')).status, 400);
});

test('channels query lists occupied channels', async () => {
  const ws = rawSocket(server.port);
  await connected(ws);
  await subscribe(ws, 'occupied-x');
  const api = pusherServer(server.port);
  const res = await api.get({ path: '/channels', params: { filter_by_prefix: 'occupied-' } });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { channels: { 'occupied-x': {} } });
  const one = await api.get({ path: '/channels/occupied-x' });
  assert.deepEqual(await one.json(), { occupied: true });
  ws.close();
  await new Promise((r) => setTimeout(r, 200));
  const after = await api.get({ path: '/channels/occupied-x' });
  assert.deepEqual(await after.json(), { occupied: false });
});

test('HTTP errors: 404, 400, 431, 411, 505 with JSON bodies; keep-alive and pipelining', async () => {
  const status = (text) => Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]);
  const notFound = await rawHttp(server.port, 'GET /nope HTTP/1.1\r\nHost: x\r\n\r\n', 300);
  assert.equal(status(notFound), 404);
  assert.match(notFound, /\{"error":"[^"]*","code":404\}/);
  assert.equal(status(await rawHttp(server.port, 'GARBAGE\r\n\r\n')), 400);
  assert.equal(status(await rawHttp(server.port, `GET / HTTP/1.1\r\nX: ${'a'.repeat(17000)}\r\n\r\n`)), 431);
  assert.equal(status(await rawHttp(server.port, 'POST /apps/app-id/events HTTP/1.1\r\nHost: x\r\n\r\n')), 411);
  assert.equal(status(await rawHttp(server.port, 'GET / HTTP/2.0\r\n\r\n')), 505);
  const two = await rawHttp(server.port, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  const statuses = [...two.matchAll(/HTTP\/1\.1 (\d+)/g)].map((m) => Number(m[1]));
  assert.deepEqual(statuses, [200, 404]);
});

test('a WebSocket handshake with the wrong version is refused with 426', async () => {
  const text = await rawHttp(server.port, 'GET /app/app-key?protocol=7 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n');
  assert.match(text, /^HTTP\/1\.1 426/);
  assert.match(text, /Sec-WebSocket-Version: 13/i);
});

test('info=subscription_count counts subscribed connections over every shard', async () => {
  const sockets = [];
  for (let i = 0; i < 5; ++i) {
    const ws = rawSocket(server.port);
    await connected(ws);
    await subscribe(ws, 'counted');
    sockets.push(ws);
  }
  const api = pusherServer(server.port);
  const one = await api.get({ path: '/channels/counted', params: { info: 'subscription_count' } });
  assert.deepEqual(await one.json(), { occupied: true, subscription_count: 5 });
  const res = await api.trigger(['counted', 'nobody-here'], 'e', 'x', { info: 'subscription_count' });
  assert.deepEqual(await res.json(), { channels: { counted: { subscription_count: 5 }, 'nobody-here': { subscription_count: 0 } } });
  const batch = await api.triggerBatch([{ channel: 'counted', name: 'e', data: 'y', info: 'subscription_count' }, { channel: 'counted', name: 'e', data: 'z' }]);
  assert.deepEqual(await batch.json(), { batch: [{ subscription_count: 5 }, {}] });
  sockets[0].close();
  await sockets[0].closeInfo;
  await new Promise((r) => setTimeout(r, 100));
  const after = await api.get({ path: '/channels/counted', params: { info: 'subscription_count' } });
  assert.deepEqual(await after.json(), { occupied: true, subscription_count: 4 });
  for (const ws of sockets.slice(1)) ws.close();
});

// Raw signed request text, as the SDKs sign (for pipelining several on one connection).
function signedText(method, path, params, body = '', { secret = APP.secret, close = false } = {}) {
  const all = { ...params, auth_key: APP.key, auth_timestamp: String(Math.floor(Date.now() / 1000)), auth_version: '1.0' };
  if (method === 'POST') all.body_md5 = md5(body);
  const query = Object.keys(all).sort().map((k) => `${k}=${encodeURIComponent(all[k])}`).join('&');
  const sig = hmac(secret, `${method}\n${path}\n${query}`);
  const head = `${method} ${path}?${query}&auth_signature=${sig} HTTP/1.1\r\nHost: x\r\n` +
    (method === 'POST' ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` : '') +
    (close ? 'Connection: close\r\n' : '');
  return `${head}\r\n${body}`;
}


test('pipelined API requests are answered in request order, local answers wait their turn, publishes arrive in order', async () => {
  const ws = rawSocket(server.port);
  await connected(ws);
  await subscribe(ws, 'pipe');
  const path = `/apps/${APP.appId}/events`;
  const ev = (data) => JSON.stringify({ name: 'p', channel: 'pipe', data });
  const text = [
    // Answered after a round of count queries through the shards, i.e. later than the next ones.
    signedText('GET', `/apps/${APP.appId}/channels/pipe`, { info: 'subscription_count' }),
    signedText('POST', path, {}, ev('0')),
    signedText('POST', path, {}, ev('x'), { secret: 'wrong' }),
    signedText('POST', path, {}, ev('1')),
    'GET /health HTTP/1.1\r\nHost: x\r\n\r\n',
    signedText('POST', path, {}, ev('2')),
    'GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  ].join('');
  const got = answers(await rawHttp(server.port, text, 5000));
  assert.deepEqual(got.map((a) => a.status), [200, 200, 401, 200, 200, 200, 404]);
  assert.deepEqual(JSON.parse(got[0].body), { occupied: true, subscription_count: 1 });
  assert.deepEqual(JSON.parse(got[1].body), {});
  await ws.next((msg) => msg.event === 'p' && msg.data === '2');
  assert.deepEqual(ws.messages.filter((msg) => msg.event === 'p').map((msg) => msg.data), ['0', '1', '2']);
  ws.close();
});

test('more pipelined publishes than max_pipelined_requests: all answered and delivered in order', async () => {
  const ws = rawSocket(server.port);
  await connected(ws);
  await subscribe(ws, 'pipe-many');
  const path = `/apps/${APP.appId}/events`;
  const n = 60;  // the default depth is 16
  let text = '';
  for (let i = 0; i < n; ++i) {
    text += signedText('POST', path, {}, JSON.stringify({ name: 'p', channel: 'pipe-many', data: String(i) }), { close: i === n - 1 });
  }
  const got = answers(await rawHttp(server.port, text, 5000));
  assert.equal(got.length, n);
  assert.ok(got.every((a) => a.status === 200 && a.body === '{}'));
  await ws.next((msg) => msg.event === 'p' && msg.data === String(n - 1));
  const seen = ws.messages.filter((msg) => msg.event === 'p').map((msg) => Number(msg.data));
  assert.deepEqual(seen, [...Array(n).keys()]);
  ws.close();
});
