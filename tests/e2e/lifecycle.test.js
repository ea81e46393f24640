// Process life: SIGTERM, activity timeouts, and the syscall shape of a fan-out run.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { startServer, pusherServer, pusherClient, rawSocket, connected, subscribe } = require('./lib/harness');

test('SIGTERM: clients get close 4200, spread over the grace window, and the process exits 0', async () => {
  const server = await startServer({ shards: 2, config: { limits: { shutdown_grace_ms: 500 } } });
  const sockets = [];
  for (let i = 0; i < 10; ++i) {
    const ws = rawSocket(server.port);
    await connected(ws);
    sockets.push(ws);
  }
  const client = pusherClient(server.port);
  await new Promise((resolve) => client.connection.bind('connected', resolve));
  const closes = sockets.map((ws) => ws.closeInfo.then((info) => ({ ...info, at: Date.now() })));
  const start = Date.now();
  server.proc.kill('SIGTERM');
  const { code } = await server.exited;
  assert.equal(code, 0);
  assert.ok(Date.now() - start < 5000, 'exited within a few seconds');
  const infos = await Promise.all(closes);
  for (const info of infos) assert.equal(info.code, 4200);
  const times = infos.map((i) => i.at).sort((a, b) => a - b);
  assert.ok(times[times.length - 1] - times[0] >= 200, 'closes were spread out, not all at once');
  client.disconnect();
});

test('SIGINT also stops the server cleanly', async () => {
  const server = await startServer({ shards: 1 });
  const { code } = await server.stop('SIGINT');
  assert.equal(code, 0);
});

test('the server pings an idle client and closes 4201 when no pong comes; pong keeps it open', async () => {
  const server = await startServer({ shards: 1, config: { limits: { activity_timeout_s: 1, pong_timeout_s: 1 } } });
  try {
    const silent = rawSocket(server.port);
    const est = await connected(silent);
    assert.equal(est.parsed.activity_timeout, 1);
    const answering = rawSocket(server.port);
    await connected(answering);
    answering.on('message', (d) => {
      if (JSON.parse(String(d)).event === 'pusher:ping') answering.send(JSON.stringify({ event: 'pusher:pong', data: {} }));
    });
    await silent.next((m) => m.event === 'pusher:ping', 3000);
    const start = Date.now();
    const { code } = await silent.closeInfo;
    assert.equal(code, 4201);
    assert.ok(Date.now() - start < 2500);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(answering.readyState, 1, 'the client that answered is still open');
    answering.close();
  } finally {
    await server.stop();
  }
});

test('a connection that never sends a request is closed after the handshake timeout', async () => {
  const server = await startServer({ shards: 1, config: { limits: { handshake_timeout_ms: 300 } } });
  try {
    const net = require('node:net');
    const sock = net.connect(server.port, '127.0.0.1');
    const closed = await new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), 3000);
      sock.on('close', () => { clearTimeout(t); resolve(true); });
      sock.on('error', () => {});
    });
    assert.ok(closed);
  } finally {
    await server.stop();
  }
});

function haveStrace() {
  try { execFileSync('strace', ['-V'], { stdio: 'ignore' }); return true; } catch { return false; }
}

test('fan-out I/O goes through io_uring_enter: no write/send syscall per delivery', { skip: !haveStrace() && 'strace not installed' }, async () => {
  const out = path.join(fs.mkdtempSync('/tmp/rc-strace-'), 'summary.txt');
  const server = await startServer({ shards: 1, wrap: ['strace', '-f', '-c', '-o', out] });
  const subscribers = [];
  for (let i = 0; i < 20; ++i) {
    const ws = rawSocket(server.port);
    await connected(ws);
    await subscribe(ws, 'traced');
    subscribers.push(ws);
  }
  const api = pusherServer(server.port);
  const N = 200;
  for (let i = 0; i < N; i += 10) {
    const batch = [];
    for (let j = i; j < i + 10; ++j) batch.push({ channel: 'traced', name: 'seq', data: String(j) });
    await api.triggerBatch(batch);
  }
  for (const ws of subscribers) await ws.next((m) => m.data === String(N - 1), 10000);
  for (const ws of subscribers) ws.close();
  const { code } = await server.stop();
  assert.equal(code, 0);
  const summary = fs.readFileSync(out, 'utf8');
  const calls = (name) => {
    const m = new RegExp(`^\\s*[\\d.]+\\s+[\\d.]+\\s+\\d+\\s+(\\d+)\\s+(?:\\d+\\s+)?${name}\\s*$`, 'm').exec(summary);
    return m ? Number(m[1]) : 0;
  };
  const deliveries = N * subscribers.length;
  const perDelivery = ['write', 'writev', 'sendmsg', 'sendto', 'send', 'sendmmsg'].reduce((n, s) => n + calls(s), 0);
  assert.ok(calls('io_uring_enter') > 0, summary);
  assert.ok(perDelivery < deliveries / 20, `write/send syscalls: ${perDelivery} for ${deliveries} deliveries\n${summary}`);
});
