// ringcast-bench (tools/ringcast-bench) end to end: against a fake Pusher server that drops one
// event and swaps two, the bench must report exactly that (1 lost, 1 out of order) and exit
// non-zero; against the real server, a short fan-out must lose nothing. The bench binary is
// build/tools/ringcast-bench unless RINGCAST_BENCH_BIN names another.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
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

// Runs the bench; resolves to { code, stdout, stderr, summary } (summary: the parsed --json).
function runBench(args, timeoutMs = 60000) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringcast-bench-'));
  const json = path.join(dir, 'summary.json');
  const proc = spawn(BENCH, [...args, '--json', json, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
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

test('the bench reports the one dropped and the two swapped messages of a faulty server', async () => {
  const fake = startFake(['--drop', '10', '--swap', '20']);
  try {
    const port = await fake.port;
    const r = await runBench(['--port', String(port), '--connections', '1', '--channels', '1',
      '--publishers', '1', '--rate', '50', '--duration', '2', '--warmup', '0', '--drain', '1']);
    assert.ok(r.summary, 'JSON summary written; stdout: ' + r.stdout + r.stderr);
    const d = r.summary.deliveries;
    const accepted = r.summary.publish.events_accepted;
    assert.ok(accepted >= 30, 'the faults at events 10 and 20 were reached; ' + r.stdout);
    assert.equal(d.expected, accepted);
    assert.equal(d.lost, 1, r.stdout);
    assert.equal(d.out_of_order, 1, r.stdout);
    assert.equal(d.duplicates, 0);
    assert.equal(d.unique, accepted - 1);
    assert.equal(r.summary.result, 'loss');
    assert.equal(r.code, 1, 'exit status 1 on loss without --allow-loss');
    assert.match(r.stdout, /lost 1, out of order 1/);
  } finally {
    await fake.stop();
  }
});

test('client events mode: the same faults are found, and --allow-loss exits 0', async () => {
  const fake = startFake(['--drop', '5', '--swap', '12']);
  try {
    const port = await fake.port;
    const r = await runBench(['--port', String(port), '--mode', 'client-events', '--connections', '2',
      '--channels', '1', '--publishers', '1', '--rate', '40', '--duration', '1', '--warmup', '0',
      '--drain', '1', '--allow-loss']);
    assert.ok(r.summary, r.stdout + r.stderr);
    const d = r.summary.deliveries;
    const accepted = r.summary.publish.events_accepted;
    assert.ok(accepted >= 20, 'the faults at events 5 and 12 were reached; ' + r.stdout);
    assert.equal(d.expected, 2 * accepted);
    assert.equal(d.lost, 2, 'one event lost by each of the two subscribers; ' + r.stdout);
    assert.equal(d.out_of_order, 2, r.stdout);
    assert.equal(r.code, 0);
  } finally {
    await fake.stop();
  }
});

test('a 3-second fan-out against ringcast loses nothing', async () => {
  const server = await startServer({ shards: 2 });
  try {
    const r = await runBench(['--port', String(server.port), '--connections', '200', '--channels', '4',
      '--publishers', '2', '--rate', '200', '--duration', '3', '--warmup', '0.5', '--batch', '2']);
    assert.ok(r.summary, r.stdout + r.stderr);
    const d = r.summary.deliveries;
    assert.equal(r.summary.connections.subscribed, 200, r.stdout);
    assert.ok(r.summary.publish.events_accepted >= 690, r.stdout);
    assert.ok(d.expected > 0);
    assert.equal(d.unique, d.expected, r.stdout);
    assert.equal(d.lost, 0, r.stdout);
    assert.equal(d.out_of_order, 0);
    assert.equal(d.duplicates, 0);
    assert.deepEqual(r.summary.errors, {}, r.stdout);
    assert.ok(r.summary.latency_us.count > 0);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  } finally {
    await server.stop();
  }
});
