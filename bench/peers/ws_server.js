// A plain `ws` broadcast server doing ringcast's job for the benchmarks (bench/scenarios): the
// minimal Pusher subset ringcast-bench needs, so that the bench drives it unchanged.
//   WebSocket GET /app/{key}: sends pusher:connection_established, answers pusher:subscribe
//     (public channels; private- channels are accepted without checking auth) with
//     pusher_internal:subscription_succeeded, and pusher:ping with pusher:pong.
//   POST /apps/{id}/events and /batch_events: signed (verified, pusher_rest.js); each event is
//     serialized once to {"event","channel","data"} as a Buffer, and the server loops over the
//     channel's sockets calling ws.send(buffer) (ws frames it per socket, one socket write per
//     delivery unless the socket is backed up).
// One process, one thread (node's event loop); no permessage-deflate. Prints
// "listening on HOST:PORT". Usage: node ws_server.js [--port 6001] [--host 127.0.0.1]
//   [--app-id app-id] [--key app-key] [--secret app-secret]
'use strict';
const http = require('node:http');
const { WebSocketServer, WebSocket } = require('ws');
const { createRestHandler, parseArgs } = require('./pusher_rest');

const opts = parseArgs(process.argv, {
  port: 6001, host: '127.0.0.1', appId: 'app-id', key: 'app-key', secret: 'app-secret',
});
const rest = createRestHandler({ appId: opts.appId, key: opts.key, secret: opts.secret });

const channels = new Map();  // name -> Set<WebSocket>

function publish(channel, event, data) {
  const subs = channels.get(channel);
  if (!subs || subs.size === 0) return;
  const frame = Buffer.from(JSON.stringify({ event, channel, data }));
  for (const ws of subs) {
    if (ws.readyState === WebSocket.OPEN) ws.send(frame, { binary: false });
  }
}

const server = http.createServer((req, res) => {
  if (!rest(req, res, publish)) {
    res.writeHead(404, { 'Content-Length': 0 });
    res.end();
  }
});
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
let nextSocket = 1;
server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname !== `/app/${opts.key}`) {
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const socketId = `${process.pid}.${nextSocket++}`;
    const joined = [];
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
      if (msg.event === 'pusher:subscribe' && msg.data && typeof msg.data.channel === 'string') {
        const channel = msg.data.channel;
        if (!channels.has(channel)) channels.set(channel, new Set());
        channels.get(channel).add(ws);
        joined.push(channel);
        return send('pusher_internal:subscription_succeeded', {}, channel);
      }
      return undefined;
    });
    ws.on('close', () => {
      for (const c of joined) {
        const subs = channels.get(c);
        if (subs) {
          subs.delete(ws);
          if (subs.size === 0) channels.delete(c);
        }
      }
    });
  });
});

server.listen(opts.port, opts.host, 65535, () => {
  process.stdout.write(`listening on ${opts.host}:${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
