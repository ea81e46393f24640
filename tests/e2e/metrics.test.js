// Metrics and health: /metrics parses as strict Prometheus text, and its counters move exactly
// as a scripted load says (deliveries = subscribers x publishes, connections by protocol, a
// slow consumer cut counted once, rejected requests by status); --metrics-port moves /metrics
// off the main port; /ready turns 503 while shutting down while /health stays 200; JSON logs;
// the store's group commits (ringcast_wal_*) move with acknowledged Datonow writes, with one
// fdatasync each under --store-sync always and none under none; history evictions by reason.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');
const { APP, startServer, pusherClient, pusherServer, rawSocket, connected, subscribe, waitFor, stalledSubscriber } = require('./lib/harness');
const { parsePrometheusText } = require('./lib/prom_text');

function get(port, path) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
  });
}

async function scrape(port) {
  const res = await get(port, '/metrics');
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(res.body);
}

// An acknowledged Datonow write (POST /api/message, answered after its group commit).
function postMessage(port, body) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request({
      host: '127.0.0.1', port, method: 'POST', path: '/api/message', agent: false,
      headers: { 'content-type': 'application/json', 'x-datonow-app-id': APP.appId, 'x-datonow-token': APP.secret },
    }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.end(data);
  });
}

function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

test('the exposition is strict Prometheus text with the fixed names and per-shard families', async () => {
  const server = await startServer({ shards: 2 });
  try {
    const m = await scrape(server.port);
    assert.equal(m.families.get('ringcast_deliveries_total').type, 'counter');
    assert.equal(m.families.get('ringcast_connections').type, 'gauge');
    assert.equal(m.families.get('ringcast_loop_turn_duration_seconds').type, 'histogram');
    for (const name of ['ringcast_subscriptions', 'ringcast_messages_published_total', 'ringcast_sent_bytes_total',
      'ringcast_slow_consumer_closes_total', 'ringcast_http_rejected_requests_total', 'ringcast_queue_full_total',
      'ringcast_queue_spills_total']) {
      assert.ok(m.families.has(name), `${name} is exported`);
    }
    for (const shard of ['0', '1']) {
      assert.notEqual(m.value('ringcast_loop_turn_duration_seconds_count', { shard }), undefined);
      for (const protocol of ['http', 'pusher', 'echo']) {
        assert.notEqual(m.value('ringcast_connections', { protocol, shard }), undefined);
      }
    }
    assert.equal(m.value('ringcast_shards'), 2);
    assert.equal(m.value('ringcast_ready'), 1);
    // Every shard has turned its loop (start-up, accepts), so the histograms have counts.
    assert.ok(m.sum('ringcast_loop_turn_duration_seconds_count') > 0);
    const health = await get(server.port, '/health');
    assert.equal(health.status, 200);
    assert.equal((await get(server.port, '/ready')).status, 200);
  } finally {
    await server.stop();
  }
});

test('N pusher-js subscribers and M REST publishes: deliveries grow by exactly N*M', async () => {
  const server = await startServer({ shards: 2 });
  const clients = [];
  try {
    const N = 6;
    const M = 25;
    const received = new Array(N).fill(0);
    for (let i = 0; i < N; ++i) {
      const client = pusherClient(server.port);
      clients.push(client);
      const channel = client.subscribe('metrics-load');
      channel.bind('tick', () => { received[i] += 1; });
      await new Promise((resolve, reject) => {
        channel.bind('pusher:subscription_succeeded', resolve);
        channel.bind('pusher:subscription_error', reject);
      });
    }
    const before = await scrape(server.port);
    assert.equal(before.sum('ringcast_connections', { protocol: 'pusher' }), N);
    assert.equal(before.sum('ringcast_subscriptions'), N);
    assert.ok(before.sum('ringcast_channels') >= 1);

    const api = pusherServer(server.port);
    for (let j = 0; j < M; ++j) {
      const res = await api.trigger('metrics-load', 'tick', { j });
      assert.equal(res.status, 200);
    }
    await waitFor(() => received.every((n) => n === M), 10000);

    const after = await scrape(server.port);
    assert.equal(after.value('ringcast_deliveries_total') - before.value('ringcast_deliveries_total'), N * M);
    assert.equal(after.sum('ringcast_shard_deliveries_total') - before.sum('ringcast_shard_deliveries_total'), N * M);
    assert.equal(after.value('ringcast_messages_published_total') - before.value('ringcast_messages_published_total'), M);
    // Each delivery is a frame of more than 40 bytes on the wire.
    assert.ok(after.sum('ringcast_sent_bytes_total') - before.sum('ringcast_sent_bytes_total') > N * M * 40);
    assert.equal(after.sum('ringcast_connections', { protocol: 'pusher' }), N);

    // Rejected requests by status: an unknown path (404) and a bad signature (401).
    const rejected = (m, status) => m.value('ringcast_http_rejected_requests_total', { status }) ?? 0;
    assert.equal((await get(server.port, '/nope')).status, 404);
    const bad = pusherServer(server.port, { secret: 'wrong-secret' });
    const err = await bad.trigger('metrics-load', 'tick', {}).then(() => null, (e) => e);
    assert.equal(err?.status, 401);
    const last = await scrape(server.port);
    assert.equal(rejected(last, '404') - rejected(after, '404'), 1);
    assert.equal(rejected(last, '401') - rejected(after, '401'), 1);

    // Closing the clients brings the gauges back down.
    for (const c of clients) c.disconnect();
    clients.length = 0;
    let now = null;
    const poll = async () => {
      for (let i = 0; i < 100; ++i) {
        now = await scrape(server.port);
        if (now.sum('ringcast_connections', { protocol: 'pusher' }) === 0 && now.sum('ringcast_subscriptions') === 0) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await poll();
    assert.equal(now.sum('ringcast_connections', { protocol: 'pusher' }), 0);
    assert.equal(now.sum('ringcast_subscriptions'), 0);
    assert.equal(now.sum('ringcast_channels'), 0);
  } finally {
    for (const c of clients) c.disconnect();
    await server.stop();
  }
});

test('a slow consumer cut is counted once; the other subscriber keeps receiving', async () => {
  const server = await startServer({ shards: 1, config: { limits: { max_outbound_bytes: 256 * 1024 } } });
  try {
    const healthy = rawSocket(server.port);
    await connected(healthy);
    await subscribe(healthy, 'slow');
    const { ws: stalled, closed: stalledClose } = await stalledSubscriber(server.port, 'slow');

    const before = await scrape(server.port);
    assert.equal(before.sum('ringcast_connections', { protocol: 'pusher' }), 2);
    const api = pusherServer(server.port);
    const payload = '.'.repeat(9000);
    let sent = 0;
    // Publish until the server has cut the stalled reader (at most ~60 MB).
    for (let round = 0; round < 700; ++round) {
      const batch = [];
      for (let j = 0; j < 10; ++j) batch.push({ channel: 'slow', name: 'seq', data: `${sent++}${payload}` });
      assert.equal((await api.triggerBatch(batch)).status, 200);
      if (round % 20 === 19 && (await scrape(server.port)).sum('ringcast_slow_consumer_closes_total') > 0) break;
    }
    await healthy.next((m) => m.data === `${sent - 1}${payload}`, 30000);
    const after = await scrape(server.port);
    assert.equal(after.sum('ringcast_slow_consumer_closes_total') - before.sum('ringcast_slow_consumer_closes_total'), 1);
    stalled._socket.resume();
    assert.equal(await stalledClose, 4100);
    // Every publication reached the healthy subscriber; the stalled one took part of them.
    const delta = after.value('ringcast_deliveries_total') - before.value('ringcast_deliveries_total');
    assert.ok(delta >= sent && delta <= 2 * sent, `deliveries grew by ${delta} for ${sent} publications`);
    healthy.close();
  } finally {
    await server.stop();
  }
});

for (const sync of ['always', 'none']) {
  test(`N acknowledged Datonow writes move the WAL figures (--store-sync ${sync})`, async () => {
    const server = await startServer({ shards: 2, args: ['--store-sync', sync] });
    try {
      const before = await scrape(server.port);
      for (const name of ['ringcast_wal_append_seconds', 'ringcast_wal_fsync_seconds']) {
        assert.equal(before.families.get(name).type, 'histogram');
      }
      for (const name of ['ringcast_wal_commits_total', 'ringcast_wal_bytes_total', 'ringcast_wal_records_total']) {
        assert.equal(before.families.get(name).type, 'counter');
      }
      assert.equal(before.families.get('ringcast_store_readonly').type, 'gauge');
      assert.equal(before.value('ringcast_store_readonly'), 0);
      const N = 12;
      for (let i = 0; i < N; ++i) {
        const r = await postMessage(server.port, { title: `t${i}`, message: 'metrics' });
        assert.equal(r.status, 200, r.text);
      }
      const after = await scrape(server.port);
      const delta = (name) => after.value(name) - before.value(name);
      // One request at a time, each answered after its turn's commit: N commits at least (other
      // writes may share or add turns), each with at least the message's record.
      const commits = delta('ringcast_wal_commits_total');
      assert.ok(commits >= N, `${commits} commits for ${N} writes`);
      assert.ok(delta('ringcast_wal_records_total') >= N);
      assert.ok(delta('ringcast_wal_bytes_total') > N * 20);
      assert.equal(delta('ringcast_wal_append_seconds_count'), commits);
      assert.ok(after.value('ringcast_wal_append_seconds_sum') > 0);
      const syncs = delta('ringcast_wal_fsync_seconds_count');
      if (sync === 'always') {
        // Every commit that wrote is synced before its answer goes out.
        assert.equal(syncs, commits);
        assert.ok(after.value('ringcast_wal_fsync_seconds_sum') > 0);
      } else {
        assert.equal(syncs, 0);
        assert.equal(after.value('ringcast_wal_fsync_seconds_count'), 0);
        assert.equal(after.value('ringcast_wal_fsync_seconds_sum'), 0);
      }
      assert.equal(after.value('ringcast_store_readonly'), 0);
    } finally {
      await server.stop();
    }
  });
}

test('channel history: kept events, bytes and evictions by size are exported', async () => {
  const config = { apps: [{ id: APP.appId, key: APP.key, secret: APP.secret, history_size: 3 }] };
  const server = await startServer({ shards: 1, config });
  try {
    const before = await scrape(server.port);
    assert.equal(before.families.get('ringcast_history_evictions_total').type, 'counter');
    assert.equal(before.value('ringcast_history_events'), 0);
    assert.equal(before.value('ringcast_history_bytes'), 0);
    const api = pusherServer(server.port);
    for (let j = 0; j < 5; ++j) assert.equal((await api.trigger('kept', 'tick', { j })).status, 200);
    const after = await scrape(server.port);
    assert.equal(after.value('ringcast_history_events'), 3);
    assert.equal(after.value('ringcast_history_channels'), 1);
    assert.ok(after.value('ringcast_history_bytes') > 0);
    const evicted = (m, reason) => m.value('ringcast_history_evictions_total', { reason });
    assert.equal(evicted(after, 'size') - evicted(before, 'size'), 2);
    for (const reason of ['ttl', 'budget', 'logs']) assert.equal(evicted(after, reason), 0);
    assert.equal(after.value('ringcast_history_gaps_total'), 0);
  } finally {
    await server.stop();
  }
});

test('--metrics-port serves /metrics, /health and /ready there only; /ready is 503 while shutting down', async () => {
  const mport = await freePort();
  const server = await startServer({ shards: 1, args: ['--metrics-port', String(mport)], config: { limits: { shutdown_grace_ms: 3000 } } });
  try {
    assert.equal((await get(server.port, '/metrics')).status, 404);
    const m = await scrape(mport);
    assert.equal(m.value('ringcast_ready'), 1);
    assert.equal((await get(mport, '/health')).status, 200);
    assert.equal((await get(mport, '/ready')).status, 200);
    assert.equal((await get(mport, '/other')).status, 404);

    // Connected clients keep the server in its grace window after SIGTERM (their closes are
    // spread over it: the last one goes at its end).
    const sockets = [rawSocket(server.port), rawSocket(server.port), rawSocket(server.port)];
    for (const ws of sockets) await connected(ws);
    server.proc.kill('SIGTERM');
    let ready = null;
    for (let i = 0; i < 50 && ready !== 503; ++i) {
      ready = (await get(mport, '/ready')).status;
      if (ready !== 503) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(ready, 503);
    assert.equal((await get(mport, '/health')).status, 200);
    assert.equal((await scrape(mport)).value('ringcast_ready'), 0);
    for (const ws of sockets) ws.close();
  } finally {
    await server.stop();
  }
});

test('--log-format json writes one JSON object per line with ts, level and msg', async () => {
  const server = await startServer({ shards: 1, args: ['--log-format', 'json'] });
  await get(server.port, '/health');
  await server.stop();
  const lines = server.stderr().split('\n').filter(Boolean);
  assert.ok(lines.length >= 2, 'some lines were logged');
  for (const line of lines) {
    const rec = JSON.parse(line);
    assert.deepEqual(Object.keys(rec), ['ts', 'level', 'msg']);
    assert.match(rec.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(['debug', 'info', 'warn', 'error'].includes(rec.level));
    assert.equal(typeof rec.msg, 'string');
  }
  assert.ok(lines.some((l) => JSON.parse(l).msg.includes('received SIGTERM')));
});
