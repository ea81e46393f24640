// TLS on the main port (--tls-cert/--tls-key), with a test CA made by `openssl` at test time:
// pusher-js with forceTLS subscribes over wss and receives an event that the pusher SDK
// triggers over https; an EventSource over https; a SIGHUP certificate swap (new handshakes show
// the new certificate, an old connection keeps receiving); a slowloris on the handshake is cut
// at the header deadline; a client that is not speaking TLS is refused; server-closed TLS
// connections churn; ringcast-bench --tls fans out over wss and verifies the certificate.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const net = require('node:net');
const tls = require('node:tls');
const { Readable } = require('node:stream');
const { EventSource } = require('eventsource');
const { APP, startServer, pusherClient, pusherServer, waitFor } = require('./lib/harness');
const { makeTestCa } = require('./lib/test_ca');
const { parsePrometheusText } = require('./lib/prom_text');

const ca = makeTestCa();
// pusher-js's node transport (faye-websocket) takes no TLS options: trust the test CA in
// tls.connect's defaults, as NODE_EXTRA_CA_CERTS does for a whole process.
const trusted = [...tls.rootCertificates, ca.ca];
const tlsConnect = tls.connect;
tls.connect = function connectTrustingTestCa(...args) {
  if (args[0] && typeof args[0] === 'object' && !args[0].ca) args[0] = { ...args[0], ca: trusted };
  return tlsConnect.apply(this, args);
};
const agent = new https.Agent({ ca: ca.ca, keepAlive: false });

async function startTls({ args = [], shards = 2 } = {}) {
  const cert = ca.issue('ringcast-one');
  // The paths stay the same across a reload: the test overwrites the files, then SIGHUPs.
  const certFile = `${ca.dir}/server-${process.pid}-${Date.now()}.pem`;
  const keyFile = certFile.replace(/\.pem$/, '.key');
  fs.copyFileSync(cert.certFile, certFile);
  fs.copyFileSync(cert.keyFile, keyFile);
  const srv = await startServer({ shards, args: ['--tls-cert', certFile, '--tls-key', keyFile, ...args] });
  return { srv, certFile, keyFile, cert };
}

function wssClient(port) {
  return pusherClient(port, { wsPort: port, wssPort: port, forceTLS: true, enabledTransports: ['ws'] });
}

function httpsPusher(port) {
  return pusherServer(port, { useTLS: true, agent });
}

// The fingerprint of the certificate a new handshake presents.
function peerFingerprint(port) {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca: trusted, servername: 'localhost' }, () => {
      const fp = s.getPeerCertificate().fingerprint256;
      s.destroy();
      resolve(fp);
    });
    s.on('error', reject);
  });
}

// A family of /metrics (fetched over https), summed over shards.
async function metric(port, name) {
  const text = await new Promise((resolve, reject) => {
    https.get({ host: '127.0.0.1', port, path: '/metrics', agent, servername: 'localhost' }, (r) => {
      let body = '';
      r.on('data', (d) => { body += d; });
      r.on('end', () => resolve(body));
    }).on('error', reject);
  });
  const fam = parsePrometheusText(text).families.get(name);
  assert.ok(fam, `${name} is exported`);
  return fam.samples.reduce((a, x) => a + x.value, 0);
}

// Ends a TLS socket gracefully (FIN, not the reset an unread ticket would cause) and waits for
// the server's close.
function endTls(sock) {
  return new Promise((resolve) => {
    sock.on('close', resolve);
    sock.resume();
    sock.end();
  });
}

function nextEvent(channel, name) {
  return new Promise((resolve) => channel.bind(name, resolve));
}

async function subscribed(client, name) {
  const ch = client.subscribe(name);
  await new Promise((resolve, reject) => {
    ch.bind('pusher:subscription_succeeded', resolve);
    ch.bind('pusher:subscription_error', reject);
  });
  return ch;
}

test('pusher-js over wss receives an event the pusher SDK triggers over https', async () => {
  const { srv } = await startTls();
  const client = wssClient(srv.port);
  try {
    const ch = await subscribed(client, 'secure-news');
    assert.match(client.connection.socket_id, /^\d+\.\d+$/);
    const got = nextEvent(ch, 'headline');
    const res = await httpsPusher(srv.port).trigger('secure-news', 'headline', { text: 'over TLS' });
    assert.strictEqual(res.status, 200);
    assert.deepStrictEqual(await got, { text: 'over TLS' });
    // TLS 1.3 and ALPN http/1.1 by default; TLS 1.2 is offered too.
    const s = tlsConnect({ host: '127.0.0.1', port: srv.port, ca: trusted, servername: 'localhost',
      ALPNProtocols: ['h2', 'http/1.1'] });
    await new Promise((r, j) => { s.on('secureConnect', r); s.on('error', j); });
    assert.strictEqual(s.getProtocol(), 'TLSv1.3');
    assert.strictEqual(s.alpnProtocol, 'http/1.1');
    await endTls(s);
    const s12 = tlsConnect({ host: '127.0.0.1', port: srv.port, ca: trusted, servername: 'localhost',
      maxVersion: 'TLSv1.2' });
    await new Promise((r, j) => { s12.on('secureConnect', r); s12.on('error', j); });
    assert.strictEqual(s12.getProtocol(), 'TLSv1.2');
    await endTls(s12);
    // Each of those handshakes is counted (this scrape's own included); none failed.
    const hs = await metric(srv.port, 'ringcast_tls_handshakes_total');
    assert.ok(hs >= 4, `handshakes counted: ${hs}`);
    assert.strictEqual(await metric(srv.port, 'ringcast_tls_handshake_failures_total'), 0);
  } finally {
    client.disconnect();
    await srv.stop();
  }
});

test('SIGHUP swaps the certificate: new handshakes present it, an old connection keeps receiving', async () => {
  const { srv, certFile, keyFile, cert } = await startTls();
  const client = wssClient(srv.port);
  try {
    const ch = await subscribed(client, 'swap');
    assert.strictEqual(await peerFingerprint(srv.port), cert.fingerprint);
    const next = ca.issue('ringcast-two');
    assert.notStrictEqual(next.fingerprint, cert.fingerprint);
    fs.copyFileSync(next.keyFile, keyFile);
    fs.copyFileSync(next.certFile, certFile);
    srv.proc.kill('SIGHUP');
    let seen = null;
    await waitFor(() => /TLS certificate reloaded/.test(srv.stderr()), 10000);
    seen = await peerFingerprint(srv.port);
    assert.strictEqual(seen, next.fingerprint, 'a new handshake presents the new certificate');
    // The connection made before the swap is still open and still receives.
    const got = nextEvent(ch, 'after-swap');
    await httpsPusher(srv.port).trigger('swap', 'after-swap', { n: 2 });
    assert.deepStrictEqual(await got, { n: 2 });
    assert.strictEqual(client.connection.state, 'connected');
    // A pair that does not load is refused and the one in use kept.
    fs.writeFileSync(certFile, 'not a certificate\n');
    srv.proc.kill('SIGHUP');
    await waitFor(() => /keeping the certificate in use/.test(srv.stderr()), 10000);
    assert.strictEqual(await peerFingerprint(srv.port), next.fingerprint);
  } finally {
    client.disconnect();
    await srv.stop();
  }
});

test('a slowloris on the TLS handshake is cut at the header deadline', async () => {
  const { srv } = await startTls({ args: ['--handshake-timeout-ms', '1000'], shards: 1 });
  try {
    // A TLS record header for a ClientHello, then one byte every 100 ms: never a full hello.
    const sock = net.connect(srv.port, '127.0.0.1');
    await new Promise((r) => sock.on('connect', r));
    const start = Date.now();
    const closed = new Promise((resolve) => sock.on('close', () => resolve(Date.now() - start)));
    sock.on('error', () => {});
    sock.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
    const drip = setInterval(() => { if (!sock.destroyed) sock.write(Buffer.from([0x00])); }, 100);
    const elapsed = await Promise.race([closed, new Promise((r) => setTimeout(() => r(-1), 10000))]);
    clearInterval(drip);
    sock.destroy();
    assert.notStrictEqual(elapsed, -1, 'the server did not cut the handshake');
    assert.ok(elapsed >= 900, `cut after ${elapsed} ms, before the deadline`);
    // A real client still gets in.
    const client = wssClient(srv.port);
    await subscribed(client, 'after-slowloris');
    client.disconnect();
  } finally {
    await srv.stop();
  }
});

test('a client that does not speak TLS is refused, and the port keeps serving TLS', async () => {
  const { srv } = await startTls({ shards: 1 });
  try {
    const answer = await new Promise((resolve) => {
      const sock = net.connect(srv.port, '127.0.0.1');
      let data = Buffer.alloc(0);
      sock.on('data', (d) => { data = Buffer.concat([data, d]); });
      sock.on('close', () => resolve(data));
      sock.on('error', () => {});
      sock.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    assert.ok(!answer.toString('latin1').includes('HTTP/1.1 200'), 'no plaintext answer');
    if (answer.length > 0) assert.strictEqual(answer[0], 0x15, 'a TLS alert, if anything');
    const res = await new Promise((resolve, reject) => {
      https.get({ host: '127.0.0.1', port: srv.port, path: '/health', agent, servername: 'localhost' }, (r) => {
        let body = '';
        r.on('data', (d) => { body += d; });
        r.on('end', () => resolve({ status: r.statusCode, body }));
      }).on('error', reject);
    });
    assert.strictEqual(res.status, 200);
    assert.strictEqual(await metric(srv.port, 'ringcast_tls_handshake_failures_total'), 1);
  } finally {
    await srv.stop();
  }
});

// fetch for the eventsource package over node:https with the test CA (Node's own fetch takes no
// CA option).
function httpsFetch(url, init = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: init.method || 'GET', headers: init.headers, agent,
      servername: 'localhost' }, (res) => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(res.headers)) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
      resolve(new Response(Readable.toWeb(res), { status: res.statusCode, headers }));
    });
    req.on('error', reject);
    if (init.signal) init.signal.addEventListener('abort', () => req.destroy());
    req.end();
  });
}

test('an EventSource over https receives an event triggered over https', async () => {
  const { srv } = await startTls();
  const es = new EventSource(`https://127.0.0.1:${srv.port}/sse/${APP.key}?channels=feed`, { fetch: httpsFetch });
  try {
    const got = [];
    es.addEventListener('error', () => {});
    es.addEventListener('ev', (e) => got.push(JSON.parse(e.data)));
    await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('stream did not open')), 5000);
      es.addEventListener('open', () => { clearTimeout(t); resolve(); }, { once: true });
    });
    await httpsPusher(srv.port).trigger('feed', 'ev', { hello: 'sse' });
    await waitFor(() => got.length === 1);
    assert.strictEqual(got[0].channel, 'feed');
    assert.strictEqual(got[0].data, '{"hello":"sse"}');
  } finally {
    es.close();
    await srv.stop();
  }
});

test('churn: hundreds of TLS connections closed by the server after their answer, none lost', async () => {
  const { srv } = await startTls({ shards: 2 });
  try {
    // Connection: close makes the server close each one (answer, close_notify, FIN, linger).
    const one = () => new Promise((resolve, reject) => {
      https.get({ host: '127.0.0.1', port: srv.port, path: '/health', agent, servername: 'localhost',
        headers: { Connection: 'close' } }, (r) => {
        let body = '';
        r.on('data', (d) => { body += d; });
        r.on('end', () => resolve(`${r.statusCode} ${body}`));
      }).on('error', reject);
    });
    const answers = [];
    for (let round = 0; round < 30; round++) {
      answers.push(...await Promise.all(Array.from({ length: 20 }, one)));
    }
    assert.strictEqual(answers.length, 600);
    assert.ok(answers.every((a) => a === '200 {"ok":true}'), answers.find((a) => a !== '200 {"ok":true}'));
    let open = Infinity;
    for (let i = 0; i < 100 && open > 1; i++) {
      open = await metric(srv.port, 'ringcast_connections');  // the scrape's own connection: 1
      if (open > 1) await new Promise((r) => setTimeout(r, 50));
    }
    assert.strictEqual(open, 1, 'every churned connection is gone');
    assert.strictEqual(await metric(srv.port, 'ringcast_tls_handshake_failures_total'), 0);
    assert.ok(await metric(srv.port, 'ringcast_tls_handshakes_total') >= 600);
    // The agent offers the sessions it was given (tickets, with the first answer): resumed.
    assert.ok(await metric(srv.port, 'ringcast_tls_resumed_handshakes_total') > 0, 'sessions resume');
  } finally {
    await srv.stop();
  }
});

const BENCH = process.env.RINGCAST_BENCH_BIN || path.resolve(__dirname, '../../build/tools/ringcast-bench');

function runBench(args, timeoutMs = 60000) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringcast-bench-tls-'));
  const json = path.join(dir, 'summary.json');
  const proc = spawn(BENCH, [...args, '--json', json, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error('bench timed out: ' + out)); }, timeoutMs);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      let summary = null;
      try { summary = JSON.parse(fs.readFileSync(json, 'utf8')); } catch { /* reported below */ }
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ code, out, summary });
    });
  });
}

test('ringcast-bench --tls: a fan-out over wss loses nothing; a wrong CA fails the handshake', async () => {
  const { srv } = await startTls({ shards: 2 });
  try {
    const common = ['--port', String(srv.port), '--connections', '100', '--channels', '2',
      '--rate', '100', '--duration', '1', '--warmup', '0.5', '--tls'];
    const r = await runBench([...common, '--tls-ca', ca.caFile]);
    assert.ok(r.summary, r.out);
    const d = r.summary.deliveries;
    assert.strictEqual(r.summary.connections.subscribed, 100, r.out);
    assert.ok(d.expected > 0, r.out);
    assert.strictEqual(d.unique, d.expected, r.out);
    assert.strictEqual(d.lost, 0, r.out);
    assert.deepStrictEqual(r.summary.errors, {}, r.out);
    assert.strictEqual(r.code, 0, r.out);
    // Another CA: the server's certificate does not verify, no connection gets through.
    const other = makeTestCa();
    const bad = await runBench([...common, '--connections', '3', '--tls-ca', other.caFile]);
    assert.notStrictEqual(bad.code, 0, bad.out);
    assert.match(bad.out, /connect: EPROTO/);
  } finally {
    await srv.stop();
  }
});
