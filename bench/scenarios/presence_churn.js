// bench/scenarios/presence_churn.js: the presence churn of presence_churn.sh. Opens --connections
// WebSockets (Pusher protocol 7) and keeps joining and leaving presence channels
// presence-churn-0..(--channels - 1) at --rate joins plus leaves per second in all (each join
// signed with the app secret, a distinct user id per connection), while publishing --publish-rate
// REST events per second to the same channels (signed, HTTP keep-alive). Runs until
// SIGTERM/SIGINT or --duration, then prints one JSON line: joins and leaves sent, confirmations,
// member events and channel events received, refusals, publishes answered by status.
// Dependencies: ws (bench/peers/node_modules).
// Usage: node presence_churn.js --port P [--connections 50] [--channels 10] [--rate 1000]
//          [--publish-rate 100] [--app-id app-id] [--app-key app-key] [--app-secret app-secret]
//          [--duration 0 (until a signal)]
'use strict';
const crypto = require('node:crypto');
const http = require('node:http');
const path = require('node:path');
const WebSocket = require(path.resolve(__dirname, '../peers/node_modules/ws'));

const opt = { port: 6001, connections: 50, channels: 10, rate: 1000, 'publish-rate': 100,
  'app-id': 'app-id', 'app-key': 'app-key', 'app-secret': 'app-secret', duration: 0 };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in opt)) { console.error(`unknown option ${process.argv[i]}`); process.exit(2); }
  opt[k] = typeof opt[k] === 'number' ? Number(process.argv[i + 1]) : process.argv[i + 1];
}

const stats = { joins: 0, leaves: 0, succeeded: 0, member_added: 0, member_removed: 0,
  channel_events: 0, refused: 0, publishes: {}, seconds: 0 };
const hmac = (s) => crypto.createHmac('sha256', opt['app-secret']).update(s).digest('hex');
const started = Date.now();
let stopping = false;
const conns = [];

function open(i) {
  const ws = new WebSocket(`ws://127.0.0.1:${opt.port}/app/${opt['app-key']}?protocol=7&client=js&version=8.6.0&flash=false`);
  const c = { ws, socketId: null, joined: new Set(), user: `churn-${i}` };
  ws.on('message', (raw) => {
    const m = JSON.parse(String(raw));
    if (m.event === 'pusher:connection_established') c.socketId = JSON.parse(m.data).socket_id;
    else if (m.event === 'pusher_internal:subscription_succeeded') ++stats.succeeded;
    else if (m.event === 'pusher_internal:member_added') ++stats.member_added;
    else if (m.event === 'pusher_internal:member_removed') ++stats.member_removed;
    else if (m.event === 'pusher:subscription_error') { ++stats.refused; c.joined.delete(m.channel); }
    else if (m.event === 'churn') ++stats.channel_events;
  });
  ws.on('error', () => {});
  conns.push(c);
}

// One join or leave on a random connection and channel.
function step() {
  const c = conns[Math.floor(Math.random() * conns.length)];
  if (!c.socketId || c.ws.readyState !== WebSocket.OPEN) return;
  const channel = `presence-churn-${Math.floor(Math.random() * opt.channels)}`;
  if (c.joined.has(channel)) {
    c.joined.delete(channel);
    ++stats.leaves;
    c.ws.send(JSON.stringify({ event: 'pusher:unsubscribe', data: { channel } }));
  } else {
    c.joined.add(channel);
    ++stats.joins;
    const channelData = JSON.stringify({ user_id: c.user, user_info: { n: c.user } });
    const auth = `${opt['app-key']}:${hmac(`${c.socketId}:${channel}:${channelData}`)}`;
    c.ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel, auth, channel_data: channelData } }));
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
function publish() {
  const channel = `presence-churn-${Math.floor(Math.random() * opt.channels)}`;
  const body = JSON.stringify({ name: 'churn', channels: [channel], data: '{"t":1}' });
  const p = `/apps/${opt['app-id']}/events`;
  const params = { auth_key: opt['app-key'], auth_timestamp: String(Math.floor(Date.now() / 1000)),
    auth_version: '1.0', body_md5: crypto.createHash('md5').update(body).digest('hex') };
  const query = Object.keys(params).sort().map((k) => `${k}=${params[k]}`).join('&');
  const sig = hmac(`POST\n${p}\n${query}`);
  const req = http.request({ host: '127.0.0.1', port: opt.port, method: 'POST', agent,
    path: `${p}?${query}&auth_signature=${sig}`, headers: { 'content-type': 'application/json' } }, (res) => {
    stats.publishes[res.statusCode] = (stats.publishes[res.statusCode] || 0) + 1;
    res.resume();
  });
  req.on('error', () => { stats.publishes.error = (stats.publishes.error || 0) + 1; });
  req.end(body);
}

// Ticks every 10 ms, each doing its share of the per-second rates (fractions carried over).
let owedSteps = 0;
let owedPublishes = 0;
for (let i = 0; i < opt.connections; ++i) open(i);
const timer = setInterval(() => {
  owedSteps += opt.rate / 100;
  owedPublishes += opt['publish-rate'] / 100;
  for (; owedSteps >= 1; --owedSteps) step();
  for (; owedPublishes >= 1; --owedPublishes) publish();
  if (opt.duration > 0 && Date.now() - started >= opt.duration * 1000) stop();
}, 10);

function stop() {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  stats.seconds = (Date.now() - started) / 1000;
  for (const c of conns) c.ws.terminate();
  agent.destroy();
  process.stdout.write(JSON.stringify(stats) + '\n');
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
