// Impulse broker API ({impulse.prefix}, docs/protocols/impulse.md): every case runs against
// ringcast and against the real broker (@impulselab/realtime-service, started with node on a
// free port), with the real client package (@impulselab/realtime: createRealtimeClient over the
// `eventsource` package's EventSource, createServerClient's push and pushMany) and raw HTTP
// where the client hides the answer. Each case returns what it observed; the two observations
// must be equal (a difference between ringcast and the broker fails the test), and each case
// also asserts what the broker's source says should happen.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { EventSource } = require('eventsource');
const { APP, startServer, pusherServer, waitFor } = require('./lib/harness');

const SECRET = 'impulse-test-secret';

// Every EventSource the client creates, so a test can wait until its streams are open (the
// client does not expose them) before pushing.
const sources = new Set();
globalThis.EventSource = class TrackedEventSource extends EventSource {
  constructor(...args) {
    super(...args);
    sources.add(this);
  }
};
function allOpen() {
  for (const es of sources) if (es.readyState !== 1) return false;
  return true;
}
// The client logs stream errors (closes at the end of each case): keep the output readable.
const consoleError = console.error;
console.error = (...args) => {
  if (typeof args[0] === 'string' && args[0].startsWith('EventSource error for channel')) return;
  consoleError(...args);
};

async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

async function startBroker() {
  const port = await freePort();
  const cli = path.join(__dirname, 'node_modules/@impulselab/realtime-service/dist/cli.js');
  const proc = spawn(process.execPath, [cli, '--port', String(port), '--secret', SECRET],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('broker did not start: ' + out)), 10000);
    proc.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Realtime service started')) { clearTimeout(timer); resolve(); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`broker exited ${code}: ${out}`)); });
  });
  return {
    name: 'broker',
    base: `http://127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/`,
    stop: () => new Promise((r) => { proc.on('exit', r); proc.kill('SIGKILL'); }),
  };
}

async function startRingcast() {
  const srv = await startServer({ config: { impulse: { secret: SECRET } } });
  return {
    name: 'ringcast',
    base: `http://127.0.0.1:${srv.port}`,
    url: `http://127.0.0.1:${srv.port}/impulse`,
    stop: () => srv.stop(),
  };
}

let lib;
let targets;
test.before(async () => {
  lib = await import('@impulselab/realtime');
  targets = [await startRingcast(), await startBroker()];
});
test.after(async () => {
  for (const t of targets || []) await t.stop();
});

// A subscriber: the real client on one channel with options; `got` collects events.
function subscriber(t, channel, opts) {
  const client = lib.createRealtimeClient({ serviceUrl: t.url });
  const got = [];
  client.subscribe(channel, (ev) => got.push(ev), opts);
  return { client, got };
}

async function openAll() {
  await waitFor(allOpen, 5000);
}

function closeAll(subs) {
  for (const s of subs) s.client.close();
  sources.clear();
}

// A raw POST with the secret; returns { status, body }.
async function post(t, body, headers = { Authorization: `Bearer ${SECRET}` }) {
  const res = await fetch(t.url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

// Runs `fn(target)` on both and requires the same observation from each.
async function both(fn) {
  const seen = {};
  for (const t of targets) seen[t.name] = await fn(t);
  assert.deepEqual(seen.ringcast, seen.broker, 'ringcast and the broker differ');
  return seen.ringcast;
}

test('subscribe and push: the real client receives the event', async () => {
  const obs = await both(async (t) => {
    const sub = subscriber(t, 'user:online');
    await openAll();
    const server = lib.createServerClient({ serviceUrl: t.url, token: SECRET });
    await server.push('user:online', { userId: 'u1', username: 'ada', n: 1.5, tags: ['a', 'b'] });
    await waitFor(() => sub.got.length === 1);
    closeAll([sub]);
    return sub.got;
  });
  assert.deepEqual(obs, [{ channel: 'user:online', payload: { userId: 'u1', username: 'ada', n: 1.5, tags: ['a', 'b'] } }]);
});

test('pushMany: every event reaches its channel', async () => {
  const obs = await both(async (t) => {
    const a = subscriber(t, 'user:online');
    const b = subscriber(t, 'user:offline');
    await openAll();
    const server = lib.createServerClient({ serviceUrl: t.url, token: SECRET });
    await server.pushMany([
      { channel: 'user:online', payload: { userId: '1' } },
      { channel: 'user:offline', payload: { userId: '2' } },
      { channel: 'user:online', payload: { userId: '3' } },
    ]);
    await waitFor(() => a.got.length === 2 && b.got.length === 1);
    closeAll([a, b]);
    // pushMany is concurrent POSTs: the order between them is not defined (sort).
    return { a: a.got.map((e) => e.payload.userId).sort(), b: b.got };
  });
  assert.deepEqual(obs, { a: ['1', '3'], b: [{ channel: 'user:offline', payload: { userId: '2' } }] });
});

// Pushes `audience`, then an unrestricted fence on the same channel; once every subscriber has
// the fence, what each got before it is exactly what the audience let through (one stream is
// ordered). Returns { sent, got: per subscriber, the payloads before the fence }.
async function audienceCase(t, subs, audience) {
  const streams = subs.map((opts) => subscriber(t, 'chat:message', opts));
  await openAll();
  const r = await post(t, { channel: 'chat:message', payload: 'targeted', audience });
  const server = lib.createServerClient({ serviceUrl: t.url, token: SECRET });
  await server.push('chat:message', 'fence');
  await waitFor(() => streams.every((s) => s.got.some((e) => e.payload === 'fence')));
  closeAll(streams);
  return {
    status: r.status,
    sent: r.body.sent,
    got: streams.map((s) => s.got.map((e) => e.payload).filter((p) => p !== 'fence')),
  };
}

test('audience by token: only streams opened with a listed token', async () => {
  const subs = [{ token: 'tok-a' }, { token: 'tok-b' }, {}, { token: 'tok-c', topic: 'room-1' }];
  const list = await both((t) => audienceCase(t, subs, { tokens: ['tok-a', 'tok-c'] }));
  assert.deepEqual(list, { status: 200, sent: 2, got: [['targeted'], [], [], ['targeted']] });
  const one = await both((t) => audienceCase(t, subs, { tokens: 'tok-b' }));
  assert.deepEqual(one, { status: 200, sent: 1, got: [[], ['targeted'], [], []] });
  const none = await both((t) => audienceCase(t, subs, { tokens: [] }));
  assert.deepEqual(none, { status: 200, sent: 0, got: [[], [], [], []] });
  const empty = await both((t) => audienceCase(t, subs, { tokens: '' }));
  assert.deepEqual(empty.sent, 4, 'an empty token string filters nothing (falsy in the broker)');
});

test('audience by topic, and topic with tokens', async () => {
  const subs = [{ topic: 'room-1' }, { topic: 'room-2' }, {}, { token: 'tok-a', topic: 'room-1' }];
  const topic = await both((t) => audienceCase(t, subs, { topic: 'room-1' }));
  assert.deepEqual(topic, { status: 200, sent: 2, got: [['targeted'], [], [], ['targeted']] });
  const both_ = await both((t) => audienceCase(t, subs, { topic: 'room-1', tokens: ['tok-a'] }));
  assert.deepEqual(both_, { status: 200, sent: 1, got: [[], [], [], ['targeted']] });
  const all = await both((t) => audienceCase(t, subs, undefined));
  assert.deepEqual(all.sent, 4);
});

test('sent counts the streams written to; none on the channel is 0', async () => {
  const obs = await both(async (t) => {
    const zero = await post(t, { channel: 'nobody:here', payload: 1 });
    const streams = [subscriber(t, 'count:me'), subscriber(t, 'count:me'), subscriber(t, 'other')];
    await openAll();
    const two = await post(t, { channel: 'count:me', payload: 2 });
    closeAll(streams);
    return { zero, two };
  });
  assert.deepEqual(obs, { zero: { status: 200, body: { sent: 0 } }, two: { status: 200, body: { sent: 2 } } });
});

test('secrets: the client push fails with 401 and 403 as the broker answers', async () => {
  const obs = await both(async (t) => {
    const errors = [];
    for (const token of [undefined, 'wrong-secret']) {
      const server = lib.createServerClient({ serviceUrl: t.url, token });
      try {
        await server.push('user:online', { x: 1 });
        errors.push('accepted');
      } catch (e) {
        errors.push(e.message);
      }
    }
    const basic = await post(t, { channel: 'c' }, { Authorization: `Basic ${SECRET}` });
    const lower = await post(t, { channel: 'c' }, { Authorization: `bearer ${SECRET}` });
    return { errors, basic, lower };
  });
  assert.deepEqual(obs.errors, ['HTTP 401: Authorization header required', 'HTTP 403: Invalid token']);
  assert.deepEqual(obs.basic, { status: 401, body: { error: 'Authorization header required' } });
  assert.equal(obs.lower.status, 401);
});

test('bad requests: missing channel, bad JSON, bad body, wrong method', async () => {
  const obs = await both(async (t) => {
    const get = await fetch(t.url);  // no channel
    const noChannel = { status: get.status, type: get.headers.get('content-type'), body: await get.json() };
    const badJson = await post(t, '{"channel":');
    // The broker's details are zod's text; ringcast says it its own way (documented).
    const shape = async (body) => {
      const r = await post(t, body);
      return { status: r.status, error: r.body.error, hasDetails: typeof r.body.details === 'string' };
    };
    const array = await shape([{ channel: 'c', payload: 1 }]);
    const noChan = await shape({ payload: 1 });
    const emptyTopic = await shape({ channel: 'c', audience: { topic: '' } });
    const badTokens = await shape({ channel: 'c', audience: { tokens: [1] } });
    const put = await fetch(t.url, { method: 'PUT' });
    const method = { status: put.status, body: await put.json() };
    return { noChannel, badJson, array, noChan, emptyTopic, badTokens, method };
  });
  assert.deepEqual(obs.noChannel, { status: 400, type: 'application/json', body: { error: 'channel query parameter is required' } });
  assert.deepEqual(obs.badJson, { status: 400, body: { error: 'Invalid JSON body' } });
  const invalid = { status: 400, error: 'Invalid request body', hasDetails: true };
  for (const k of ['array', 'noChan', 'emptyTopic', 'badTokens']) assert.deepEqual(obs[k], invalid, k);
  assert.deepEqual(obs.method, { status: 405, body: { error: 'Method not allowed' } });
});

test('preflight and CORS headers', async () => {
  const cors = (h) => ({
    origin: h.get('access-control-allow-origin'),
    headers: h.get('access-control-allow-headers'),
    methods: h.get('access-control-allow-methods'),
  });
  const obs = await both(async (t) => {
    const pre = await fetch(t.url, {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type' },
    });
    const preBody = await pre.text();
    const ctl = new AbortController();
    const stream = await fetch(`${t.url}?channel=cors:check`, { signal: ctl.signal });
    const streamHeaders = { status: stream.status, type: stream.headers.get('content-type'),
      cache: stream.headers.get('cache-control'), ...cors(stream.headers) };
    ctl.abort();
    const push = await fetch(t.url, { method: 'POST', headers: { Authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ channel: 'cors:check' }) });
    await push.text();
    return { preflight: { status: pre.status, body: preBody, ...cors(pre.headers) }, stream: streamHeaders,
      pushOrigin: push.headers.get('access-control-allow-origin') };
  });
  const three = { origin: '*', headers: 'Authorization, Content-Type', methods: 'GET, POST, OPTIONS' };
  assert.deepEqual(obs.preflight, { status: 204, body: '', ...three });
  assert.deepEqual(obs.stream, { status: 200, type: 'text/event-stream', cache: 'no-cache', ...three });
  assert.equal(obs.pushOrigin, null, 'the broker sends no CORS header on the push answer');
});

// The decoded body of a stream (fetch undoes the broker's chunked encoding) until `until`
// matches it.
async function streamBody(url, until, during = async () => {}) {
  const ctl = new AbortController();
  const res = await fetch(url, { signal: ctl.signal });
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let text = '';
  let started = false;
  while (!until(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value, { stream: true });
    if (!started && text.includes('\n\n')) {
      started = true;
      await during();
    }
  }
  ctl.abort();
  return text;
}

test('framing: the connect comment, then one data record per push', async () => {
  const obs = await both(async (t) => {
    const payloads = [{ b: [true, null, 'é\n"q"'] }, 'text', 42];
    const text = await streamBody(`${t.url}?channel=frame:check`, (s) => (s.match(/\n\n/g) || []).length >= 5,
      async () => {
        for (const payload of payloads) await post(t, { channel: 'frame:check', payload });
        await post(t, { channel: 'frame:check' });  // no payload at all
      });
    return text;
  });
  assert.equal(obs, ': Connected to channel: frame:check\n\n' +
    'data: {"channel":"frame:check","payload":{"b":[true,null,"é\\n\\"q\\""]}}\n\n' +
    'data: {"channel":"frame:check","payload":"text"}\n\n' +
    'data: {"channel":"frame:check","payload":42}\n\n' +
    'data: {"channel":"frame:check"}\n\n');
});

test('ringcast only: private, encrypted and presence channels are refused with 403 (no channel auth)', async () => {
  const rc = targets.find((t) => t.name === 'ringcast');
  for (const channel of ['private-a', 'private-encrypted-a', 'presence-a', 'private-cache-a']) {
    const res = await fetch(`${rc.url}?channel=${channel}`);
    assert.equal(res.status, 403, channel);
    assert.match((await res.json()).error, /channel auth/);
  }
  const ok = new AbortController();
  const res = await fetch(`${rc.url}?channel=public-a`, { signal: ok.signal });
  assert.equal(res.status, 200);
  ok.abort();
});

test('ringcast only: heartbeat comments on impulse.heartbeat_ms (the broker: 30 s)', async () => {
  const srv = await startServer({ config: { impulse: { secret: SECRET, heartbeat_ms: 100 } } });
  try {
    const text = await streamBody(`http://127.0.0.1:${srv.port}/impulse?channel=hb`,
      (s) => (s.match(/: heartbeat\n\n/g) || []).length >= 2);
    assert.match(text, /^: Connected to channel: hb\n\n: heartbeat\n\n: heartbeat\n\n/);
  } finally {
    await srv.stop();
  }
});

test('ringcast only: the same channel across protocols (Pusher API -> Impulse, Impulse -> SSE)', async () => {
  const rc = targets.find((t) => t.name === 'ringcast');
  const port = Number(new URL(rc.base).port);
  const imp = subscriber(rc, 'news');
  await openAll();
  const sse = new EventSource(`${rc.base}/sse/${APP.key}?channels=news`);
  const sseGot = [];
  sse.addEventListener('message', (e) => sseGot.push(JSON.parse(e.data)));
  await waitFor(() => sse.readyState === 1);
  try {
    // A Pusher API publish: JSON data arrives as the payload value, other data as a string.
    const pusher = pusherServer(port);
    await pusher.trigger('news', 'any-event', { n: 1 });
    await pusher.trigger('news', 'any-event', 'plain text');
    await waitFor(() => imp.got.length === 2);
    assert.deepEqual(imp.got, [{ channel: 'news', payload: { n: 1 } }, { channel: 'news', payload: 'plain text' }]);
    // An Impulse push with an audience never reaches the SSE stream; one without does, as event
    // `message` (kept in order behind it on the SSE side).
    assert.equal((await post(rc, { channel: 'news', payload: 'secret', audience: { topic: 't' } })).body.sent, 0);
    assert.equal((await post(rc, { channel: 'news', payload: { open: true } })).body.sent, 2);
    await waitFor(() => sseGot.length === 1 && imp.got.length === 3);
    assert.deepEqual(sseGot, [{ channel: 'news', event: 'message', data: '{"open":true}' }]);
  } finally {
    sse.close();
    closeAll([imp]);
  }
});
