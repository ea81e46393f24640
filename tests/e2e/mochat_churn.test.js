// MoChat Socket.IO churn and floods (docs/protocols/mochat.md, "Socket.IO") on two shards, with
// the real socket.io-client: 600 opens in 12 concurrent workers, four kinds interleaved: a bad or
// missing token (connect_error, never a hang), a good token that subscribes to a group session
// and disconnects itself (default transports: polling, then the upgrade), one over WebSocket only
// that subscribes and drops (the engine closed, or its TCP connection cut), and a polling-only
// one that subscribes and disconnects. Every open is answered within a bound, and afterwards no
// socket, channel subscription or MoChat subscription is left: a fresh subscribed socket of one
// participant gets exactly one notify:session for a new message, an unsubscribed participant
// (whose churned sockets were subscribed) none. Then a flood of 500 session:subscribe events on
// one socket (the excess dropped with one RATE_LIMITED, the socket acked again the next second,
// the server up), and a SIGTERM with 20 sockets connected: exit 0, each socket disconnected.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { io } = require('socket.io-client');
const { startServer } = require('./lib/harness');
const { parsePrometheusText } = require('./lib/prom_text');

const ITERATIONS = Number(process.env.MOCHAT_CHURN_ITERATIONS || 600);
const CONCURRENCY = 12;
const KINDS = ['bad', 'close', 'drop', 'polling'];
const OPEN_BOUND_MS = 5000;  // connect (or connect_error) and, for a good token, the ack
const SHUTDOWN_SOCKETS = 20;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function client(port) {
  return async (route, body = {}, token = null) => {
    const headers = { 'content-type': 'application/json' };
    if (token) headers['x-claw-token'] = token;
    const r = await fetch(`http://127.0.0.1:${port}/api/claw/${route}`, { method: 'POST', headers, body: JSON.stringify(body) });
    return { status: r.status, json: await r.json() };
  };
}

// A socket.io-client of `token` (null: no token in the handshake), recording notifications and
// the server's dialogue:error events.
function socketOf(port, token, transports) {
  const s = io(`http://127.0.0.1:${port}`, {
    auth: token === null ? {} : { token }, reconnection: false, forceNew: true, ...(transports ? { transports } : {}),
  });
  s.got = [];
  s.errors = [];
  s.on('notify:session', (d) => s.got.push(d));
  s.on('dialogue:error', (e) => s.errors.push(e.code));
  return s;
}

// Opens a socket and, once connected, runs `script(socket)`; resolves within OPEN_BOUND_MS to
// { connected, result } or { error } (connect_error or a failed script) or { hung }.
function open(port, token, transports, script) {
  return new Promise((resolve) => {
    const s = socketOf(port, token, transports);
    let settled = false;
    const done = (r) => {
      if (settled) return;
      settled = true;
      clearTimeout(guard);
      resolve(r);
    };
    const guard = setTimeout(() => { s.close(); done({ hung: true }); }, OPEN_BOUND_MS);
    s.once('connect_error', (e) => { s.close(); done({ error: e.message }); });
    s.once('connect', async () => {
      try {
        done({ connected: true, result: await script(s) });
      } catch (e) {
        s.close();
        done({ error: String(e) });
      }
    });
  });
}

// A connected socket (throws on connect_error or after OPEN_BOUND_MS).
async function connected(port, token, transports) {
  const s = socketOf(port, token, transports);
  await new Promise((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error('connect hung')), OPEN_BOUND_MS);
    s.once('connect', () => { clearTimeout(guard); resolve(); });
    s.once('connect_error', (e) => { clearTimeout(guard); reject(e); });
  });
  return s;
}

async function waitFor(pred, ms = 10000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return true;
    await sleep(50);
  }
  return false;
}

test('MoChat Socket.IO churn: every open answered, nothing left behind, floods bounded, SIGTERM clean', { timeout: 90000 }, async (t) => {
  const started = Date.now();
  const server = await startServer({ shards: 2, config: { limits: { client_messages_per_second: 50 } } });
  const { port } = server;
  t.after(() => server.stop('SIGKILL'));
  const call = client(port);
  const reg = async (name) => {
    const r = await call('agents/selfRegister', { name });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return { id: r.json.agent.id, token: r.json.token };
  };
  const alice = await reg('alice');
  const bob = await reg('bob');
  const carol = await reg('carol');
  const created = await call('sessions/create', { type: 'group', name: 'churn', participants: [bob.id, carol.id] }, alice.token);
  assert.equal(created.status, 200, JSON.stringify(created.json));
  const sessionId = created.json.id;
  const subscribe = (s, payload = { sessionId }) => s.timeout(OPEN_BOUND_MS).emitWithAck('session:subscribe', payload);

  // The churn: bob's and carol's sockets subscribe to the session and go, by every way out.
  const bad = [];
  const by = {};
  const latencies = [];
  let next = 0;
  const churnStart = Date.now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= ITERATIONS) return;
      const kind = KINDS[i % 4];
      const who = (i >> 2) % 2 ? carol : bob;
      const t0 = Date.now();
      let r;
      if (kind === 'bad') {
        const token = i % 8 === 0 ? null : `claw_${crypto.randomBytes(32).toString('hex')}`;
        const transports = [undefined, ['websocket'], ['polling']][(i >> 2) % 3];
        r = await open(port, token, transports, async (s) => { s.disconnect(); return 'connected'; });
      } else {
        const transports = { close: undefined, drop: ['websocket'], polling: ['polling'] }[kind];
        r = await open(port, who.token, transports, async (s) => {
          const a = await subscribe(s);
          if (kind !== 'drop') {
            s.disconnect();
          } else if (i % 8 < 4) {
            s.io.engine.close();  // the engine goes: a close frame, no Socket.IO goodbye
          } else {
            s.io.engine.transport.ws.terminate();  // the TCP connection is cut
          }
          return a;
        });
      }
      latencies.push(Date.now() - t0);
      let why = '';
      if (r.hung) why = 'hung';
      else if (kind === 'bad' && !/Authentication failed/.test(r.error || '')) why = `bad token: ${JSON.stringify(r)}`;
      else if (kind !== 'bad' && !(r.connected && r.result?.success === true && r.result.sessionId === sessionId)) why = `${kind}: ${JSON.stringify(r)}`;
      by[kind] = (by[kind] || 0) + 1;
      if (why && bad.length < 10) bad.push(`#${i} ${why}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const churnMs = Date.now() - churnStart;
  latencies.sort((a, b) => a - b);
  t.diagnostic(`churn: ${ITERATIONS} opens in ${churnMs} ms; open+ack median ${latencies[latencies.length >> 1]} ms, max ${latencies.at(-1)} ms`);
  assert.deepEqual(bad, []);
  assert.deepEqual(by, Object.fromEntries(KINDS.map((k) => [k, ITERATIONS / 4])));

  // Nothing left on the shards: no Socket.IO connection, no channel subscription.
  let scraped;
  const drained = await waitFor(async () => {
    scraped = parsePrometheusText(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
    return scraped.sum('ringcast_connections', { protocol: 'socketio' }) === 0 && scraped.sum('ringcast_subscriptions') === 0;
  });
  assert.ok(drained, `left: ${scraped.sum('ringcast_connections', { protocol: 'socketio' })} connections, ${scraped.sum('ringcast_subscriptions')} subscriptions`);

  // Nothing left on the control plane: bob's fresh subscribed socket is notified once, carol's
  // unsubscribed one (after 300 subscribed sockets of hers came and went) not at all.
  const sb = await connected(port, bob.token);
  const sc = await connected(port, carol.token, ['websocket']);
  assert.equal((await subscribe(sb)).success, true);
  const sent = await call('sessions/send', { sessionId, content: 'after the churn' }, alice.token);
  assert.equal(sent.status, 200, JSON.stringify(sent.json));
  assert.ok(await waitFor(() => sb.got.length >= 1, 5000), 'bob notified');
  await sleep(500);
  assert.deepEqual(sb.got.map((d) => [d.sessionId, d.message.content, d.sender.id]), [[sessionId, 'after the churn', alice.id]]);
  assert.deepEqual(sc.got, [], 'carol is not subscribed');
  sb.disconnect();
  sc.disconnect();

  // A flood: 500 subscribes at once. At most the second's budget is answered, the rest dropped
  // with one RATE_LIMITED; the socket stays and is acked again the next second.
  const flood = await connected(port, bob.token, ['websocket']);
  let floodGone = null;
  flood.on('disconnect', (reason) => { floodGone = reason; });
  let acked = 0;
  for (let i = 0; i < 500; ++i) flood.emit('session:subscribe', { sessionId }, () => { ++acked; });
  await sleep(1100);
  t.diagnostic(`flood: ${acked} of 500 acked, errors ${JSON.stringify(flood.errors)}`);
  assert.ok(acked >= 1 && acked <= 100, `acked ${acked}`);
  assert.ok(flood.errors.length >= 1 && flood.errors.length <= 2 && flood.errors.every((c) => c === 'RATE_LIMITED'), `errors ${flood.errors}`);
  assert.deepEqual(await subscribe(flood), { success: true, sessionId });
  assert.equal(floodGone, null, 'the flooding socket stays');
  assert.equal(server.proc.exitCode, null, 'the server is up');
  assert.equal((await call('agents/get', {}, bob.token)).status, 200);
  flood.disconnect();

  // SIGTERM with sockets connected on every transport: exit 0, each socket disconnected.
  const open20 = [];
  for (let i = 0; i < SHUTDOWN_SOCKETS; ++i) {
    const transports = [undefined, ['websocket'], ['polling']][i % 3];
    open20.push(connected(port, (i % 2 ? carol : bob).token, transports));
  }
  const sockets = await Promise.all(open20);
  for (const s of sockets.slice(0, 10)) assert.equal((await subscribe(s)).success, true);
  const gone = sockets.map((s) => new Promise((resolve) => s.once('disconnect', resolve)));
  const { code } = await server.stop('SIGTERM');
  assert.equal(code, 0);
  let bound;
  const reasons = await Promise.race([
    Promise.all(gone),
    new Promise((resolve) => {
      bound = setTimeout(() => resolve(`still connected: ${sockets.filter((s) => s.connected).length}`), OPEN_BOUND_MS);
    }),
  ]);
  clearTimeout(bound);
  assert.ok(Array.isArray(reasons), reasons);
  t.diagnostic(`shutdown: disconnect reasons ${JSON.stringify([...new Set(reasons)])}; whole test ${Date.now() - started} ms`);
});
