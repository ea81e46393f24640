// ringcast-bench --protocol sse (tools/ringcast-bench, issue 11): subscribers that read
// ringcast's Server-Sent Events stream (GET /sse/{key}?channels=C) instead of a WebSocket.
// Against the fake Pusher server's SSE endpoint, which drops one event and swaps two and writes
// every record in two pieces, the bench must report exactly that per subscriber and exit 1;
// against the real server a fan-out to a few hundred SSE subscribers must lose nothing (every
// subscriber got every accepted event), also on private channels with client-event publishers
// (the stream's signature); a wrong app key and an endpoint that is not an event stream must
// fail every subscriber with an error that says why. The bench binary is
// build/tools/ringcast-bench unless RINGCAST_BENCH_BIN names another.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { startServer } = require('./lib/harness');

const BENCH = process.env.RINGCAST_BENCH_BIN || path.resolve(__dirname, '../../build/tools/ringcast-bench');
const FAKE = path.join(__dirname, 'fake', 'fake_pusher_server.js');

function startFake(args) {
  const proc = spawn(process.execPath, [FAKE, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
  const port = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('fake server did not start: ' + err)), 10000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /listening on [^ ]+:(\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`fake server exited ${code}: ${err}`)); });
  });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  return { port, stop: () => { if (proc.exitCode === null) proc.kill('SIGTERM'); return exited; } };
}

// Runs the bench with --protocol sse; resolves to { code, stdout, stderr, summary }.
function runBench(args, timeoutMs = 60000) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringcast-bench-sse-'));
  const json = path.join(dir, 'summary.json');
  const proc = spawn(BENCH, ['--protocol', 'sse', ...args, '--json', json, '--quiet'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => { stdout += d; });
  proc.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error('bench timed out: ' + stdout + stderr)); }, timeoutMs);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      let summary = null;
      try { summary = JSON.parse(fs.readFileSync(json, 'utf8')); } catch { /* reported below */ }
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ code, stdout, stderr, summary });
    });
  });
}

// Every subscriber got every event its channel accepted, once, in order, and nothing else went
// wrong. With one channel, expected must be accepted x subscribers.
function assertNothingLost(r, subs, { oneChannel = false } = {}) {
  const log = r.stdout + r.stderr;
  assert.ok(r.summary, 'JSON summary written; ' + log);
  const d = r.summary.deliveries;
  assert.equal(r.summary.config.protocol, 'sse', log);
  assert.equal(r.summary.connections.subscribed, subs, log);
  assert.equal(r.summary.connections.failed, 0, log);
  assert.equal(r.summary.connections.dropped, 0, log);
  const accepted = r.summary.publish.events_accepted;
  assert.ok(accepted > 0, log);
  if (oneChannel) assert.equal(d.expected, accepted * subs, log);
  assert.ok(d.expected > 0, log);
  assert.equal(d.received, d.expected, log);
  assert.equal(d.unique, d.expected, log);
  assert.equal(d.lost, 0, log);
  assert.equal(d.out_of_order, 0, log);
  assert.equal(d.duplicates, 0, log);
  assert.equal(d.foreign, 0, log);
  assert.equal(d.drained, true, log);
  assert.deepEqual(r.summary.errors, {}, log);
  assert.ok(r.summary.latency_us.count > 0, log);
  assert.equal(r.summary.result, 'ok', log);
  assert.equal(r.code, 0, log);
}

test('over SSE the bench reports the one dropped and the two swapped events of a faulty server', async () => {
  const fake = startFake(['--drop', '10', '--swap', '20']);
  try {
    const port = await fake.port;
    const r = await runBench(['--port', String(port), '--connections', '3', '--channels', '1',
      '--publishers', '1', '--rate', '50', '--duration', '2', '--warmup', '0', '--drain', '1']);
    assert.ok(r.summary, 'JSON summary written; ' + r.stdout + r.stderr);
    const d = r.summary.deliveries;
    const accepted = r.summary.publish.events_accepted;
    assert.equal(r.summary.connections.subscribed, 3, r.stdout);
    assert.ok(accepted >= 30, 'the faults at events 10 and 20 were reached; ' + r.stdout);
    assert.equal(d.expected, 3 * accepted);
    assert.equal(d.lost, 3, r.stdout);
    assert.equal(d.out_of_order, 3, r.stdout);
    assert.equal(d.duplicates, 0);
    assert.equal(d.unique, 3 * (accepted - 1));
    assert.deepEqual(r.summary.errors, {}, r.stdout);
    assert.equal(r.summary.result, 'loss');
    assert.equal(r.code, 1, 'exit status 1 on loss');
  } finally {
    await fake.stop();
  }
});

test('400 SSE subscribers of one ringcast channel get every event', async () => {
  const server = await startServer({ shards: 2 });
  try {
    const r = await runBench(['--port', String(server.port), '--connections', '400', '--channels', '1',
      '--publishers', '2', '--rate', '200', '--duration', '2', '--warmup', '0.5', '--payload-bytes', '128',
      '--drain', '10']);
    assertNothingLost(r, 400, { oneChannel: true });
    assert.ok(r.summary.publish.events_accepted >= 450, r.stdout);
  } finally {
    await server.stop();
  }
});

test('SSE subscribers of private channels (signed streams) get every client event', async () => {
  // 4 private channels, 200 streams; 20 client-event publishers at 2 events/s each stay under
  // ringcast's default 10 client events per second per connection, even when a loaded machine
  // makes a publisher send its overdue events in a burst.
  const server = await startServer({ shards: 2 });
  try {
    const r = await runBench(['--port', String(server.port), '--connections', '200', '--channels', '4',
      '--mode', 'client-events', '--publishers', '20', '--rate', '40', '--duration', '2',
      '--warmup', '0.5', '--drain', '10']);
    assertNothingLost(r, 200);
  } finally {
    await server.stop();
  }
});

test('a wrong app key fails every SSE subscriber with the server\'s 404', async () => {
  const server = await startServer({ shards: 1 });
  try {
    const r = await runBench(['--port', String(server.port), '--connections', '5', '--app-key', 'no-such-key',
      '--rate', '10', '--duration', '1', '--warmup', '0', '--drain', '1', '--connect-timeout', '10']);
    assert.ok(r.summary, r.stdout + r.stderr);
    assert.equal(r.summary.connections.subscribed, 0, r.stdout);
    assert.equal(r.summary.connections.failed, 5, r.stdout);
    const kinds = Object.keys(r.summary.errors).filter((k) => k.startsWith('sse: '));
    assert.equal(kinds.length, 1, r.stdout);
    assert.match(kinds[0], /^sse: HTTP 404 .*Unknown app key/);
    assert.equal(r.summary.errors[kinds[0]], 5, r.stdout);
    assert.equal(r.summary.result, 'setup-failed');
    assert.equal(r.code, 3);
  } finally {
    await server.stop();
  }
});

test('an endpoint that is not an event stream fails clearly', async () => {
  // A JSON API where the stream should be (a wrong --port): 200, but not text/event-stream.
  const api = http.createServer((req, res) => {
    const body = JSON.stringify({ ok: true });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise((resolve) => api.listen(0, '127.0.0.1', resolve));
  try {
    const r = await runBench(['--port', String(api.address().port), '--connections', '3',
      '--rate', '10', '--duration', '1', '--warmup', '0', '--drain', '1', '--connect-timeout', '10']);
    assert.ok(r.summary, r.stdout + r.stderr);
    assert.equal(r.summary.connections.subscribed, 0, r.stdout);
    assert.equal(r.summary.errors["sse: HTTP 200 but Content-Type 'application/json', not text/event-stream"], 3,
      r.stdout);
    assert.equal(r.code, 3);
  } finally {
    await new Promise((resolve) => api.close(resolve));
  }
});
