// ringcast-bench --descriptors direct (issue 16): one bench process opens more connections than
// its open-file limit allows, because its subscribers' sockets are io_uring direct descriptors
// (IORING_OP_SOCKET into each thread's registered table) that never enter the process's file
// table. The bench runs under `ulimit -n 20000` (lowering a soft limit is always allowed) and
// opens 25,000 connections against ringcast --descriptors direct with 2 shards; every one must
// subscribe, and the bench process must hold only a handful of file descriptors meanwhile. The
// same run with regular descriptors must fail for lack of descriptors (so the limit is real).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer } = require('./lib/harness');

const BENCH = process.env.RINGCAST_BENCH_BIN || path.resolve(__dirname, '../../build/tools/ringcast-bench');
const LIMIT = 20000;
const CONNECTIONS = 25000;

// Runs the bench under `ulimit -n LIMIT`; samples its open descriptors while it runs. Resolves
// to { code, stdout, summary, maxFds }.
function runBench(args, timeoutMs = 50000) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringcast-bench-direct-'));
  const json = path.join(dir, 'summary.json');
  const quoted = [BENCH, ...args, '--json', json, '--quiet'].map((a) => `'${a}'`).join(' ');
  const proc = spawn('sh', ['-c', `ulimit -n ${LIMIT} && exec ${quoted}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  proc.stdout.on('data', (d) => { stdout += d; });
  proc.stderr.on('data', (d) => { stdout += d; });
  let maxFds = 0;
  const sampler = setInterval(() => {
    try { maxFds = Math.max(maxFds, fs.readdirSync(`/proc/${proc.pid}/fd`).length); } catch { /* gone */ }
  }, 100);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error('bench timed out: ' + stdout)); }, timeoutMs);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      clearInterval(sampler);
      let summary = null;
      try { summary = JSON.parse(fs.readFileSync(json, 'utf8')); } catch { /* asserted by the caller */ }
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ code, stdout, summary, maxFds });
    });
  });
}

const common = (port) => ['--port', String(port), '--connections', String(CONNECTIONS), '--channels', '100',
  '--connect-only', '--duration', '1', '--threads', '2', '--source-ips', '4',
  '--connect-rate', 'max', '--connect-timeout', '30'];

test('one bench process opens 25,000 connections, over its open-file limit, with direct descriptors', async () => {
  const server = await startServer({ shards: 2, args: ['--descriptors', 'direct'] });
  try {
    const started = Date.now();
    const r = await runBench([...common(server.port), '--descriptors', 'direct']);
    assert.ok(r.summary, 'JSON summary written; output: ' + r.stdout);
    assert.equal(r.summary.config.descriptors, 'direct');
    assert.equal(r.summary.connections.subscribed, CONNECTIONS, r.stdout);
    assert.equal(r.summary.connections.failed, 0, r.stdout);
    assert.equal(r.code, 0, r.stdout);
    assert.ok(r.maxFds > 0 && r.maxFds < 100,
      `the bench held ${r.maxFds} descriptors: its sockets must not be in its file table`);
    assert.ok(Date.now() - started < 40000, 'finished quickly');
  } finally {
    await server.stop();
  }
});

test('the same run with regular descriptors runs out of them', async () => {
  const server = await startServer({ shards: 2, args: ['--descriptors', 'direct'] });
  try {
    const r = await runBench([...common(server.port), '--descriptors', 'regular']);
    assert.ok(r.summary, 'JSON summary written; output: ' + r.stdout);
    assert.ok(r.summary.connections.failed >= CONNECTIONS - LIMIT, r.stdout);
    assert.match(r.stdout, /EMFILE/);
    assert.notEqual(r.code, 0);
  } finally {
    await server.stop();
  }
});
