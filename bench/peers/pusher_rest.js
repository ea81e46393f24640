// The Pusher HTTP API subset both peers serve, so that ringcast-bench's REST publisher drives
// them unchanged: POST /apps/{id}/events ({"name","channels"|"channel","data"}) and
// POST /apps/{id}/batch_events ({"batch":[{"name","channel","data"}, ...]}), each signed as
// the Pusher REST API signs requests (auth_key, auth_timestamp, auth_version, body_md5,
// auth_signature = HMAC-SHA256 of "POST\n<path>\n<sorted query>"). The signature IS verified
// (node:crypto), as ringcast verifies it, so that every server does the same work per publish.
// handle(req, res, publish) answers 200 {} after calling publish(channel, name, data) for every
// event, 401 on a bad signature, 400 on a bad body, 404 elsewhere; it returns false for paths it
// does not own (the caller may serve them).
'use strict';
const crypto = require('node:crypto');

function createRestHandler({ appId, key, secret }) {
  const hmac = (text) => crypto.createHmac('sha256', secret).update(text).digest('hex');

  function verify(pathname, query, body) {
    const params = {};
    for (const [k, v] of query) params[k.toLowerCase()] = v;
    if (params.auth_key !== key) return 'bad auth_key';
    if (body.length > 0 && params.body_md5 !== crypto.createHash('md5').update(body).digest('hex')) {
      return 'bad body_md5';
    }
    if (Math.abs(Date.now() / 1000 - Number(params.auth_timestamp)) > 600) return 'bad auth_timestamp';
    const signed = Object.keys(params).filter((k) => k !== 'auth_signature').sort()
      .map((k) => `${k}=${params[k]}`).join('&');
    return hmac(`POST\n${pathname}\n${signed}`) === params.auth_signature ? null : 'bad auth_signature';
  }

  return function handle(req, res, publish) {
    const url = new URL(req.url, 'http://localhost');
    const m = /^\/apps\/([^/]+)\/(events|batch_events)$/.exec(url.pathname);
    if (!m) return false;
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const reply = (status, obj) => {
        const text = JSON.stringify(obj);
        res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (req.method !== 'POST' || m[1] !== appId) return reply(404, { error: 'not found' });
      const body = Buffer.concat(chunks);
      const bad = verify(url.pathname, url.searchParams, body);
      if (bad) return reply(401, { error: bad });
      let msg;
      try { msg = JSON.parse(body.toString('utf8')); } catch { return reply(400, { error: 'bad JSON' }); }
      const events = m[2] === 'events'
        ? (msg.channels || [msg.channel]).map((channel) => ({ channel, name: msg.name, data: msg.data }))
        : msg.batch;
      if (!Array.isArray(events) || events.some((e) => typeof e.channel !== 'string' || typeof e.name !== 'string')) {
        return reply(400, { error: 'bad event' });
      }
      for (const e of events) publish(e.channel, e.name, e.data);
      reply(200, {});
    });
    return true;
  };
}

// --name value options with defaults; numbers stay numbers.
function parseArgs(argv, defaults) {
  const opts = { ...defaults };
  for (let i = 2; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(name in defaults) || i + 1 >= argv.length) throw new Error(`unknown option or missing value: ${argv[i]}`);
    opts[name] = typeof defaults[name] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
  }
  return opts;
}

module.exports = { createRestHandler, parseArgs };
