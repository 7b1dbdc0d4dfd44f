// Page render times of the Argos web UI against a running server, in headless Chromium.
// Used by scripts/bench-pages.sh (which builds the store and starts the server).
//
//   node pages.mjs --url http://127.0.0.1:39080 --user admin --password bench [--runs 7] [--json]
//
// Each page is loaded from scratch `--runs` times (a fresh navigation, waiting until the network
// is idle and the page's main content is drawn). For every load it reads the Server-Timing
// header of each API request the page made (PerformanceResourceTiming.serverTiming), so the
// figure is the server's own time, without the browser or the network:
//   server ms   = the slowest API request of the load (the page's requests run in parallel)
//   sum ms      = all its API requests added up (an upper bound, as if run one after another)
//   ready ms    = navigation start to the page's content shown, as the browser saw it
// The table gives the median and the worst load of each page, and the slowest API route seen.
import { chromium } from 'playwright-core';
import { parseArgs } from './args.mjs';

const args = parseArgs();
const BASE = (args.url || 'http://127.0.0.1:39080').replace(/\/$/, '');
const USER = args.user || 'admin';
const PASS = args.password || 'admin';
const RUNS = Math.max(1, Number(args.runs || 7));
const CHROMIUM = args.chromium || process.env.CHROMIUM || '/usr/bin/chromium';

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });

const login = await context.request.post(`${BASE}/api/v1/login`, { data: { username: USER, password: PASS } });
if (!login.ok()) throw new Error(`login failed: ${login.status()} ${await login.text()}`);
const { token } = await login.json();
await context.addInitScript(([t, u]) => {
  if (!location.protocol.startsWith('http')) return; // about:blank has no storage
  localStorage.setItem('argos.token', t);
  localStorage.setItem('argos.user', u);
}, [token, USER]);

async function getJson(path) {
  const r = await context.request.get(`${BASE}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  if (!r.ok()) throw new Error(`${path}: ${r.status()}`);
  return r.json();
}

const fromUser = args['from-user'] || 'alice';
const rare = args['rare-user'] || '';
// The call page opens a call of the common From user (the lab's calls cross a proxy: two legs).
const calls = await getJson(`/api/v1/calls?since=0&limit=1&from_user=${encodeURIComponent(fromUser)}`);
const first = calls.calls && calls.calls[0];
const callKey = first && (first.call_key || (first.call_ids && first.call_ids[0]));
if (!callKey) throw new Error(`no call from ${fromUser} in the store`);

const enc = encodeURIComponent;
// [name, hash, selector that shows the page's main content is drawn]
const pages = [
  ['Home (24 h)', '#/home?range=24h', '.home-stats .chart-grid, .home-stats .kpi-none'],
  ['Search messages: From user (24 h)', `#/search?mode=messages&range=24h&from_user=${enc(fromUser)}`, 'table, .empty'],
  ['Search calls: From user (24 h)', `#/search?mode=calls&range=24h&from_user=${enc(fromUser)}`, 'table, .empty'],
  ['Search calls: From user OR To user (24 h)', `#/search?mode=calls&range=24h&from_user=${enc(fromUser)}&to_user=4861&match=any`, 'table, .empty'],
  ['Search calls: From user regex (24 h)', `#/search?mode=calls&range=24h&${enc('from_user~')}=${enc(`^${fromUser.slice(0, 3)}`)}`, 'table, .empty'],
  ['Search calls: registrations (24 h)', '#/search?mode=calls&range=24h&type=registration', 'table, .empty'],
  ...(rare ? [['Search messages: rare From user (24 h)', `#/search?mode=messages&range=24h&from_user=${enc(rare)}`, 'table, .empty']] : []),
  ['Calls (call records, 24 h)', '#/calls?range=24h', 'table, .empty'],
  [`Call page (flow, ${first.messages} messages)`, `#/call/${enc(callKey)}`, '.ladder-head-svg, svg'],
  ['Devices (registrations)', '#/devices?range=24h', 'table, .empty'],
  ['Stats (24 h)', '#/stats?range=24h', '.chart-grid'],
  ['Alarms (24 h)', '#/alarms?range=24h', 'table, .empty, .alarm-list'],
];

const page = await context.newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };
const results = [];
for (const [name, hash, ready] of pages) {
  const loads = [];
  for (let i = 0; i < RUNS; i++) {
    await page.goto('about:blank');
    const t0 = Date.now();
    await page.goto(`${BASE}/${hash}`, { waitUntil: 'commit' });
    await page.locator(ready).first().waitFor({ timeout: 30000 }).catch(() => errors.push(`${name}: ${ready} never shown`));
    const readyMs = Date.now() - t0;
    await page.waitForLoadState('networkidle');
    const api = await page.evaluate(() => performance.getEntriesByType('resource')
      .filter((e) => new URL(e.name).pathname.startsWith('/api/'))
      .map((e) => ({
        path: new URL(e.name).pathname,
        server: (e.serverTiming.find((s) => s.name === 'app') || {}).duration,
        browser: e.responseEnd - e.startTime,
      })));
    const timed = api.filter((a) => typeof a.server === 'number');
    if (!timed.length) errors.push(`${name}: no API request with Server-Timing`);
    const slowest = timed.reduce((m, a) => (a.server > (m ? m.server : -1) ? a : m), null);
    loads.push({ server: slowest ? slowest.server : 0, sum: timed.reduce((s, a) => s + a.server, 0), ready: readyMs, requests: timed.length, slowest: slowest && slowest.path });
  }
  const worst = loads.reduce((m, l) => (l.server > m.server ? l : m));
  results.push({
    page: name,
    requests: loads[0].requests,
    server_ms_median: median(loads.map((l) => l.server)),
    server_ms_max: worst.server,
    sum_ms_median: median(loads.map((l) => l.sum)),
    ready_ms_median: median(loads.map((l) => l.ready)),
    slowest_route: worst.slowest,
  });
}
await browser.close();

if (args.json) console.log(JSON.stringify({ runs: RUNS, results, errors }));
else {
  console.log(`| page | API requests | server ms (median) | server ms (worst of ${RUNS}) | sum of requests ms (median) | ready in browser ms (median) | slowest route |`);
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.page} | ${r.requests} | ${r.server_ms_median.toFixed(1)} | ${r.server_ms_max.toFixed(1)} | ${r.sum_ms_median.toFixed(1)} | ${r.ready_ms_median} | ${r.slowest_route} |`);
  }
  for (const e of errors) console.error(`error: ${e}`);
}
process.exit(errors.length ? 1 : 0);
