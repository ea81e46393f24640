#!/usr/bin/env node
// ringcast's RFC 6455 conformance suite: one test per Autobahn|Testsuite case of sections 1-7,
// 9 and 10.1.1 (written from RFC 6455 and the published case descriptions), plus ringcast's own
// sections X (handshake, permessage-deflate declined), L (limits) and U (UTF-8 stress sequences
// split across fragments and TCP writes), run against the echo endpoint of a real server binary.
//
//   node tests/conformance/suite.js --bin build/ringcast [--big] [--pending] [--only REGEX]
//                                  [--concurrency N] [--self-test] [--json FILE]
//
// Starts two servers (the echo endpoint with limits raised for section 9, and one with small
// limits for section L), runs the cases, prints one line per case (id, verdict, what happened)
// and a summary per section, stops the servers, and exits 0 only if every case passed strictly.
// --big (or RINGCAST_CONFORMANCE_BIG=1) adds the 8 and 16 MiB cases of 9.1 and 9.2; --pending
// adds the cases that wait for a server change outside the WebSocket code (each says which).
// --self-test is for a server built with -Dws_utf8_validation=false: it passes (exit 0) only if
// exactly the cases marked utf8 fail and every other case still passes.
'use strict';

const fs = require('node:fs');
const { startServer } = require('./lib/server');
const { runAll } = require('./lib/runner');
const { LIMITS_ARGS } = require('./cases/x_handshake_limits');

const CASE_FILES = ['s1_framing', 's2_pings', 's3_s4_reserved', 's5_fragmentation', 's6_utf8', 's7_close',
  's9_s10_limits', 'x_handshake_limits'];

// Section 9 needs 16 MiB messages, 65536 fragments (9.3.1) and room to queue a 16 MiB echo.
const MAIN_ARGS = ['--max-ws-message-bytes', String(16 * 1024 * 1024), '--max-ws-fragments', '65536',
  '--max-outbound-bytes', String(64 * 1024 * 1024), '--shutdown-grace-ms', '100'];

function parseArgs(argv) {
  const opt = { bin: null, big: process.env.RINGCAST_CONFORMANCE_BIG === '1', pending: false, only: null,
    concurrency: 6, selfTest: false, json: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--bin') opt.bin = argv[++i];
    else if (a === '--big') opt.big = true;
    else if (a === '--pending') opt.pending = true;
    else if (a === '--only') opt.only = new RegExp(argv[++i]);
    else if (a === '--concurrency') opt.concurrency = Number(argv[++i]);
    else if (a === '--self-test') opt.selfTest = true;
    else if (a === '--json') opt.json = argv[++i];
    else throw new Error(`unknown argument ${a}`);
  }
  if (!opt.bin) throw new Error('--bin BINARY is required');
  return opt;
}

function loadSections() {
  const sections = [];
  for (const f of CASE_FILES) sections.push(...[].concat(require(`./cases/${f}`)));
  for (const s of sections) for (const c of s.cases) c.section = s.section;
  return sections;
}

const pad = (s, n) => String(s).padEnd(n);
const padL = (s, n) => String(s).padStart(n);

function skipReason(c) {
  return c.pending ? `pending: ${c.pending}` : 'big: run with --big or RINGCAST_CONFORMANCE_BIG=1';
}

// One line per case, in suite order: id, verdict, what happened (or why it was skipped). In
// self-test mode only the cases whose outcome is not the expected one are listed.
function printReport(all, results, sections, skipped, selfTest) {
  const byId = new Map(results.map((r) => [r.def.id, r]));
  for (const c of all) {
    const r = byId.get(c.id);
    if (selfTest && (!r || (r.verdict === 'OK') === !c.utf8)) continue;
    if (r) {
      const what = r.verdict === 'OK' ? r.summary : `${r.detail}${r.summary ? ` | ${r.summary}` : ''}`;
      console.log(`${pad(c.id, 14)} ${pad(r.verdict, 16)} ${what}`);
    } else if (skipped.includes(c)) {
      console.log(`${pad(c.id, 14)} ${pad('SKIPPED', 16)} ${skipReason(c)}`);
    }
  }
  console.log('');
  console.log(`${pad('section', 46)} ${padL('cases', 5)} ${padL('OK', 5)} ${padL('NON-STRICT', 10)} ${padL('failed', 6)} ${padL('skipped', 7)}`);
  for (const s of sections) {
    const rs = results.filter((r) => r.def.section === s.section);
    const skip = skipped.filter((c) => c.section === s.section).length;
    if (rs.length === 0 && skip === 0) continue;
    const ok = rs.filter((r) => r.verdict === 'OK').length;
    const ns = rs.filter((r) => r.verdict === 'NON-STRICT').length;
    console.log(`${pad(`${s.section}  ${s.title}`, 46)} ${padL(rs.length, 5)} ${padL(ok, 5)} ${padL(ns, 10)} ${padL(rs.length - ok - ns, 6)} ${padL(skip, 7)}`);
  }
}

async function main() {
  const opt = parseArgs(process.argv.slice(2));
  const sections = loadSections();
  const all = sections.flatMap((s) => s.cases);
  const selected = all.filter((c) => (!opt.only || opt.only.test(c.id)));
  const runs = (c) => (opt.big || !c.big) && (opt.pending || !c.pending);
  const cases = selected.filter(runs);
  const skipped = selected.filter((c) => !runs(c));
  const started = Date.now();

  const servers = {};
  let results;
  try {
    servers.main = await startServer(opt.bin, MAIN_ARGS);
    servers.limits = await startServer(opt.bin, [...LIMITS_ARGS, '--shutdown-grace-ms', '100']);
    const env = { ports: { main: servers.main.port, limits: servers.limits.port } };
    console.log(`RFC 6455 conformance suite: ${cases.length} cases against ${opt.bin}${opt.selfTest ? ' (UTF-8 self-test)' : ''}`);
    console.log(`  echo server: ${MAIN_ARGS.join(' ')}`);
    console.log(`  limits server: ${LIMITS_ARGS.join(' ')}`);
    const nBig = skipped.filter((c) => c.big).length;
    const nPending = skipped.length - nBig;
    if (nBig) console.log(`  ${nBig} big 9.x cases skipped (run with --big or RINGCAST_CONFORMANCE_BIG=1)`);
    if (nPending) console.log(`  ${nPending} pending cases skipped (run with --pending): ${skipped.filter((c) => !c.big).map((c) => c.id).join(', ')}`);
    console.log('');
    // Big cases run one at a time after the rest, so that timing checks are not starved.
    const small = cases.filter((c) => !c.big);
    const big = cases.filter((c) => c.big);
    results = [
      ...(await runAll(small, env, { concurrency: opt.concurrency })),
      ...(await runAll(big, env, { concurrency: 1 })),
    ];
  } finally {
    for (const s of Object.values(servers)) {
      const { code, signal } = await s.stop();
      if (code !== 0) console.log(`server on port ${s.port} exited with ${code ?? signal}: ${s.stderr().slice(-2000)}`);
    }
  }
  const order = new Map(cases.map((c, i) => [c.id, i]));
  results.sort((a, b) => order.get(a.def.id) - order.get(b.def.id));
  printReport(selected, results, sections, skipped, opt.selfTest);

  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const failed = results.filter((r) => r.verdict !== 'OK');
  if (opt.json) {
    fs.writeFileSync(opt.json, JSON.stringify(results.map((r) => ({ id: r.def.id, verdict: r.verdict, detail: r.detail,
      summary: r.summary, ms: r.ms, utf8: !!r.def.utf8 })), null, 1));
  }
  console.log('');
  if (!opt.selfTest) {
    if (failed.length === 0) {
      console.log(`PASS: all ${results.length} cases passed strictly${skipped.length ? `, ${skipped.length} skipped` : ''} (${secs} s).`);
      return 0;
    }
    console.log(`FAIL: ${failed.length} of ${results.length} cases did not pass strictly: ${failed.map((r) => `${r.def.id} (${r.verdict})`).join(', ')} (${secs} s).`);
    return 1;
  }
  // Self-test: exactly the UTF-8 cases must fail.
  const shouldFail = results.filter((r) => r.def.utf8);
  const wronglyPassed = shouldFail.filter((r) => r.verdict === 'OK');
  const wronglyFailed = failed.filter((r) => !r.def.utf8);
  if (wronglyPassed.length === 0 && wronglyFailed.length === 0) {
    console.log(`SELF-TEST PASS: without UTF-8 validation exactly the ${shouldFail.length} UTF-8 cases failed and the other ${results.length - shouldFail.length} passed (${secs} s).`);
    return 0;
  }
  if (wronglyPassed.length) console.log(`SELF-TEST FAIL: UTF-8 cases that passed without validation: ${wronglyPassed.map((r) => r.def.id).join(', ')}`);
  if (wronglyFailed.length) console.log(`SELF-TEST FAIL: other cases that failed: ${wronglyFailed.map((r) => `${r.def.id} (${r.verdict})`).join(', ')}`);
  return 1;
}

main().then((code) => {
  process.exitCode = code;
}, (e) => {
  console.error(`conformance suite error: ${e.stack || e}`);
  process.exitCode = 2;
});


