// SSE transport (GET /sse/{key}): the `eventsource` npm client receives REST-published events,
// resumes with Last-Event-ID (exactly once, in order, on either shard; also from the id a
// one-channel stream gets in the shared fan-out frame), sees a gap event when
// history no longer holds what it missed, and a stream that stops reading is dropped.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { EventSource } = require('eventsource');
const net = require('node:net');
const { APP, startServer, pusherServer, waitFor } = require('./lib/harness');
const { parsePrometheusText } = require('./lib/prom_text');

// Open SSE streams by /metrics (ringcast_connections{protocol="sse"}, summed over shards).
async function sseConnections(port) {
  const m = parsePrometheusText(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  return m.families.get('ringcast_connections').samples
    .filter((x) => x.labels.protocol === 'sse').reduce((a, x) => a + x.value, 0);
}

// A TCP proxy in front of the server that can cut every connection through it (the client's
// EventSource then reconnects on its own, with Last-Event-ID).
async function cuttingProxy(port) {
  const socks = new Set();
  const server = net.createServer((down) => {
    const up = net.connect(port, '127.0.0.1');
    socks.add(down); socks.add(up);
    down.pipe(up); up.pipe(down);
    const end = () => { down.destroy(); up.destroy(); socks.delete(down); socks.delete(up); };
    down.on('error', end); up.on('error', end); down.on('close', end); up.on('close', end);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    cut() { for (const s of socks) s.destroy(); socks.clear(); },
    close() { this.cut(); server.close(); },
  };
}

// Publishes `n` events numbered 0..n-1 on each channel, one REST call every `everyMs`.
async function publishSeries(pusher, channels, n, everyMs = 2) {
  for (let i = 0; i < n; i++) {
    await pusher.trigger(channels, 'ev', String(i));
    if (everyMs) await new Promise((r) => setTimeout(r, everyMs));
  }
}

function assertExactlyOnceInOrder(got, channels, n) {
  for (const ch of channels) {
    const seen = got.filter((g) => g.channel === ch).map((g) => Number(g.data));
    assert.deepStrictEqual(seen, [...Array(n).keys()], `channel ${ch}: every event once, in order`);
  }
}

function open(port, query, opts = {}) {
  const es = new EventSource(`http://127.0.0.1:${port}/sse/${APP.key}?${query}`, opts);
  const got = [];
  es.addEventListener('error', () => {});
  const listen = (name) => es.addEventListener(name, (e) => got.push({ name, id: e.lastEventId, ...JSON.parse(e.data) }));
  for (const n of opts.events || ['ev']) listen(n);
  const opened = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('stream did not open')), 5000);
    es.addEventListener('open', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
  return { es, got, opened };
}

test('an EventSource receives REST-published events with channel, event, data and id', async () => {
  const srv = await startServer({ shards: 2 });
  const pusher = pusherServer(srv.port);
  try {
    const { es, got, opened } = open(srv.port, 'channels=news,sport');
    await opened;
    await pusher.trigger('news', 'ev', { n: 1 });
    await pusher.trigger(['news', 'sport'], 'ev', 'two\nlines');
    await waitFor(() => got.length === 3);
    assert.deepStrictEqual(got.map((g) => [g.channel, g.event, g.data]), [
      ['news', 'ev', '{"n":1}'], ['news', 'ev', 'two\nlines'], ['sport', 'ev', 'two\nlines']]);
    const ids = got.map((g) => g.id.split(',').map((p) => Number(p.split('.')[1])));
    assert.deepStrictEqual(ids, [[1, 0], [2, 0], [2, 1]]);
    assert.strictEqual(await sseConnections(srv.port), 1, 'the open stream is counted as sse');
    es.close();
    let left = 1;
    for (let i = 0; i < 100 && left !== 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      left = await sseConnections(srv.port);
    }
    assert.strictEqual(left, 0, 'the closed stream is no longer counted');
  } finally {
    await srv.stop();
  }
});

test('one-channel streams share the fan-out frame: their ids are the event\'s epoch.seq, next to a two-channel stream', async () => {
  // A one-channel stream's id is the publication's own position, written once into the shared
  // frame (sse_encoder.h); a stream of several channels writes its own. Both must stay right,
  // on both shards, and a resume from a one-channel id must continue exactly after it.
  const srv = await startServer({ shards: 2 });
  const pusher = pusherServer(srv.port);
  try {
    const one = [open(srv.port, 'channels=solo'), open(srv.port, 'channels=solo')];
    const two = open(srv.port, 'channels=other,solo');
    await Promise.all([...one.map((o) => o.opened), two.opened]);
    for (let i = 0; i < 4; i++) await pusher.trigger('solo', 'ev', String(i));
    await waitFor(() => one.every((o) => o.got.length === 4) && two.got.length === 4);
    for (const o of one) {
      assert.deepStrictEqual(o.got.map((g) => g.data), ['0', '1', '2', '3']);
      const pos = o.got.map((g) => g.id.split('.'));
      assert.ok(pos.every((p) => p.length === 2 && p[0] === pos[0][0]), 'one position, one epoch: ' + o.got.map((g) => g.id));
      assert.deepStrictEqual(pos.map((p) => Number(p[1])), [1, 2, 3, 4]);
    }
    assert.deepStrictEqual(two.got.map((g) => g.id.split(',')[1]), one[0].got.map((g) => g.id),
      'the two-channel stream names solo at the same position');
    assert.ok(two.got.every((g) => /^\d+\.0,/.test(g.id)), 'and other at 0: ' + two.got.map((g) => g.id));
    for (const o of [...one, two]) o.es.close();
    const lastId = one[0].got[1].id;
    for (let i = 4; i < 6; i++) await pusher.trigger('solo', 'ev', String(i));
    const again = openOnShard(srv.port, 'channels=solo', lastId);
    await again.opened;
    await waitFor(() => again.got.length === 4);
    assert.deepStrictEqual(again.got.map((g) => g.data), ['2', '3', '4', '5'], 'resumed right after the id');
    again.es.close();
  } finally {
    await srv.stop();
  }
});

test('a stream cut mid-flight resumes with Last-Event-ID: every event exactly once, in order', async () => {
  const srv = await startServer({ shards: 2, args: ['--sse-retry-ms', '50'] });
  const pusher = pusherServer(srv.port);
  const proxy = await cuttingProxy(srv.port);
  try {
    const channels = ['a', 'b'];
    const { es, got, opened } = open(proxy.port, 'channels=a,b');
    let opens = 0;
    es.addEventListener('open', () => { opens++; });
    await opened;
    const N = 200;
    const pub = publishSeries(pusher, channels, N, 3);
    for (let k = 1; k <= 3; k++) {
      await waitFor(() => got.length >= k * 100);
      proxy.cut();
    }
    await pub;
    await waitFor(() => got.length >= 2 * N, 10000);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(opens >= 3, `reconnected (${opens} opens)`);
    assertExactlyOnceInOrder(got, channels, N);
    assert.strictEqual(got.length, 2 * N);
    es.close();
  } finally {
    proxy.close();
    await srv.stop();
  }
});

// Opens a stream and reports the shard that serves it (X-Ringcast-Shard).
function openOnShard(port, query, lastId) {
  let shard = null;
  const opts = {
    fetch: async (url, init) => {
      const headers = { ...(init.headers || {}) };
      if (lastId) headers['Last-Event-ID'] = lastId;
      const res = await fetch(url, { ...init, headers });
      shard = res.headers.get('x-ringcast-shard');
      return res;
    },
  };
  const o = open(port, query, opts);
  return { ...o, shard: () => shard };
}

test('resume on the other shard (--shards 2): every event exactly once, in order', async () => {
  const srv = await startServer({ shards: 2 });
  const pusher = pusherServer(srv.port);
  try {
    const channels = ['x', 'y'];
    const got = [];
    let cur = openOnShard(srv.port, 'channels=x,y');
    await cur.opened;
    const N = 150;
    const pub = publishSeries(pusher, channels, N, 2);
    const shards = new Set([cur.shard()]);
    let switches = 0;
    while (switches < 2) {
      await waitFor(() => cur.got.length >= 20);
      cur.es.close();
      got.push(...cur.got);
      const lastId = got[got.length - 1].id;
      // Reconnect until the stream lands on the other shard (the kernel picks the shard).
      const before = cur.shard();
      for (let tries = 0; ; tries++) {
        const next = openOnShard(srv.port, 'channels=x,y', lastId);
        await next.opened;
        if (next.shard() !== before || tries > 40) { cur = next; break; }
        next.es.close();
        // events it may have received are re-sent by the next resume (same Last-Event-ID)
      }
      shards.add(cur.shard());
      switches++;
    }
    await pub;
    await waitFor(() => got.length + cur.got.length >= 2 * N, 10000);
    got.push(...cur.got);
    cur.es.close();
    assert.strictEqual(shards.size, 2, 'the stream was served by both shards');
    assertExactlyOnceInOrder(got, channels, N);
  } finally {
    await srv.stop();
  }
});

test('events no longer in history are reported as a ringcast:gap event naming the channels', async () => {
  const config = { apps: [{ id: APP.appId, key: APP.key, secret: APP.secret, history_size: 100,
    history: [{ prefix: 'small-', size: 5 }] }] };
  const srv = await startServer({ shards: 2, config });
  const pusher = pusherServer(srv.port);
  try {
    const first = open(srv.port, 'channels=small-1,big');
    await first.opened;
    await pusher.trigger(['small-1', 'big'], 'ev', '0');
    await waitFor(() => first.got.length === 2);
    const lastId = first.got[1].id;
    first.es.close();
    for (let i = 1; i <= 20; i++) await pusher.trigger(['small-1', 'big'], 'ev', String(i));
    const gaps = [];
    const second = openOnShard(srv.port, 'channels=small-1,big', lastId);
    second.es.addEventListener('ringcast:gap', (e) => gaps.push(JSON.parse(e.data)));
    await second.opened;
    await waitFor(() => second.got.length === 25);
    assert.deepStrictEqual(gaps, [{ channels: ['small-1'] }]);
    const small = second.got.filter((g) => g.channel === 'small-1').map((g) => g.data);
    const big = second.got.filter((g) => g.channel === 'big').map((g) => g.data);
    assert.deepStrictEqual(small, ['16', '17', '18', '19', '20']);
    assert.deepStrictEqual(big, [...Array(20).keys()].map((i) => String(i + 1)));
    // A token from another epoch (or garbage) is a gap on every channel, never a silent hole.
    const gaps2 = [];
    const third = openOnShard(srv.port, 'channels=small-1,big', '1.5,1.5');
    third.es.addEventListener('ringcast:gap', (e) => gaps2.push(JSON.parse(e.data)));
    await third.opened;
    await waitFor(() => gaps2.length === 1);
    assert.deepStrictEqual(gaps2, [{ channels: ['small-1', 'big'] }]);
    for (const s of [second, third]) s.es.close();
  } finally {
    await srv.stop();
  }
});

function sseAuth(channels, expires, secret = APP.secret) {
  const crypto = require('node:crypto');
  const s = `sse\n${expires}\n${channels.map((c) => c + '\n').join('')}`;
  return `${APP.key}:${crypto.createHmac('sha256', secret).update(s).digest('hex')}`;
}

async function status(port, query) {
  const res = await fetch(`http://127.0.0.1:${port}/sse/${APP.key}?${query}`);
  const body = res.headers.get('content-type').startsWith('application/json') ? await res.json() : null;
  if (res.body) res.body.cancel().catch(() => {});
  return { status: res.status, body };
}

test('private channels on SSE need a valid, unexpired signature; names follow the generic rule', async () => {
  const srv = await startServer({ shards: 1 });
  const pusher = pusherServer(srv.port);
  try {
    const exp = Math.floor(Date.now() / 1000) + 60;
    const chans = ['private-a', 'news'];
    const q = (auth, expires = exp) => `channels=${chans.join(',')}&expires=${expires}&auth=${encodeURIComponent(auth)}`;
    assert.strictEqual((await status(srv.port, 'channels=private-a')).status, 401);
    assert.strictEqual((await status(srv.port, q(sseAuth(chans, exp, 'wrong')))).status, 401);
    assert.strictEqual((await status(srv.port, q(sseAuth(chans, exp - 120), exp - 120))).status, 401);
    assert.strictEqual((await status(srv.port, q(sseAuth(['private-a'], exp)))).status, 401);
    assert.strictEqual((await status(srv.port, 'channels=has%20space')).status, 400);
    assert.strictEqual((await status(srv.port, 'channels=%23internal')).status, 400);
    const { es, got, opened } = open(srv.port, q(sseAuth(chans, exp)));
    await opened;
    await pusher.trigger('private-a', 'ev', 'secret');
    await waitFor(() => got.length === 1);
    assert.deepStrictEqual([got[0].channel, got[0].data], ['private-a', 'secret']);
    es.close();
    // Names Pusher refuses are channels on SSE (a colon here).
    const colon = open(srv.port, 'channels=user:online');
    await colon.opened;
    colon.es.close();
  } finally {
    await srv.stop();
  }
});

test('a stream that stops reading is dropped under max_outbound_bytes; SIGTERM ends streams cleanly', async () => {
  const srv = await startServer({ shards: 1, config: { limits: { max_outbound_bytes: 256 * 1024 } } });
  const pusher = pusherServer(srv.port);
  try {
    // A raw client that sends the request and never reads.
    const stuck = net.connect(srv.port, '127.0.0.1');
    stuck.write(`GET /sse/${APP.key}?channels=flood HTTP/1.1\r\nHost: x\r\n\r\n`);
    stuck.pause();
    let closed = false;
    stuck.on('close', () => { closed = true; });
    stuck.on('error', () => {});
    const healthy = open(srv.port, 'channels=flood');
    await healthy.opened;
    const big = 'x'.repeat(9000);
    const N = 1500;  // 13.5 MB: more than loopback socket buffers hold
    for (let i = 0; i < N; i++) await pusher.trigger('flood', 'ev', big);
    await waitFor(() => healthy.got.length === N, 20000).catch((e) => { throw new Error(`healthy got ${healthy.got.length}: ${e.message}`); });
    // The stuck stream was cut: once it reads again it gets far less than was published, then EOF.
    stuck.resume();
    let bytes = 0;
    stuck.on('data', (d) => { bytes += d.length; });
    await waitFor(() => closed, 15000);
    assert.ok(bytes < N * 9000, `the stuck stream got ${bytes} bytes before it was dropped`);
    // SIGTERM: the healthy stream ends (EOF after what was queued) and the server exits 0.
    const ended = new Promise((r) => healthy.es.addEventListener('error', r, { once: true }));
    const exit = await srv.stop('SIGTERM');
    await ended;
    assert.strictEqual(exit.code, 0);
    healthy.es.close();
  } finally {
    await srv.stop();
  }
});

test('a stream cut before its first event still resumes (the starting id comes with the headers)', async () => {
  const srv = await startServer({ shards: 2, args: ['--sse-retry-ms', '300'] });
  const pusher = pusherServer(srv.port);
  const proxy = await cuttingProxy(srv.port);
  try {
    const { es, got, opened } = open(proxy.port, 'channels=quiet');
    await opened;
    await new Promise((r) => setTimeout(r, 50));
    proxy.cut();
    for (let i = 0; i < 3; i++) await pusher.trigger('quiet', 'ev', String(i));
    await waitFor(() => got.length === 3, 5000);
    assert.deepStrictEqual(got.map((g) => g.data), ['0', '1', '2']);
    es.close();
  } finally {
    proxy.close();
    await srv.stop();
  }
});

test('a resume whose missed events are more than max_outbound_bytes gets a gap and the newest, not a cut', async () => {
  const srv = await startServer({ shards: 1, config: { limits: { max_outbound_bytes: 64 * 1024 } } });
  const pusher = pusherServer(srv.port);
  try {
    const first = open(srv.port, 'channels=wide,thin');
    await first.opened;
    await pusher.trigger(['wide', 'thin'], 'ev', 'start');
    await waitFor(() => first.got.length === 2);
    const lastId = first.got[1].id;
    first.es.close();
    const big = 'x'.repeat(9000);
    for (let i = 0; i < 20; i++) await pusher.trigger('wide', 'ev', big + i);  // 180 KB missed
    await pusher.trigger('thin', 'ev', 'small');
    const gaps = [];
    const second = openOnShard(srv.port, 'channels=wide,thin', lastId);
    second.es.addEventListener('ringcast:gap', (e) => gaps.push(JSON.parse(e.data)));
    await second.opened;
    await waitFor(() => second.got.some((g) => g.channel === 'thin'));
    assert.deepStrictEqual(gaps, [{ channels: ['wide'] }]);
    const wide = second.got.filter((g) => g.channel === 'wide').map((g) => Number(g.data.slice(9000)));
    assert.ok(wide.length > 0 && wide.length < 20, `some of wide's events (${wide.length})`);
    assert.deepStrictEqual(wide, [...Array(wide.length).keys()].map((k) => 20 - wide.length + k), 'the newest, in order');
    assert.deepStrictEqual(second.got.filter((g) => g.channel === 'thin').map((g) => g.data), ['small']);
    await pusher.trigger('wide', 'ev', 'live');
    await waitFor(() => second.got.some((g) => g.data === 'live'));
    // Resuming from here asks for nothing left out again.
    const resumeId = second.got[second.got.length - 1].id;
    second.es.close();
    const gaps3 = [];
    const third = openOnShard(srv.port, 'channels=wide,thin', resumeId);
    third.es.addEventListener('ringcast:gap', (e) => gaps3.push(JSON.parse(e.data)));
    await third.opened;
    await pusher.trigger('thin', 'ev', 'after');
    await waitFor(() => third.got.length === 1);
    assert.deepStrictEqual([gaps3, third.got[0].data], [[], 'after']);
    third.es.close();
  } finally {
    await srv.stop();
  }
});
