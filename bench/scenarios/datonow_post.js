#!/usr/bin/env node
// bench/scenarios/datonow_post.js: acknowledged POST /api/message per second against a running
// ringcast (docs/benchmarks.md, "Datonow POST /api/message"). --clients C keep-alive HTTP/1.1
// connections each send one request, wait for its answer, and send the next (no pipelining), for
// --duration seconds after a --warmup; only 2xx answers count (an answer is sent after the
// group commit, so with --store-sync always each counted message was fdatasync'ed first).
// Prints one JSON line: {clients, seconds, acked, per_s, errors, statuses, p50_ms, p99_ms,
// loader_cpu_pct, server_cpu_pct (with --server-pid: all threads, % of one core; a list
// PID,PID: their sum)}. --ports P,Q: client i posts to port i mod n (cluster mode's nodes).
// Client i posts to app "bench-<i % apps>" (secret "secret-<same>"): datonow_post.sh configures
// --apps apps, so that the per-app cap of stored messages (DatonowApi::kMaxMessagesPerApp,
// 10,000; 409 beyond) is not reached within a run.
// Usage: node datonow_post.js --port P [--ports P,Q] [--clients 16] [--apps 64] [--duration 5]
//          [--warmup 1] [--server-pid PID[,PID]]
'use strict';
const http = require('node:http');
const fs = require('node:fs');

const args = { port: 6001, ports: '', clients: 16, apps: 64, duration: 5, warmup: 1, 'server-pid': '' };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in args)) { console.error('unknown option --' + k); process.exit(2); }
  args[k] = typeof args[k] === 'number' ? Number(process.argv[i + 1]) : process.argv[i + 1];
}
const ports = args.ports ? args.ports.split(',').map(Number) : [args.port];
const pids = args['server-pid'] ? String(args['server-pid']).split(',').map(Number) : [];

function serverTicks() {
  let t = 0;
  for (const pid of pids) t += ticksOf(pid);
  return t;
}

function ticksOf(pid) {
  let t = 0;
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const f = fs.readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
      t += Number(rest[11]) + Number(rest[12]);  // utime, stime (fields 14, 15)
    } catch { /* thread gone */ }
  }
  return t;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: args.clients });
const body = JSON.stringify({ title: 'bench', message: 'x'.repeat(64), priority: 5, ttl: 60 });
let measuring = false;
let stopping = false;
let acked = 0;
let errors = 0;
const statuses = {};
const lat = [];

function one(port, headers) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/api/message', headers, agent }, (res) => {
      res.resume();
      res.on('end', () => {
        if (measuring) {
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
          if (res.statusCode >= 200 && res.statusCode < 300) {
            ++acked;
            lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
          }
        }
        resolve();
      });
    });
    req.on('error', () => { if (measuring) ++errors; resolve(); });
    req.end(body);
  });
}

async function client(i) {
  const app = i % args.apps;
  const headers = { 'content-type': 'application/json', 'x-datonow-app-id': `bench-${app}`, 'x-datonow-token': `secret-${app}` };
  const port = ports[i % ports.length];
  while (!stopping) await one(port, headers);
}

(async () => {
  const workers = [];
  for (let i = 0; i < args.clients; ++i) workers.push(client(i));
  await new Promise((r) => setTimeout(r, args.warmup * 1000));
  const cpu0 = process.cpuUsage();
  const ticks0 = serverTicks();
  const t0 = Date.now();
  measuring = true;
  await new Promise((r) => setTimeout(r, args.duration * 1000));
  measuring = false;
  const seconds = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const ticks = serverTicks() - ticks0;
  stopping = true;
  await Promise.all(workers);
  agent.destroy();
  lat.sort((a, b) => a - b);
  const q = (p) => (lat.length ? Number(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(2)) : null);
  console.log(JSON.stringify({
    clients: args.clients, seconds, acked, per_s: Math.round(acked / seconds), errors, statuses,
    p50_ms: q(0.5), p99_ms: q(0.99),
    loader_cpu_pct: Math.round((cpu.user + cpu.system) / 1e4 / seconds),
    server_cpu_pct: pids.length ? Math.round(ticks / seconds) : null,  // USER_HZ = 100
    nodes: ports.length,
  }));
})();
