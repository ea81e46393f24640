// Webhooks to https targets: the control plane's TLS client verifies the receiver against the
// CA named by --webhook-ca-file (a test CA made by `openssl` at test time), with SNI and the
// hostname (localhost) or IP (127.0.0.1) of the URL. Each request is checked with the `pusher`
// SDK's webhook() validator. A receiver whose certificate comes from another CA gets no request
// at all, and the failed attempts show on /metrics (ringcast_webhook_failures_total); so does one
// whose certificate (from the trusted CA) names another host.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, rawSocket, connected, subscribe, waitFor, APP } = require('./lib/harness');
const { startReceiver } = require('./lib/webhook_receiver');
const { makeTestCa } = require('./lib/test_ca');
const { parsePrometheusText } = require('./lib/prom_text');

const APP2 = { appId: 'app2', key: 'key2', secret: 'secret2' };
const APP3 = { appId: 'app3', key: 'key3', secret: 'secret3' };
const ca = makeTestCa();
const rogue = makeTestCa();  // not trusted by ringcast
let server;
let good;
let bad;
let misnamed;

test.before(async () => {
  good = await startReceiver({ '/hook': APP, '/hook-ip': APP }, { tls: ca.issue('webhook-receiver') });
  bad = await startReceiver({ '/bad': APP2 }, { tls: rogue.issue('webhook-impostor') });
  misnamed = await startReceiver({ '/mis': APP3 },
    { tls: ca.issue('webhook-elsewhere', 'DNS:elsewhere.example,IP:10.9.9.9') });
  server = await startServer({
    shards: 2,
    args: ['--webhook-ca-file', ca.caFile],
    config: {
      apps: [
        { id: APP.appId, key: APP.key, secret: APP.secret,
          webhooks: [{ url: good.url('/hook', 'localhost') }, { url: good.url('/hook-ip') }] },
        { id: APP2.appId, key: APP2.key, secret: APP2.secret,
          webhooks: [{ url: bad.url('/bad') }] },
        { id: APP3.appId, key: APP3.key, secret: APP3.secret,
          webhooks: [{ url: misnamed.url('/mis', 'localhost') }] },
      ],
    },
  });
});
test.after(async () => {
  await server.stop();
  await good.close();
  await bad.close();
  await misnamed.close();
});

async function client(key) {
  const ws = rawSocket(server.port, { key });
  await connected(ws);
  return ws;
}

async function failuresMove(before) {
  // (Were the certificate accepted, the delivery would succeed and the counter stay put.)
  const deadline = Date.now() + 8000;
  while ((await failures()) <= before) {
    assert.ok(Date.now() < deadline, 'ringcast_webhook_failures_total did not move');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function failures() {
  const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
  const m = parsePrometheusText(await res.text());
  return m.families.get('ringcast_webhook_failures_total').samples[0].value;
}

test('the log names the CA file that https targets are verified against', () => {
  assert.match(server.stderr(), new RegExp(`https targets verified against ${ca.caFile}`));
});

test('channel_occupied reaches an https receiver by localhost and by 127.0.0.1, signed', async () => {
  const ws = await client(APP.key);
  await subscribe(ws, 'tls-room');
  for (const p of ['/hook', '/hook-ip']) {
    const ev = await good.next((e) => e.name === 'channel_occupied' && e.channel === 'tls-room' &&
      e.request.path === p);
    assert.ok(ev.request.valid);
    assert.equal(ev.request.headers['x-pusher-key'], APP.key);
  }
  assert.equal(good.tlsErrors, 0);
  ws.close();
});

test('a receiver with a certificate from an untrusted CA gets nothing; the failure is counted', async () => {
  const before = await failures();
  const ws = await client(APP2.key);
  await subscribe(ws, 'tls-room-2');
  // The handshake fails on ringcast's side (certificate verify failed): the attempt is counted
  // as a failure and retried later; no HTTP request ever reaches the impostor.
  await failuresMove(before);
  assert.equal(bad.requests.length, 0);
  // Logged once as a warning with the verification error; a retry does not repeat it.
  await new Promise((r) => setTimeout(r, 1500));  // past the first retry (1 s)
  const warned = server.stderr().split('\n').filter((l) => l.includes('of app 1 failed in TLS'));
  assert.equal(warned.length, 1, server.stderr());
  assert.match(warned[0], /certificate/);
  ws.close();
});

test('a certificate from the trusted CA for another host name is refused (hostname check)', async () => {
  const before = await failures();
  const ws = await client(APP3.key);
  await subscribe(ws, 'tls-room-3');
  // app2's target is still failing and retrying, so the counter alone proves little here: the
  // warning for this target (app index 2) names the mismatch.
  await waitFor(() => server.stderr().includes('of app 2 failed in TLS'), 8000);
  const line = server.stderr().split('\n').find((l) => l.includes('of app 2 failed in TLS'));
  assert.match(line, /mismatch/i);
  await failuresMove(before);
  assert.equal(misnamed.requests.length, 0);
  ws.close();
});
