// A socket.io server doing ringcast's job for the benchmarks (bench/scenarios).
//   Clients connect over WebSocket only (transports: ['websocket'], no HTTP long-polling, no
//     permessage-deflate) to the default namespace and join a room by emitting
//     "subscribe" with the room name; the server joins the socket to the room and acknowledges
//     with the room name (ringcast-bench --protocol socketio waits for that ack).
//   POST /apps/{id}/events and /batch_events: the same signed Pusher REST body ringcast takes
//     (verified, pusher_rest.js); each event is broadcast with io.to(channel).emit(name, data),
//     which encodes the packet once and writes it to every socket of the room.
// One process, one thread (node's event loop), the default in-memory adapter. Prints
// "listening on HOST:PORT". Usage: node socketio_server.js [--port 6001] [--host 127.0.0.1]
//   [--app-id app-id] [--key app-key] [--secret app-secret]
'use strict';
const http = require('node:http');
const { Server } = require('socket.io');
const { createRestHandler, parseArgs } = require('./pusher_rest');

const opts = parseArgs(process.argv, {
  port: 6001, host: '127.0.0.1', appId: 'app-id', key: 'app-key', secret: 'app-secret',
});
const rest = createRestHandler({ appId: opts.appId, key: opts.key, secret: opts.secret });

const server = http.createServer((req, res) => {
  if (req.url.startsWith('/socket.io/')) return;  // engine.io answers these
  if (!rest(req, res, (channel, name, data) => io.to(channel).emit(name, data))) {
    res.writeHead(404, { 'Content-Length': 0 });
    res.end();
  }
});

const io = new Server(server, {
  transports: ['websocket'],
  serveClient: false,
  perMessageDeflate: false,
  httpCompression: false,
});

io.on('connection', (socket) => {
  socket.on('subscribe', (room, ack) => {
    if (typeof room !== 'string') return;
    socket.join(room);
    if (typeof ack === 'function') ack(room);
  });
});

server.listen(opts.port, opts.host, 65535, () => {
  process.stdout.write(`listening on ${opts.host}:${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
