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
const { startServer, waitFor } = require('./lib/harness');

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
