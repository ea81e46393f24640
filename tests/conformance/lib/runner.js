// Runs cases against a server and returns their verdicts.
//
// Owns the life of one case's connection: open it (the opening handshake), run the case's script
// (its sends and waits), then finish it the way Autobahn's fuzzing client does, and hand the
// record to judge.js:
//   - close.by 'client' and the script sent no close: once the events equal the expected list
//     (at once for an empty list, after `quietMs` so that anything unexpected can still arrive),
//     or after `closeAfterMs` if they never do, send close 1000 (Autobahn's finishWhenDone and
//     closeAfter);
//   - then wait up to `killAfterMs` for the server to close TCP, and drop it from the client side
//     if it never does (Autobahn's killAfter; the judge fails such a case).
// Cases run `concurrency` at a time, each on its own connection; a case never shares state with
// another. Async on Node's one thread; nothing here touches the server process (server.js).
'use strict';

const { Connection } = require('./connection');
const { judge, eventsEqual } = require('./judge');

const DEFAULTS = { closeAfterMs: 2000, killAfterMs: 2000, quietMs: 200, timeoutMs: 30000 };

async function finish(def, c) {
  const opt = { ...DEFAULTS, ...def };
  if (def.close.by === 'client' && c.clientCloseAt === null) {
    const ended = () => c.serverClose !== null || c.tcp !== null;
    if (def.expect.length === 0) {
      await c.waitUntil(ended, opt.quietMs);
    } else {
      await c.waitUntil(() => ended() || eventsEqual(c.events, def.expect), opt.closeAfterMs);
    }
    if (!ended()) await c.sendClose(1000);
  }
  if (!(await c.waitUntil(() => c.tcp !== null, opt.killAfterMs))) c.kill();
  await c.closed;
}

async function runCase(def, env) {
  const started = Date.now();
  const port = env.ports[def.server || 'main'];
  let c;
  try {
    c = await Connection.open({ port, path: def.path || '/echo', headers: def.headers || [] });
  } catch (e) {
    return { def, ...judge(def, null, `opening handshake failed: ${e.message}`), ms: Date.now() - started };
  }
  const opt = { ...DEFAULTS, ...def };
  let timer;
  const overall = new Promise((resolve) => {
    timer = setTimeout(() => resolve('timeout'), opt.timeoutMs);
  });
  const work = (async () => {
    try {
      await def.run(c);
    } catch (e) {
      c.note(`case script error: ${e.stack || e}`);
    }
    await finish(def, c);
  })();
  if ((await Promise.race([work, overall])) === 'timeout') {
    c.note(`case did not finish within ${opt.timeoutMs} ms`);
    c.kill();
  }
  clearTimeout(timer);
  return { def, ...judge(def, c), ms: Date.now() - started };
}

// Runs `cases` (in order of the report) `concurrency` at a time; onResult(result) as each ends.
async function runAll(cases, env, { concurrency = 8, onResult = () => {} } = {}) {
  const results = new Array(cases.length);
  let next = 0;
  async function worker() {
    while (next < cases.length) {
      const i = next++;
      results[i] = await runCase(cases[i], env);
      onResult(results[i]);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, cases.length) }, worker));
  return results;
}

module.exports = { runCase, runAll };
