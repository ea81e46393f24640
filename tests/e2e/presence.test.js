// Presence channels over two shards with the real pusher-js and pusher SDK: members keyed by
// user id (two tabs of one user are one member), member_added/removed only for a user's first
// and last connection, exact counts and member lists over the REST API, consistency of the
// member list with the member events during a join storm, limits, client events with user_id,
// and a churn of joins closed by the server (no member left behind).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, pusherClient, pusherServer, pusherOnShard, rawSocket, connected, subscribe, waitFor, presenceAuth } = require('./lib/harness');

const APP2 = { appId: 'app-2', key: 'key-2', secret: 'secret-2' };
let server;
test.before(async () => {
  server = await startServer({
    shards: 2,
    config: {
      apps: [
        { id: 'app-id', key: 'app-key', secret: 'app-secret' },
        { id: APP2.appId, key: APP2.key, secret: APP2.secret, max_presence_members_per_channel: 2,
          max_presence_user_id_length: 16, max_presence_user_info_bytes: 64 },
      ],
    },
  });
});
test.after(async () => { await server.stop(); });

// Subscribes and resolves with the member list pusher-js built from subscription_succeeded;
// records member events in `log`.
function join(client, channelName, log = []) {
  const ch = client.subscribe(channelName);
  ch.bind('pusher:member_added', (m) => log.push(['added', m.id, m.info]));
  ch.bind('pusher:member_removed', (m) => log.push(['removed', m.id]));
  return new Promise((resolve, reject) => {
    ch.bind('pusher:subscription_succeeded', (members) => {
      const ids = [];
      members.each((m) => ids.push(m.id));
      resolve({ ch, ids: ids.sort(), count: members.count, me: members.me, log });
    });
    ch.bind('pusher:subscription_error', reject);
  });
}

async function users(api, channel) {
  const res = await api.get({ path: `/channels/${channel}/users` });
  return (await res.json()).users.map((u) => u.id).sort();
}

test('two tabs of one user on two shards plus a second user: one member each, exact counts', async () => {
  const api = pusherServer(server.port);
  const alice = { id: 'alice', info: { name: 'Alice' } };
  const bob = { id: 'bob', info: { name: 'Bob' } };
  const a1 = await pusherOnShard(server.port, 0, { channelAuthorization: presenceAuth(api, alice) });
  const b = await pusherOnShard(server.port, 1, { channelAuthorization: presenceAuth(api, bob) });
  const a2 = await pusherOnShard(server.port, 1, { channelAuthorization: presenceAuth(api, alice) });
  try {
    const ja1 = await join(a1, 'presence-room');
    assert.deepEqual(ja1.ids, ['alice']);
    assert.equal(ja1.count, 1);
    assert.deepEqual(ja1.me, { id: 'alice', info: { name: 'Alice' } });

    const jb = await join(b, 'presence-room');
    assert.deepEqual(jb.ids, ['alice', 'bob']);
    assert.equal(jb.count, 2);
    await waitFor(() => ja1.log.length === 1);
    assert.deepEqual(ja1.log, [['added', 'bob', { name: 'Bob' }]]);

    // Alice's second tab (other shard): no member_added anywhere, the list has two users.
    const ja2 = await join(a2, 'presence-room');
    assert.deepEqual(ja2.ids, ['alice', 'bob']);
    assert.equal(ja2.count, 2);
    assert.deepEqual(await users(api, 'presence-room'), ['alice', 'bob']);
    const info = await (await api.get({ path: '/channels/presence-room', params: { info: 'user_count' } })).json();
    assert.deepEqual(info, { occupied: true, user_count: 2 });
    const list = await (await api.get({ path: '/channels', params: { filter_by_prefix: 'presence-', info: 'user_count' } })).json();
    assert.deepEqual(list.channels['presence-room'], { user_count: 2 });
    const trig = await (await api.trigger('presence-room', 'ev', 'x', { info: 'user_count' })).json();
    assert.deepEqual(trig, { channels: { 'presence-room': { user_count: 2 } } });

    // Alice's first tab goes: she is still a member. Then her second: one member_removed.
    a1.disconnect();
    await waitFor(() => false, 300).catch(() => {});
    assert.deepEqual(await users(api, 'presence-room'), ['alice', 'bob']);
    a2.disconnect();
    await waitFor(() => jb.log.length >= 1);
    await waitFor(() => false, 300).catch(() => {});
    assert.deepEqual(jb.log, [['removed', 'alice']]);
    assert.deepEqual(await users(api, 'presence-room'), ['bob']);
    assert.equal(b.channel('presence-room').members.count, 1);
  } finally {
    a1.disconnect();
    a2.disconnect();
    b.disconnect();
  }
});

test('join storm: every member list plus the events after it ends at the same members', async () => {
  const api = pusherServer(server.port);
  const n = 24;
  const clients = [];
  for (let i = 0; i < n; ++i) {
    clients.push(pusherClient(server.port, { channelAuthorization: presenceAuth(api, { id: `u${i % 20}`, info: { i } }) }));
  }
  try {
    // Each client's view: its member list, then the events after it, applied in order.
    const joins = await Promise.all(clients.map((c) => join(c, 'presence-storm')));
    const expected = Array.from({ length: 20 }, (_, i) => `u${i}`).sort();
    assert.deepEqual(await users(api, 'presence-storm'), expected);
    await waitFor(() => joins.every((j) => {
      const set = new Set(j.ids);
      for (const [kind, id] of j.log) kind === 'added' ? set.add(id) : set.delete(id);
      return set.size === 20;
    }), 5000);
    for (const j of joins) {
      const set = new Set(j.ids);
      for (const [kind, id] of j.log) {
        if (kind === 'added') {
          assert.ok(!set.has(id), `member_added for ${id}, already in the list`);
          set.add(id);
        }
      }
      assert.deepEqual([...set].sort(), expected);
      assert.equal(j.log.filter(([k]) => k === 'removed').length, 0);
    }
    // Half leave at once: the others see each leaving user removed once, ending at the rest.
    for (let i = 0; i < 10; ++i) clients[i].disconnect(); // u0..u9 (u0..u3 have a second tab)
    const rest = Array.from({ length: 10 }, (_, i) => `u${i}`).filter((u) => Number(u.slice(1)) < 4)
      .concat(Array.from({ length: 10 }, (_, i) => `u${i + 10}`)).sort();
    const stay = joins.slice(10);
    await waitFor(() => stay.every((j) => j.ch.members.count === 14), 5000);
    for (const j of stay) {
      const ids = [];
      j.ch.members.each((m) => ids.push(m.id));
      assert.deepEqual(ids.sort(), rest);
    }
    assert.deepEqual(await users(api, 'presence-storm'), rest);
  } finally {
    for (const c of clients) c.disconnect();
  }
});

test('limits: members per channel (per app), user id length and user info size', async () => {
  const api = pusherServer(server.port, APP2);
  const conns = [];
  const sub = async (user, info) => {
    const ws = rawSocket(server.port, { key: APP2.key });
    conns.push(ws);
    const est = await connected(ws);
    const channelData = JSON.stringify({ user_id: user, user_info: info });
    const auth = api.authorizeChannel(est.parsed.socket_id, 'presence-small', { user_id: user, user_info: info });
    assert.equal(auth.channel_data, channelData);
    return { ws, res: await subscribe(ws, 'presence-small', { auth: auth.auth, channel_data: channelData }) };
  };
  try {
    assert.equal((await sub('a', {})).res.event, 'pusher_internal:subscription_succeeded');
    assert.equal((await sub('b', {})).res.event, 'pusher_internal:subscription_succeeded');
    const full = (await sub('c', {})).res;
    assert.equal(full.event, 'pusher:subscription_error');
    assert.equal(full.parsed.status, 4100);
    // A member's further connection is no new member: accepted.
    const again = (await sub('a', {})).res;
    assert.equal(again.event, 'pusher_internal:subscription_succeeded');
    assert.equal(again.parsed.presence.count, 2);
    const long = await sub('x'.repeat(17), {});
    assert.equal(long.res.event, 'pusher:subscription_error');
    assert.equal((await long.ws.next((m) => m.event === 'pusher:error')).parsed.code, 4009);
    const big = await sub('d', { pad: 'y'.repeat(80) });
    assert.equal(big.res.event, 'pusher:subscription_error');
    // A forged channel_data (not the signed one) is refused.
    const ws = rawSocket(server.port, { key: APP2.key });
    conns.push(ws);
    const est = await connected(ws);
    const auth = api.authorizeChannel(est.parsed.socket_id, 'presence-small', { user_id: 'a' });
    const forged = await subscribe(ws, 'presence-small', { auth: auth.auth, channel_data: JSON.stringify({ user_id: 'root' }) });
    assert.equal(forged.event, 'pusher:subscription_error');
    assert.equal(forged.parsed.status, 401);
    // The other app's channel of the same name is separate.
    const api1 = pusherServer(server.port);
    assert.deepEqual(await users(api1, 'presence-small'), []);
    assert.deepEqual(await users(api, 'presence-small'), ['a', 'b']);
  } finally {
    for (const ws of conns) ws.close();
  }
});

test('client events on presence channels carry the sender user_id', async () => {
  const api = pusherServer(server.port);
  const c1 = await pusherOnShard(server.port, 0, { channelAuthorization: presenceAuth(api, { id: 'carol' }) });
  const c2 = await pusherOnShard(server.port, 1, { channelAuthorization: presenceAuth(api, { id: 'dave' }) });
  try {
    const j1 = await join(c1, 'presence-chat');
    const j2 = await join(c2, 'presence-chat');
    const got = new Promise((resolve) => j2.ch.bind('client-hi', (data, meta) => resolve({ data, meta })));
    await waitFor(() => j1.log.length === 1);
    assert.equal(j1.ch.trigger('client-hi', { t: 1 }), true);
    const m = await got;
    assert.deepEqual(m.data, { t: 1 });
    assert.equal(m.meta.user_id, 'carol');
  } finally {
    c1.disconnect();
    c2.disconnect();
  }
});

test('GET users on a non-presence channel is 400', async () => {
  const api = pusherServer(server.port);
  const res = await api.get({ path: '/channels/public-x/users' }).catch((e) => e);
  assert.equal(res.status, 400);
});

// Churn: thousands of connections join a presence channel (over both shards, 40 user ids) and are
// closed by the server (invalid UTF-8: 1007), some with the join acknowledged, some with the join
// still in flight to the control plane, some after leaving and joining again. Every close must
// come with its code, and once all are gone the channel has no member left: each join that
// reached the control plane was left once (PusherSession::OnClosed), none twice, none lost.
test('churn: joins closed by the server in every state leave no member behind', async () => {
  const api = pusherServer(server.port);
  const channel = 'presence-churn';
  const ITERATIONS = Number(process.env.PRESENCE_CHURN_ITERATIONS || 2000);
  const INVALID_UTF8 = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
  let next = 0;
  const bad = [];
  const one = async (i) => {
    const ws = rawSocket(server.port);
    const est = await connected(ws);
    const member = { user_id: `u${i % 40}`, user_info: { i } };
    const { auth, channel_data } = api.authorizeChannel(est.parsed.socket_id, channel, member);
    const sub = { auth, channel_data };
    const state = i % 3;
    if (state === 0) {  // acknowledged
      const r = await subscribe(ws, channel, sub);
      if (r.event !== 'pusher_internal:subscription_succeeded') bad.push(`${i}: ${r.event}`);
    } else if (state === 1) {  // in flight
      ws.sendJson({ event: 'pusher:subscribe', data: { channel, ...sub } });
    } else {  // joined, left, joined again (in flight)
      await subscribe(ws, channel, sub);
      ws.sendJson({ event: 'pusher:unsubscribe', data: { channel } });
      ws.sendJson({ event: 'pusher:subscribe', data: { channel, ...sub } });
    }
    ws.send(INVALID_UTF8, { binary: false });
    const { code } = await ws.closeInfo;
    if (code !== 1007) bad.push(`${i}: close ${code}`);
  };
  await Promise.all(Array.from({ length: 16 }, async () => {
    for (let i = next++; i < ITERATIONS; i = next++) await one(i);
  }));
  assert.deepEqual(bad.slice(0, 10), []);
  let left;
  for (let t = 0; t < 100; ++t) {
    left = await users(api, channel);
    if (left.length === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.deepEqual(left, [], 'no member left after every connection closed');
  const info = await (await api.get({ path: `/channels/${channel}`, params: { info: 'user_count' } })).json();
  assert.equal(info.user_count, 0);
});
