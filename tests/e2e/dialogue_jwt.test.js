// Dialogue's jwt_secret (issue 14; docs/protocols/dialogue.md, "Who the user is") with the real
// socket.io-client: with a secret, auth.token must be an HS256 JWT signed with it; its `sub` is
// the user id (auth.userId is ignored); a missing, forged, expired, not-yet-valid or non-HS256
// token is refused with CONNECT_ERROR (socket.io-client's connect_error).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { io } = require('socket.io-client');
const { startServer } = require('./lib/harness');

const SECRET = 'jwt-test-secret';
const CONFIG = {
  dialogue: {
    jwt_secret: SECRET,
    rooms: [{ id: 'chat', name: 'Chat', events: [{ name: 'message' }], defaultSubscriptions: ['message'] }],
  },
};

let server;
test.before(async () => { server = await startServer({ shards: 2, config: CONFIG }); });
test.after(async () => { await server.stop(); });

const b64url = (s) => Buffer.from(s).toString('base64url');
function jwt(claims, { secret = SECRET, header = { alg: 'HS256', typ: 'JWT' } } = {}) {
  const signing = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${signing}.${crypto.createHmac('sha256', secret).update(signing).digest('base64url')}`;
}

// Resolves to dialogue:connected's payload, or rejects with the connect_error.
function connect(auth, transports) {
  const socket = io(`http://127.0.0.1:${server.port}`, { auth, reconnection: false, ...(transports ? { transports } : {}) });
  return new Promise((resolve, reject) => {
    socket.once('dialogue:connected', (hello) => { socket.disconnect(); resolve(hello); });
    socket.once('connect_error', (err) => { socket.disconnect(); reject(err); });
  });
}

test('a verified token: its sub is the user id (auth.userId ignored), on both transports', async () => {
  const now = Math.floor(Date.now() / 1000);
  for (const transports of [undefined, ['websocket']]) {
    const hello = await connect({ token: jwt({ sub: 'user-7', exp: now + 60, nbf: now - 5 }), userId: 'mallory' }, transports);
    assert.equal(hello.userId, 'user-7');
  }
  const hello = await connect({ token: jwt({ sub: 'user-8', role: 'admin' }) });
  assert.equal(hello.userId, 'user-8');
});

test('refused with CONNECT_ERROR: no token, a forged one, expired, not yet valid, no sub, another alg', async () => {
  const now = Math.floor(Date.now() / 1000);
  const cases = [
    [{ userId: 'u1' }, /token is required/],
    [{ token: jwt({ sub: 'u1' }, { secret: 'wrong' }) }, /bad signature/],
    [{ token: 'not.a.jwt' }, /Authentication failed/],
    [{ token: jwt({ sub: 'u1', exp: now - 1 }) }, /expired/],
    [{ token: jwt({ sub: 'u1', nbf: now + 3600 }) }, /not valid yet/],
    [{ token: jwt({ name: 'no sub' }) }, /no sub/],
    [{ token: jwt({ sub: 'u1' }, { header: { alg: 'none' } }) }, /not HS256/],
  ];
  for (const [auth, message] of cases) {
    await assert.rejects(connect(auth, ['websocket']), message, JSON.stringify(auth));
  }
  // Forged claims on a real signature.
  const good = jwt({ sub: 'u1' });
  const [h, , sig] = good.split('.');
  await assert.rejects(connect({ token: `${h}.${b64url(JSON.stringify({ sub: 'admin' }))}.${sig}` }), /bad signature/);
});
