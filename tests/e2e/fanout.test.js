// Fan-out: many messages to many subscribers over several shards, exact counts and order; a
// stalled reader is cut off while the others keep receiving everything.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { startServer, pusherServer, rawSocket, connected, subscribe, shardOf, waitFor, stalledSubscriber } = require('./lib/harness');

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]);
}

// Publishes `count` events named 'seq' with data "0".."count-1" on `channel`, 10 per batch call.
async function publishSeq(api, channel, count, payload = '') {
  for (let i = 0; i < count; i += 10) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 10); ++j) batch.push({ channel, name: 'seq', data: `${j}${payload}` });
    const res = await api.triggerBatch(batch);
    assert.equal(res.status, 200);
  }
}

test('every subscriber on every shard gets every message exactly once, in order', async () => {
  const server = await startServer({ shards: 2 });
  try {
    const subscribers = [];
    for (let i = 0; i < 40; ++i) subscribers.push(rawSocket(server.port));
    const shards = new Set();
    for (const ws of subscribers) {
      const est = await connected(ws);
      shards.add(shardOf(est.parsed.socket_id));
      await subscribe(ws, 'fan');
    }
    assert.deepEqual([...shards].sort(), [0, 1], 'subscribers landed on both shards');
    const api = pusherServer(server.port);
    const N = 500;
    await publishSeq(api, 'fan', N);
    for (const ws of subscribers) {
      await ws.next((m) => m.event === 'seq' && m.data === String(N - 1), 15000);
      const seq = ws.messages.filter((m) => m.event === 'seq').map((m) => Number(m.data));
      assert.equal(seq.length, N);
      for (let i = 0; i < N; ++i) assert.equal(seq[i], i);
      ws.close();
    }
  } finally {
    await server.stop();
  }
});

test('a subscriber on each shard receives every message once, in order (two shards)', async () => {
  const server = await startServer({ shards: 2 });
  try {
    const byShard = new Map();
    const extra = [];
    while (byShard.size < 2 && extra.length < 64) {
      const ws = rawSocket(server.port);
      const est = await connected(ws);
      const shard = shardOf(est.parsed.socket_id);
      if (byShard.has(shard)) extra.push(ws); else byShard.set(shard, ws);
    }
    assert.equal(byShard.size, 2);
    for (const ws of byShard.values()) await subscribe(ws, 'two-shards');
    const api = pusherServer(server.port);
    await publishSeq(api, 'two-shards', 200);
    for (const ws of byShard.values()) {
      await ws.next((m) => m.data === '199', 10000);
      assert.deepEqual(ws.messages.filter((m) => m.event === 'seq').map((m) => Number(m.data)), [...Array(200).keys()]);
    }
    for (const ws of [...byShard.values(), ...extra]) ws.close();
  } finally {
    await server.stop();
  }
});

test('a stalled reader is closed with 4100 and its memory released; others keep receiving', async () => {
  const server = await startServer({ shards: 1, config: { limits: { max_outbound_bytes: 256 * 1024 } } });
  try {
    const healthy = rawSocket(server.port);
    await connected(healthy);
    await subscribe(healthy, 'slow');

    const { ws: stalled, closed: stalledClose } = await stalledSubscriber(server.port, 'slow');

    const rssBefore = rssKiB(server.proc.pid);
    const api = pusherServer(server.port);
    const payload = '.'.repeat(8000);
    const N = 2500;  // ~20 MB: more than the socket buffers plus the 256 KiB cap
    await publishSeq(api, 'slow', N, payload);
    await healthy.next((m) => m.data === `${N - 1}${payload}`, 30000);
    const seq = healthy.messages.filter((m) => m.event === 'seq').map((m) => parseInt(m.data, 10));
    assert.equal(seq.length, N);
    for (let i = 0; i < N; ++i) assert.equal(seq[i], i);
    const rssAfter = rssKiB(server.proc.pid);
    assert.ok(rssAfter - rssBefore < 64 * 1024, `server RSS grew by ${rssAfter - rssBefore} KiB`);

    stalled._socket.resume();
    const code = await stalledClose;
    assert.equal(code, 4100);
    healthy.close();
  } finally {
    await server.stop();
  }
});

test('subscribers that close mid-stream do not disturb the others', async () => {
  const server = await startServer({ shards: 2 });
  try {
    const keep = [];
    const drop = [];
    for (let i = 0; i < 20; ++i) {
      const ws = rawSocket(server.port);
      await connected(ws);
      await subscribe(ws, 'churn');
      (i % 2 ? keep : drop).push(ws);
    }
    const api = pusherServer(server.port);
    const publishing = publishSeq(api, 'churn', 300);
    await new Promise((r) => setTimeout(r, 20));
    for (const ws of drop) ws.terminate();
    await publishing;
    for (const ws of keep) {
      await ws.next((m) => m.data === '299', 10000);
      assert.equal(ws.messages.filter((m) => m.event === 'seq').length, 300);
      ws.close();
    }
    await waitFor(() => true);
  } finally {
    await server.stop();
  }
});
