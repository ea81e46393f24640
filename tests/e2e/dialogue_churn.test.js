// Churn and flood for Socket.IO sessions (issue 14): waves of clients on every transport
// (WebSocket, polling, polling upgraded, and raw ones that vanish without a goodbye) join a room
// and go; every app connection slot and every membership is freed (the app's max_connections
// admits a full set again; the room's channel is vacated). Thousands of sockets that never
// answer the ping are closed by the server, and nothing of them stays. A client flooding
// messages gets one RATE_LIMITED per second and the rest dropped, and stays served.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const WebSocket = require('ws');
const { io } = require('socket.io-client');
const { startServer, pusherServer, APP } = require('./lib/harness');
const { parsePrometheusText } = require('./lib/prom_text');

const ROOMS = [{ id: 'sandbox', name: 'Sandbox', events: [{ name: '*' }], defaultSubscriptions: ['*'] }];
const SLOTS = 40;

function sioClient(port, transports, userId) {
  const s = io(`http://127.0.0.1:${port}`, { auth: { userId }, transports, reconnection: false });
  s.ready = new Promise((resolve, reject) => { s.once('dialogue:connected', resolve); s.once('connect_error', reject); });
  return s;
}

// A raw WebSocket Socket.IO client that joins, then is cut without a close frame.
function rawWsJoin(port) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    ws.on('error', reject);
    ws.on('message', (d) => {
      const t = d.toString();
      if (t[0] === '0') ws.send('40{"userId":"raw"}');
      if (t.startsWith('42["dialogue:connected"')) ws.send('42["dialogue:join",{"roomId":"sandbox"}]');
      if (t.startsWith('42["dialogue:joined"')) resolve(ws);
    });
  });
}

function request(port, method, query, body = null) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: `/socket.io/?${query}`, agent: false }, (res) => {
      let data = '';
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode, body: data }));
    });
    req.on('error', reject);
    if (body !== null) req.write(body);
    req.end();
  });
}

// A raw polling session that joins and is then abandoned (never polled again).
async function rawPollJoin(port) {
  const hs = await request(port, 'GET', 'EIO=4&transport=polling');
  assert.equal(hs.status, 200, hs.body);
  const q = `EIO=4&transport=polling&sid=${encodeURIComponent(JSON.parse(hs.body.slice(1)).sid)}`;
  await request(port, 'POST', q, '40{"userId":"gone"}\x1e42["dialogue:join",{"roomId":"sandbox"}]');
  for (;;) {
    const res = await request(port, 'GET', q);
    if (res.body.includes('dialogue:joined')) return;
  }
}

test('churn: waves of clients on every transport join and go; every slot and membership is freed', async () => {
  const server = await startServer({
    shards: 2,
    config: {
      apps: [{ id: APP.appId, key: APP.key, secret: APP.secret, max_connections: SLOTS }],
      dialogue: { ping_interval_ms: 300, ping_timeout_ms: 300, rooms: ROOMS },
    },
  });
  const api = pusherServer(server.port);
  try {
    for (let wave = 0; wave < 6; ++wave) {
      const clients = [];
      for (let i = 0; i < 24; ++i) clients.push(sioClient(server.port, [['websocket'], ['polling'], ['polling', 'websocket']][i % 3], `w${wave}-${i}`));
      for (const s of clients) await s.ready;
      const raws = [];
      for (let i = 0; i < 8; ++i) raws.push(await rawWsJoin(server.port));
      for (let i = 0; i < 8; ++i) await rawPollJoin(server.port);
      for (const s of clients) await s.timeout(5000).emitWithAck('dialogue:join', { roomId: 'sandbox' });
      const got = clients.map((s) => new Promise((resolve) => s.once('dialogue:event', resolve)));
      await api.trigger('sandbox', 'wave', String(wave));
      for (const g of got) assert.equal((await g).data, wave);
      // Half leave politely, half vanish: sockets cut, polls abandoned (closed by the ping timeout).
      clients.forEach((s, i) => (i % 2 === 0 ? s.disconnect() : s.io.engine.close()));
      for (const ws of raws) ws.terminate();
      await new Promise((r) => setTimeout(r, 900));
    }
    // Every slot is back: a full set connects; then the room empties.
    const last = [];
    for (let i = 0; i < SLOTS; ++i) last.push(sioClient(server.port, ['websocket'], `last${i}`));
    for (const s of last) await s.ready;
    for (const s of last) s.disconnect();
    let info;
    for (let tries = 0; tries < 50; ++tries) {
      info = await (await api.get({ path: '/channels/sandbox', params: {} })).json();
      if (info.occupied === false) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(info.occupied, false, JSON.stringify(info));
  } finally {
    await server.stop();
  }
});

test('server-initiated closes: 1,600 WebSocket and 400 polling sockets that never answer the ping are all closed; nothing stays', async () => {
  const server = await startServer({ shards: 2, config: { dialogue: { ping_interval_ms: 200, ping_timeout_ms: 200, rooms: ROOMS } } });
  const api = pusherServer(server.port);
  try {
    const closes = [];
    const joined = [];
    for (let i = 0; i < 1600; ++i) {
      joined.push(new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`);
        ws.on('error', reject);
        closes.push(new Promise((r) => ws.on('close', (code) => r(code))));
        ws.on('message', (d) => {
          const t = d.toString();
          // Connect and join at once; the pings ("2") go unanswered.
          if (t[0] === '0') { ws.send('40'); ws.send('42["dialogue:join",{"roomId":"sandbox"}]'); }
          if (t.startsWith('42["dialogue:joined"')) resolve();
        });
      }));
      if (i % 200 === 199) await Promise.all(joined.slice(i - 199));
    }
    for (let i = 0; i < 400; ++i) {
      const hs = await request(server.port, 'GET', 'EIO=4&transport=polling');
      const q = `EIO=4&transport=polling&sid=${encodeURIComponent(JSON.parse(hs.body.slice(1)).sid)}`;
      await request(server.port, 'POST', q, '40\x1e42["dialogue:join",{"roomId":"sandbox"}]');
    }
    await Promise.all(joined);
    const codes = await Promise.all(closes);
    assert.ok(codes.every((c) => c === 4000), `ping timeout closes: ${[...new Set(codes)]}`);
    let scraped;
    for (let tries = 0; tries < 50; ++tries) {
      scraped = parsePrometheusText(await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text());
      const info = await (await api.get({ path: '/channels/sandbox', params: {} })).json();
      if (scraped.sum('ringcast_connections', { protocol: 'socketio' }) === 0 && info.occupied === false) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(scraped.sum('ringcast_connections', { protocol: 'socketio' }), 0);
    const info = await (await api.get({ path: '/channels/sandbox', params: {} })).json();
    assert.equal(info.occupied, false, 'every membership is gone, polling ones included');
  } finally {
    await server.stop();
  }
});

test('flood: messages beyond client_messages_per_second are dropped with one RATE_LIMITED per second; the client stays served', async () => {
  const server = await startServer({ shards: 2, config: { limits: { client_messages_per_second: 100 }, dialogue: { rooms: ROOMS } } });
  const s = sioClient(server.port, ['websocket'], 'flood');
  try {
    await s.ready;
    let rooms = 0;
    const errors = [];
    s.on('dialogue:rooms', () => { rooms++; });
    s.on('dialogue:error', (e) => errors.push(e.code));
    for (let i = 0; i < 3000; ++i) s.emit('dialogue:listRooms');
    await new Promise((r) => setTimeout(r, 1200));
    assert.ok(rooms >= 90 && rooms <= 300, `answered ${rooms}`);  // the CONNECT counts too
    assert.ok(errors.length >= 1 && errors.length <= 3, `errors ${errors}`);
    assert.ok(errors.every((c) => c === 'RATE_LIMITED'));
    assert.deepEqual(await s.timeout(3000).emitWithAck('dialogue:join', { roomId: 'sandbox' }), { roomId: 'sandbox', roomName: 'Sandbox' });
  } finally {
    s.disconnect();
    await server.stop();
  }
});
