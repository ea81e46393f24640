// Laravel Echo (npm laravel-echo, pusher-js connector) against ringcast with two shards: a
// presence channel's here/joining/leaving and a whisper (client event) between two users whose
// connections sit on different shards.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, pusherServer, pusherOnShard, presenceAuth, waitFor } = require('./lib/harness');

let server;
let Echo;
test.before(async () => {
  // laravel-echo 2.5.0 declares "type": "module", so its CommonJS build cannot be require()d.
  Echo = (await import('laravel-echo')).default;
  server = await startServer({ shards: 2 });
});
test.after(async () => { await server.stop(); });

function auth(api, id, name) {
  return presenceAuth(api, { id, info: { id, name } });
}

test('Echo join: here, joining, whisper and leaving across shards', async () => {
  const api = pusherServer(server.port);
  const c1 = await pusherOnShard(server.port, 0, { channelAuthorization: auth(api, '1', 'Ann') });
  const c2 = await pusherOnShard(server.port, 1, { channelAuthorization: auth(api, '2', 'Ben') });
  const echo1 = new Echo({ broadcaster: 'pusher', client: c1 });
  const echo2 = new Echo({ broadcaster: 'pusher', client: c2 });
  try {
    const joined = [];
    const left = [];
    const whispers = [];
    const here1 = await new Promise((resolve) => {
      echo1.join('chat.1')
        .here(resolve)
        .joining((u) => joined.push(u))
        .leaving((u) => left.push(u))
        .listenForWhisper('typing', (e) => whispers.push(e));
    });
    assert.deepEqual(here1, [{ id: '1', name: 'Ann' }]);
    const here2 = await new Promise((resolve) => { echo2.join('chat.1').here(resolve); });
    assert.deepEqual(here2.map((u) => u.id).sort(), ['1', '2']);
    await waitFor(() => joined.length === 1);
    assert.deepEqual(joined, [{ id: '2', name: 'Ben' }]);

    echo2.join('chat.1').whisper('typing', { name: 'Ben' });
    await waitFor(() => whispers.length === 1);
    assert.deepEqual(whispers, [{ name: 'Ben' }]);

    echo2.leave('chat.1');
    await waitFor(() => left.length === 1);
    assert.deepEqual(left, [{ id: '2', name: 'Ben' }]);
  } finally {
    echo1.disconnect();
    echo2.disconnect();
  }
});
