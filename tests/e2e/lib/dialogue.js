// Socket.IO helpers for the Dialogue e2e tests (dialogue*.test.js): a connected real
// socket.io-client with its dialogue:connected payload and a log of every event it received,
// a wait for the next event matching a predicate (taken from the log first), and clients until
// both shards hold one.
'use strict';
const assert = require('node:assert/strict');
const { io } = require('socket.io-client');
const { shardOf } = require('./harness');

// `opts` go to io(); the default transports (polling, then the upgrade) unless given.
async function sioClient(port, auth = {}, opts = {}) {
  const socket = io(`http://127.0.0.1:${port}`, { auth, reconnection: false, ...opts });
  socket.log = [];
  socket.onAny((event, ...args) => socket.log.push({ event, args }));
  socket.hello = await new Promise((resolve, reject) => {
    socket.once('dialogue:connected', resolve);
    socket.once('connect_error', reject);
  });
  return socket;
}

function next(socket, event, pred = () => true, ms = 5000) {
  const seen = socket.log.find((m) => m.event === event && pred(m.args[0]));
  if (seen) { socket.log.splice(socket.log.indexOf(seen), 1); return Promise.resolve(seen.args[0]); }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { socket.off(event, on); reject(new Error(`no ${event} in ${ms} ms`)); }, ms);
    function on(arg) {
      if (!pred(arg)) return;
      clearTimeout(timer);
      socket.off(event, on);
      const i = socket.log.findIndex((m) => m.event === event && m.args[0] === arg);
      if (i >= 0) socket.log.splice(i, 1);
      resolve(arg);
    }
    socket.on(event, on);
  });
}

async function clientsOnBothShards(make) {
  const all = [];
  while (all.length < 2 || (new Set(all.map((s) => shardOf(s.hello.clientId))).size < 2 && all.length < 40)) all.push(await make(all.length));
  assert.equal(new Set(all.map((s) => shardOf(s.hello.clientId))).size, 2, 'clients on both shards');
  return all;
}

module.exports = { sioClient, next, clientsOnBothShards };
