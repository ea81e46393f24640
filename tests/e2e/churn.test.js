// Connection churn: thousands of server-initiated closes of several kinds (protocol error 1007,
// over capacity 4100, pong timeout 4201, shutdown 4200) interleaved with new connections, in
// both descriptor modes, with CPU hogs competing for the cores. Every close the server starts
// must reach the client as a close frame with the right code before TCP closes (the `ws` client
// reports 1006 otherwise), and every new connection must get its 101 and its first Pusher
// message (connection_established, or pusher:error 4100 when over capacity). This guards the
// ordered teardown of src/net/io_loop.cc: no shutdown/send/close of an old connection may touch
// a descriptor that was reused by a new one, and the close frame is written before the FIN.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const WebSocket = require('ws');
const { startServer, APP } = require('./lib/harness');

const ITERATIONS = Number(process.env.CHURN_ITERATIONS || 4000);  // per descriptor mode
const CONCURRENCY = 12;
const PONG_WORKERS = 2;  // of CONCURRENCY: these wait ~2 s per connection for close 4201
const SHUTDOWN_CLIENTS = 60;
const INVALID_UTF8 = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);

// Busy-loop children for the duration of the file (the failures need CPU contention).
function startHogs(n) {
  const hogs = [];
  for (let i = 0; i < n; ++i) {
    hogs.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  }
  return () => { for (const h of hogs) h.kill('SIGKILL'); };
}

// One connection. `kind`: 'utf8' (send invalid UTF-8 at once, expect 1007), 'pong' (never answer
// the ping, expect 4201), 'idle' (wait for the shutdown, expect 4200). Resolves to
// { handshake: bool, code, expected, why } once the TCP connection is closed.
function oneConnection(port, kind) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/app/${APP.key}?protocol=7&client=js&version=8.6.0`);
    let first = null;  // the first Pusher message
    let expected = { utf8: 1007, pong: 4201, idle: 4200 }[kind];
    let settled = false;
    const finish = (r) => { if (!settled) { settled = true; clearTimeout(guard); resolve(r); } };
    const guard = setTimeout(() => { ws.terminate(); finish({ handshake: first !== null, code: -1, expected, why: 'hung' }); }, 15000);
    ws.on('unexpected-response', (req, res) => finish({ handshake: false, code: -1, expected, why: `HTTP ${res.statusCode}` }));
    ws.on('error', (err) => { if (!ws.opened) finish({ handshake: false, code: -1, expected, why: String(err.code || err.message) }); });
    ws.on('open', () => { ws.opened = true; });
    ws.on('message', (data) => {
      if (first !== null) return;
      try { first = JSON.parse(String(data)); } catch { first = { event: 'garbage' }; }
      if (first.event === 'pusher:error') {
        const d = typeof first.data === 'string' ? JSON.parse(first.data) : first.data;
        expected = d.code;  // 4100: refused, then closed by the server
      } else if (first.event === 'pusher:connection_established' && kind === 'utf8') {
        ws.send(INVALID_UTF8, { binary: false });
      }
    });
    ws.on('close', (code) => {
      if (first === null) {
        finish({ handshake: false, code, expected, why: ws.opened ? 'closed before the first message' : 'closed before 101' });
      } else {
        finish({ handshake: true, code, expected, why: code === expected ? '' : `close ${code}, expected ${expected}` });
      }
    });
  });
}

async function churnRound(port, iterations, tally) {
  let next = 0;
  const worker = async (w) => {
    for (;;) {
      const i = next++;
      if (i >= iterations) return;
      const kind = w < PONG_WORKERS ? 'pong' : 'utf8';
      const r = await oneConnection(port, kind);
      record(tally, r);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
}

function record(tally, r) {
  tally.total++;
  tally.byCode[r.code] = (tally.byCode[r.code] || 0) + 1;
  if (!r.handshake) {
    tally.failedHandshakes++;
    if (tally.samples.length < 10) tally.samples.push(`handshake: ${r.why}`);
  } else if (r.code !== r.expected) {
    tally.lostCloses++;
    if (tally.samples.length < 10) tally.samples.push(r.why);
  }
}

async function shutdownRound(server, tally) {
  const conns = [];
  const opened = [];
  for (let i = 0; i < SHUTDOWN_CLIENTS; ++i) {
    let onFirst;
    const gotFirst = new Promise((r) => { onFirst = r; });
    const p = new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/app/${APP.key}?protocol=7`);
      let first = null;
      let expected = 4200;
      ws.on('error', () => {});
      ws.on('message', (data) => {
        if (first !== null) return;
        first = JSON.parse(String(data));
        if (first.event === 'pusher:error') expected = JSON.parse(first.data).code;
        onFirst();
      });
      ws.on('close', (code) => {
        onFirst();
        resolve({ handshake: first !== null, code, expected, why: first === null ? 'shutdown: no first message' : `shutdown: close ${code}, expected ${expected}` });
      });
    });
    conns.push(p);
    opened.push(gotFirst);
  }
  await Promise.all(opened);
  const { code } = await server.stop('SIGTERM');
  assert.equal(code, 0, 'the server exits 0 after SIGTERM');
  for (const r of await Promise.all(conns)) record(tally, r);
}

for (const mode of ['regular', 'direct']) {
  test(`churn (${mode} descriptors): no lost close frame, no failed handshake, under CPU contention`, { timeout: 120000 }, async () => {
    const stopHogs = startHogs(2);
    const tally = { total: 0, failedHandshakes: 0, lostCloses: 0, byCode: {}, samples: [] };
    const started = Date.now();
    try {
      const rounds = 4;
      for (let round = 0; round < rounds; ++round) {
        const server = await startServer({
          shards: 2,
          args: ['--descriptors', mode],
          // 5 per shard: with 12 clients at a time some are over capacity (4100).
          config: { limits: { max_connections_per_shard: 5, activity_timeout_s: 1, pong_timeout_s: 1, shutdown_grace_ms: 300 } },
        });
        try {
          await churnRound(server.port, Math.ceil(ITERATIONS / rounds), tally);
        } finally {
          await shutdownRound(server, tally);
        }
      }
    } finally {
      stopHogs();
    }
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`churn ${mode}: ${tally.total} connections in ${secs} s, closes by code ${JSON.stringify(tally.byCode)}, ` +
      `failed handshakes ${tally.failedHandshakes}, lost close frames ${tally.lostCloses}`);
    assert.ok((tally.byCode[1007] || 0) >= 100, 'enough protocol-error closes');
    assert.ok((tally.byCode[4100] || 0) >= 100, 'enough over-capacity closes');
    assert.ok((tally.byCode[4201] || 0) >= 5, 'some pong-timeout closes');
    assert.ok((tally.byCode[4200] || 0) >= 20, 'some shutdown closes');
    assert.deepEqual({ failedHandshakes: tally.failedHandshakes, lostCloses: tally.lostCloses, samples: tally.samples },
      { failedHandshakes: 0, lostCloses: 0, samples: [] });
  });
}
