// MoChat (docs/protocols/mochat.md) on two shards with the real socket.io-client (default
// transports: polling, then the upgrade) and plain HTTP: agents registered and bound; a DM and a
// group with messages paged; participants removed and added back, their access following; a
// panel in a workspace joined by invite; notify:session and notify:panel reaching exactly the
// agents that may see them (subscribed, or mentioned); token rotation killing the old token's
// socket; and everything still there after a kill -9 and a restart on the same data.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { io } = require('socket.io-client');
const { startServer } = require('./lib/harness');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function client(port) {
  return async (route, body = {}, token = null, headers = {}) => {
    const h = { 'content-type': 'application/json', ...headers };
    if (token) h['x-claw-token'] = token;
    const r = await fetch(`http://127.0.0.1:${port}/api/claw/${route}`, { method: 'POST', headers: h, body: JSON.stringify(body) });
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: r.status, json };
  };
}

// A connected socket.io-client of `token` (default transports) recording its notifications.
async function agentSocket(port, token, opts = {}) {
  const socket = io(`http://127.0.0.1:${port}`, { auth: { token }, reconnection: false, ...opts });
  socket.got = [];
  socket.on('notify:session', (d) => socket.got.push(['session', d]));
  socket.on('notify:panel', (d) => socket.got.push(['panel', d]));
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return socket;
}

const ack = (socket, event, payload) => socket.timeout(5000).emitWithAck(event, payload);

async function waitFor(pred, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await sleep(20);
  }
  throw new Error('condition not met');
}

test('MoChat: agents, sessions, panels, invites, notifications, rotation, restart', { timeout: 90000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringcast-mochat-'));
  let server = await startServer({ shards: 2, args: ['--data-dir', dir] });
  const sockets = [];
  t.after(async () => { for (const s of sockets) s.close(); await server.stop('SIGKILL'); });
  let call = client(server.port);

  // Agents.
  const reg = async (name) => {
    const r = await call('agents/selfRegister', { name });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.match(r.json.token, /^claw_[0-9a-f]{64}$/);
    return { id: r.json.agent.id, token: r.json.token, group: r.json.agent.groupId };
  };
  const alice = await reg('alice');
  const bob = await reg('bob');
  const carol = await reg('carol');
  const dave = await reg('dave');
  for (const [a, email] of [[alice, 'alice@example.com'], [bob, 'bob@example.com']]) {
    const r = await call('agents/bind', { email }, a.token);
    assert.deepEqual([r.status, r.json.agent.email, r.json.agent.bound], [200, email, true]);
  }
  assert.equal((await call('agents/get', {}, null)).status, 401);
  assert.equal((await call('agents/get', {}, 'claw_nope')).status, 401);
  assert.equal((await call('agents/get', {}, 'claw_nope')).json.error.code, 'UNAUTHORIZED');
  const seen = await call('users/resolve', { ids: [bob.id, 'agent_ffffffffffffffff'] }, alice.token);
  assert.deepEqual([seen.json.users.map((u) => u.name), seen.json.missing], [['bob'], ['agent_ffffffffffffffff']]);

  // A DM, paged newest first.
  const dm = (await call('sessions/create', { participants: [bob.id] }, alice.token)).json;
  assert.equal(dm.type, 'dm');
  for (let i = 0; i < 25; ++i) {
    const r = await call('sessions/send', { sessionId: dm.id, content: `m${i}` }, i % 2 ? bob.token : alice.token);
    assert.equal(r.status, 200);
  }
  const pages = [];
  let cursor = null;
  do {
    const r = await call('sessions/messages', { sessionId: dm.id, limit: 10, ...(cursor ? { cursor } : {}) }, bob.token);
    assert.equal(r.status, 200);
    pages.push(r.json.messages.map((m) => m.content));
    cursor = r.json.nextCursor;
  } while (cursor);
  assert.deepEqual(pages.map((p) => p.length), [10, 10, 5]);
  assert.deepEqual(pages.flat(), Array.from({ length: 25 }, (_, i) => `m${24 - i}`));
  assert.equal((await call('sessions/messages', { sessionId: dm.id }, carol.token)).status, 403);

  // A group: carol removed loses access, added back regains it.
  const team = (await call('sessions/create', { participants: [bob.id, carol.id], name: 'team' }, alice.token)).json;
  assert.deepEqual([team.type, team.participants.length], ['group', 3]);
  assert.equal((await call('sessions/send', { sessionId: team.id, content: 'hello team' }, carol.token)).status, 200);
  assert.equal((await call('sessions/removeParticipants', { sessionId: team.id, participants: [carol.id] }, alice.token)).status, 200);
  assert.equal((await call('sessions/send', { sessionId: team.id, content: 'still here?' }, carol.token)).status, 403);
  assert.equal((await call('sessions/messages', { sessionId: team.id }, carol.token)).status, 403);
  assert.equal((await call('sessions/addParticipants', { sessionId: team.id, participants: [carol.id] }, bob.token)).status, 200);
  assert.equal((await call('sessions/messages', { sessionId: team.id }, carol.token)).json.messages.length, 1);

  // A panel in alice's workspace; bob joins by invite, dave does not.
  const panel = (await call('groups/panels/create', { name: 'general' }, alice.token)).json;
  assert.equal(panel.groupId, alice.group);
  const invite = (await call('groups/createInvite', { maxUses: 1 }, alice.token)).json;
  const joined = await call('groups/joinByInvite', { code: invite.code }, bob.token);
  assert.deepEqual([joined.status, joined.json.joined], [200, true]);
  assert.equal((await call('groups/joinByInvite', { code: invite.code }, dave.token)).status, 410);
  assert.equal((await call('groups/panels/send', { panelId: panel.id, content: 'hi all' }, bob.token)).status, 200);
  assert.equal((await call('groups/panels/send', { panelId: panel.id, content: 'me too' }, dave.token)).status, 403);

  // Sockets: subscriptions acked as allowed or not; notifications to exactly who may see.
  const sa = await agentSocket(server.port, alice.token);
  const sb = await agentSocket(server.port, bob.token);
  const sc = await agentSocket(server.port, carol.token, { transports: ['websocket'] });
  const sd = await agentSocket(server.port, dave.token);
  sockets.push(sa, sb, sc, sd);
  await assert.rejects(agentSocket(server.port, 'claw_bad'), /Authentication failed/);
  assert.equal((await ack(sb, 'session:subscribe', { sessionId: team.id })).success, true);
  assert.equal((await ack(sb, 'panel:subscribe', { panelId: panel.id })).success, true);
  assert.equal((await ack(sa, 'panel:subscribe', panel.id)).success, true);
  const refusedSession = await ack(sd, 'session:subscribe', { sessionId: team.id });
  assert.deepEqual([refusedSession.success, refusedSession.error.code], [false, 'FORBIDDEN']);
  assert.equal((await ack(sd, 'panel:subscribe', { panelId: panel.id })).success, false);

  await call('sessions/send', { sessionId: team.id, content: 'news for subscribers' }, alice.token);
  await call('sessions/send', { sessionId: team.id, content: 'ping @carol and @dave' }, alice.token);
  await call('groups/panels/send', { panelId: panel.id, content: 'panel news' }, alice.token);
  await waitFor(() => sb.got.length === 3 && sc.got.length === 1 && sa.got.length === 1);
  await sleep(300);
  assert.deepEqual(sb.got.map(([k, d]) => [k, d.message.content]),
    [['session', 'news for subscribers'], ['session', 'ping @carol and @dave'], ['panel', 'panel news']]);
  assert.equal(sb.got[0][1].sessionId, team.id);
  assert.deepEqual(sc.got.map(([k, d]) => [k, d.message.content]), [['session', 'ping @carol and @dave']]);
  assert.deepEqual(sa.got.map(([k, d]) => [k, d.panelId, d.message.content]), [['panel', panel.id, 'panel news']]);
  assert.deepEqual(sd.got, [], 'dave may not see the group or the panel');

  // Rotation: the old token's socket is disconnected by the server, REST refuses the old token.
  const gone = new Promise((r) => sb.once('disconnect', r));
  const rotated = await call('agents/rotateToken', {}, bob.token);
  assert.equal(rotated.status, 200);
  assert.equal(await gone, 'io server disconnect');
  assert.equal((await call('agents/get', {}, bob.token)).status, 401);
  bob.token = rotated.json.token;
  assert.equal((await call('agents/get', {}, bob.token)).json.agent.id, bob.id);
  const sb2 = await agentSocket(server.port, bob.token);
  sockets.push(sb2);
  assert.equal((await ack(sb2, 'session:subscribe', team.id)).success, true);

  // kill -9, restart on the same data: everything acknowledged is there.
  await server.stop('SIGKILL');
  for (const s of sockets) s.close();
  server = await startServer({ shards: 2, args: ['--data-dir', dir] });
  call = client(server.port);
  assert.equal((await call('agents/get', {}, bob.token)).json.agent.email, 'bob@example.com');
  assert.equal((await call('agents/get', {}, alice.token)).status, 200);
  const after = await call('sessions/messages', { sessionId: dm.id, limit: 100 }, alice.token);
  assert.deepEqual(after.json.messages.map((m) => m.content), Array.from({ length: 25 }, (_, i) => `m${24 - i}`));
  assert.equal((await call('sessions/messages', { sessionId: team.id }, carol.token)).json.messages.length, 3);
  const panelMsgs = await call('groups/panels/messages', { panelId: panel.id }, bob.token);
  assert.deepEqual(panelMsgs.json.messages.map((m) => m.content), ['panel news', 'hi all']);
  assert.equal((await call('groups/joinByInvite', { code: invite.code }, dave.token)).status, 410, 'the invite use was kept');
  const list = await call('sessions/list', {}, alice.token);
  assert.deepEqual(list.json.sessions.map((s) => s.id).sort(), [dm.id, team.id].sort());
  const s2 = await agentSocket(server.port, bob.token);
  sockets.push(s2);
  assert.equal((await ack(s2, 'session:subscribe', { sessionId: team.id })).success, true);
  await call('sessions/send', { sessionId: team.id, content: 'after restart' }, alice.token);
  await waitFor(() => s2.got.length === 1);
});

test('MoChat: selfRegister is paced per app; a missing token is refused unread', { timeout: 20000 }, async () => {
  const server = await startServer({ shards: 1, config: { limits: { mochat_registrations_per_minute: 3 } } });
  try {
    const call = client(server.port);
    for (let i = 0; i < 3; ++i) assert.equal((await call('agents/selfRegister', { name: `a${i}` })).status, 200);
    const r = await fetch(`http://127.0.0.1:${server.port}/api/claw/agents/selfRegister`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x"}',
    });
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
    assert.equal((await r.json()).error.code, 'RATE_LIMITED');
    const none = await call('sessions/list', {});
    assert.deepEqual([none.status, none.json.error.code], [401, 'UNAUTHORIZED']);
    assert.equal((await call('nowhere', {}, 'claw_x')).status, 401, 'auth before the route');
  } finally {
    await server.stop();
  }
});
