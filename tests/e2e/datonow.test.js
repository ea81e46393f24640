// Datonow notification REST API (docs/protocols/datonow.md) on the store: auth (401/403 as in
// the guide's troubleshooting table), POST /api/message validation and shape, cursor pages
// newest first, deletes, expiry, ids across restarts, and the crash tests: SIGKILL while clients
// stream POST /api/message, then restart on the same --data-dir (every 2xx listed exactly once,
// ids keep increasing); and a variant that truncates the last segment at a random byte.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const { startServer, APP } = require('./lib/harness');

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function call(port, method, urlPath, { body, appId = APP.appId, token = APP.secret } = {}) {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json' };
    if (appId !== null) headers['x-datonow-app-id'] = appId;
    if (token !== null) headers['x-datonow-token'] = token;
    const data = body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body));
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers, agent }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, json, text });
      });
    });
    req.on('error', reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

async function listAll(port, limit = 100) {
  const out = [];
  let cursor = 0;
  for (;;) {
    const r = await call(port, 'GET', `/api/messages?cursor=${cursor}&limit=${limit}`);
    assert.equal(r.status, 200, r.text);
    out.push(...r.json.messages);
    if (r.json.nextCursor === null) return out;
    cursor = r.json.nextCursor;
  }
}

test('auth: 401 without the headers, 403 with a wrong app or token', async () => {
  const server = await startServer({ shards: 1 });
  try {
    let r = await call(server.port, 'GET', '/api/messages', { appId: null, token: null });
    assert.equal(r.status, 401);
    r = await call(server.port, 'GET', '/api/messages', { token: null });
    assert.equal(r.status, 401);
    r = await call(server.port, 'GET', '/api/messages', { token: 'not-the-secret' });
    assert.equal(r.status, 403);
    r = await call(server.port, 'GET', '/api/messages', { appId: 'no-such-app' });
    assert.equal(r.status, 403);
    r = await call(server.port, 'GET', '/api/messages');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { messages: [], nextCursor: null });
  } finally {
    await server.stop();
  }
});

test('POST /api/message validates and answers the stored message', async () => {
  const server = await startServer({ shards: 2 });
  try {
    const bad = [
      ['not json', /JSON object/],
      [{}, /title is required/],
      [{ title: '' }, /title is required/],
      [{ title: 5 }, /title is required/],
      [{ title: 't', message: 3 }, /message must be a string/],
      [{ title: 't', priority: 0 }, /priority/],
      [{ title: 't', priority: 11 }, /priority/],
      [{ title: 't', priority: 2.5 }, /priority/],
      [{ title: 't', ttl: -1 }, /ttl/],
      [{ title: 't', extras: [1] }, /extras must be an object/],
    ];
    for (const [body, re] of bad) {
      const r = await call(server.port, 'POST', '/api/message', { body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.json.error, re);
    }
    const before = Date.now();
    const r = await call(server.port, 'POST', '/api/message', {
      body: { title: 'Deploy Complete', message: 'v2.4.0', priority: 8, ttl: 3600, extras: { url: 'x' }, payload: [1, 2] },
    });
    assert.equal(r.status, 200, r.text);
    const m = r.json;
    assert.deepEqual(Object.keys(m), ['id', 'appId', 'title', 'message', 'payload', 'priority', 'extras', 'expiresAt', 'createdAt']);
    assert.equal(typeof m.id, 'number');
    assert.equal(m.appId, APP.appId);
    assert.deepEqual([m.title, m.message, m.priority], ['Deploy Complete', 'v2.4.0', 8]);
    assert.deepEqual(m.extras, { url: 'x' });
    assert.deepEqual(m.payload, [1, 2]);
    assert.match(m.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const created = Date.parse(m.createdAt);
    assert.ok(created >= before - 1000 && created <= Date.now() + 1000);
    assert.equal(Date.parse(m.expiresAt) - created, 3600 * 1000);
    const d = await call(server.port, 'POST', '/api/message', { body: { title: 'defaults' } });
    assert.equal(d.json.priority, 5);
    assert.equal(d.json.expiresAt, null);
    assert.equal(d.json.message, null);
    assert.deepEqual(d.json.extras, {});
    assert.ok(d.json.id > m.id);
    const wrongMethod = await call(server.port, 'GET', '/api/message');
    assert.equal(wrongMethod.status, 405);
  } finally {
    await server.stop();
  }
});

test('GET /api/messages pages newest first; deletes; expiry hides', async () => {
  const server = await startServer({ shards: 1 });
  try {
    const ids = [];
    for (let i = 0; i < 25; i++) {
      const r = await call(server.port, 'POST', '/api/message', { body: { title: `n${i}` } });
      ids.push(r.json.id);
    }
    const page1 = await call(server.port, 'GET', '/api/messages?limit=10');
    assert.equal(page1.json.messages.length, 10);
    assert.deepEqual(page1.json.messages.map((m) => m.id), ids.slice(15).reverse());
    assert.equal(page1.json.nextCursor, ids[15]);
    const all = await listAll(server.port, 7);
    assert.deepEqual(all.map((m) => m.id), [...ids].reverse());
    assert.equal((await call(server.port, 'GET', '/api/messages?limit=0')).status, 400);
    assert.equal((await call(server.port, 'GET', '/api/messages?limit=101')).status, 400);
    assert.equal((await call(server.port, 'GET', '/api/messages?cursor=x')).status, 400);

    assert.equal((await call(server.port, 'DELETE', `/api/messages/${ids[3]}`)).status, 200);
    assert.equal((await call(server.port, 'DELETE', `/api/messages/${ids[3]}`)).status, 404);
    assert.equal((await call(server.port, 'DELETE', '/api/messages/abc')).status, 400);
    assert.ok(!(await listAll(server.port)).some((m) => m.id === ids[3]));

    const short = await call(server.port, 'POST', '/api/message', { body: { title: 'short', ttl: 1 } });
    assert.ok((await listAll(server.port)).some((m) => m.id === short.json.id));
    // Past its expiry and more than a second past any purge, whatever the machine's load.
    await new Promise((r) => setTimeout(r, 2100));
    assert.ok(!(await listAll(server.port)).some((m) => m.id === short.json.id));

    const del = await call(server.port, 'DELETE', '/api/messages');
    assert.equal(del.status, 200);
    // 25 posted, one deleted; the expired one was purged by the first request after it expired.
    assert.equal(del.json.deleted, 24);
    assert.deepEqual(await listAll(server.port), []);
    // Ids are not reused after deleting everything.
    const after = await call(server.port, 'POST', '/api/message', { body: { title: 'after' } });
    assert.ok(after.json.id > short.json.id);
  } finally {
    await server.stop();
  }
});

// Streams until killAfterMs has passed or maxAcked messages are acknowledged, whichever comes
// first (an app holds at most 10,000 messages: a fast machine fills it in well under 1.5 s,
// and the check after the restart needs room for one more).
async function streamUntilKilled(server, clients, killAfterMs, maxAcked = 5000) {
  const acked = [];
  let stop = false;
  let enough;
  const enoughAcked = new Promise((r) => { enough = r; });
  const workers = [];
  for (let c = 0; c < clients; c++) {
    workers.push((async () => {
      let i = 0;
      while (!stop) {
        try {
          const r = await call(server.port, 'POST', '/api/message', { body: { title: `c${c}-${i++}` } });
          if (r.status === 200) acked.push(r.json);
          if (acked.length >= maxAcked) enough();
        } catch {
          return;  // the server is gone
        }
      }
    })());
  }
  await Promise.race([new Promise((r) => setTimeout(r, killAfterMs)), enoughAcked]);
  server.proc.kill('SIGKILL');
  stop = true;
  await server.exited;
  await Promise.all(workers);
  return acked;
}

test('crash: SIGKILL while clients stream POST /api/message loses no acknowledged message', async () => {
  const server = await startServer({ shards: 2, config: { limits: { datonow_api_requests_per_minute: 0 } } });
  const dir = server.dataDir;
  const acked = await streamUntilKilled(server, 16, 1500);
  assert.ok(acked.length > 20, `only ${acked.length} acknowledged`);
  agent.destroy();
  const again = await startServer({ shards: 2, args: ['--data-dir', dir] });
  try {
    const listed = await listAll(again.port);
    const counts = new Map();
    for (const m of listed) counts.set(m.id, (counts.get(m.id) ?? 0) + 1);
    for (const m of acked) {
      assert.equal(counts.get(m.id), 1, `acknowledged message ${m.id} listed ${counts.get(m.id) ?? 0} times`);
      assert.equal(listed.find((x) => x.id === m.id).title, m.title);
    }
    const ids = listed.map((m) => m.id);
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i] < ids[i - 1], 'newest first, no duplicates');
    const next = await call(again.port, 'POST', '/api/message', { body: { title: 'after the crash' } });
    assert.equal(next.status, 200, next.text);
    assert.ok(next.json.id > Math.max(...ids), `ids keep increasing after the restart: ${next.json.id} after ${Math.max(...ids)}`);
  } finally {
    await again.stop();
  }
});

test('crash: a segment truncated at a random byte drops only the torn record', async () => {
  const server = await startServer({ shards: 1 });
  const dir = server.dataDir;
  const acked = [];
  for (let i = 0; i < 60; i++) {
    const r = await call(server.port, 'POST', '/api/message', { body: { title: `m${i}`, message: 'x'.repeat(i * 37) } });
    assert.equal(r.status, 200);
    acked.push(r.json);
  }
  server.proc.kill('SIGKILL');
  await server.exited;
  agent.destroy();
  const storeDir = path.join(dir, 'store');
  const segs = fs.readdirSync(storeDir).filter((f) => f.startsWith('wal-')).sort();
  const last = path.join(storeDir, segs[segs.length - 1]);
  const size = fs.statSync(last).size;
  // Cut inside the last message's records (its message + counter put: the last ~2.3 KiB).
  const cut = size - 1 - Math.floor(Math.random() * 40);
  fs.truncateSync(last, cut);
  const again = await startServer({ shards: 1, args: ['--data-dir', dir] });
  try {
    assert.match(again.stderr(), /cut a torn tail of .*wal-/);
    const listed = await listAll(again.port);
    const ids = new Set(listed.map((m) => m.id));
    // Everything before the last message is intact; the last one may be gone (its message put
    // survived if only the counter record was torn).
    for (const m of acked.slice(0, -1)) {
      assert.ok(ids.has(m.id), `message ${m.id} lost`);
      assert.equal(listed.find((x) => x.id === m.id).message, m.message);
    }
    assert.ok(listed.length === acked.length || listed.length === acked.length - 1);
    const next = await call(again.port, 'POST', '/api/message', { body: { title: 'next' } });
    assert.ok(next.json.id > Math.max(...ids));
  } finally {
    await again.stop();
  }
});

test('client tokens: create, list, use, targeted messages, delete stops them at once', async () => {
  const server = await startServer({ shards: 2 });
  const dir = server.dataDir;
  let restarted = null;
  try {
    const base = `/api/apps/${APP.appId}/tokens`;
    const a = await call(server.port, 'POST', base, { body: { name: 'user-42' } });
    assert.equal(a.status, 200, a.text);
    assert.deepEqual(Object.keys(a.json), ['id', 'appId', 'name', 'token', 'lastSeenAt', 'createdAt']);
    assert.match(a.json.token, /^[0-9a-f]{64}$/);
    assert.equal(a.json.name, 'user-42');
    assert.equal(a.json.lastSeenAt, null);
    const b = await call(server.port, 'POST', base, { body: { name: 'user-43' } });
    assert.notEqual(a.json.token, b.json.token);
    assert.ok(b.json.id > a.json.id);
    const list = await call(server.port, 'GET', base);
    assert.deepEqual(list.json.map((t) => t.id), [a.json.id, b.json.id]);

    // A client token may not manage tokens; the path's app must match the header's.
    assert.equal((await call(server.port, 'GET', base, { token: a.json.token })).status, 403);
    assert.equal((await call(server.port, 'GET', '/api/apps/other/tokens')).status, 403);
    assert.equal((await call(server.port, 'POST', base, { body: { name: 5 } })).status, 400);

    // Broadcast (secret) reaches both inboxes; targeted (token) only its own.
    const bc = await call(server.port, 'POST', '/api/message', { body: { title: 'all' } });
    const ta = await call(server.port, 'POST', '/api/message', { body: { title: 'for a' }, token: a.json.token });
    assert.equal(ta.status, 200, ta.text);
    const inbox = async (token) => (await call(server.port, 'GET', '/api/messages', { token })).json.messages.map((m) => m.id);
    assert.deepEqual(await inbox(a.json.token), [ta.json.id, bc.json.id]);
    assert.deepEqual(await inbox(b.json.token), [bc.json.id]);
    assert.deepEqual(await inbox(APP.secret), [ta.json.id, bc.json.id]);

    // Tokens survive a restart.
    await server.stop();
    agent.destroy();
    restarted = await startServer({ shards: 2, args: ['--data-dir', dir] });
    const r2 = await call(restarted.port, 'GET', '/api/messages', { token: b.json.token });
    assert.equal(r2.status, 200);
    const del = await call(restarted.port, 'DELETE', `${base}/${a.json.id}`);
    assert.equal(del.status, 200);
    assert.equal((await call(restarted.port, 'GET', '/api/messages', { token: a.json.token })).status, 403);
    assert.equal((await call(restarted.port, 'DELETE', `${base}/${a.json.id}`)).status, 404);
    const c = await call(restarted.port, 'POST', base, { body: {} });
    assert.ok(c.json.id > b.json.id, 'token ids are not reused');
  } finally {
    await server.stop();
    if (restarted) await restarted.stop();
  }
});

test('per-token delivered/read/read-all and deletes that hide for that token only', async () => {
  const server = await startServer({ shards: 1 });
  try {
    const base = `/api/apps/${APP.appId}/tokens`;
    const a = (await call(server.port, 'POST', base, { body: { name: 'a' } })).json.token;
    const b = (await call(server.port, 'POST', base, { body: { name: 'b' } })).json.token;
    const m1 = (await call(server.port, 'POST', '/api/message', { body: { title: 'one' } })).json.id;
    const m2 = (await call(server.port, 'POST', '/api/message', { body: { title: 'two' } })).json.id;
    const mb = (await call(server.port, 'POST', '/api/message', { body: { title: 'b only' }, token: b })).json.id;
    const inbox = async (token) => (await call(server.port, 'GET', '/api/messages', { token })).json.messages;
    const state = (msgs) => Object.fromEntries(msgs.map((m) => [m.id, `${m.delivered ? 'd' : '-'}${m.read ? 'r' : '-'}`]));

    let r = await call(server.port, 'POST', `/api/messages/${m1}/delivered`, { token: a });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { id: m1, delivered: true, read: false });
    r = await call(server.port, 'POST', `/api/messages/${m2}/read`, { token: a });
    assert.deepEqual(r.json, { id: m2, delivered: true, read: true });
    assert.deepEqual(state(await inbox(a)), { [m1]: 'd-', [m2]: 'dr' });
    assert.deepEqual(state(await inbox(b)), { [m1]: '--', [m2]: '--', [mb]: '--' });
    // Another token's targeted message is not in a's inbox.
    assert.equal((await call(server.port, 'POST', `/api/messages/${mb}/read`, { token: a })).status, 404);
    assert.equal((await call(server.port, 'POST', `/api/messages/999999/read`, { token: a })).status, 404);
    assert.equal((await call(server.port, 'POST', `/api/messages/${m1}/read`)).status, 403);

    r = await call(server.port, 'POST', '/api/messages/read-all', { token: b });
    assert.deepEqual(r.json, { read: 3 });
    assert.deepEqual(state(await inbox(b)), { [m1]: 'dr', [m2]: 'dr', [mb]: 'dr' });

    // A token's delete hides for that token only.
    assert.equal((await call(server.port, 'DELETE', `/api/messages/${m1}`, { token: a })).status, 200);
    assert.deepEqual((await inbox(a)).map((m) => m.id), [m2]);
    assert.deepEqual((await inbox(b)).map((m) => m.id), [mb, m2, m1]);
    assert.equal((await call(server.port, 'DELETE', `/api/messages/${m1}`, { token: a })).status, 404);
    r = await call(server.port, 'DELETE', '/api/messages', { token: b });
    assert.deepEqual(r.json, { deleted: 3 });
    assert.deepEqual(await inbox(b), []);
    const all = (await call(server.port, 'GET', '/api/messages')).json.messages;
    assert.deepEqual(all.map((m) => m.id), [mb, m2, m1]);
    assert.equal(all[0].read, undefined, 'the app secret sees messages without per-token state');
  } finally {
    await server.stop();
  }
});

test('rate limit: requests per minute per app, 429 with Retry-After, reads and bad tokens count', async () => {
  const server = await startServer({ shards: 1, config: { limits: { datonow_api_requests_per_minute: 6 } } });
  try {
    for (let i = 0; i < 3; i++) {
      assert.equal((await call(server.port, 'POST', '/api/message', { body: { title: `r${i}` } })).status, 200);
    }
    assert.equal((await call(server.port, 'GET', '/api/messages')).status, 200);
    assert.equal((await call(server.port, 'GET', '/api/messages', { token: 'wrong' })).status, 403);
    assert.equal((await call(server.port, 'GET', '/api/messages')).status, 200);
    const r = await call(server.port, 'GET', '/api/messages');
    assert.equal(r.status, 429);
    assert.match(r.json.error, /at most 6 Datonow API requests per minute/);
    await new Promise((resolve) => {
      http.get({ host: '127.0.0.1', port: server.port, path: '/api/messages', agent,
        headers: { 'x-datonow-app-id': APP.appId, 'x-datonow-token': APP.secret } }, (res) => {
        assert.equal(res.statusCode, 429);
        const after = Number(res.headers['retry-after']);
        assert.ok(after >= 1 && after <= 60, `Retry-After ${res.headers['retry-after']}`);
        res.resume();
        res.on('end', resolve);
      });
    });
    // The Pusher REST API is not limited by it.
    const pusher = await new Promise((resolve) => {
      http.get({ host: '127.0.0.1', port: server.port, path: `/apps/${APP.appId}/channels`, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
    });
    assert.notEqual(pusher, 429);
  } finally {
    await server.stop();
  }
});
