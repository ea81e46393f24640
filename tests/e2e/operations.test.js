// The binary as an operator meets it: --help, --version, the dev app defaults, configuration
// errors, and the per-shard connection limit.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { BIN, startServer, rawSocket, connected, rawHttp, waitFor } = require('./lib/harness');

test('--help documents every flag and --version prints the version', () => {
  const help = spawnSync(BIN, ['--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  for (const flag of ['--host', '--port', '--shards', '--pin-cpus', '--config', '--data-dir', '--app-id',
    '--app-key', '--app-secret', '--echo-path', '--max-connections-per-shard', '--max-header-bytes',
    '--max-request-body-bytes', '--max-ws-message-bytes', '--max-outbound-bytes', '--version']) {
    assert.ok(help.stdout.includes(flag), `--help lacks ${flag}`);
  }
  assert.match(help.stdout, /RINGCAST_/);
  const version = spawnSync(BIN, ['--version'], { encoding: 'utf8' });
  assert.equal(version.status, 0);
  assert.match(version.stdout, /^ringcast \d+\.\d+\.\d+/);
  // The default build links mimalloc so that it serves malloc/new for the whole process.
  assert.match(version.stdout, /allocator: mimalloc \d+\.\d+\.\d+\)/);
});

test('bad settings stop the server with exit code 2 and a message naming the setting', () => {
  const cases = [
    [['--port', '70000'], /--port/],
    [['--shards', 'many'], /--shards/],
    [['--no-such-flag'], /unknown option/],
    [['--app-id', 'x'], /needs an id, a key and a secret/],
  ];
  for (const [args, pattern] of cases) {
    const r = spawnSync(BIN, args, { encoding: 'utf8' });
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, pattern);
  }
  const env = spawnSync(BIN, [], { encoding: 'utf8', env: { ...process.env, RINGCAST_MAX_OUTBOUND_BYTES: 'lots' } });
  assert.equal(env.status, 2);
  assert.match(env.stderr, /RINGCAST_MAX_OUTBOUND_BYTES/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rc-cfg-'));
  fs.writeFileSync(path.join(dir, 'c.json'), '{"limits":{"max_outbound_byts":1}}');
  const file = spawnSync(BIN, ['--config', path.join(dir, 'c.json')], { encoding: 'utf8' });
  assert.equal(file.status, 2);
  assert.match(file.stderr, /unknown limit "max_outbound_byts"/);
});

test('a second ringcast on a port that is already served exits 2 with a message; the first keeps serving', async () => {
  const first = await startServer({ shards: 2 });  // --port 0: its shards join the port it picked
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rc-second-'));
  const second = (host) => new Promise((resolve) => {
    const p = spawn(BIN, ['--port', String(first.port), '--host', host, '--shards', '2', '--data-dir', dataDir]);
    let err = '';
    p.stderr.on('data', (d) => { err += d; });
    const t = setTimeout(() => p.kill('SIGKILL'), 5000);
    p.on('exit', (code) => { clearTimeout(t); resolve({ code, err }); });
  });
  for (const host of ['127.0.0.1', '0.0.0.0', '::']) {
    const r = await second(host);
    assert.equal(r.code, 2, `second instance on ${host}:${first.port}: ${r.err}`);
    assert.match(r.err, /already in use by another process/);
  }
  // Every connection still reaches the first server (none went to a silent second one).
  for (let i = 0; i < 8; ++i) {
    const ws = rawSocket(first.port);
    await connected(ws);
    ws.close();
  }
  // A port held by some other program is refused the same way.
  const net = require('node:net');
  const other = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => other.on('listening', r));
  const p = spawnSync(BIN, ['--port', String(other.address().port), '--host', '127.0.0.1', '--data-dir', dataDir], { encoding: 'utf8', timeout: 5000 });
  assert.equal(p.status, 2, p.stderr);
  assert.match(p.stderr, /already in use/);
  other.close();
  assert.equal((await first.stop()).code, 0);
});

test('with no app configured the dev app is used on loopback, with a warning', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rc-dev-'));
  const proc = spawn(BIN, ['--port', '0', '--shards', '1', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
  const port = await new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.on('exit', () => reject(new Error(out + err)));
  });
  await waitFor(() => /DEV app/.test(err), 2000).catch(() => {});
  assert.match(err, /DEV app.*app-key.*app-secret/);
  const ws = rawSocket(port);
  await connected(ws);
  ws.close();
  proc.kill('SIGTERM');
  await new Promise((resolve) => proc.on('exit', resolve));
});

test('connections past max_connections_per_shard are refused with 4100; the rest work', async () => {
  const server = await startServer({ shards: 1, config: { limits: { max_connections_per_shard: 3 } } });
  try {
    const ok = [];
    for (let i = 0; i < 3; ++i) {
      const ws = rawSocket(server.port);
      await connected(ws);
      ok.push(ws);
    }
    const over = rawSocket(server.port);
    await over.opened;
    const err = await over.next((m) => m.event === 'pusher:error');
    assert.equal(err.parsed.code, 4100);
    assert.equal((await over.closeInfo).code, 4100);
    ok[0].close();
    await ok[0].closeInfo;
    await new Promise((r) => setTimeout(r, 100));
    const again = rawSocket(server.port);
    await connected(again);
    for (const ws of [...ok.slice(1), again]) ws.close();
  } finally {
    await server.stop();
  }
});

test('a request body over max_request_body_bytes is answered 413 and the connection closed', async () => {
  const server = await startServer({ shards: 1, config: { limits: { max_request_body_bytes: 1000 } } });
  try {
    const body = 'x'.repeat(2000);
    const text = await rawHttp(server.port, `POST /apps/app-id/events HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    assert.match(text, /^HTTP\/1\.1 413/);
    assert.match(text, /"code":413/);
  } finally {
    await server.stop();
  }
});

test('messages past client_messages_per_second are dropped with one pusher:error 4301', async () => {
  const server = await startServer({ shards: 1, config: { limits: { client_messages_per_second: 50 } } });
  try {
    const ws = rawSocket(server.port);
    await connected(ws);
    for (let i = 0; i < 120; ++i) ws.sendJson({ event: 'pusher:ping', data: {} });
    await ws.next((m) => m.event === 'pusher:error');
    await new Promise((r) => setTimeout(r, 300));
    const pongs = ws.messages.filter((m) => m.event === 'pusher:pong').length;
    const errors = ws.messages.filter((m) => m.event === 'pusher:error');
    assert.equal(errors.length, 1);
    assert.equal(errors[0].parsed.code, 4301);
    assert.ok(pongs >= 50 && pongs < 120, `pongs: ${pongs}`);
    // The next second's window accepts messages again.
    await new Promise((r) => setTimeout(r, 1000));
    ws.messages.length = 0;
    ws.sendJson({ event: 'pusher:ping', data: {} });
    await ws.next((m) => m.event === 'pusher:pong');
    ws.close();
  } finally {
    await server.stop();
  }
});

test('--descriptors direct: client sockets stay out of the file table; subscribe, publish, close, reuse and shutdown work', async () => {
  const { pusherServer, subscribe } = require('./lib/harness');
  const server = await startServer({ shards: 2, args: ['--descriptors', 'direct'] });
  try {
    const fds = () => fs.readdirSync(`/proc/${server.proc.pid}/fd`).length;
    const before = fds();
    const open = async (n) => {
      const out = [];
      for (let i = 0; i < n; ++i) {
        const ws = rawSocket(server.port);
        await connected(ws);
        await subscribe(ws, 'direct-ch');
        out.push(ws);
      }
      return out;
    };
    let sockets = await open(40);
    assert.ok(fds() - before < 5, `40 connections took ${fds() - before} descriptors`);
    const api = pusherServer(server.port);
    await api.trigger('direct-ch', 'ev', 'one');
    for (const ws of sockets) await ws.next((m) => m.event === 'ev' && m.data === 'one');
    for (const ws of sockets.slice(0, 20)) ws.close();
    await Promise.all(sockets.slice(0, 20).map((ws) => ws.closeInfo));
    await new Promise((r) => setTimeout(r, 100));
    sockets = [...sockets.slice(20), ...(await open(20))];  // the freed table slots are reused
    await api.trigger('direct-ch', 'ev', 'two');
    for (const ws of sockets) await ws.next((m) => m.event === 'ev' && m.data === 'two');
    const closes = sockets.map((ws) => ws.closeInfo);
    const { code } = await server.stop('SIGTERM');
    assert.equal(code, 0);
    for (const info of await Promise.all(closes)) assert.equal(info.code, 4200);
  } finally {
    await server.stop();
  }
});

