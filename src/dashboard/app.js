// ringcast dashboard: polls /dashboard/api/stats, turns its cumulative counters into rates and a
// p99 loop turn per interval, and runs a debug console (a Pusher protocol 7 WebSocket client for
// one public channel, and a trigger through /dashboard/api/trigger). Hand-written, no libraries.
'use strict';

(function () {
  const params = new URLSearchParams(location.search);
  const intervalMs = Math.max(100, Number(params.get('interval')) || 1000);
  const $ = (id) => document.getElementById(id);
  let last = null;  // the previous stats answer
  let apps = [];

  function fmtRate(v) {
    if (!isFinite(v)) return '-';
    return v >= 100 ? Math.round(v).toLocaleString('en') : v.toFixed(1);
  }
  function fmtSeconds(s) {
    if (s === null) return '-';
    if (s === Infinity) return '> 1 s';
    if (s < 1e-3) return (s * 1e6).toFixed(0) + ' us';
    if (s < 1) return (s * 1e3).toFixed(1) + ' ms';
    return s.toFixed(2) + ' s';
  }
  // p99 of the turns between two cumulative bucket arrays: the smallest bound holding 99%.
  function p99(bounds, now, before) {
    const n = now.length;
    const delta = now.map((v, i) => v - (before ? before[i] : 0));
    const count = delta[n - 1];
    if (count <= 0) return null;
    const rank = Math.ceil(0.99 * count);
    for (let i = 0; i < bounds.length; ++i) if (delta[i] >= rank) return bounds[i];
    return Infinity;
  }
  function cell(row, text) {
    const td = document.createElement('td');
    td.textContent = text;
    row.appendChild(td);
  }
  function fill(tbody, rows) {
    tbody.replaceChildren(...rows.map((cells) => {
      const tr = document.createElement('tr');
      cells.forEach((c) => cell(tr, c));
      return tr;
    }));
  }

  function render(s) {
    const dt = last ? (s.ts_ms - last.ts_ms) / 1000 : 0;
    const rate = (now, before) => (last && dt > 0 ? (now - before) / dt : NaN);
    const status = $('status');
    status.textContent = s.ready ? 'ready' : 'shutting down';
    status.className = 'status ' + (s.ready ? 'ok' : 'bad');
    $('updated').textContent = 'updated ' + new Date(s.ts_ms).toLocaleTimeString();
    let conns = 0;
    let deliveries = 0;
    let lastDeliveries = 0;
    for (const sh of s.shards) { conns += sh.connections; deliveries += sh.deliveries; }
    if (last) for (const sh of last.shards) lastDeliveries += sh.deliveries;
    $('total-connections').textContent = conns.toLocaleString('en');
    $('total-deliveries').textContent = deliveries.toLocaleString('en');
    $('total-deliveries-rate').textContent = fmtRate(rate(deliveries, lastDeliveries));
    $('total-messages-rate').textContent = fmtRate(rate(s.published, last ? last.published : 0));
    fill($('shards').tBodies[0], s.shards.map((sh, i) => {
      const b = last && last.shards[i];
      return [String(sh.shard), String(sh.connections), String(sh.channels), String(sh.subscriptions),
        fmtRate(rate(sh.publications, b ? b.publications : 0)), fmtRate(rate(sh.deliveries, b ? b.deliveries : 0)),
        fmtSeconds(p99(sh.turn_bounds_s, sh.turn_cumulative, b ? b.turn_cumulative : null))];
    }));
    fill($('apps').tBodies[0], s.apps.map((a, i) => {
      const b = last && last.apps[i];
      return [a.id, a.name || '', String(a.connections), String(a.channels),
        fmtRate(rate(a.published, b ? b.published : 0)), fmtRate(rate(a.deliveries, b ? b.deliveries : 0))];
    }));
    if (apps.length !== s.apps.length) {
      apps = s.apps;
      const sel = $('console-app');
      sel.replaceChildren(...apps.map((a) => {
        const o = document.createElement('option');
        o.value = a.id;
        o.textContent = a.id + (a.name ? ' (' + a.name + ')' : '');
        return o;
      }));
    }
    last = s;
  }

  async function poll() {
    try {
      const res = await fetch('/dashboard/api/stats', { credentials: 'same-origin', cache: 'no-store' });
      if (!res.ok) throw new Error('HTTP ' + res.status);
      render(await res.json());
    } catch (e) {
      $('status').textContent = 'unreachable (' + e.message + ')';
      $('status').className = 'status bad';
    }
    setTimeout(poll, intervalMs);
  }

  // ---- debug console ----
  let ws = null;
  function log(text, event) {
    const li = document.createElement('li');
    if (event) {
      const ev = document.createElement('span');
      ev.className = 'event';
      ev.textContent = event + ' ';
      li.appendChild(ev);
    }
    li.appendChild(document.createTextNode(text));
    const list = $('console-log');
    list.appendChild(li);
    while (list.children.length > 200) list.removeChild(list.firstChild);
    list.scrollTop = list.scrollHeight;
  }
  function watch() {
    const app = apps.find((a) => a.id === $('console-app').value);
    const channel = $('console-channel').value.trim();
    if (!app || !channel) return;
    if (ws) ws.close();
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const sock = new WebSocket(scheme + '//' + location.host + '/app/' + encodeURIComponent(app.key) +
      '?protocol=7&client=ringcast-dashboard&version=1.0');
    ws = sock;
    $('console-state').textContent = 'connecting...';
    sock.onmessage = (m) => {
      let msg;
      try { msg = JSON.parse(m.data); } catch { return; }
      if (msg.event === 'pusher:connection_established') {
        sock.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel } }));
      } else if (msg.event === 'pusher:ping') {
        sock.send(JSON.stringify({ event: 'pusher:pong', data: {} }));
      } else if (msg.event === 'pusher_internal:subscription_succeeded') {
        $('console-state').textContent = 'watching ' + app.id + ' / ' + channel;
      } else if (msg.event === 'pusher:error' || msg.event === 'pusher:subscription_error') {
        $('console-state').textContent = 'error: ' + JSON.stringify(msg.data);
      } else if (msg.channel === channel) {
        log(new Date().toLocaleTimeString() + ' ' + (typeof msg.data === 'string' ? msg.data : JSON.stringify(msg.data)), msg.event);
      }
    };
    sock.onclose = (e) => { if (ws === sock) $('console-state').textContent = 'closed (' + e.code + ')'; };
  }
  async function trigger() {
    const q = new URLSearchParams({
      app: $('console-app').value, channel: $('console-channel').value.trim(),
      event: $('trigger-event').value, data: $('trigger-data').value,
    });
    const res = await fetch('/dashboard/api/trigger?' + q, { method: 'POST', credentials: 'same-origin' });
    const body = await res.json().catch(() => ({}));
    $('trigger-result').textContent = res.ok ? 'sent' : 'failed: ' + (body.error || res.status);
  }

  $('console-watch').addEventListener('click', watch);
  $('trigger-send').addEventListener('click', trigger);
  poll();
})();
