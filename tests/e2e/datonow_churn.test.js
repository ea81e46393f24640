// Datonow socket churn: thousands of /ws opens and server-initiated closes of several kinds, on
// two shards, interleaved: token sockets closed by their token's deletion (4010), unknown tokens
// refused before the upgrade (403 + JSON), appKey sockets with an unknown key closed by the
// server (4001), appKey sockets that subscribe and are closed by the client, and a SIGTERM at the
// end while sockets of both kinds are open (4200). Every open must be answered (101 and
// datonow:connection_established, or a complete refusal) and every server close must carry its
// close code (never a reset, never a hang).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const WebSocket = require('ws');
const { startServer, APP } = require('./lib/harness');

const ITERATIONS = Number(process.env.DATONOW_CHURN_ITERATIONS || 3000);
const CONCURRENCY = 12;
const SHUTDOWN_SOCKETS = 40;

function rest(port, method, urlPath, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, method, path: urlPath,
      headers: { 'content-type': 'application/json', 'x-datonow-app-id': APP.appId, 'x-datonow-token': APP.secret },
    }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, json: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}

// One socket. Resolves on close to { status (HTTP refusal or 101), established, code, error,
// hung }. `onOpen(ws)` runs once datonow:connection_established arrived.
function oneSocket(port, query, { onOpen = null } = {}) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?${query}`);
    const r = { status: null, established: false, code: null, error: null, hung: false, body: '' };
    let settled = false;
    const finish = () => { if (!settled) { settled = true; clearTimeout(guard); resolve(r); } };
    const guard = setTimeout(() => { r.hung = true; ws.terminate(); finish(); }, 10000);
    ws.on('unexpected-response', (req, res) => {
      r.status = res.statusCode;
      res.on('data', (d) => { r.body += d; });
      res.on('end', () => { req.destroy(); finish(); });
      res.on('error', () => finish());
    });
    ws.on('upgrade', () => { r.status = 101; });
    ws.on('message', (data) => {
      const m = JSON.parse(String(data));
      if (m.event === 'datonow:connection_established' && !r.established) {
        r.established = true;
        if (onOpen) onOpen(ws);
      }
    });
    ws.on('error', (e) => { if (r.status !== 101 || r.code === null) r.error = r.error || e.code || e.message; });
    ws.on('close', (code) => { r.code = code; finish(); });
  });
}

function check(tally, kind, r, want) {
  tally.total++;
  const key = `${kind}:${r.status}:${r.code}`;
  tally.by[key] = (tally.by[key] || 0) + 1;
  let why = '';
  if (r.hung) why = 'hung';
  else if (want.status !== undefined && r.status !== want.status) why = `status ${r.status}, expected ${want.status}`;
  else if (want.status !== undefined && want.status !== 101) {
    try { if (typeof JSON.parse(r.body).error !== 'string') why = 'no error in the body'; } catch { why = `incomplete body ${JSON.stringify(r.body)}`; }
  } else if (want.established && !r.established) why = 'no connection_established';
  else if (want.code !== undefined && r.code !== want.code) why = `close ${r.code} (${r.error}), expected ${want.code}`;
  if (why) {
    tally.bad++;
    if (tally.samples.length < 10) tally.samples.push(`${kind}: ${why}`);
  }
}

test('Datonow socket churn: every open answered, every server close with its code', { timeout: 90000 }, async () => {
  // The REST rate limit (600 a minute) would refuse the token churn: off here.
  const srv = await startServer({ shards: 2, args: ['--datonow-api-requests-per-minute', '0', '--datonow-ws-connections-per-second', '0'] });
  const tally = { total: 0, bad: 0, by: {}, samples: [] };
  const started = Date.now();
  try {
    let next = 0;
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= ITERATIONS) return;
        const k = i % 4;
        if (k === 0) {
          // Two sockets of a token, closed by the server when the token is deleted.
          const tok = (await rest(srv.port, 'POST', `/api/apps/${APP.appId}/tokens`, { name: `churn-${i}` })).json;
          let opened = 0;
          let release;
          const both = new Promise((r) => { release = r; });
          const onOpen = () => { if (++opened === 2) release(); };
          const socks = [oneSocket(srv.port, `token=${tok.token}`, { onOpen }), oneSocket(srv.port, `token=${tok.token}`, { onOpen })];
          await Promise.race([both, Promise.all(socks)]);
          await rest(srv.port, 'DELETE', `/api/apps/${APP.appId}/tokens/${tok.id}`);
          for (const r of await Promise.all(socks)) check(tally, 'deleted', r, { status: 101, established: true, code: 4010 });
        } else if (k === 1) {
          const r = await oneSocket(srv.port, `token=${(i.toString(16) + 'f'.repeat(64)).slice(0, 64)}`);
          check(tally, 'unknown-token', r, { status: 403 });
        } else if (k === 2) {
          const r = await oneSocket(srv.port, 'appKey=no-such-key');
          check(tally, 'unknown-key', r, { status: 101, code: 4001 });
        } else {
          const r = await oneSocket(srv.port, `appKey=${APP.key}`, {
            onOpen: (ws) => {
              ws.send(JSON.stringify({ event: 'datonow:subscribe', data: { channel: `c${i % 50}` } }));
              setTimeout(() => ws.close(1000), i % 10);
            },
          });
          check(tally, 'client-close', r, { status: 101, established: true, code: 1000 });
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()));

    // SIGTERM with sockets of both kinds open: each gets 4200.
    const tok = (await rest(srv.port, 'POST', `/api/apps/${APP.appId}/tokens`, { name: 'last' })).json;
    const opened = [];
    const socks = [];
    for (let i = 0; i < SHUTDOWN_SOCKETS; ++i) {
      let onOpen;
      opened.push(new Promise((r) => { onOpen = r; }));
      const q = i % 2 === 0 ? `token=${tok.token}` : `appKey=${APP.key}`;
      socks.push(oneSocket(srv.port, q, { onOpen }).then((r) => { onOpen(); return r; }));
    }
    await Promise.all(opened);
    const { code } = await srv.stop('SIGTERM');
    assert.equal(code, 0);
    for (const r of await Promise.all(socks)) check(tally, 'shutdown', r, { status: 101, established: true, code: 4200 });
  } finally {
    await srv.stop();
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`datonow churn: ${tally.total} sockets in ${secs} s: ${JSON.stringify(tally.by)}`);
  assert.equal(tally.bad, 0, `bad closes: ${tally.samples.join('; ')}`);
  assert.ok(tally.total >= ITERATIONS);
});
