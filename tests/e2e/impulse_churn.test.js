// Impulse stream churn (GET /impulse?channel=, a session type of its own): thousands of stream
// opens and server-initiated closes of several kinds, on two shards, interleaved: a refusal over
// the shard's capacity (503 + JSON body, then FIN), a bad request (400: no channel), a
// slow-consumer cut (one push bigger than max_outbound_bytes: the queued output is discarded
// and the connection closed), streams the client ends itself, and each round ends with SIGTERM
// while streams are open (each ends after what was queued, at a record boundary). Every open
// must be answered (200 and the connect comment, or a complete JSON refusal), and every close
// must be a FIN (never a reset, never a hang) with whole records only.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { startServer } = require('./lib/harness');

const ITERATIONS = Number(process.env.IMPULSE_CHURN_ITERATIONS || 4000);
const ROUNDS = 3;
const CONCURRENCY = 12;
const SHUTDOWN_STREAMS = 40;
const CALM_STREAMS = 30;
const MAX_OUTBOUND = 32 * 1024;
const SECRET = 'churn-secret';
const BIG = 'x'.repeat(40000);  // one record past MAX_OUTBOUND

// Resolves to the push's status (0: no answer). Under churn a push may be refused (503 while the
// control plane is backed up) or lose its connection; the test does not depend on the first one.
function push(port, channel, payload) {
  return fetch(`http://127.0.0.1:${port}/impulse`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${SECRET}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ channel, payload }),
  }).then(async (r) => { await r.text(); return r.status; }).catch(() => 0);
}

// Pushes until one is accepted or `done()` says the stream is gone.
async function pushUntil(port, channel, payload, done) {
  while (!done()) {
    if (await push(port, channel, payload) === 200) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

// One raw HTTP connection to /impulse. `holdMs`: once open, the client ends it after this long
// (null: waits for the server to close it). Resolves once TCP is closed to
// { status, opened, bytes, reset, hung, body, tail }.
function oneStream(port, query, { holdMs = null, onOpen = null } = {}) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = '';
    let status = null;
    let opened = false;
    let reset = false;
    let settled = false;
    const finish = (extra) => {
      if (settled) return;
      settled = true;
      clearTimeout(guard);
      const head = buf.indexOf('\r\n\r\n');
      const body = head < 0 ? '' : buf.slice(head + 4);
      resolve({ status, opened, bytes: buf.length, reset, hung: false, body, tail: body.slice(-2), ...extra });
    };
    const guard = setTimeout(() => { sock.destroy(); finish({ hung: true }); }, 10000);
    sock.setEncoding('utf8');
    sock.on('connect', () => {
      sock.write(`GET /impulse?${query} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n`);
    });
    sock.on('data', (d) => {
      buf += d;
      if (status === null) {
        const m = /^HTTP\/1\.1 (\d{3})/.exec(buf);
        if (m) status = Number(m[1]);
      }
      if (!opened && status === 200 && /\r\n\r\n: Connected to channel: [^\n]*\n\n/.test(buf)) {
        opened = true;
        if (onOpen) onOpen();
        if (holdMs !== null) setTimeout(() => { sock.end(); }, holdMs);
      }
    });
    sock.on('error', (e) => { if (e.code === 'ECONNRESET' || e.code === 'EPIPE') reset = true; });
    sock.on('close', () => finish({}));
  });
}

function record(tally, kind, r, why) {
  tally.total++;
  const key = `${kind}:${r.status}`;
  tally.by[key] = (tally.by[key] || 0) + 1;
  if (why && tally.samples.length < 10) tally.samples.push(`${kind}: ${why}`);
  if (why) tally.bad++;
}

function refusalWhy(r, want) {
  if (r.hung) return 'hung';
  if (r.reset) return `reset (status ${r.status}, ${r.bytes} bytes)`;
  if (r.status !== want) return `status ${r.status}, expected ${want}`;
  let body;
  try { body = JSON.parse(r.body); } catch { return `incomplete JSON body ${JSON.stringify(r.body.slice(0, 80))}`; }
  if (typeof body.error !== 'string') return 'no error in the body';
  return '';
}

// A slow-consumer cut: one push bigger than max_outbound_bytes on the stream's own channel.
// Resolves to the stream and what was wrong with it.
async function cutStream(port, channel) {
  let closed = false;
  const r = await oneStream(port, `channel=${channel}`, {
    onOpen: () => { pushUntil(port, channel, BIG, () => closed); },
  });
  closed = true;
  const got = (r.body.match(/\ndata: /g) || []).length;
  const why = r.status === 503 ? refusalWhy(r, 503)
    : r.hung ? 'hung' : r.reset ? 'reset' : !r.opened ? 'no connect comment' : got > 0 ? 'not cut' : '';
  return { r, why };
}

async function churnRound(port, iterations, tally) {
  let next = 0;
  const worker = async (w) => {
    for (;;) {
      const i = next++;
      if (i >= iterations) return;
      const k = i % 4;
      if (k === 0) {
        const { r, why } = await cutStream(port, `cut:${w}:${i}`);
        record(tally, 'cut', r, why);
      } else if (k === 1) {
        const r = await oneStream(port, 'token=t');  // no channel
        record(tally, 'bad', r, refusalWhy(r, r.status === 503 ? 503 : 400));
      } else {
        const r = await oneStream(port, `channel=c:${w}&token=t${i}`, { holdMs: 5 + (i % 20) });
        let why = '';
        if (r.status === 200) {
          why = r.hung ? 'hung' : r.reset ? 'reset' : !r.opened ? 'no connect comment' : '';
        } else {
          why = refusalWhy(r, 503);
        }
        record(tally, r.status === 200 ? 'stream' : 'full', r, why);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
}

// After the churn, the capacity it used must all be free again: CALM_STREAMS streams opened one
// at a time each get a 200 (a 503 is retried for a while: a slot is freed once the server has
// seen its client's FIN). This also makes the count of served streams independent of the random
// mix of kinds under load.
async function calmRound(port, tally) {
  for (let i = 0; i < CALM_STREAMS; ++i) {
    let r;
    for (let attempt = 0; attempt < 50; ++attempt) {
      r = await oneStream(port, `channel=calm&token=c${i}`, { holdMs: 1 });
      if (r.status !== 503) break;
      await new Promise((res) => setTimeout(res, 20));
    }
    const why = r.status !== 200 ? `calm stream: status ${r.status}`
      : r.hung ? 'hung' : r.reset ? 'reset' : !r.opened ? 'no connect comment' : '';
    record(tally, 'calm', r, why);
    // A bad request (no channel) made alone is refused for itself: 400.
    let b;
    for (let attempt = 0; attempt < 50; ++attempt) {
      b = await oneStream(port, 'token=t');
      if (b.status !== 503) break;
      await new Promise((res) => setTimeout(res, 20));
    }
    record(tally, 'calmbad', b, refusalWhy(b, 400));
    let cut;
    for (let attempt = 0; attempt < 50; ++attempt) {
      cut = await cutStream(port, `calmcut:${i}:${attempt}`);
      if (cut.r.status !== 503) break;
      await new Promise((res) => setTimeout(res, 20));
    }
    record(tally, 'calmcut', cut.r, cut.r.status !== 200 ? `calm cut: status ${cut.r.status}` : cut.why);
  }
}

async function shutdownRound(server, tally) {
  const opened = [];
  const streams = [];
  for (let i = 0; i < SHUTDOWN_STREAMS; ++i) {
    let onOpen;
    opened.push(new Promise((r) => { onOpen = r; }));
    streams.push(oneStream(server.port, 'channel=shared', { onOpen }).then((r) => { onOpen(); return r; }));
  }
  await Promise.all(opened);
  await push(server.port, 'shared', 'last words');
  const { code } = await server.stop('SIGTERM');
  assert.equal(code, 0, 'the server exits 0 after SIGTERM');
  for (const r of await Promise.all(streams)) {
    let why = '';
    if (r.status === 503) {
      why = refusalWhy(r, 503);
    } else if (r.hung || r.reset || !r.opened) {
      why = r.hung ? 'hung' : r.reset ? 'reset' : 'no connect comment';
    } else if (r.tail !== '\n\n') {
      why = `ended mid-record: ${JSON.stringify(r.body.slice(-40))}`;
    }
    record(tally, r.status === 200 ? 'shutdown' : 'full', r, why);
  }
}

test('Impulse churn: every open answered, every server-initiated close a clean FIN', { timeout: 60000 }, async () => {
  const tally = { total: 0, bad: 0, by: {}, samples: [] };
  const started = Date.now();
  for (let round = 0; round < ROUNDS; ++round) {
    const server = await startServer({
      shards: 2,
      config: {
        impulse: { secret: SECRET },
        limits: { max_connections_per_shard: 5, max_outbound_bytes: MAX_OUTBOUND, shutdown_grace_ms: 500 },
      },
    });
    try {
      await churnRound(server.port, Math.ceil(ITERATIONS / ROUNDS), tally);
      await calmRound(server.port, tally);
    } finally {
      await shutdownRound(server, tally);
    }
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`impulse churn: ${tally.total} streams in ${secs} s, by kind:status ${JSON.stringify(tally.by)}`);
  assert.ok((tally.by['cut:200'] || 0) + (tally.by['cut:503'] || 0) >= ITERATIONS / 5, 'enough cut attempts');
  assert.equal(tally.by['calmcut:200'] || 0, ROUNDS * CALM_STREAMS, 'every calm slow consumer cut');
  assert.ok((tally.by['bad:400'] || 0) + (tally.by['bad:503'] || 0) >= ITERATIONS / 5, 'enough bad requests');
  assert.equal(tally.by['calmbad:400'] || 0, ROUNDS * CALM_STREAMS, 'every calm bad request refused 400');
  assert.ok((tally.by['full:503'] || 0) >= 50, 'enough over-capacity refusals');
  assert.ok((tally.by['stream:200'] || 0) + (tally.by['full:503'] || 0) >= ITERATIONS / 3, 'enough stream opens');
  assert.equal(tally.by['calm:200'] || 0, ROUNDS * CALM_STREAMS, 'every calm stream served');
  assert.ok((tally.by['shutdown:200'] || 0) >= 10, 'enough streams ended by SIGTERM');
  assert.deepEqual({ bad: tally.bad, samples: tally.samples }, { bad: 0, samples: [] });
});
