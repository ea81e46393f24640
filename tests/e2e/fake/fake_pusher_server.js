// A deliberately faulty Pusher-compatible server for testing ringcast-bench's checks.
//
// Speaks enough of Pusher protocol 7 and the HTTP API for the bench: WebSocket at /app/{key}
// (connection_established, pusher:subscribe with private-channel auth checked, pusher:ping,
// client-* events relayed to the channel's other subscribers), and signed POST
// /apps/{id}/events and /batch_events (the signature is verified independently of the bench's
// C++ signing code, with Node's crypto), and ringcast's SSE stream GET /sse/{key}?channels=C
// (docs/protocols/sse.md: `ringcast:open` first, then `event:`/`data:`/`id:` records and a
// heartbeat comment; private channels need `expires` and `auth`, checked here too; each record
// is written in two pieces, split inside its data line, so readers must reassemble). Faults, per channel, counting every event published
// on that channel from 0: event number --drop N is never delivered to anyone, and event number
// --swap M is held back and delivered right after event M+1. Prints "listening on HOST:PORT".
// Usage: node fake_pusher_server.js [--port 0] [--drop N] [--swap M] [--app-id ID]
//        [--key KEY] [--secret SECRET]   (--drop/--swap -1 turn a fault off)
'use strict';
const http = require('node:http');
const crypto = require('node:crypto');
const path = require('node:path');
const WebSocket = require(path.join(__dirname, '..', 'node_modules', 'ws'));

function parseArgs(argv) {
  const opts = { port: 0, drop: -1, swap: -1, appId: 'app-id', key: 'app-key', secret: 'app-secret' };
  const names = { '--port': 'port', '--drop': 'drop', '--swap': 'swap', '--app-id': 'appId', '--key': 'key', '--secret': 'secret' };
  for (let i = 2; i < argv.length; i += 2) {
    const name = names[argv[i]];
    if (!name) throw new Error('unknown option ' + argv[i]);
    opts[name] = ['port', 'drop', 'swap'].includes(name) ? Number(argv[i + 1]) : argv[i + 1];
  }
  return opts;
}

const opts = parseArgs(process.argv);
const hmac = (text) => crypto.createHmac('sha256', opts.secret).update(text).digest('hex');

// channel -> { subscribers: Set<ws>, streams: Set<http.ServerResponse>, published: number,
//             held: {frame, record, except} | null }
const channels = new Map();
function channelState(name) {
  if (!channels.has(name)) {
    channels.set(name, { subscribers: new Set(), streams: new Set(), published: 0, held: null });
  }
  return channels.get(name);
}

let nextId = 1;
function deliver(ch, frame, record, except) {
  for (const ws of ch.subscribers) {
    if (ws !== except && ws.readyState === WebSocket.OPEN) ws.send(frame);
  }
  for (const res of ch.streams) {
    const cut = record.indexOf('data: ') + 9;
    res.write(record.slice(0, cut));
    res.write(record.slice(cut) + `id: 1.${nextId++}\n\n`);
  }
}

// Every event goes through here, in publish order, with the faults applied.
function publish(channel, event, data, except = null) {
  const ch = channelState(channel);
  const n = ch.published++;
  const frame = JSON.stringify({ event, channel, data });
  const record = `event: ${event}\ndata: ${JSON.stringify({ channel, event, data })}\n`;
  if (n === opts.drop) return;
  if (n === opts.swap) {
    ch.held = { frame, record, except };
    return;
  }
  deliver(ch, frame, record, except);
  if (ch.held && n === opts.swap + 1) {
    deliver(ch, ch.held.frame, ch.held.record, ch.held.except);
    ch.held = null;
  }
}

// Pusher REST signature (auth_version 1.0): sorted params without auth_signature.
function verifySignature(method, pathname, query, body) {
  const params = {};
  for (const [k, v] of query) params[k.toLowerCase()] = v;
  if (params.auth_key !== opts.key) return 'bad auth_key';
  const md5 = crypto.createHash('md5').update(body).digest('hex');
  if (body.length > 0 && params.body_md5 !== md5) return 'bad body_md5';
  if (Math.abs(Date.now() / 1000 - Number(params.auth_timestamp)) > 600) return 'bad auth_timestamp';
  const signed = Object.keys(params).filter((k) => k !== 'auth_signature').sort()
    .map((k) => `${k}=${params[k]}`).join('&');
  const expected = hmac(`${method}\n${pathname}\n${signed}`);
  return expected === params.auth_signature ? null : 'bad auth_signature';
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const reply = (status, obj) => {
      const text = JSON.stringify(obj);
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.method === 'GET' && url.pathname.startsWith('/sse/')) return stream(req, res, url, reply);
    const m = /^\/apps\/([^/]+)\/(events|batch_events)$/.exec(url.pathname);
    if (req.method !== 'POST' || !m || m[1] !== opts.appId) return reply(404, { error: 'not found' });
    const bad = verifySignature('POST', url.pathname, url.searchParams, body);
    if (bad) return reply(401, { error: bad });
    let msg;
    try { msg = JSON.parse(body.toString('utf8')); } catch { return reply(400, { error: 'bad JSON' }); }
    if (m[2] === 'events') {
      for (const channel of msg.channels || [msg.channel]) publish(channel, msg.name, msg.data);
    } else {
      for (const e of msg.batch) publish(e.channel, e.name, e.data);
    }
    reply(200, {});
  });
});

// GET /sse/{key}?channels=a,b[&expires=T&auth=KEY:SIG]: ringcast's event stream, live only.
function stream(req, res, url, reply) {
  if (url.pathname !== `/sse/${opts.key}`) return reply(404, { error: 'Unknown app key', code: 404 });
  const list = (url.searchParams.get('channels') || '').split(',').filter((c) => c !== '');
  if (list.length === 0) return reply(400, { error: 'Missing channels', code: 400 });
  if (list.some((c) => c.startsWith('private-') || c.startsWith('presence-'))) {
    const expires = url.searchParams.get('expires') || '';
    const want = `${opts.key}:${hmac(`sse\n${expires}\n${list.map((c) => c + '\n').join('')}`)}`;
    if (url.searchParams.get('auth') !== want || Number(expires) < Date.now() / 1000) {
      return reply(401, { error: 'Invalid signature', code: 401 });
    }
  }
  res.useChunkedEncodingByDefault = false;  // a body until close, as ringcast sends it
  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'close' });
  res.flushHeaders();
  res.write('retry: 2000\n\nevent: ringcast:open\ndata: {}\nid: 1.0\n\n:\n\n');
  for (const c of list) channelState(c).streams.add(res);
  res.on('close', () => { for (const c of list) channelState(c).streams.delete(res); });
}

const wss = new WebSocket.Server({ noServer: true });
let nextSocket = 1;
server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname !== `/app/${opts.key}`) {
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const socketId = `${process.pid}.${nextSocket++}`;
    const joined = new Set();
    const send = (event, data, channel) => {
      const m = { event, data: JSON.stringify(data) };
      if (channel !== undefined) m.channel = channel;
      ws.send(JSON.stringify(m));
    };
    send('pusher:connection_established', { socket_id: socketId, activity_timeout: 120 });
    ws.on('message', (raw) => {
      let msg;
      try { msg = JSON.parse(String(raw)); } catch { return send('pusher:error', { code: 4200, message: 'bad JSON' }); }
      if (msg.event === 'pusher:ping') return send('pusher:pong', {});
      if (msg.event === 'pusher:subscribe') {
        const channel = msg.data.channel;
        if (channel.startsWith('private-') && msg.data.auth !== `${opts.key}:${hmac(`${socketId}:${channel}`)}`) {
          return send('pusher:subscription_error', { type: 'AuthError', error: 'bad auth', status: 401 }, channel);
        }
        channelState(channel).subscribers.add(ws);
        joined.add(channel);
        return send('pusher_internal:subscription_succeeded', {}, channel);
      }
      if (typeof msg.event === 'string' && msg.event.startsWith('client-')) {
        if (!msg.channel.startsWith('private-') || !joined.has(msg.channel)) {
          return send('pusher:error', { code: 4301, message: 'client event rejected' });
        }
        return publish(msg.channel, msg.event, msg.data, ws);
      }
    });
    ws.on('close', () => { for (const c of joined) channelState(c).subscribers.delete(ws); });
  });
});

server.listen(opts.port, '127.0.0.1', () => {
  process.stdout.write(`listening on 127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
