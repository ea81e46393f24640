// Dashboard in headless Chromium: the page loads only with the admin token, its figures move
// when load is published, its debug console shows an event triggered through the REST API and
// one triggered from the page, and a screenshot of it is a non-blank PNG of the viewport's size.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { startServer, pusherServer, rawSocket, connected, subscribe } = require('./lib/harness');
const { launchChromium, decodePng } = require('./lib/chromium');

const TOKEN = 'dash-token-123';

function get(port, p, headers = {}) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    }).on('error', reject);
  });
}

test('the dashboard needs the admin token and is off without one', async () => {
  const off = await startServer({ shards: 1 });
  try {
    assert.equal((await get(off.port, '/dashboard')).status, 404);
  } finally {
    await off.stop();
  }
  const server = await startServer({ shards: 1, args: ['--admin-token', TOKEN] });
  try {
    assert.equal((await get(server.port, '/dashboard')).status, 401);
    assert.equal((await get(server.port, '/dashboard/api/stats')).status, 401);
    assert.equal((await get(server.port, '/dashboard?token=wrong')).status, 401);
    assert.equal((await get(server.port, '/dashboard/api/stats', { authorization: 'Bearer nope' })).status, 401);
    const page = await get(server.port, `/dashboard?token=${TOKEN}`);
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'], /^text\/html/);
    assert.match(page.headers['set-cookie'][0], new RegExp(`^ringcast_admin=${TOKEN}; Path=/dashboard; HttpOnly; SameSite=Strict`));
    const js = await get(server.port, '/dashboard/app.js', { cookie: `a=b; ringcast_admin=${TOKEN}` });
    assert.equal(js.status, 200);
    assert.match(js.headers['content-type'], /^text\/javascript/);
    const stats = await get(server.port, '/dashboard/api/stats', { authorization: `Bearer ${TOKEN}` });
    assert.equal(stats.status, 200);
    const s = JSON.parse(stats.body);
    assert.equal(s.shards.length, 1);
    assert.equal(s.apps[0].id, 'app-id');
  } finally {
    await server.stop();
  }
});

test('headless Chromium: figures move under load, the console shows REST and page events, screenshot', async () => {
  const server = await startServer({ shards: 2, args: ['--admin-token', TOKEN] });
  const browser = await launchChromium({ width: 1200, height: 900 });
  const sockets = [];
  try {
    const { page } = browser;
    await page.navigate(`http://127.0.0.1:${server.port}/dashboard?token=${TOKEN}&interval=200`);
    await page.waitFor(`document.querySelectorAll('#shards tbody tr').length === 2`, 10000, 'the shard rows');
    await page.waitFor(`document.getElementById('status').textContent === 'ready'`);
    await page.waitFor(`document.querySelector('#console-app option')?.value === 'app-id'`);
    const shown = () => page.eval(`Number(document.getElementById('total-deliveries').textContent.replace(/,/g, ''))`);
    const before = await shown();

    // Load: 5 subscribers, 60 publishes -> 300 deliveries; the page shows them within a poll.
    for (let i = 0; i < 5; ++i) {
      const ws = rawSocket(server.port);
      sockets.push(ws);
      await connected(ws);
      await subscribe(ws, 'load');
    }
    await page.waitFor(`Number(document.getElementById('total-connections').textContent) >= 5`, 5000, 'connections >= 5');
    const api = pusherServer(server.port);
    let maxRate = 0;
    for (let j = 0; j < 60; ++j) {
      await api.trigger('load', 'tick', { j });
      if (j % 10 === 9) {
        const r = await page.eval(`parseFloat(document.getElementById('total-deliveries-rate').textContent.replace(/,/g, ''))`);
        if (r > maxRate) maxRate = r;
        await new Promise((res) => setTimeout(res, 100));
      }
    }
    await page.waitFor(`Number(document.getElementById('total-deliveries').textContent.replace(/,/g, '')) >= ${before + 300}`, 5000, 'deliveries to reach +300');
    assert.equal(await shown() - before, 300);
    if (maxRate === 0) {
      // Publishing was quicker than one poll: the next poll after it still shows a rate.
      maxRate = await page.eval(`parseFloat(document.getElementById('total-deliveries-rate').textContent.replace(/,/g, ''))`);
    }
    assert.ok(maxRate > 0, 'the page showed a deliveries rate above 0 while load ran');
    const appRow = await page.eval(`[...document.querySelectorAll('#apps tbody tr td')].map((td) => td.textContent)`);
    assert.equal(appRow[0], 'app-id');
    assert.equal(appRow[2], '5', 'the app row shows its 5 connections');
    assert.equal(appRow[3], '1', 'and its one channel');

    // Debug console: watch a channel, trigger through the REST API, then from the page.
    await page.eval(`document.getElementById('console-channel').value = 'debug-chan'; document.getElementById('console-watch').click(); true`);
    await page.waitFor(`document.getElementById('console-state').textContent.startsWith('watching')`, 5000, 'the console to subscribe');
    await api.trigger('debug-chan', 'from-rest', { n: 42 });
    await page.waitFor(`document.getElementById('console-log').textContent.includes('from-rest')`, 5000, 'the REST event in the console');
    assert.ok((await page.eval(`document.getElementById('console-log').textContent`)).includes('{"n":42}'));
    await page.eval(`document.getElementById('trigger-event').value = 'from-page'; document.getElementById('trigger-send').click(); true`);
    await page.waitFor(`document.getElementById('console-log').textContent.includes('from-page')`, 5000, 'the page event in the console');
    // The event can reach the console's WebSocket before the page has read the trigger's answer.
    await page.waitFor(`document.getElementById('trigger-result').textContent !== ''`, 5000, 'the trigger answer');
    assert.equal(await page.eval(`document.getElementById('trigger-result').textContent`), 'sent');

    // Screenshot: a PNG of the viewport, not blank (many colours, much of it not background).
    const png = await page.screenshot();
    // Kept for a look (RINGCAST_SCREENSHOT_DIR, else the server's temporary data directory).
    const out = process.env.RINGCAST_SCREENSHOT_DIR || server.dataDir;
    fs.writeFileSync(path.join(out, 'dashboard.png'), png);
    const img = decodePng(png);
    assert.equal(img.width, 1200);
    assert.equal(img.height, 900);
    const colours = new Set();
    let differing = 0;
    const bg = img.pixels.readUIntBE(0, 3);
    for (let i = 0; i < img.pixels.length; i += img.channels) {
      const rgb = img.pixels.readUIntBE(i, 3);
      colours.add(rgb);
      if (rgb !== bg) ++differing;
    }
    assert.ok(colours.size >= 20, `screenshot has ${colours.size} colours`);
    assert.ok(differing / (img.width * img.height) > 0.05, `only ${differing} pixels differ from the background`);
    assert.deepEqual(page.consoleErrors, [], 'no uncaught exceptions on the page');
  } finally {
    for (const ws of sockets) ws.close();
    try {
      await browser.close();
    } finally {
      await server.stop();
    }
  }
});
