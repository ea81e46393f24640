// SSE transport (GET /sse/{key}): the `eventsource` npm client receives REST-published events,
// resumes with Last-Event-ID (exactly once, in order, on either shard), sees a gap event when
// history no longer holds what it missed, and a stream that stops reading is dropped.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { EventSource } = require('eventsource');
const { APP, startServer, pusherServer, waitFor } = require('./lib/harness');

function open(port, query, opts = {}) {
  const es = new EventSource(`http://127.0.0.1:${port}/sse/${APP.key}?${query}`, opts);
  const got = [];
  es.addEventListener('error', () => {});
  const listen = (name) => es.addEventListener(name, (e) => got.push({ name, id: e.lastEventId, ...JSON.parse(e.data) }));
  for (const n of opts.events || ['ev']) listen(n);
  const opened = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('stream did not open')), 5000);
    es.addEventListener('open', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
  return { es, got, opened };
}

test('an EventSource receives REST-published events with channel, event, data and id', async () => {
  const srv = await startServer({ shards: 2 });
  const pusher = pusherServer(srv.port);
  try {
    const { es, got, opened } = open(srv.port, 'channels=news,sport');
    await opened;
    await pusher.trigger('news', 'ev', { n: 1 });
    await pusher.trigger(['news', 'sport'], 'ev', 'two\nlines');
    await waitFor(() => got.length === 3);
    assert.deepStrictEqual(got.map((g) => [g.channel, g.event, g.data]), [
      ['news', 'ev', '{"n":1}'], ['news', 'ev', 'two\nlines'], ['sport', 'ev', 'two\nlines']]);
    const ids = got.map((g) => g.id.split(',').map((p) => Number(p.split('.')[1])));
    assert.deepStrictEqual(ids, [[1, 0], [2, 0], [2, 1]]);
    es.close();
  } finally {
    await srv.stop();
  }
});
