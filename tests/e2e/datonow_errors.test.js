// Every 4xx/5xx on the Datonow routes has a JSON body {"error", "code"} (docs/protocols/
// datonow.md, "Authentication"; the guide's troubleshooting table): 401 missing credentials, 403
// wrong ones, 404/405 on /api/..., 413 an oversized body, 429 with Retry-After, and the /ws
// refusals before the upgrade (400 bad query, 401 malformed token, 403 unknown token, 400/426 a
// bad WebSocket handshake). Raw TCP, so the exact status line, headers and body are seen.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const crypto = require('node:crypto');
const { startServer, APP } = require('./lib/harness');

// Sends `request` and reads until the server closes or one full response (Content-Length) is in.
function raw(port, request) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write(request));
    let buf = Buffer.alloc(0);
    const done = () => {
      const text = buf.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const head = end < 0 ? text : text.slice(0, end);
      const lines = head.split('\r\n');
      const headers = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      const body = end < 0 ? '' : text.slice(end + 4);
      let json = null;
      try { json = JSON.parse(body); } catch { /* not JSON */ }
      resolve({ status: Number(lines[0].split(' ')[1]), headers, body, json });
    };
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const text = buf.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const m = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end));
      if (end >= 0 && m && buf.length >= end + 4 + Number(m[1])) { sock.destroy(); done(); }
    });
    sock.on('end', () => { sock.destroy(); done(); });
    sock.on('error', reject);
  });
}

function api(method, path, { headers = {}, body = '' } = {}) {
  let h = `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n`;
  for (const [k, v] of Object.entries(headers)) h += `${k}: ${v}\r\n`;
  return `${h}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

function upgrade(query, { version = '13', key = crypto.randomBytes(16).toString('base64') } = {}) {
  let h = `GET /ws?${query} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`;
  if (version !== null) h += `Sec-WebSocket-Version: ${version}\r\n`;
  if (key !== null) h += `Sec-WebSocket-Key: ${key}\r\n`;
  return `${h}\r\n`;
}

function assertJsonError(r, status, what) {
  assert.equal(r.status, status, `${what}: ${r.body}`);
  assert.match(r.headers['content-type'] || '', /^application\/json/, `${what}: Content-Type`);
  assert.ok(r.json && typeof r.json.error === 'string' && r.json.error.length > 0, `${what}: ${r.body}`);
  assert.equal(r.json.code, status, what);
}

test('every Datonow error answer is JSON {error, code}', async () => {
  const server = await startServer({ shards: 1, config: {
    limits: { max_request_body_bytes: 4096 },
    apps: [{ id: APP.appId, key: APP.key, secret: APP.secret, datonow_api_requests_per_minute: 12 }] } });
  try {
    const p = server.port;
    const auth = { 'X-Datonow-App-Id': APP.appId, 'X-Datonow-Token': APP.secret };
    assertJsonError(await raw(p, api('GET', '/api/messages')), 401, 'no credentials');
    assertJsonError(await raw(p, api('GET', '/api/messages', { headers: { 'X-Datonow-App-Id': APP.appId, 'X-Datonow-Token': 'nope' } })), 403, 'wrong token');
    assertJsonError(await raw(p, api('GET', '/api/messages', { headers: { 'X-Datonow-App-Id': 'nope', 'X-Datonow-Token': 'x' } })), 403, 'wrong app');
    assertJsonError(await raw(p, api('GET', '/api/nothing', { headers: auth })), 404, 'unknown route');
    assertJsonError(await raw(p, api('PUT', '/api/message', { headers: auth })), 405, 'wrong method');
    assertJsonError(await raw(p, api('POST', '/api/message', { headers: auth, body: '{"title":1}' })), 400, 'bad body');
    assertJsonError(await raw(p, api('POST', '/api/message', { headers: auth, body: `{"title":"${'x'.repeat(5000)}"}` })), 413, 'body too large');
    assertJsonError(await raw(p, api('POST', '/api/trigger', { body: `{"appKey":"${APP.key}"}` })), 401, 'trigger unsigned');
    assertJsonError(await raw(p, api('POST', '/api/trigger', { headers: { 'X-Datonow-Signature': 'sha256=' + '0'.repeat(64) }, body: `{"appKey":"${APP.key}"}` })), 403, 'trigger wrong signature');
    assertJsonError(await raw(p, api('POST', '/api/subscribe', { body: '{"appKey":"nope","socketId":"1.1","channel":"c"}' })), 403, 'subscribe unknown app');
    assertJsonError(await raw(p, api('POST', '/api/subscribe', { body: `{"appKey":"${APP.key}","socketId":"1.1","channel":"c"}` })), 404, 'subscribe no socket');
    // /ws refusals before the upgrade.
    assertJsonError(await raw(p, upgrade('')), 400, '/ws without token or appKey');
    assertJsonError(await raw(p, upgrade('token=abc')), 401, '/ws malformed token');
    assertJsonError(await raw(p, upgrade(`token=${'a'.repeat(64)}`)), 403, '/ws unknown token');
    const r426 = await raw(p, upgrade(`appKey=${APP.key}`, { version: '8' }));
    assertJsonError(r426, 426, '/ws wrong WebSocket version');
    assert.equal(r426.headers['sec-websocket-version'], '13');
    assert.equal(r426.headers.upgrade, 'websocket');
    assert.match(r426.headers.connection, /upgrade/i);
    assertJsonError(await raw(p, upgrade(`token=${'a'.repeat(64)}`, { key: null })), 400, '/ws without Sec-WebSocket-Key');
    // Spend the rest of the budget: 429 JSON with Retry-After.
    let r;
    for (let i = 0; i < 20; i++) {
      r = await raw(p, api('GET', '/api/messages', { headers: auth }));
      if (r.status === 429) break;
    }
    assertJsonError(r, 429, 'over the REST budget');
    assert.ok(Number(r.headers['retry-after']) >= 1, 'Retry-After');
  } finally {
    await server.stop();
  }
});
