// Starts and stops the ringcast binary under test.
//
// Owns the child process and its temporary data directory. start() runs the binary on
// 127.0.0.1 with port 0, the echo endpoint and the given extra flags, and resolves once it prints
// "listening on HOST:PORT"; stop() sends SIGTERM, waits for the exit (SIGKILL after 5 s) and removes
// the data directory; a server still running when the suite's process exits (an error, a signal)
// is killed then, so no server outlives the suite. The server's stderr is kept for the report
// when something goes wrong.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const live = new Map(); // running server process -> its data directory
process.once('exit', () => {
  for (const [proc, dir] of live) {
    proc.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => process.exit(130));
}

async function startServer(bin, extraArgs = []) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringcast-conformance-'));
  const args = ['--port', '0', '--host', '127.0.0.1', '--echo-path', '/echo', '--data-dir', dataDir,
    '--log-level', 'warn', ...extraArgs];
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr.on('data', (d) => {
    err = (err + d).slice(-20000);
  });
  live.set(proc, dataDir);
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => {
    live.delete(proc);
    resolve({ code, signal });
  }));
  const started = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${bin} did not start within 10 s: ${err}`)), 10000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /listening on [^\s]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${bin}: ${e.message}`));
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${bin} exited (${code ?? signal}) before listening: ${err}`));
    });
  });
  let port;
  try {
    port = await started;
  } catch (e) {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  proc.stdout.resume();
  return {
    port,
    args,
    stderr: () => err,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
      return exited;
    },
  };
}

module.exports = { startServer };
