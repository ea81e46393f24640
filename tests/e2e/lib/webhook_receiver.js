// A local webhook receiver for e2e tests: an HTTP server that records every request, checks it
// with the `pusher` SDK's webhook() validator (signature, key, content type) for the app its
// path names, and answers 200, or 500 while `failNext` > 0. With `tls` ({ certFile, keyFile })
// it is an https server (rx.url gives https://127.0.0.1:PORT/..., rx.tlsErrors counts failed
// handshakes).
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const PusherServer = require('pusher');

// apps: { '/path': { appId, key, secret } }. Resolves to the receiver:
//   port, requests (each { path, headers, body, status, valid, data, at }), events (flattened,
//   each with .request), next(pred, ms) -> event, failNext, close().
async function startReceiver(apps, { tls = null } = {}) {
  const validators = {};
  for (const [p, app] of Object.entries(apps)) {
    validators[p] = new PusherServer({ appId: app.appId, key: app.key, secret: app.secret });
  }
  const rx = { requests: [], events: [], failNext: 0, waiters: [], tlsErrors: 0 };
  const handler = (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const v = validators[req.url];
      const hook = v ? v.webhook({ headers: req.headers, rawBody: body }) : null;
      const valid = hook ? hook.isValid() : false;
      const status = rx.failNext > 0 ? 500 : 200;
      if (rx.failNext > 0) rx.failNext -= 1;
      const request = { path: req.url, headers: req.headers, body, status, valid, at: Date.now(),
        data: valid ? { time_ms: hook.getTime().getTime(), events: hook.getEvents() } : null };
      rx.requests.push(request);
      if (status === 200 && valid) {
        for (const ev of request.data.events) {
          const e = { ...ev, request };
          rx.events.push(e);
          for (let i = 0; i < rx.waiters.length; ++i) {
            if (rx.waiters[i].pred(e)) { rx.waiters[i].resolve(e); rx.waiters.splice(i, 1); --i; }
          }
        }
      }
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(status === 200 ? 'ok' : 'fail');
    });
  };
  const server = tls
    ? https.createServer({ cert: fs.readFileSync(tls.certFile), key: fs.readFileSync(tls.keyFile) }, handler)
    : http.createServer(handler);
  if (tls) server.on('tlsClientError', () => { rx.tlsErrors += 1; });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  rx.port = server.address().port;
  rx.url = (p, host = '127.0.0.1') => `${tls ? 'https' : 'http'}://${host}:${rx.port}${p}`;
  // The first accepted (2xx, valid) event matching `pred`, already received or still to come.
  rx.next = (pred, ms = 5000) => {
    const found = rx.events.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (e) => { clearTimeout(t); resolve(e); } };
      const t = setTimeout(() => {
        rx.waiters.splice(rx.waiters.indexOf(w), 1);
        reject(new Error('timeout waiting for a webhook event; got ' +
          JSON.stringify(rx.events.map(({ request, ...e }) => e)).slice(0, 800)));
      }, ms);
      rx.waiters.push(w);
    });
  };
  rx.close = () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); });
  return rx;
}

module.exports = { startReceiver };
