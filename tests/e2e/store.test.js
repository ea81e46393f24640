// The store's start-up rules (docs/store.md, "Recovery"), through the real binary: a data
// directory gets its store, a torn tail is cut and logged, corruption in the middle of the log
// refuses start unless --store-recover skip, which logs what it skipped.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { BIN, startServer } = require('./lib/harness');
const { crc32c, frame, put, SEGMENT_1 } = require('./lib/store_log');

function dataDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringcast-store-'));
  fs.mkdirSync(path.join(dir, 'store'));
  return dir;
}

// Runs the binary until it exits (expecting a refusal); resolves to { code, stderr }.
function runToExit(args) {
  return new Promise((resolve) => {
    const proc = spawn(BIN, ['--port', '0', '--host', '127.0.0.1', '--shards', '1', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    proc.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
    proc.on('exit', (code) => { clearTimeout(timer); resolve({ code, stderr: err }); });
  });
}

test('crc32c of the e2e writer matches the standard check value', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
});

test('a fresh data directory gets a store with its first segment', async () => {
  const dir = dataDir();
  const server = await startServer({ shards: 1, args: ['--data-dir', dir] });
  await server.stop();
  assert.ok(fs.existsSync(path.join(dir, 'store', SEGMENT_1)));
  assert.match(server.stderr(), /store: .*0 keys/);
});

test('a torn tail is cut and logged, and the server starts', async () => {
  const dir = dataDir();
  const seg = frame([put('a', '1'), put('b', 'x'.repeat(500))]);
  const file = path.join(dir, 'store', SEGMENT_1);
  fs.writeFileSync(file, seg.subarray(0, seg.length - 100));
  const server = await startServer({ shards: 1, args: ['--data-dir', dir] });
  await server.stop();
  assert.match(server.stderr(), /cut a torn tail of .*wal-0000000000000001\.log/);
  assert.match(server.stderr(), /1 keys/);
  // Cut back to the end of the first record (7-byte header + 11-byte payload).
  assert.equal(fs.statSync(file).size, 18);
});

test('corruption in the middle refuses start; --store-recover skip starts and logs it', async () => {
  const dir = dataDir();
  // A record spanning into block 2 and one after it there; damage the first record.
  const seg = frame([put('a', '1'), put('big', 'y'.repeat(40000)), put('c', '3')]);
  seg[10] ^= 0x40;
  fs.writeFileSync(path.join(dir, 'store', SEGMENT_1), seg);
  const refused = await runToExit(['--data-dir', dir]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /corruption in the middle of .*wal-0000000000000001\.log at offset 0/);
  assert.match(refused.stderr, /--store-recover skip/);

  const server = await startServer({ shards: 1, args: ['--data-dir', dir, '--store-recover', 'skip'] });
  await server.stop();
  assert.match(server.stderr(), /skipped \d+ bytes at offset 0 of .*checksum mismatch/);
  assert.match(server.stderr(), /1 keys/);
});

test('a bad --store-sync is refused with a clear error', async () => {
  const r = await runToExit(['--store-sync', 'sometimes']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /unknown store sync policy 'sometimes'/);
});

function haveStrace() {
  try { require('node:child_process').execFileSync('strace', ['-V'], { stdio: 'ignore' }); return true; } catch { return false; }
}

// POST /api/message with the dev app's secret; resolves to the status.
function postMessage(port, agent, title) {
  const http = require('node:http');
  const body = JSON.stringify({ title });
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, method: 'POST', path: '/api/message', agent,
      headers: { 'content-type': 'application/json', 'x-datonow-app-id': 'app-id', 'x-datonow-token': 'app-secret' },
    }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', reject);
    req.end(body);
  });
}

test('the group commit writes and syncs through the control plane\'s io_uring: no write(2) or fdatasync(2) per commit', { skip: !haveStrace() && 'strace not installed' }, async () => {
  const http = require('node:http');
  const out = path.join(fs.mkdtempSync('/tmp/rc-strace-'), 'summary.txt');
  const server = await startServer({
    shards: 1, args: ['--datonow-api-requests-per-minute', '0'], wrap: ['strace', '-f', '-c', '-o', out],
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  let acked = 0;
  let metrics = '';
  try {
    for (let round = 0; round < 10; ++round) {
      const statuses = await Promise.all(Array.from({ length: 32 }, (_, i) => postMessage(server.port, agent, `m${round}-${i}`)));
      for (const s of statuses) assert.equal(s, 200);
      acked += statuses.length;
    }
    metrics = await new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: server.port, path: '/metrics' }, (res) => {
        let t = '';
        res.on('data', (d) => { t += d; });
        res.on('end', () => resolve(t));
      }).on('error', reject);
    });
  } finally {
    agent.destroy();
    await server.stop();
  }
  const value = (name) => Number((new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics) || [])[1]);
  const syncs = value('ringcast_wal_fsync_seconds_count');
  assert.ok(syncs >= 1 && syncs <= acked, `syncs ${syncs} for ${acked} acknowledged`);
  const summary = fs.readFileSync(out, 'utf8');
  const calls = (name) => {
    const m = new RegExp(`^\\s*[\\d.]+\\s+[\\d.]+\\s+\\d+\\s+(\\d+)\\s+(?:\\d+\\s+)?${name}\\s*$`, 'm').exec(summary);
    return m ? Number(m[1]) : 0;
  };
  // Every sync the metrics counted went through the ring (the snapshot path, not taken here,
  // is the only fdatasync(2) the store makes itself).
  assert.equal(calls('fdatasync'), 0, summary);
  assert.equal(calls('pwrite64'), 0, summary);
  assert.ok(calls('io_uring_enter') > 0, summary);
});
