// SSE in a real browser: headless Chromium (Debian `chromium`) loads a small page whose native
// EventSource receives REST-published events; the stream is cut mid-flight (a proxy drops the
// connection) and the browser's own reconnect with Last-Event-ID resumes it: every event once,
// in order. The page reports each event to the test's HTTP server (fetch POST).
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const net = require('node:net');
const { spawn } = require('node:child_process');
const { APP, startServer, pusherServer, waitFor } = require('./lib/harness');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

function page(ssePort) {
  return `<!doctype html><html><body><script>
let n = 0;
const report = (kind, body) => fetch('/' + kind, { method: 'POST', body: JSON.stringify(body) });
const es = new EventSource('http://127.0.0.1:${ssePort}/sse/${APP.key}?channels=web');
es.addEventListener('open', () => report('open', {}));
es.addEventListener('ev', (e) => report('event', { n: n++, id: e.lastEventId, data: JSON.parse(e.data).data }));
</script></body></html>`;
}

test('native EventSource in headless Chromium receives events and resumes after the stream is dropped',
  { skip: !fs.existsSync(CHROMIUM) && 'no chromium' }, async () => {
    const srv = await startServer({ shards: 2, args: ['--sse-retry-ms', '100'] });
    const pusher = pusherServer(srv.port);
    // The cutting proxy the browser's stream goes through.
    const socks = new Set();
    const proxy = net.createServer((down) => {
      const up = net.connect(srv.port, '127.0.0.1');
      socks.add(down); socks.add(up);
      down.pipe(up); up.pipe(down);
      const end = () => { down.destroy(); up.destroy(); };
      for (const s of [down, up]) { s.on('error', end); s.on('close', end); }
    });
    await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
    const events = [];
    let opens = 0;
    const web = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        if (req.url === '/') {
          res.writeHead(200, { 'content-type': 'text/html' });
          return res.end(page(proxy.address().port));
        }
        if (req.url === '/open') opens++;
        if (req.url === '/event') events.push(JSON.parse(body));
        res.end();
      });
    });
    await new Promise((r) => web.listen(0, '127.0.0.1', r));
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ringcast-chromium-'));
    const browser = spawn(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu',
      '--no-first-run', `--user-data-dir=${profile}`, `http://127.0.0.1:${web.address().port}/`],
    { stdio: 'ignore', detached: true });  // its own process group: its helpers go with it
    try {
      await waitFor(() => opens === 1, 30000);
      const N = 60;
      for (let i = 0; i < N; i++) {
        await pusher.trigger('web', 'ev', String(i));
        await new Promise((r) => setTimeout(r, 5));
        if (i === 25) { for (const s of socks) s.destroy(); socks.clear(); }
      }
      await waitFor(() => events.length >= N, 15000);
      await new Promise((r) => setTimeout(r, 200));
      events.sort((a, b) => a.n - b.n);
      assert.deepStrictEqual(events.map((e) => e.data), [...Array(N).keys()].map(String));
      assert.ok(opens >= 2, `the browser reconnected (${opens} opens)`);
    } finally {
      try { process.kill(-browser.pid, 'SIGKILL'); } catch { browser.kill('SIGKILL'); }
      proxy.close();
      web.close();
      for (const s of socks) s.destroy();
      await srv.stop();
      // Chromium's helpers may still be writing the profile as they die: clean up best-effort.
      try { fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }); } catch { /* left in /tmp */ }
    }
  });
