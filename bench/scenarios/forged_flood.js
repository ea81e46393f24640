// bench/scenarios/forged_flood.js: the attacker of forged_flood.sh. Opens --connections TCP
// connections to the server and sends Pusher REST publishes with a forged signature (signed
// with a wrong secret) and a --body-bytes body (default 1 MiB) back to back on each (HTTP/1.1
// keep-alive: the next one is written once the answer is in and the body is written). Runs
// until SIGTERM/SIGINT or --duration, then prints one JSON line: answers by status, forged
// requests answered per second, and bytes written. No dependencies beyond node.
// Usage: node forged_flood.js --port P [--connections 32] [--body-bytes 1048576]
//          [--app-id app-id] [--app-key app-key] [--duration 0 (until a signal)]
'use strict';
const crypto = require('node:crypto');
const net = require('node:net');

const opt = { port: 6001, connections: 32, 'body-bytes': 1 << 20, 'app-id': 'app-id', 'app-key': 'app-key', duration: 0 };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in opt)) { console.error(`unknown option ${process.argv[i]}`); process.exit(2); }
  opt[k] = typeof opt[k] === 'number' ? Number(process.argv[i + 1]) : process.argv[i + 1];
}

const body = Buffer.alloc(opt['body-bytes'], 'x');
const path = `/apps/${opt['app-id']}/events`;
const byStatus = {};
let written = 0;
let stopping = false;
const started = process.hrtime.bigint();

function head() {
  const params = { auth_key: opt['app-key'], auth_timestamp: String(Math.floor(Date.now() / 1000)),
    auth_version: '1.0', body_md5: crypto.createHash('md5').update('forged').digest('hex') };
  const query = Object.keys(params).sort().map((k) => `${k}=${params[k]}`).join('&');
  const sig = crypto.createHmac('sha256', 'not-the-secret').update(`POST\n${path}\n${query}`).digest('hex');
  return `POST ${path}?${query}&auth_signature=${sig} HTTP/1.1\r\nHost: x\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
}

function flooder() {
  if (stopping) return;
  const sock = net.connect(opt.port, '127.0.0.1');
  let text = '';
  let answered = true;
  let flushed = true;
  const next = () => {
    if (stopping || !answered || !flushed) return;
    answered = false;
    flushed = false;
    sock.write(head());
    sock.write(body, () => { written += body.length; flushed = true; next(); });
  };
  sock.on('connect', next);
  sock.on('data', (d) => {
    text += d.toString('latin1');
    for (;;) {
      const m = /^HTTP\/1\.1 (\d+)[^]*?\r\n\r\n/.exec(text);
      if (!m) break;
      const len = Number(/content-length: *(\d+)/i.exec(m[0])?.[1] ?? 0);
      if (text.length < m[0].length + len) break;
      text = text.slice(m[0].length + len);
      byStatus[m[1]] = (byStatus[m[1]] || 0) + 1;
      answered = true;
    }
    next();
  });
  sock.on('error', () => {});
  sock.on('close', () => setTimeout(flooder, 10));
}

function report() {
  stopping = true;
  const s = Number(process.hrtime.bigint() - started) / 1e9;
  const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
  console.log(JSON.stringify({ connections: opt.connections, body_bytes: body.length, seconds: s,
    answers: byStatus, answered_per_s: total / s, mib_written_per_s: written / s / (1 << 20) }));
  process.exit(0);
}
process.on('SIGTERM', report);
process.on('SIGINT', report);
if (opt.duration > 0) setTimeout(report, opt.duration * 1000);
for (let i = 0; i < opt.connections; ++i) flooder();
