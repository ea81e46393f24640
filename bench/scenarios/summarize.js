// bench/scenarios/summarize.js: turns a scenario session (results.jsonl, session.jsonl from
// lib.sh) into the Markdown tables of docs/benchmarks.md: for every metric the median over the
// repetitions and the spread (min-max), which side was at 100 % CPU, and the ratios issue #3
// steers by (ringcast against the kernel floor at equal frames per write, against the ws and
// socket.io peers, latency against the floor's time to write the sockets, idle memory).
// Pure reading and printing; no dependencies beyond node.
// Usage: node summarize.js RESULTS.jsonl [SESSION.jsonl]
'use strict';
const fs = require('node:fs');

const readLines = (f) => (f && fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
const results = readLines(process.argv[2]).filter((r) => r.bench);
const session = readLines(process.argv[3]);

// ---- statistics ------------------------------------------------------------------------------
const nums = (xs) => xs.filter((x) => typeof x === 'number' && Number.isFinite(x));
function median(xs) {
  const v = nums(xs).sort((a, b) => a - b);
  if (!v.length) return NaN;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}
const min = (xs) => Math.min(...nums(xs));
const max = (xs) => Math.max(...nums(xs));
function fmt(x, d) {
  if (!Number.isFinite(x)) return '-';
  if (d === undefined) d = Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : Math.abs(x) >= 1 ? 2 : 3;
  return x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}
function stat(xs, d, scale = 1) {
  const v = nums(xs).map((x) => x * scale);
  if (!v.length) return '-';
  if (v.length === 1) return `${fmt(v[0], d)} (n=1)`;
  return `${fmt(median(v), d)} (${fmt(min(v), d)}-${fmt(max(v), d)})`;
}
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN);
const fx = (x) => (Number.isFinite(x) ? `${fmt(x, 2)}x` : '-');

function table(head, rows) {
  const out = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) out.push(`| ${r.join(' | ')} |`);
  return out.join('\n') + '\n';
}

function groupBy(xs, key) {
  const m = new Map();
  for (const x of xs) {
    const k = key(x);
    if (!m.has(k)) m.set(k, []);
    m.get(k).push(x);
  }
  return m;
}

// ---- per-run metrics ---------------------------------------------------------------------------
function benchMetrics(r) {
  const b = r.bench;
  const srv = b.server || {};
  const win = (srv.window || {});
  const lw = (b.loader && b.loader.window) || {};
  return {
    deliveriesPerS: b.deliveries.per_s,
    eventsPerS: b.publish.events_per_s,
    cpuUs: srv.cpu_us_per_delivery,
    perCpuS: srv.deliveries_per_cpu_s,
    fpw: b.server_writes ? b.server_writes.deliveries_per_segment : NaN,
    p50: b.latency_us.p50 / 1000,
    p99: b.latency_us.p99 / 1000,
    serverUtil: win.util,
    loaderUtil: lw.util,
    lost: b.deliveries.lost,
    unsent: b.publish.events_unsent_behind_schedule,
    drained: b.deliveries.drained,
    ack: b.publish.ack_latency_us ? b.publish.ack_latency_us.p50 / 1000 : NaN,
  };
}

function bound(ms) {
  const s = median(ms.map((m) => m.serverUtil));
  const l = median(ms.map((m) => m.loaderUtil));
  const tags = [];
  if (s >= 0.9) tags.push('server');
  if (l >= 0.9) tags.push('loader');
  return `${tags.length ? tags.join('+') : 'neither'} (srv ${fmt(100 * s, 0)}%, ldr ${fmt(100 * l, 0)}%)`;
}

const out = [];
const say = (s = '') => out.push(s);

// ---- session ---------------------------------------------------------------------------------
const machine = session.find((s) => s.event === 'machine');
if (machine) {
  say('## Session');
  say();
  say(`${machine.date}, commit ${machine.commit}: ${machine.nproc} vCPU ${machine.cpu}, kernel ${machine.kernel}, ` +
      `${Math.round(machine.mem_kb / 1024)} MiB, open-file hard limit ${machine.nofile_hard}, node ${machine.node}.`);
  const quiet = session.filter((s) => s.event === 'quiet' || s.event === 'busy');
  if (quiet.length) {
    const busy = quiet.filter((s) => s.event === 'busy').length;
    say(`Load (1 min) at the quiet checks: ${quiet.map((s) => s.load1).join(', ')}` +
        (busy ? ` (${busy} check(s) gave up waiting: those numbers were taken on a busy machine)` : '') + '.');
  }
  const loads = results.map((r) => r.load1).filter((x) => typeof x === 'number');
  if (loads.length) say(`Load (1 min) at the start of the ${loads.length} runs: median ${fmt(median(loads), 2)}, max ${fmt(max(loads), 2)}.`);
  say();
}

// ---- fan-out ---------------------------------------------------------------------------------
const caseOrder = ['sat1', 'satp8', 'satb10', 'sat4', 'lat60', 'lat60p4', 'half', 'sat4b10', 'satNb10'];
const serverOrder = ['ringcast-prev', 'ringcast', 'ringcast-dialogue', 'ws', 'socketio'];
const caseBase = (c) => (c.startsWith('half') ? 'half' : c);
const labelOf = (c) => (c.startsWith('half-') ? `half of ringcast max, as ${caseLabel[c.slice(5)] || c.slice(5)}` : caseLabel[c] || c);
const caseLabel = {
  sat1: 'max rate, 1 publisher', satp8: 'max rate, 1 publisher, 8 requests pipelined', satb10: 'max rate, 1 publisher, 10 events/request', sat4: 'max rate, 4 publishers',
  lat60: '60 publishes/s, 1 publisher', lat60p4: '60 publishes/s, 4 publishers, due events batched',
  half: 'half of ringcast max, 4 publishers, due events batched', sat4b10: 'max rate, 4 publishers, 10 events/request',
  satNb10: 'max rate, 16 publishers, 10 events/request',
};

function serverTable(rows) {
  const body = [];
  const groups = groupBy(rows, (r) => `${r.case}|${r.server}`);
  const keys = [...groups.keys()].sort((a, b) => {
    const [ca, sa] = a.split('|');
    const [cb, sb] = b.split('|');
    return caseOrder.indexOf(caseBase(ca)) - caseOrder.indexOf(caseBase(cb)) || ca.localeCompare(cb) ||
      serverOrder.indexOf(sa) - serverOrder.indexOf(sb);
  });
  for (const k of keys) {
    const rs = groups.get(k);
    const ms = rs.map(benchMetrics);
    const [kase, server] = k.split('|');
    const rate = rs[0].rate ? ` (${fmt(rs[0].rate, 0)}/s)` : '';
    const lost = ms.reduce((a, m) => a + (m.lost || 0), 0);
    const unsent = ms.reduce((a, m) => a + (m.unsent || 0), 0);
    body.push([
      `${labelOf(kase)}${rate}`, server, String(rs.length),
      stat(ms.map((m) => m.eventsPerS), 0), stat(ms.map((m) => m.deliveriesPerS), 0), stat(ms.map((m) => m.cpuUs), 2),
      stat(ms.map((m) => m.perCpuS), 0), stat(ms.map((m) => m.fpw), 2), stat(ms.map((m) => m.p50), 2),
      stat(ms.map((m) => m.p99), 2), bound(ms),
      (lost ? `lost ${lost}` : '') + (unsent ? `${lost ? ', ' : ''}${unsent} unsent: could not keep the rate` : '') || '0',
    ]);
  }
  return table(['case', 'server', 'n', 'events/s', 'deliveries/s', 'server CPU-us/delivery', 'deliveries per server CPU-s',
    'frames/write', 'latency p50 ms', 'latency p99 ms', 'at 100% CPU', 'lost/unsent'], body);
}

const med = (rs, f) => median(rs.map(f));
const fanout = results.filter((r) => r.scenario === 'fanout');
const configs = [...groupBy(fanout, (r) => `${r.subs}|${r.payload}`).keys()]
  .sort((a, b) => a.split('|')[0] - b.split('|')[0] || a.split('|')[1] - b.split('|')[1]);
const targets = [];
for (const cfg of configs) {
  const [subs, payload] = cfg.split('|').map(Number);
  const rs = fanout.filter((r) => r.subs === subs && r.payload === payload);
  const servers = rs.filter((r) => r.server !== 'floor');
  const floors = rs.filter((r) => r.server === 'floor');
  say(`## Fan-out: 1 channel, ${subs} subscribers, ${payload}-byte payloads`);
  say();
  if (servers.length) say(serverTable(servers));
  const fcase = (c) => floors.filter((r) => r.case === `floor-${c}`);
  if (floors.length) {
    const body = [];
    for (const [c, label] of [['send', 'send(), 1 frame/write'], ['uring', 'io_uring SEND, 1 frame/write'],
      ['writev-1', 'io_uring SENDMSG, 1 frame/write'], ['writev-4', 'io_uring SENDMSG, 4 frames/write'],
      ['writev-16', 'io_uring SENDMSG, 16 frames/write'], ['paced60', 'send(), 60 rounds/s']]) {
      const fr = fcase(c);
      if (!fr.length) continue;
      const b = fr.map((r) => r.bench);
      body.push([label, String(fr.length), `${b[0].frame_bytes}`, stat(b.map((x) => x.cpu_us_per_delivery), 3),
        stat(b.map((x) => x.deliveries_per_cpu_s), 0), stat(b.map((x) => x.deliveries_per_s), 0),
        stat(b.map((x) => x.round_us.p50 / 1000), 2), stat(b.map((x) => x.round_us.p99 / 1000), 2),
        stat(b.map((x) => x.round_last_receipt_us.p99 / 1000), 2), stat(b.map((x) => x.sender_cpu_util * 100), 0),
        stat(b.map((x) => x.receiver_cpu_util * 100), 0)]);
    }
    say('Kernel floor (bench/floor_bench, same frame bytes):');
    say();
    say(table(['floor', 'n', 'frame B', 'CPU-us/delivery', 'deliveries per CPU-s', 'deliveries/s', 'round p50 ms',
      'round p99 ms', 'last receipt p99 ms', 'sender CPU %', 'receiver CPU %'], body));
  }
  // Ratios.
  const floorCost = (c) => med(fcase(c), (r) => r.bench.cpu_us_per_delivery);
  // Floor cost per delivery as a function of frames per write, fitted as a + b / K (least squares
  // over the measured K) and evaluated at ringcast's measured frames per write.
  const pts = [1, 4, 16].map((k) => [k, floorCost(`writev-${k}`)]).filter(([, v]) => Number.isFinite(v));
  let floorAt = () => NaN;
  if (pts.length >= 2) {
    const xs = pts.map(([k]) => 1 / k);
    const ys = pts.map(([, v]) => v);
    const mx = xs.reduce((a, x) => a + x, 0) / xs.length;
    const my = ys.reduce((a, y) => a + y, 0) / ys.length;
    const b = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    const a = my - b * mx;
    floorAt = (f) => (Number.isFinite(f) && f > 0 ? a + b / f : NaN);
  }
  const sv = (server, c) => servers.filter((r) => r.server === server && r.case === c);
  const body = [];
  for (const c of ['sat1', 'satp8', 'satb10', 'sat4']) {
    const rc = sv('ringcast', c);
    if (!rc.length) continue;
    const rcCost = med(rc, (r) => r.bench.server && r.bench.server.cpu_us_per_delivery);
    const rcPer = med(rc, (r) => r.bench.server && r.bench.server.deliveries_per_cpu_s);
    const f = med(rc, (r) => r.bench.server_writes && r.bench.server_writes.deliveries_per_segment);
    const fl = floorAt(f);
    const ws = med(sv('ws', c), (r) => r.bench.server && r.bench.server.deliveries_per_cpu_s);
    const sio = med(sv('socketio', c), (r) => r.bench.server && r.bench.server.deliveries_per_cpu_s);
    const one = med(fcase('writev-1'), (r) => r.bench.deliveries_per_cpu_s);
    body.push([caseLabel[c], fmt(f, 2), fmt(rcCost, 2), fmt(fl, 2), fx(ratio(rcCost, fl)), fx(ratio(rcCost, floorCost('writev-1'))),
      fx(ratio(rcPer, one)), fx(ratio(rcPer, ws)), fx(ratio(rcPer, sio))]);
    targets.push({ subs, payload, c, f, vsFloor: ratio(rcCost, fl), vsOne: ratio(rcPer, one), vsWs: ratio(rcPer, ws), vsSio: ratio(rcPer, sio) });
  }
  if (body.length) {
    say('Ratios (medians of the runs above):');
    say();
    say(table(['ringcast case', 'frames/write', 'ringcast CPU-us/delivery', 'floor at equal frames/write',
      'ringcast / floor (equal frames/write)', 'ringcast / floor (1 frame/write)',
      'deliveries per CPU-s vs floor 1 frame/write', 'deliveries per CPU-s vs ws', 'deliveries per CPU-s vs socket.io'], body));
  }
  const lat = sv('ringcast', 'lat60');
  const paced = fcase('paced60');
  const half = servers.filter((r) => r.server === 'ringcast' && r.case.startsWith('half'));
  if (lat.length || half.length) {
    const lp99 = med(lat, (r) => r.bench.latency_us.p99 / 1000);
    const round99 = med(paced, (r) => r.bench.round_us.p99 / 1000);
    const last99 = med(paced, (r) => r.bench.round_last_receipt_us.p99 / 1000);
    say(`Latency: ringcast p99 at 60 publishes/s ${fmt(lp99, 2)} ms; the floor's time to write ${subs} sockets once ` +
        `(p99 of paced rounds) ${fmt(round99, 2)} ms, to the last receipt ${fmt(last99, 2)} ms: ratio ` +
        `${fx(ratio(lp99, round99))} (to the write time), ${fx(ratio(lp99, last99))} (to the last receipt).` +
        (half.length ? ` At half of ringcast's maximum rate (${fmt(half[0].rate, 0)} events/s, ${labelOf(half[0].case)}): p99 ` +
          `${stat(half.map((r) => r.bench.latency_us.p99 / 1000), 2)} ms, p50 ${stat(half.map((r) => r.bench.latency_us.p50 / 1000), 2)} ms.` : ''));
    say();
    const latUnsent = med(lat, (r) => r.bench.publish.events_unsent_behind_schedule);
    targets.push({ subs, payload, c: 'latency', lp99, round99, last99, unsent: latUnsent });
  }
  // Socket.IO fan-out: ringcast speaking Dialogue (server kind ringcast-dialogue) against the
  // socket.io peer and ringcast's own Pusher path, case by case (issue 14's goal: >= 20x the
  // peer's deliveries per CPU-second).
  const dlgBody = [];
  for (const c of caseOrder) {
    const dlg = sv('ringcast-dialogue', c);
    if (!dlg.length) continue;
    const per = (rs) => med(rs, (r) => r.bench.server && r.bench.server.deliveries_per_cpu_s);
    const p99 = (rs) => med(rs, (r) => r.bench.latency_us && r.bench.latency_us.p99 / 1000);
    const sio = sv('socketio', c);
    const rc = sv('ringcast', c);
    dlgBody.push([labelOf(c), fmt(per(dlg), 0), fmt(per(sio), 0), fx(ratio(per(dlg), per(sio))),
      fmt(per(rc), 0), fx(ratio(per(dlg), per(rc))), fmt(p99(dlg), 2), fmt(p99(sio), 2)]);
  }
  if (dlgBody.length) {
    say('Socket.IO fan-out (Dialogue rooms through ringcast) against the socket.io peer and ringcast\'s Pusher path, medians:');
    say();
    say(table(['case', 'ringcast Socket.IO deliveries per CPU-s', 'socket.io peer', 'ringcast / peer',
      'ringcast Pusher', 'Socket.IO / Pusher', 'p99 ms ringcast Socket.IO', 'p99 ms peer'], dlgBody));
  }
  // This build against an earlier one (server kind ringcast-prev, lib.sh), case by case.
  const prevBody = [];
  for (const c of caseOrder) {
    const now = sv('ringcast', c);
    const prev = sv('ringcast-prev', c);
    if (!now.length || !prev.length) continue;
    const m = (rs, f) => med(rs.map(benchMetrics), f);
    const fpw = (rs) => m(rs, (x) => x.fpw);
    const per = (rs) => m(rs, (x) => x.perCpuS);
    const p99 = (rs) => m(rs, (x) => x.p99);
    prevBody.push([labelOf(c), fmt(fpw(prev), 2), fmt(fpw(now), 2), fmt(per(prev), 0), fmt(per(now), 0),
      fx(ratio(per(now), per(prev))), fmt(p99(prev), 2), fmt(p99(now), 2), fx(ratio(p99(now), p99(prev)))]);
  }
  if (prevBody.length) {
    say('This build against the earlier one (ringcast-prev), medians of the runs above:');
    say();
    say(table(['case', 'frames/write prev', 'frames/write now', 'deliveries per CPU-s prev',
      'deliveries per CPU-s now', 'now / prev', 'p99 ms prev', 'p99 ms now', 'now / prev'], prevBody));
  }
}

// ---- many channels ---------------------------------------------------------------------------
const many = results.filter((r) => r.scenario === 'many-channels');
if (many.length) {
  say(`## Many channels: ${many[0].channels} channels x ${many[0].subs / many[0].channels} subscribers, ${many[0].payload}-byte payloads`);
  say();
  say(serverTable(many));
}

// ---- idle memory ------------------------------------------------------------------------------
const idle = results.filter((r) => r.scenario === 'idle');
if (idle.length) {
  say('## Idle memory (server RSS, KiB; user space only)');
  say();
  const sizes = [...new Set(idle.map((r) => r.subs))].sort((a, b) => a - b);
  const body = [];
  for (const server of serverOrder) {
    const rs = idle.filter((r) => r.server === server && r.bench.server);
    if (!rs.length) continue;
    const row = [server];
    row.push(stat(rs.map((r) => r.bench.server.rss_kb_before), 0));
    for (const n of sizes) row.push(stat(rs.filter((r) => r.subs === n).map((r) => r.bench.server.rss_kb_end), 0));
    const top = sizes[sizes.length - 1];
    const perConn = rs.filter((r) => r.subs === top && r.bench.connections.subscribed === top)
      .map((r) => ((r.bench.server.rss_kb_end - r.bench.server.rss_kb_before) * 1024) / top);
    row.push(stat(perConn, 0));
    let slopes = [];
    if (sizes.length >= 2) {
      const lo = sizes[0];
      for (const rep of new Set(rs.map((r) => r.rep))) {
        const a = rs.find((r) => r.rep === rep && r.subs === lo);
        const b = rs.find((r) => r.rep === rep && r.subs === top);
        if (a && b) slopes.push(((b.bench.server.rss_kb_end - a.bench.server.rss_kb_end) * 1024) / (top - lo));
      }
    }
    row.push(stat(slopes, 0));
    const failed = rs.reduce((a, r) => a + r.bench.connections.failed, 0);
    row.push(String(failed));
    body.push(row);
    if (server === 'ringcast') targets.push({ c: 'idle', perConn: median(perConn), slope: median(slopes), top });
  }
  say(table(['server', 'RSS before connections', ...sizes.map((n) => `RSS at ${n} idle`),
    `bytes per connection at ${sizes[sizes.length - 1]} (RSS - baseline) / N`,
    sizes.length >= 2 ? `bytes per connection, slope ${sizes[0]}->${sizes[sizes.length - 1]}` : 'slope', 'failed'], body));
}

// ---- storm -----------------------------------------------------------------------------------
const storm = results.filter((r) => r.scenario === 'storm');
if (storm.length) {
  say(`## Connection storm: ${storm[0].subs} connections, then all reconnect`);
  say();
  const body = [];
  for (const server of serverOrder) {
    for (const round of ['connect', 'reconnect']) {
      const rs = storm.filter((r) => r.server === server && r.case === round);
      if (!rs.length) continue;
      const c = (r) => r.bench.connections;
      const s = (r) => r.bench.server || {};
      body.push([server, round, String(rs.length), stat(rs.map((r) => c(r).connect_rate_per_s), 0),
        stat(rs.map((r) => c(r).handshake_latency_us.p50 / 1000), 1), stat(rs.map((r) => c(r).handshake_latency_us.p99 / 1000), 1),
        stat(rs.map((r) => c(r).subscribe_latency_us.p99 / 1000), 1), stat(rs.map((r) => s(r).cpu_us_per_connection), 1),
        stat(rs.map((r) => (s(r).connect ? s(r).connect.util * 100 : NaN)), 0),
        stat(rs.map((r) => r.bench.loader.connect.util * 100), 0),
        String(rs.reduce((a, r) => a + c(r).failed, 0))]);
    }
  }
  say(table(['server', 'round', 'n', 'connections/s', 'handshake p50 ms', 'handshake p99 ms', 'subscribed p99 ms',
    'server CPU-us per connection', 'server CPU %', 'loader CPU %', 'failed'], body));
}

// ---- SSE against WebSocket (sse_fanout.sh) ----------------------------------------------------
const sseRuns = results.filter((r) => r.scenario === 'sse-fanout');
if (sseRuns.length) {
  const sseLabel = { sat1: 'max rate, 1 publisher', satp8: 'max rate, 1 publisher, 8 pipelined', lat60: '60 publishes/s, 1 publisher' };
  say(`## SSE against WebSocket subscribers (${sseRuns[0].subs} subscribers of one channel, ${sseRuns[0].payload}-byte payloads)`);
  say();
  const body = [];
  const ratios = [];
  const groups = groupBy(sseRuns, (r) => `${r.case}|${r.server}`);
  for (const [key, rs] of groups) {
    const [kase, server] = key.split('|');
    const label = sseLabel[kase] || kase;
    const byProto = groupBy(rs, (r) => r.protocol);
    for (const proto of ['ws', 'sse']) {
      const prs = byProto.get(proto) || [];
      const ms = prs.map(benchMetrics);
      const lost = ms.reduce((a, m) => a + (m.lost || 0), 0);
      body.push([label, server, proto, String(prs.length), stat(ms.map((m) => m.deliveriesPerS), 0),
        stat(ms.map((m) => m.cpuUs), 3), stat(ms.map((m) => m.fpw), 2), stat(ms.map((m) => m.p50), 2),
        stat(ms.map((m) => m.p99), 2), bound(ms), lost ? `lost ${lost}` : '0']);
    }
    const cost = (proto) => median((byProto.get(proto) || []).map((r) => benchMetrics(r).cpuUs));
    // Each repetition's pair (same rep number) gives one ratio: the spread of those.
    const pairs = [];
    for (const r of byProto.get('sse') || []) {
      const w = (byProto.get('ws') || []).find((x) => x.rep === r.rep);
      if (w) pairs.push(ratio(benchMetrics(r).cpuUs, benchMetrics(w).cpuUs));
    }
    ratios.push([label, server, fmt(cost('ws'), 3), fmt(cost('sse'), 3), fx(ratio(cost('sse'), cost('ws'))),
      pairs.length ? `${fmt(median(pairs), 2)} (${fmt(min(pairs), 2)}-${fmt(max(pairs), 2)}, n=${pairs.length})` : '-']);
  }
  say(table(['case', 'server', 'subscribers', 'n', 'deliveries/s', 'server CPU-us/delivery', 'frames/write', 'latency p50 ms',
    'latency p99 ms', 'at 100% CPU', 'lost'], body));
  say(table(['case', 'server', 'WS CPU-us/delivery (median)', 'SSE CPU-us/delivery (median)', 'SSE / WS (target <= 1.2x)',
    'per-repetition SSE / WS, median (min-max)'], ratios));
}

// ---- targets -----------------------------------------------------------------------------------
if (targets.length) {
  say('## Where the targets stand (medians of this session)');
  say();
  const cfgs = [...new Set(targets.filter((t) => t.subs).map((t) => `${t.subs}|${t.payload}`))];
  const head = ['target', ...cfgs.map((c) => `${c.split('|')[0]} subs, ${c.split('|')[1]} B`)];
  const find = (cfg, c) => targets.find((t) => `${t.subs}|${t.payload}` === cfg && t.c === c);
  const cell = (v, ok, extra = '') => (Number.isFinite(v) ? `${fx(v)}${extra} ${ok(v) ? '(met)' : '(missed)'}` : '-');
  const rows = [];
  for (const c of ['sat1', 'satp8', 'satb10', 'sat4']) {
    rows.push([`CPU/delivery <= 1.15x floor at equal frames/write: ${caseLabel[c]}`,
      ...cfgs.map((cfg) => { const t = find(cfg, c); return t ? cell(t.vsFloor, (v) => v <= 1.15, ` at ${fmt(t.f, 1)} f/w`) : '-'; })]);
  }
  for (const c of ['sat1', 'satp8', 'satb10']) {
    rows.push([`single publishing connection >= 3x deliveries/CPU-s of floor at 1 frame/write: ${caseLabel[c]}`,
      ...cfgs.map((cfg) => { const t = find(cfg, c); return t ? cell(t.vsOne, (v) => v >= 3) : '-'; })]);
  }
  for (const c of ['sat1', 'satb10', 'sat4']) {
    rows.push([`>= 10x deliveries/CPU-s of socket.io: ${caseLabel[c]}`,
      ...cfgs.map((cfg) => { const t = find(cfg, c); return t ? cell(t.vsSio, (v) => v >= 10) : '-'; })]);
  }
  for (const c of ['sat1', 'satb10', 'sat4']) {
    rows.push([`deliveries/CPU-s vs ws (no target): ${caseLabel[c]}`,
      ...cfgs.map((cfg) => { const t = find(cfg, c); return t && Number.isFinite(t.vsWs) ? fx(t.vsWs) : '-'; })]);
  }
  rows.push(['p99 at 60/s (1 publisher) <= 1.3x floor time to write the sockets (target: 1000 subs)',
    ...cfgs.map((cfg) => {
      const t = find(cfg, 'latency');
      if (!t) return '-';
      if (t.unsent > 0) return 'could not keep 60/s with one connection';
      return `${fmt(t.lp99, 1)} / ${fmt(t.round99, 1)} ms = ${cell(ratio(t.lp99, t.round99), (v) => v <= 1.3)}`;
    })]);
  say(table(head, rows));
  const idleT = targets.find((t) => t.c === 'idle');
  if (idleT) {
    say(`Idle memory: ringcast ${fmt(idleT.perConn, 0)} B of user space per idle connection at ${idleT.top} ` +
        `((RSS - baseline) / N; slope ${fmt(idleT.slope, 0)} B): ${idleT.perConn < 474 ? 'met' : 'missed'} ` +
        '(target < 474 B, what a uWebSockets v20 server holds; issue 16).');
    say();
  }
}

process.stdout.write(out.join('\n') + '\n');
