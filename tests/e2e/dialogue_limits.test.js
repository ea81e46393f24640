// Dialogue's per-user trigger rate limit (issue 14; docs/protocols/dialogue.md, "Error codes"):
// dialogue.user_events_per_second counts a user's triggers over every socket and shard of the
// node (the seed's rate limiter, keyed by user id); past it a trigger gets RATE_LIMITED (as its
// ack) and is not delivered; another user is not held by it; the per-connection limit still
// applies on its own.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/harness');
const { sioClient, next, clientsOnBothShards } = require('./lib/dialogue');

const CONFIG = {
  limits: { client_events_per_second: 100 },
  dialogue: {
    user_events_per_second: 5,
    rooms: [{ id: 'chat', name: 'Chat', events: [{ name: 'message' }], defaultSubscriptions: ['message'] }],
  },
};

let server;
test.before(async () => { server = await startServer({ shards: 2, config: CONFIG }); });
test.after(async () => { await server.stop(); });

test('a user\'s triggers over sockets on both shards share one budget; others keep theirs', async () => {
  const sockets = await clientsOnBothShards(() => sioClient(server.port, { userId: 'greedy' }, { transports: ['websocket'] }));
  const watcher = await sioClient(server.port, { userId: 'watcher' }, { transports: ['websocket'] });
  assert.equal((await watcher.timeout(5000).emitWithAck('dialogue:join', { roomId: 'chat' })).roomId, 'chat');
  // 4 triggers from each of the user's sockets at once: 5 pass, the rest are RATE_LIMITED.
  const acks = [];
  for (const s of sockets.slice(0, 2)) {
    for (let i = 0; i < 4; i++) acks.push(s.timeout(5000).emitWithAck('dialogue:trigger', { roomId: 'chat', event: 'message', data: { i } }));
  }
  const answers = await Promise.all(acks);
  const ok = answers.filter((a) => a.ok === true).length;
  const limited = answers.filter((a) => a.code === 'RATE_LIMITED').length;
  assert.equal(ok + limited, 8, JSON.stringify(answers));
  // One window may have turned over meanwhile; never more than 2 windows' worth pass.
  assert.ok(ok >= 5 && ok <= 8 && limited >= 1, JSON.stringify(answers));
  for (let i = 0; i < ok; i++) await next(watcher, 'dialogue:event');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(watcher.log.filter((m) => m.event === 'dialogue:event').length, 0, 'refused ones not delivered');
  // Another user at the same time is not limited by it.
  assert.deepEqual(await watcher.timeout(5000).emitWithAck('dialogue:trigger', { roomId: 'chat', event: 'message', data: 'mine' }), { ok: true });
  // The next second: the budget is back.
  await new Promise((r) => setTimeout(r, 1100));
  assert.deepEqual(await sockets[0].timeout(5000).emitWithAck('dialogue:trigger', { roomId: 'chat', event: 'message', data: 'again' }), { ok: true });
  for (const s of [...sockets, watcher]) s.disconnect();
});
