// User sign-in with the real pusher-js and pusher SDK over two shards: pusher:signin verified and
// answered with signin_success, sendToUser reaching every connection of the user on both shards,
// terminateUserConnections closing them all on both shards (4009; checked with raw sockets: a
// pusher-js client closed by the server keeps a 30 s close-handshake timer of its WebSocket
// library alive), bad signatures and foreign user channels refused.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, pusherServer, pusherOnShard, rawSocket, connected, subscribe, waitFor, shardOf, userAuth } = require('./lib/harness');

const AUTH_APP = { appId: 'app-auth', key: 'key-auth', secret: 'secret-auth' };
let server;
test.before(async () => {
  server = await startServer({
    shards: 2,
    config: {
      apps: [
        { id: 'app-id', key: 'app-key', secret: 'app-secret' },
        { id: AUTH_APP.appId, key: AUTH_APP.key, secret: AUTH_APP.secret, enable_user_authentication: true },
      ],
      limits: { user_authentication_timeout_ms: 400 },
    },
  });
});
test.after(async () => { await server.stop(); });

async function signedIn(client) {
  // pusher-js subscribes #server-to-user-<id> after signin_success; wait for that.
  client.signin();
  await waitFor(() => client.user.serverToUserChannel && client.user.serverToUserChannel.subscribed, 5000);
}

test('sendToUser reaches every connection of the user on both shards (pusher-js user.bind)', async () => {
  const api = pusherServer(server.port);
  const u42 = { id: '42', user_info: { name: 'Ann' } };
  const a = await pusherOnShard(server.port, 0, { userAuthentication: userAuth(api, u42) });
  const b = await pusherOnShard(server.port, 1, { userAuthentication: userAuth(api, u42) });
  const other = await pusherOnShard(server.port, 1, { userAuthentication: userAuth(api, { id: '7' }) });
  try {
    await Promise.all([signedIn(a), signedIn(b), signedIn(other)]);
    assert.equal(a.user.user_data.id, '42');
    const got = [a, b, other].map((c) => new Promise((resolve) => c.user.bind('note', resolve)));
    await api.sendToUser('42', 'note', { n: 1 });
    assert.deepEqual(await got[0], { n: 1 });
    assert.deepEqual(await got[1], { n: 1 });
    // The other user gets only its own events.
    await api.sendToUser('7', 'note', { n: 2 });
    assert.deepEqual(await got[2], { n: 2 });

  } finally {
    a.disconnect();
    b.disconnect();
    other.disconnect();
  }
});

test('a raw signin: success echoes user_data; bad signatures and foreign user channels are refused', async () => {
  const api = pusherServer(server.port);
  const ws = rawSocket(server.port);
  try {
    const est = await connected(ws);
    const sid = est.parsed.socket_id;
    // Someone else's channel before signing in.
    const early = await subscribe(ws, '#server-to-user-42', { auth: '' });
    assert.equal(early.event, 'pusher:subscription_error');
    const good = api.authenticateUser(sid, { id: '42' });
    ws.sendJson({ event: 'pusher:signin', data: { auth: good.auth.replace(/.$/, (c) => (c === '0' ? '1' : '0')), user_data: good.user_data } });
    assert.equal((await ws.next((m) => m.event === 'pusher:error')).parsed.code, 4009);
    ws.sendJson({ event: 'pusher:signin', data: { auth: good.auth, user_data: good.user_data } });
    const ok = await ws.next((m) => m.event === 'pusher:signin_success');
    assert.deepEqual(ok.parsed, { user_data: good.user_data });
    // Own channel confirmed, another user's refused.
    ws.messages.length = 0;
    assert.equal((await subscribe(ws, '#server-to-user-42', { auth: '' })).event, 'pusher_internal:subscription_succeeded');
    assert.equal((await subscribe(ws, '#server-to-user-43', { auth: '' })).event, 'pusher:subscription_error');
    // Server-to-user events arrive without any explicit subscribe (the signin joined it).
    await api.sendToUser('42', 'hello', 'x');
    const ev = await ws.next((m) => m.event === 'hello');
    assert.equal(ev.channel, '#server-to-user-42');
    await api.terminateUserConnections('42');
    assert.equal((await ws.closeInfo).code, 4009);
  } finally {
    ws.close();
  }
});

test('terminateUserConnections closes the connections of the user on both shards, nobody else', async () => {
  const api = pusherServer(server.port);
  const socks = [];
  const byShard = new Map();
  try {
    while (byShard.size < 2) {
      const ws = rawSocket(server.port);
      socks.push(ws);
      const est = await connected(ws);
      const shard = shardOf(est.parsed.socket_id);
      if (byShard.has(shard)) continue;
      const signed = api.authenticateUser(est.parsed.socket_id, { id: 'u-term' });
      ws.sendJson({ event: 'pusher:signin', data: signed });
      await ws.next((m) => m.event === 'pusher:signin_success');
      byShard.set(shard, ws);
    }
    const bystander = rawSocket(server.port);
    socks.push(bystander);
    const est = await connected(bystander);
    bystander.sendJson({ event: 'pusher:signin', data: api.authenticateUser(est.parsed.socket_id, { id: 'u-other' }) });
    await bystander.next((m) => m.event === 'pusher:signin_success');
    await api.terminateUserConnections('u-term');
    for (const ws of byShard.values()) {
      assert.equal((await ws.next((m) => m.event === 'pusher:error')).parsed.code, 4009);
      assert.equal((await ws.closeInfo).code, 4009);
    }
    await api.sendToUser('u-other', 'still', '1');
    await bystander.next((m) => m.event === 'still');
  } finally {
    for (const ws of socks) ws.close();
  }
});

test('enable_user_authentication: connections that do not sign in within the deadline are closed 4009', async () => {
  const api = pusherServer(server.port, AUTH_APP);
  const lazy = rawSocket(server.port, { key: AUTH_APP.key });
  const signed = rawSocket(server.port, { key: AUTH_APP.key });
  const otherApp = rawSocket(server.port);
  try {
    await connected(lazy);
    const est = await connected(signed);
    await connected(otherApp);
    signed.sendJson({ event: 'pusher:signin', data: api.authenticateUser(est.parsed.socket_id, { id: 'ok' }) });
    await signed.next((m) => m.event === 'pusher:signin_success');
    const err = await lazy.next((m) => m.event === 'pusher:error', 3000);
    assert.equal(err.parsed.code, 4009);
    assert.equal((await lazy.closeInfo).code, 4009);
    await new Promise((r) => setTimeout(r, 300));
    // Signed in, or of an app without the setting: still open.
    signed.sendJson({ event: 'pusher:ping', data: {} });
    await signed.next((m) => m.event === 'pusher:pong');
    otherApp.sendJson({ event: 'pusher:ping', data: {} });
    await otherApp.next((m) => m.event === 'pusher:pong');
  } finally {
    lazy.close();
    signed.close();
    otherApp.close();
  }
});
