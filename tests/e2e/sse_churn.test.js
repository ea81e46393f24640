// SSE churn: thousands of stream opens and server-initiated closes of several kinds, on two
// shards, interleaved: a refusal over the shard's capacity (503 + JSON body, then FIN), a bad
// request (400 + JSON body, then FIN), a slow-consumer cut (one event bigger than
// max_outbound_bytes: the queued output is discarded and the connection closed), streams the
// client ends itself, and each round ends with SIGTERM while streams are open (each ends after
// what was queued, at an event boundary). Every open must be answered (200 and the
// `ringcast:open` event, or a complete JSON refusal), and every close must be a FIN (never a
// reset, never a hang) with whole events only.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { startServer, pusherServer, APP } = require('./lib/harness');

const ITERATIONS = Number(process.env.SSE_CHURN_ITERATIONS || 6000);
const ROUNDS = 3;
const CONCURRENCY = 12;
const CALM = 20;
const SHUTDOWN_STREAMS = 40;
const MAX_OUTBOUND = 32 * 1024;
// One event bigger than MAX_OUTBOUND: its frame alone is past the cap, so the cut does not depend
// on how many events one shard turn happens to carry (a batch of smaller events could be written
// out over several turns, each under the cap, and never cut).
const BIG = 'x'.repeat(40000);
const MAX_EVENT = 48 * 1024;

// One raw HTTP connection to /sse/. `lastId`: a Last-Event-ID header. `holdMs`: once the stream
// is open, the client ends it after this long (null: waits for the server to close it).
// `onOpen` is called once the stream is open. Resolves once TCP is closed to
// { status, opened, bytes, reset, hung, body, tail }.
function oneStream(port, query, { lastId = null, holdMs = null, onOpen = null } = {}) {
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
      const hdr = lastId === null ? '' : `Last-Event-ID: ${lastId}\r\n`;
      sock.write(`GET /sse/${APP.key}?${query} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n${hdr}\r\n`);
    });
    sock.on('data', (d) => {
      buf += d;
      if (status === null) {
        const m = /^HTTP\/1\.1 (\d{3})/.exec(buf);
        if (m) status = Number(m[1]);
      }
      if (!opened && status === 200 && /event: ringcast:open\ndata: \{\}\nid: [^\n]*\n\n/.test(buf)) {
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

// Whether a refusal is complete: status line, JSON body of Content-Length bytes.
function refusalWhy(r, want) {
  if (r.hung) return 'hung';
  if (r.reset) return `reset (status ${r.status}, ${r.bytes} bytes)`;
  if (r.status !== want) return `status ${r.status}, expected ${want}`;
  let body;
  try { body = JSON.parse(r.body); } catch { return `incomplete JSON body ${JSON.stringify(r.body.slice(0, 80))}`; }
  if (typeof body.error !== 'string') return 'no error in the body';
  return '';
}

// A slow-consumer cut: one event on the stream's own channel, more than max_outbound_bytes by
// itself. The trigger is retried until it is accepted (an error here would otherwise leave the
// stream open until the guard calls it hung). Resolves to the stream and what was wrong with it.
async function cutStream(port, pusher, channel) {
  let triggerError = null;
  const trigger = async () => {
    for (let attempt = 0; attempt < 5; ++attempt) {
      try { await pusher.trigger(channel, 'ev', BIG); return; } catch (e) { triggerError = e; }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const r = await oneStream(port, `channels=${channel}`, { onOpen: () => { trigger(); } });
  const got = (r.body.match(/\nevent: ev\n/g) || []).length;
  const why = r.status === 503 ? refusalWhy(r, 503)
    : r.hung ? `hung${triggerError ? ` (trigger: ${triggerError.message})` : ''}`
    : r.reset ? 'reset' : !r.opened ? 'no ringcast:open' : got >= 1 ? 'not cut' : '';
  return { r, why };
}

async function churnRound(port, pusher, iterations, tally) {
  let next = 0;
  const worker = async (w) => {
    for (;;) {
      const i = next++;
      if (i >= iterations) return;
      const k = i % 4;
      if (k === 0) {
        const { r, why } = await cutStream(port, pusher, `cut-${w}-${i}`);
        record(tally, 'cut', r, why);
      } else if (k === 1) {
        const r = await oneStream(port, 'channels=%23internal');
        record(tally, 'bad', r, refusalWhy(r, r.status === 503 ? 503 : 400));  // capacity is checked first
      } else {
        // A stream held briefly by the client (these fill the shards: the rest get 503).
        const r = await oneStream(port, `channels=c${w},shared`, { holdMs: 5 + (i % 20) });
        let why = '';
        if (r.status === 200) {
          why = r.hung ? 'hung' : r.reset ? 'reset' : !r.opened ? 'no ringcast:open' : '';
        } else {
          why = refusalWhy(r, 503);
        }
        record(tally, r.status === 200 ? 'stream' : 'full', r, why);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
}

// After the churn, the capacity it used must all be free again, and the refusals must be the
// request's own: CALM requests made one at a time (a 503 retried for a while: a slot is freed
// once the server has seen its client's FIN), each a stream that must get 200 and a bad request
// that must get 400. This also makes those counts independent of the random mix under load.
async function calmRound(port, pusher, tally) {
  const retry = async (make) => {
    let r;
    for (let attempt = 0; attempt < 50; ++attempt) {
      r = await make();
      if (r.status !== 503) break;
      await new Promise((res) => setTimeout(res, 20));
    }
    return r;
  };
  for (let i = 0; i < CALM; ++i) {
    const s = await retry(() => oneStream(port, `channels=calm${i}`, { holdMs: 1 }));
    record(tally, 'calm', s, s.status !== 200 ? `calm stream: status ${s.status}`
      : s.hung ? 'hung' : s.reset ? 'reset' : !s.opened ? 'no ringcast:open' : '');
    const b = await retry(() => oneStream(port, 'channels=%23internal'));
    record(tally, 'calmbad', b, refusalWhy(b, 400));
    let cut;
    for (let attempt = 0; attempt < 50; ++attempt) {
      cut = await cutStream(port, pusher, `calmcut-${i}-${attempt}`);
      if (cut.r.status !== 503) break;
      await new Promise((res) => setTimeout(res, 20));
    }
    record(tally, 'calmcut', cut.r, cut.r.status !== 200 ? `calm cut: status ${cut.r.status}` : cut.why);
  }
}

// Streams open at SIGTERM end after what is queued: a FIN at an event boundary, exit 0.
async function shutdownRound(server, pusher, tally) {
  const opened = [];
  const streams = [];
  for (let i = 0; i < SHUTDOWN_STREAMS; ++i) {
    let onOpen;
    opened.push(new Promise((r) => { onOpen = r; }));
    streams.push(oneStream(server.port, 'channels=shared', { onOpen }).then((r) => { onOpen(); return r; }));
  }
  await Promise.all(opened);
  await pusher.trigger('shared', 'ev', 'last words');
  const { code } = await server.stop('SIGTERM');
  assert.equal(code, 0, 'the server exits 0 after SIGTERM');
  for (const r of await Promise.all(streams)) {
    let why = '';
    if (r.status === 503) {
      why = refusalWhy(r, 503);  // over capacity at open: a complete refusal is fine
    } else if (r.hung || r.reset || !r.opened) {
      why = r.hung ? 'hung' : r.reset ? 'reset' : 'no ringcast:open';
    } else if (r.tail !== '\n\n') {
      why = `ended mid-event: ${JSON.stringify(r.body.slice(-40))}`;
    }
    record(tally, r.status === 200 ? 'shutdown' : 'full', r, why);
  }
}

test('SSE churn: every open answered, every server-initiated close a clean FIN', { timeout: 60000 }, async () => {
  const tally = { total: 0, bad: 0, by: {}, samples: [] };
  const started = Date.now();
  for (let round = 0; round < ROUNDS; ++round) {
    const server = await startServer({
      shards: 2,
      config: {
        limits: {
          max_connections_per_shard: 5,
          max_outbound_bytes: MAX_OUTBOUND,
          max_event_data_bytes: MAX_EVENT,
          shutdown_grace_ms: 500,
        },
      },
    });
    const pusher = pusherServer(server.port);
    try {
      await churnRound(server.port, pusher, Math.ceil(ITERATIONS / ROUNDS), tally);
      await calmRound(server.port, pusher, tally);
    } finally {
      await shutdownRound(server, pusher, tally);
    }
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`sse churn: ${tally.total} streams in ${secs} s, by kind:status ${JSON.stringify(tally.by)}`);
  assert.ok((tally.by['cut:200'] || 0) + (tally.by['cut:503'] || 0) >= ITERATIONS / 5, 'enough cut attempts');
  assert.equal(tally.by['calmcut:200'] || 0, ROUNDS * CALM, 'every calm slow consumer cut');
  assert.ok((tally.by['bad:400'] || 0) + (tally.by['bad:503'] || 0) >= ITERATIONS / 5, 'enough bad requests');
  assert.equal(tally.by['calmbad:400'] || 0, ROUNDS * CALM, 'every calm bad request refused 400');
  assert.ok((tally.by['full:503'] || 0) >= 50, 'enough over-capacity refusals');
  assert.equal(tally.by['calm:200'] || 0, ROUNDS * CALM, 'every calm stream served');
  assert.ok((tally.by['shutdown:200'] || 0) >= 10, 'enough streams ended by SIGTERM');
  assert.deepEqual({ bad: tally.bad, samples: tally.samples }, { bad: 0, samples: [] });
});
