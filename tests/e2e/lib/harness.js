// Test harness: starts the built ringcast binary on a free port and gives tests the clients
// they need (pusher-js, the pusher server SDK, raw WebSocket, raw TCP).
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const WebSocket = require('ws');

const BIN = process.env.RINGCAST_BIN || path.resolve(__dirname, '../../../build/ringcast');
const APP = { appId: 'app-id', key: 'app-key', secret: 'app-secret' };

// Starts the server. `args` are extra flags; `config` (object) is written to a temp JSON file.
// Resolves to { port, proc, stop(signal) -> exit code, stderr() }.
async function startServer({ args = [], config = null, shards = 2, wrap = null } = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringcast-e2e-'));
  const full = ['--port', '0', '--host', '127.0.0.1', '--shards', String(shards), '--data-dir', dataDir, ...args];
  if (config) {
    const file = path.join(dataDir, 'config.json');
    fs.writeFileSync(file, JSON.stringify(config));
    full.push('--config', file);
  }
  const cmd = wrap ? wrap[0] : BIN;
  const cmdArgs = wrap ? [...wrap.slice(1), BIN, ...full] : full;
  const proc = spawn(cmd, cmdArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start: ' + err)), 10000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /listening on [^ ]+:(\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}: ${err}`)); });
  });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    port,
    proc,
    dataDir,
    stderr: () => err,
    exited,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) {
        if (wrap) {
          // A wrapper (strace) would detach on the signal and leave the server running: signal
          // the server itself and let the wrapper exit with it.
          const kids = childPids(proc.pid);
          for (const pid of kids) process.kill(pid, signal);
          if (kids.length === 0) proc.kill(signal);
        } else {
          proc.kill(signal);
        }
      }
      return exited;
    },
  };
}

function childPids(pid) {
  try {
    const tasks = fs.readdirSync(`/proc/${pid}/task`);
    return tasks.flatMap((t) => fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/))
      .filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function pusherClient(port, opts = {}) {
  const Pusher = require('pusher-js');
  return new Pusher(opts.key || APP.key, {
    wsHost: '127.0.0.1', wsPort: port, forceTLS: false, enabledTransports: ['ws'],
    disableStats: true, cluster: 'local', ...opts,
  });
}

function pusherServer(port, opts = {}) {
  const PusherServer = require('pusher');
  return new PusherServer({ ...APP, host: '127.0.0.1', port, useTLS: false, ...opts });
}

// A raw WebSocket to /app/{key}; collects parsed messages. `next(pred)` waits for one.
function rawSocket(port, { key = APP.key, query = 'protocol=7&client=js&version=8.6.0&flash=false', path: p } = {}) {
  const url = `ws://127.0.0.1:${port}${p || `/app/${key}?${query}`}`;
  const ws = new WebSocket(url);
  const messages = [];
  const waiters = [];
  ws.closeInfo = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  ws.on('message', (data) => {
    let msg;
    try { msg = JSON.parse(String(data)); } catch { msg = { raw: String(data) }; }
    if (typeof msg.data === 'string') {
      try { msg.parsed = JSON.parse(msg.data); } catch { msg.parsed = msg.data; }
    }
    messages.push(msg);
    for (let i = 0; i < waiters.length; ++i) {
      if (waiters[i].pred(msg)) { waiters[i].resolve(msg); waiters.splice(i, 1); --i; }
    }
  });
  ws.on('error', () => {});
  ws.messages = messages;
  ws.next = (pred, ms = 5000) => {
    const found = messages.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (m) => { clearTimeout(t); resolve(m); } };
      const t = setTimeout(() => { waiters.splice(waiters.indexOf(w), 1); reject(new Error('timeout waiting for message; got ' + JSON.stringify(messages).slice(0, 500))); }, ms);
      waiters.push(w);
    });
  };
  ws.sendJson = (obj) => ws.send(JSON.stringify(obj));
  ws.opened = new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('unexpected-response', (req, res) => reject(new Error('HTTP ' + res.statusCode))); });
  return ws;
}

async function connected(ws) {
  await ws.opened;
  return ws.next((m) => m.event === 'pusher:connection_established');
}

async function subscribe(ws, channel, extra = {}) {
  ws.sendJson({ event: 'pusher:subscribe', data: { channel, ...extra } });
  return ws.next((m) => m.channel === channel && /subscription_(succeeded|error)$/.test(m.event));
}

// Sends raw bytes over TCP and collects the whole answer until the server closes or `ms` pass.
function rawHttp(port, bytes, ms = 2000) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    const done = () => { clearTimeout(t); sock.destroy(); resolve(data); };
    const t = setTimeout(done, ms);
    sock.on('data', (d) => { data += d.toString('latin1'); });
    sock.on('end', done);
    sock.on('error', done);
    sock.write(bytes);
  });
}

// Splits raw HTTP/1.1 response text (pipelined answers) into {status, headers, body}, by
// Content-Length.
function httpAnswers(text) {
  const out = [];
  const re = /HTTP\/1\.1 (\d+)[^\r]*\r\n([\s\S]*?)\r\n\r\n/g;
  let m;
  while ((m = re.exec(text)) !== null) {
    const len = Number(/content-length: *(\d+)/i.exec(m[2])?.[1] ?? 0);
    const body = text.slice(re.lastIndex, re.lastIndex + len);
    re.lastIndex += len;
    out.push({ status: Number(m[1]), headers: m[2], body });
  }
  return out;
}

function waitFor(pred, ms = 5000, every = 10) {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const tick = () => {
      if (pred()) return resolve();
      if (Date.now() - start > ms) return reject(new Error('condition not met in time'));
      setTimeout(tick, every);
    };
    tick();
  });
}

// Shard that issued a socket id ("<salt*1000+shard>.<serial>").
function shardOf(socketId) { return Number(socketId.split('.')[0]) % 1000; }

// A connected pusher-js client whose connection landed on `shard` (SO_REUSEPORT spreads
// connections by hash: clients that land elsewhere are dropped and another one is made).
async function pusherOnShard(port, shard, opts = {}) {
  for (let i = 0; i < 200; ++i) {
    const c = pusherClient(port, opts);
    const socketId = await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('pusher-js did not connect')), 5000);
      c.connection.bind('connected', () => { clearTimeout(t); resolve(c.connection.socket_id); });
    });
    if (shardOf(socketId) === shard) return c;
    c.disconnect();
  }
  throw new Error('no connection landed on shard ' + shard);
}

// pusher-js options whose channel authorizer signs presence membership as `user` ({ id, info })
// with the pusher SDK `api`.
function presenceAuth(api, user) {
  return {
    customHandler: ({ socketId, channelName }, cb) =>
      cb(null, api.authorizeChannel(socketId, channelName, { user_id: user.id, user_info: user.info })),
  };
}

// Signs pusher-js client `c` in (its userAuthentication set) and records its watchlist events
// in c.events as ['online' | 'offline', sorted ids]; resolves once the sign-in is through.
async function signInRecordingWatchlist(c) {
  c.events = [];
  c.user.watchlist.bind('online', (e) => c.events.push(['online', [...e.user_ids].sort()]));
  c.user.watchlist.bind('offline', (e) => c.events.push(['offline', [...e.user_ids].sort()]));
  c.signin();
  await waitFor(() => c.user.serverToUserChannel && c.user.serverToUserChannel.subscribed, 5000);
  return c;
}

// pusher-js options whose user authenticator signs `user` ({ id, ... }) in with `api`.
function userAuth(api, user) {
  return { customHandler: ({ socketId }, cb) => cb(null, api.authenticateUser(socketId, user)) };
}

// A subscriber to `channel` that then stops reading (its socket paused): the kernel buffers fill,
// then the server's queue, until the server cuts it. `closed` resolves with the close code;
// resume `ws._socket` to read it.
async function stalledSubscriber(port, channel) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/app/${APP.key}?protocol=7`);
  const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise((resolve) => ws.on('message', function first() { ws.off('message', first); resolve(); }));
  ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel } }));
  await new Promise((resolve) => ws.on('message', function ok() { ws.off('message', ok); resolve(); }));
  ws._socket.pause();
  return { ws, closed };
}

module.exports = { BIN, APP, startServer, pusherClient, pusherServer, pusherOnShard, rawSocket, connected, subscribe, rawHttp, httpAnswers, waitFor, shardOf, presenceAuth, userAuth, signInRecordingWatchlist, stalledSubscriber };
