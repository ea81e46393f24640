// The per-IP budget of new Datonow sockets (docs/protocols/datonow.md, "Rate limits"): with an
// app's datonow_ws_connections_per_second at 3, a burst from 127.0.0.1 gets sockets over the
// budget upgraded and closed with 4429 (both ?appKey= and ?token=), a socket is accepted again
// once the bucket refills, the refusals show on /metrics, and Pusher sockets (/app/) are not
// limited. With --descriptors direct the limit applies too (the shard gets the peer address
// through the ring: IORING_OP_FIXED_FD_INSTALL, getpeername, close).
// The REST 429s are counted on /metrics too.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { startServer, APP, rawSocket, waitFor } = require('./lib/harness');

function request(port, method, urlPath, body) {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json', 'x-datonow-app-id': APP.appId, 'x-datonow-token': APP.secret };
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}

// Opens a socket; resolves to 'open' (its connection_established came) or its close code.
function outcome(port, p, established) {
  const ws = rawSocket(port, { path: p });
  const result = Promise.race([
    ws.next((m) => m.event === established).then(() => 'open', () => 'timeout'),
    ws.closeInfo.then((c) => c),
  ]);
  return { ws, result };
}

const config = { apps: [{ id: APP.appId, key: APP.key, secret: APP.secret, datonow_ws_connections_per_second: 3 }] };

test('appKey sockets over 3 a second from one IP are closed with 4429; Pusher sockets are not limited', async () => {
  const srv = await startServer({ shards: 2, config });
  const all = [];
  try {
    const burst = [];
    for (let i = 0; i < 6; ++i) burst.push(outcome(srv.port, `/ws?appKey=${APP.key}`, 'datonow:connection_established'));
    all.push(...burst.map((b) => b.ws));
    const results = await Promise.all(burst.map((b) => b.result));
    const refused = results.filter((r) => typeof r === 'object' && r.code === 4429);
    assert.ok(refused.length >= 3, 'refused: ' + JSON.stringify(results));
    assert.ok(results.every((r) => r === 'open' || (r && r.code === 4429)), JSON.stringify(results));
    assert.match(refused[0].reason, /^Too many new connections from this address; retry in \d+ s$/);

    // The bucket refills (1 every 333 ms): a socket is accepted again.
    let accepted = false;
    for (let i = 0; i < 20 && !accepted; ++i) {
      await new Promise((r) => setTimeout(r, 400));
      const o = outcome(srv.port, `/ws?appKey=${APP.key}`, 'datonow:connection_established');
      all.push(o.ws);
      accepted = (await o.result) === 'open';
    }
    assert.ok(accepted, 'no socket accepted after the burst');

    // Pusher sockets of the same app from the same IP: never limited.
    const pushers = [];
    for (let i = 0; i < 8; ++i) pushers.push(outcome(srv.port, undefined, 'pusher:connection_established'));
    all.push(...pushers.map((b) => b.ws));
    assert.deepEqual(await Promise.all(pushers.map((b) => b.result)), Array(8).fill('open'));

    const metrics = (await request(srv.port, 'GET', '/metrics')).text;
    const m = /^ringcast_datonow_ws_refused_total\{reason="rate"\} (\d+)$/m.exec(metrics);
    assert.ok(m && Number(m[1]) >= 3, 'metrics: ' + (m ? m[0] : 'missing'));
  } finally {
    for (const ws of all) ws.terminate();
    await srv.stop();
  }
});

test('token sockets count against their app once the token is known (4429)', async () => {
  const srv = await startServer({ shards: 2, config });
  const all = [];
  try {
    const tok = await request(srv.port, 'POST', `/api/apps/${APP.appId}/tokens`, { name: 'burst' });
    assert.equal(tok.status, 200, tok.text);
    const token = JSON.parse(tok.text).token;
    const burst = [];
    for (let i = 0; i < 10; ++i) burst.push(outcome(srv.port, `/ws?token=${token}`, 'datonow:connection_established'));
    all.push(...burst.map((b) => b.ws));
    const results = await Promise.all(burst.map((b) => b.result));
    assert.ok(results.some((r) => r && r.code === 4429), JSON.stringify(results));
    assert.ok(results.some((r) => r === 'open'), JSON.stringify(results));
    assert.ok(results.every((r) => r === 'open' || (r && r.code === 4429)), JSON.stringify(results));
  } finally {
    for (const ws of all) ws.terminate();
    await srv.stop();
  }
});

test('--descriptors direct: the limit applies too (peer address through the ring), appKey and token sockets', async () => {
  const srv = await startServer({ shards: 2, config, args: ['--descriptors', 'direct'] });
  const all = [];
  try {
    assert.doesNotMatch(srv.stderr(), /is not applied/);
    const burst = [];
    for (let i = 0; i < 6; ++i) burst.push(outcome(srv.port, `/ws?appKey=${APP.key}`, 'datonow:connection_established'));
    all.push(...burst.map((b) => b.ws));
    let results = await Promise.all(burst.map((b) => b.result));
    assert.ok(results.filter((r) => r && r.code === 4429).length >= 3, JSON.stringify(results));
    assert.ok(results.some((r) => r === 'open'), JSON.stringify(results));
    assert.ok(results.every((r) => r === 'open' || (r && r.code === 4429)), JSON.stringify(results));

    // Token sockets: the shard asks the ring for the address, then the control plane decides.
    const tok = await request(srv.port, 'POST', `/api/apps/${APP.appId}/tokens`, { name: 'direct' });
    assert.equal(tok.status, 200, tok.text);
    const token = JSON.parse(tok.text).token;
    await new Promise((r) => setTimeout(r, 1100));  // the appKey burst's bucket refills
    const tburst = [];
    for (let i = 0; i < 10; ++i) tburst.push(outcome(srv.port, `/ws?token=${token}`, 'datonow:connection_established'));
    all.push(...tburst.map((b) => b.ws));
    results = await Promise.all(tburst.map((b) => b.result));
    assert.ok(results.some((r) => r && r.code === 4429), JSON.stringify(results));
    assert.ok(results.some((r) => r === 'open'), JSON.stringify(results));
    assert.ok(results.every((r) => r === 'open' || (r && r.code === 4429)), JSON.stringify(results));
  } finally {
    for (const ws of all) ws.terminate();
    await srv.stop();
  }
});

test('Datonow REST 429s are counted on /metrics', async () => {
  const srv = await startServer({ shards: 1, config: { limits: { datonow_api_requests_per_minute: 2 } } });
  try {
    const statuses = [];
    for (let i = 0; i < 4; ++i) statuses.push((await request(srv.port, 'GET', '/api/messages')).status);
    assert.deepEqual(statuses, [200, 200, 429, 429]);
    const metrics = (await request(srv.port, 'GET', '/metrics')).text;
    assert.match(metrics, /^ringcast_datonow_api_rate_limited_total 2$/m);
  } finally {
    await srv.stop();
  }
});
