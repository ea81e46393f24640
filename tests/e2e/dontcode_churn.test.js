// DontCode realtime socket churn and floods (docs/protocols/dontcode.md) on two shards: a
// thousand /realtime opens of four kinds, interleaved: an expired token (closed 4001 after its
// error frame), a forged token (4003), a socket that subscribes, publishes and closes itself,
// and one that subscribes and drops its TCP connection. A watcher subscribed throughout must see
// every join matched by its leave, and the presence list must come back to the watcher alone.
// Then a frame flood (rate_limited once, the socket stays), a slow consumer (cut with 4100, the
// publish count drops to zero) and a SIGTERM with sockets open (each closed 4200).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const WebSocket = require('ws');
const { startServer, APP } = require('./lib/harness');

const ITERATIONS = Number(process.env.DONTCODE_CHURN_ITERATIONS || 1000);
const CONCURRENCY = 12;
const SHUTDOWN_SOCKETS = 30;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function rest(port, path, body, method = 'POST') {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, {
    method, headers: { 'content-type': 'application/json', authorization: `Bearer ${APP.secret}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, json: await r.json() };
}

// Opens a socket; resolves once TCP is closed (or `hold` said so) to
// { hello, frames, close: {code, reason} | null, hung }.
function run(port, token, script) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/realtime?token=${token}`);
    const frames = [];
    let settled = false;
    const done = (extra) => {
      if (settled) return;
      settled = true;
      clearTimeout(guard);
      resolve({ frames, hello: frames.find((f) => f.type === 'connected'), ...extra });
    };
    const guard = setTimeout(() => { ws.terminate(); done({ hung: true, close: null }); }, 10000);
    ws.on('message', (d) => {
      const f = JSON.parse(String(d));
      frames.push(f);
      if (script) script(ws, f, () => done({ close: null }));
    });
    ws.on('error', () => {});
    ws.on('close', (code, reason) => done({ close: { code, reason: String(reason) } }));
  });
}

test('DontCode realtime churn: every open answered, presence balanced, floods bounded', { timeout: 120000 }, async (t) => {
  const server = await startServer({
    shards: 2,
    config: { limits: { client_messages_per_second: 50, max_outbound_bytes: 64 * 1024 } },
  });
  const { port } = server;
  t.after(() => server.stop());
  const good = (await rest(port, '/realtime/tokens', { channels: ['churn', 'flood'], identity: 'u' })).json;
  const expired = (await rest(port, '/realtime/tokens', { channels: ['churn'], ttl_s: 1 })).json;
  const forged = good.token.slice(0, -6) + (good.token.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA');
  await sleep(2100);  // `expired` is now

  const watcher = new WebSocket(`${good.url}?token=${good.token}`);
  const told = [];
  let watcherId = null;
  await new Promise((resolve) => {
    watcher.on('message', (d) => {
      const f = JSON.parse(String(d));
      if (f.type === 'connected') { watcherId = f.id; watcher.send(JSON.stringify({ type: 'subscribe', channel: 'churn' })); }
      if (f.type === 'subscribed') resolve();
      if (f.type === 'presence') told.push(f);
    });
  });

  const bad = [];
  const by = {};
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= ITERATIONS) return;
      const kind = ['expired', 'forged', 'close', 'drop'][i % 4];
      const token = kind === 'expired' ? expired.token : kind === 'forged' ? forged : good.token;
      const r = await run(port, token, (ws, f, finish) => {
        if (f.type === 'connected') ws.send(JSON.stringify({ type: 'subscribe', channel: 'churn' }));
        if (f.type === 'subscribed') {
          if (kind === 'close') {
            ws.send(JSON.stringify({ type: 'publish', channel: 'churn', data: { i } }));
          } else {
            ws.terminate();
            finish();
          }
        }
        if (f.type === 'published') ws.close();
      });
      let why = '';
      if (r.hung) why = 'hung';
      else if (kind === 'expired' && (r.close?.code !== 4001 || r.frames.at(-1)?.code !== 'token_expired')) why = `expired: ${JSON.stringify(r.close)}`;
      else if (kind === 'forged' && r.close?.code !== 4003) why = `forged: ${JSON.stringify(r.close)}`;
      else if (kind === 'close' && (!r.frames.some((f) => f.type === 'published') || r.close?.code !== 1005)) why = `close: ${JSON.stringify(r.frames.slice(-2))} ${JSON.stringify(r.close)}`;
      else if (kind === 'drop' && !r.frames.some((f) => f.type === 'subscribed')) why = `drop: ${JSON.stringify(r.frames)}`;
      by[kind] = (by[kind] || 0) + 1;
      if (why && bad.length < 10) bad.push(why);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  assert.deepEqual(bad, []);
  assert.equal(by.close + by.drop, ITERATIONS / 2);

  // Every join the watcher was told of has its leave, once; the list is the watcher alone.
  const waitFor = async (pred, ms = 10000) => {
    const end = Date.now() + ms;
    while (Date.now() < end) { if (await pred()) return true; await sleep(50); }
    return false;
  };
  const balanced = () => {
    const joins = told.filter((f) => f.action === 'join').map((f) => f.member.id).sort();
    const leaves = told.filter((f) => f.action === 'leave').map((f) => f.member.id).sort();
    return joins.length === ITERATIONS / 2 && JSON.stringify(joins) === JSON.stringify(leaves);
  };
  assert.ok(await waitFor(balanced), `joins and leaves: ${told.length} frames`);
  assert.ok(await waitFor(async () => {
    const list = (await rest(port, '/realtime/presence/churn', undefined, 'GET')).json;
    return list.length === 1 && list[0].id === watcherId;
  }), 'presence back to the watcher alone');
  assert.equal(new Set(told.filter((f) => f.action === 'join').map((f) => f.member.id)).size, ITERATIONS / 2);

  // A flood of frames: the first 50 of the second answered, one rate_limited, the socket stays.
  const flood = await run(port, good.token, (ws, f, finish) => {
    if (f.type === 'connected') for (let i = 0; i < 400; ++i) ws.send(JSON.stringify({ type: 'ping', ref: i }));
    if (f.type === 'error') setTimeout(() => { ws.send(JSON.stringify({ type: 'ping', ref: 'after' })); }, 1100);
    if (f.ref === 'after') { ws.close(); finish(); }
  });
  const pongs = flood.frames.filter((f) => f.type === 'pong' && f.ref !== 'after').length;
  assert.ok(pongs >= 1 && pongs <= 51, `pongs ${pongs}`);
  assert.equal(flood.frames.filter((f) => f.code === 'rate_limited').length, 1);
  assert.ok(flood.frames.some((f) => f.ref === 'after'), 'answered again the next second');

  // A slow consumer: it stops reading; publishes pile up past max_outbound_bytes and it is cut.
  const slow = new WebSocket(`${good.url}?token=${good.token}`);
  const slowClosed = new Promise((r) => slow.on('close', (code) => r(code)));
  await new Promise((resolve) => {
    slow.on('message', (d) => {
      const f = JSON.parse(String(d));
      if (f.type === 'connected') slow.send(JSON.stringify({ type: 'subscribe', channel: 'flood' }));
      if (f.type === 'subscribed') resolve();
    });
  });
  slow._socket.pause();
  const big = 'x'.repeat(8000);
  let cut = false;
  for (let i = 0; i < 4000 && !cut; ++i) {
    cut = (await rest(port, '/realtime/publish', { channel: 'flood', data: big })).json.delivered === 0;
  }
  assert.ok(cut, 'the slow consumer was cut');
  slow._socket.resume();
  assert.equal(await slowClosed, 4100);

  // SIGTERM with sockets open: each is closed 4200.
  const open = [];
  for (let i = 0; i < SHUTDOWN_SOCKETS; ++i) {
    let opened;
    const ready = new Promise((r) => { opened = r; });
    open.push({ ready, result: run(port, good.token, (ws, f) => { if (f.type === 'connected') opened(); }) });
  }
  await Promise.all(open.map((o) => o.ready));
  watcher.terminate();
  const { code } = await server.stop('SIGTERM');
  assert.equal(code, 0);
  for (const o of open) assert.equal((await o.result).close?.code, 4200);
});
