// Dialogue rooms created at run time (issue 14; docs/protocols/dialogue.md, "Dynamic rooms")
// with the real socket.io-client against --shards 2: createRoom broadcast to every client
// (dialogue:roomCreated) on both shards, listed, joined, bounded by its maxSize across shards,
// open to any event; the refusals (taken ids, bad ids, missing names); deleteRoom by its creator
// only, broadcast as dialogue:roomDeleted, its members let go, and the id free again.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, shardOf } = require('./lib/harness');
const { sioClient, next, clientsOnBothShards } = require('./lib/dialogue');

const CONFIG = {
  dialogue: {
    rooms: [{ id: 'lobby', name: 'Lobby', events: [{ name: 'message' }], defaultSubscriptions: ['message'] }],
  },
};

let server;
test.before(async () => { server = await startServer({ shards: 2, config: CONFIG }); });
test.after(async () => { await server.stop(); });

// Default transports: polling, then the upgrade.
const client = (auth = {}) => sioClient(server.port, auth);

const settle = (ms = 150) => new Promise((r) => setTimeout(r, ms));

test('createRoom: every client hears roomCreated; the room is listed, joined, bounded and open to any event; creator-only deleteRoom', async () => {
  const all = await clientsOnBothShards((i) => client({ userId: i === 0 ? 'alice' : `u${i}` }));
  const [alice, bob] = all;
  try {
    // As Dialogue's client.createRoom: resolved by the roomCreated broadcast (an ack carries it too).
    const info = { id: 'tech', name: 'Tech Talk', description: 'latest tech', maxSize: 2 };
    const acked = await alice.emitWithAck('dialogue:createRoom', info);
    const expected = { ...info, createdById: 'alice' };
    assert.deepEqual(acked, expected);
    for (const s of all) assert.deepEqual(await next(s, 'dialogue:roomCreated'), expected);
    bob.emit('dialogue:listRooms');
    const rooms = await next(bob, 'dialogue:rooms');
    assert.deepEqual(rooms.map((r) => r.id), ['lobby', 'tech']);
    assert.equal(rooms[1].maxSize, 2);

    // Any event; no default subscriptions (as Dialogue's created rooms): subscribeAll to hear them.
    const members = [all[0], all.find((s) => shardOf(s.hello.clientId) !== shardOf(alice.hello.clientId))];
    for (const s of members) {
      s.emit('dialogue:join', { roomId: 'tech' });
      assert.deepEqual(await next(s, 'dialogue:joined'), { roomId: 'tech', roomName: 'Tech Talk' });
      assert.deepEqual(await s.emitWithAck('dialogue:subscribeAll', { roomId: 'tech' }), { ok: true });
    }
    const third = all.find((s) => !members.includes(s)) || await client({ userId: 'extra' });
    third.emit('dialogue:join', { roomId: 'tech' });
    assert.equal((await next(third, 'dialogue:error')).code, 'ROOM_FULL');
    members[0].emit('dialogue:trigger', { roomId: 'tech', event: 'anything', data: { n: 1 } });
    for (const s of members) assert.deepEqual((await next(s, 'dialogue:event', (m) => m.roomId === 'tech')).data, { n: 1 });

    // Only the creator deletes it.
    const other = members[1];
    assert.notEqual(other.hello.userId, 'alice');
    assert.equal((await other.emitWithAck('dialogue:deleteRoom', { roomId: 'tech' })).code, 'PERMISSION_DENIED');
    assert.equal((await alice.emitWithAck('dialogue:deleteRoom', { roomId: 'lobby' })).code, 'PERMISSION_DENIED');
    assert.equal((await alice.emitWithAck('dialogue:deleteRoom', { roomId: 'nope' })).code, 'ROOM_NOT_FOUND');
    alice.emit('dialogue:deleteRoom', { roomId: 'tech' });
    for (const s of all) assert.deepEqual(await next(s, 'dialogue:roomDeleted'), { roomId: 'tech' });
    // Gone: not listed, not joinable, no more events to its former members, its places freed.
    bob.emit('dialogue:listRooms');
    assert.deepEqual((await next(bob, 'dialogue:rooms')).map((r) => r.id), ['lobby']);
    third.emit('dialogue:join', { roomId: 'tech' });
    assert.equal((await next(third, 'dialogue:error')).code, 'ROOM_NOT_FOUND');
    assert.equal((await members[0].emitWithAck('dialogue:trigger', { roomId: 'tech', event: 'x', data: 1 })).code, 'ROOM_NOT_FOUND');
    assert.deepEqual(await other.emitWithAck('dialogue:createRoom', { id: 'tech', name: 'Again', maxSize: 1 }), { id: 'tech', name: 'Again', maxSize: 1, createdById: other.hello.userId });
    third.emit('dialogue:join', { roomId: 'tech' });
    assert.deepEqual(await next(third, 'dialogue:joined', (m) => m.roomId === 'tech'), { roomId: 'tech', roomName: 'Again' });
    assert.deepEqual(await other.emitWithAck('dialogue:deleteRoom', { roomId: 'tech' }), { ok: true });
  } finally {
    for (const s of all) s.disconnect();
  }
});

test('createRoom refusals: taken ids (created or configured), ids a client may not use, missing names, bad maxSize', async () => {
  const a = await client({ userId: 'a' });
  const b = await client({ userId: 'b' });
  try {
    assert.equal((await a.emitWithAck('dialogue:createRoom', { id: 'mine', name: 'Mine' })).id, 'mine');
    const codes = [];
    for (const payload of [
      { id: 'mine', name: 'Twice' },
      { id: 'lobby', name: 'Configured' },
      { id: 'private-x', name: 'Needs auth' },
      { id: 'has space', name: 'Spaces' },
      { id: 'noname' },
      { name: 'No id' },
      { id: 'big', name: 'Big', maxSize: -1 },
      { id: 'big', name: 'Big', maxSize: 'ten' },
      { id: 'x'.repeat(300), name: 'Long' },
    ]) {
      codes.push((await b.emitWithAck('dialogue:createRoom', payload)).code);
    }
    assert.deepEqual(codes, ['ROOM_EXISTS', 'ROOM_EXISTS', 'INVALID_REQUEST', 'INVALID_REQUEST', 'INVALID_REQUEST',
      'INVALID_REQUEST', 'INVALID_REQUEST', 'INVALID_REQUEST', 'INVALID_REQUEST']);
    b.log.length = 0;  // each refusal above also came as a dialogue:error event
    b.emit('dialogue:createRoom');
    assert.equal((await next(b, 'dialogue:error')).code, 'INVALID_REQUEST');
    // A room outlives its creator's connection; the creator (by user id) deletes it later.
    a.disconnect();
    const again = await client({ userId: 'a' });
    try {
      assert.deepEqual(await again.emitWithAck('dialogue:deleteRoom', { roomId: 'mine' }), { ok: true });
    } finally {
      again.disconnect();
    }
    await settle();
  } finally {
    a.disconnect();
    b.disconnect();
  }
});

test('created rooms outlive a kill -9: listed, joinable, bounded, and deleted only by their creator after the restart', async () => {
  const fs = require('node:fs');
  const os = require('node:os');
  const path = require('node:path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringcast-dialogue-rooms-'));
  let s = await startServer({ shards: 2, config: CONFIG, args: ['--data-dir', dir] });
  const opts = { transports: ['websocket'] };
  try {
    const alice = await sioClient(s.port, { userId: 'alice' }, opts);
    const info = { id: 'keep:1', name: 'Kept', description: 'survives', maxSize: 1 };
    // The ack comes once the room's record is durable.
    assert.deepEqual(await alice.emitWithAck('dialogue:createRoom', info), { ...info, createdById: 'alice' });
    assert.equal((await alice.emitWithAck('dialogue:createRoom', { id: 'dropped', name: 'D' })).id, 'dropped');
    assert.deepEqual(await alice.emitWithAck('dialogue:deleteRoom', { roomId: 'dropped' }), { ok: true });
    alice.disconnect();
    await s.stop('SIGKILL');
    s = await startServer({ shards: 2, config: CONFIG, args: ['--data-dir', dir] });
    const clients = await clientsOnBothShards((i) => sioClient(s.port, { userId: i === 0 ? 'alice' : `v${i}` }, opts));
    try {
      for (const c of clients) {
        c.emit('dialogue:listRooms');
        const rooms = await next(c, 'dialogue:rooms');
        assert.deepEqual(rooms.map((r) => r.id), ['lobby', 'keep:1']);
        assert.deepEqual(rooms[1], { ...info, size: 0, createdById: 'alice' });  // RoomInfo
      }
      // Joinable on either shard, still bounded by its maxSize (1).
      const [first, second] = [clients[0], clients.find((c) => shardOf(c.hello.clientId) !== shardOf(clients[0].hello.clientId))];
      first.emit('dialogue:join', { roomId: 'keep:1' });
      assert.deepEqual(await next(first, 'dialogue:joined'), { roomId: 'keep:1', roomName: 'Kept' });
      second.emit('dialogue:join', { roomId: 'keep:1' });
      assert.equal((await next(second, 'dialogue:error')).code, 'ROOM_FULL');
      // Its creator's right survived; nobody else's.
      const other = clients.find((c) => c.hello.userId !== 'alice');
      assert.equal((await other.emitWithAck('dialogue:deleteRoom', { roomId: 'keep:1' })).code, 'PERMISSION_DENIED');
      assert.deepEqual(await clients[0].emitWithAck('dialogue:deleteRoom', { roomId: 'keep:1' }), { ok: true });
    } finally {
      for (const c of clients) c.disconnect();
    }
    // Deleted for good: gone after another restart.
    await s.stop('SIGTERM');
    s = await startServer({ shards: 2, config: CONFIG, args: ['--data-dir', dir] });
    const late = await sioClient(s.port, {}, opts);
    late.emit('dialogue:listRooms');
    assert.deepEqual((await next(late, 'dialogue:rooms')).map((r) => r.id), ['lobby']);
    late.disconnect();
  } finally {
    await s.stop();
  }
});
