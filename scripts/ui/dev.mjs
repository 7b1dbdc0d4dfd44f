// UI development helper: log in to a running argos, open one view, screenshot it, print console errors.
//
//   node dev.mjs --url http://127.0.0.1:19080 --password PW --hash '#/stats?range=all' --out /tmp/x.png
//        [--assets DIR] [--mock] [--width 1440 --height 900] [--full] [--click SELECTOR] [--hover SELECTOR]
//
// --assets DIR  serve the UI from DIR (the working tree) instead of the binary's embedded copy.
// --mock        fill tracker endpoints that answer empty (registrations, KPIs, message counters, top lists,
//               diagnosis) with synthetic data, to look at pages whose server side is not written yet.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from './args.mjs';

const args = parseArgs();
const BASE = (args.url || 'http://127.0.0.1:19080').replace(/\/$/, '');
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'";

// ---- synthetic data --------------------------------------------------------------------
let seed = 7;
const rnd = () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };
const q = (u) => Object.fromEntries(new URL(u).searchParams);
const toUs = (v, def) => (v === undefined ? def : /^[\d.]+$/.test(v) ? Math.round(Number(v) * 1e6) : Date.parse(v) * 1000);

function kpiPoint(ts, scale) {
  const attempts = Math.round((20 + 15 * Math.sin(ts / 3.6e9) + rnd() * 10) * scale);
  const answered = Math.round(attempts * (0.55 + rnd() * 0.2));
  const busy = Math.round((attempts - answered) * 0.4);
  return {
    ts_us: ts, attempts, answered, busy, cancelled: 1, no_answer: 1, rejected: 0, failed: attempts - answered - busy - 2, timeout: 0, live: 0,
    asr: attempts ? +(100 * answered / attempts).toFixed(1) : null, ner: attempts ? +(100 * (answered + busy) / attempts).toFixed(1) : null,
    ser: null, acd_s: 60 + rnd() * 90, pdd_ms: 150 + rnd() * 400, setup_ms: 2000 + rnd() * 4000,
  };
}
function mockKpi(u) {
  const p = q(u); const b = Number(p.bucket || 300) * 1e6;
  const now = Date.now() * 1000;
  const until = toUs(p.until, now); const since = toUs(p.since, until - 86400e6);
  const keys = p.by && p.by !== 'all' ? ['10.0.0.1', '10.0.0.2', '192.0.2.77', 'kam-edge-2', ''].slice(0, Number(p.limit || 5)) : [''];
  const series = keys.map((key, k) => {
    const points = [];
    for (let t = Math.floor(Math.max(since, until - 400 * b) / b) * b; t < until; t += b) if (rnd() > 0.08) points.push(kpiPoint(t, 1 / (k + 1)));
    return { key, total: kpiPoint(0, 30 / (k + 1)), points };
  });
  return { bucket_s: b / 1e6, by: p.by || 'all', series };
}
function mockMessages(u) {
  const p = q(u); const b = Number(p.bucket || 60) * 1e6;
  const now = Date.now() * 1000;
  const until = toUs(p.until, now); const since = toUs(p.since, until - 86400e6);
  const series = {};
  const names = { 'req:INVITE': 40, 'req:REGISTER': 25, 'req:BYE': 20, 'rsp:100': 40, 'rsp:180': 30, 'rsp:200': 70, 'rsp:401': 12, 'rsp:486': 6, 'rsp:503': 3, 'rsp:INVITE:486': 6 };
  for (const [n, base] of Object.entries(names)) {
    series[n] = [];
    for (let t = Math.floor(Math.max(since, until - 400 * b) / b) * b; t < until; t += b) series[n].push([t, Math.round(base * (0.6 + rnd() * 0.8))]);
  }
  return { bucket_s: b / 1e6, series };
}
function mockRegs() {
  const now = Date.now() * 1000;
  const st = ['registered', 'registered', 'registered', 'expired', 'failed', 'pending', 'unregistered'];
  const regs = Array.from({ length: 14 }, (_, i) => {
    const status = st[i % st.length];
    return {
      aor: `${1000 + i}@pbx.example.com`, contact: `sip:${1000 + i}@10.0.0.${20 + i}:5062;transport=udp`, src: `10.0.0.${20 + i}:5062`,
      user_agent: i % 3 ? 'Yealink SIP-T46S 66.86.0.15' : (i === 4 ? '<script>alert(1)</script>' : 'Grandstream GXP2170 1.0.11.3'),
      node: 'kam1', status, first_us: now - 86400e6, last_us: now - i * 60e6, last_success_us: status === 'failed' ? now - 7200e6 : now - i * 60e6,
      expires_s: 3600, expires_at_us: status === 'expired' ? now - 600e6 : now + (3600 - i * 200) * 1e6,
      last_failure_us: i % 4 === 0 ? now - i * 90e6 : undefined, last_failure_code: i % 4 === 0 ? 403 : undefined,
      attempts: 4 + i, challenges: 2 + i, successes: 2, failures: i % 4 === 0 ? 3 : 0, call_id: `reg-${i}@10.0.0.${20 + i}`,
    };
  });
  return { count: regs.length, registrations: regs };
}
function mockTop(u) {
  const p = q(u);
  if (p.what === 'response_codes') return { what: p.what, rows: [['200', 340], ['180', 290], ['401', 120], ['486', 33], ['487', 21], ['503', 7]].map(([key, count]) => ({ key, count })) };
  const keys = { talkers: ['10.0.0.1', '10.0.0.2', '192.0.2.77'], failing_destinations: ['4930', '4989', '0044'], user_agents: ['Yealink SIP-T46S', 'Zoiper rv2.10', 'friendly-scanner'] }[p.what] || ['x'];
  return { what: p.what, rows: keys.map((key, i) => ({ key, calls: 300 / (i + 1) | 0, answered: 200 / (i + 1) | 0, failed: 40 / (i + 1) | 0, asr: 66.7 - i * 5 })) };
}

async function installMocks(page) {
  await page.route(`${BASE}/api/v1/**`, async (route) => {
    const u = route.request().url();
    const path_ = new URL(u).pathname;
    const resp = await route.fetch();
    let body = null;
    try { body = await resp.json(); } catch { return route.fulfill({ response: resp }); }
    const empty = (a) => !a || (Array.isArray(a) ? a.length === 0 : Object.keys(a).length === 0);
    if (path_ === '/api/v1/registrations' && empty(body.registrations)) body = mockRegs();
    else if (path_ === '/api/v1/stats/kpi' && empty(body.series)) body = mockKpi(u);
    else if (path_ === '/api/v1/stats/messages' && empty(body.series)) body = mockMessages(u);
    else if (path_ === '/api/v1/stats/top' && empty(body.rows)) body = mockTop(u);
    else if (/^\/api\/v1\/calls\/[^/]+$/.test(path_) && Array.isArray(body.diagnosis) && !body.diagnosis.length && body.messages) {
      const ids = body.messages.map((m) => m.id);
      body.diagnosis = [
        { level: 'problem', code: 'no_response', text: 'INVITE retransmitted 3 times before the first response from 127.0.0.1:5090', message_ids: ids.slice(2, 4) },
        { level: 'warning', code: 'slow_pdd', text: 'Post-dial delay 2.4 s (over 2 s)', message_ids: [ids[0], ids[4]] },
        { level: 'info', code: 'hangup', text: 'The caller hung up after 0:05 (BYE, Q.850 cause 16 Normal call clearing) <b>markup</b>', message_ids: ids.slice(-2) },
      ];
    }
    return route.fulfill({ status: resp.status(), headers: resp.headers(), body: JSON.stringify(body) });
  });
}

// ---- run -------------------------------------------------------------------------------
const browser = await chromium.launch({ executablePath: args.chromium || '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
try {
  const ctx = await browser.newContext({ viewport: { width: Number(args.width || 1440), height: Number(args.height || 900) } });
  const page = await ctx.newPage();
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.log(`console.${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) console.log(`HTTP ${r.status()} ${r.url()}`); });
  if (args.assets) {
    await page.route(`${BASE}/**`, async (route) => {
      const u = new URL(route.request().url());
      if (u.pathname.startsWith('/api/')) return route.fallback();
      let p = u.pathname.replace(/^\/+/, '') || 'index.html';
      if (!p.includes('.')) p = 'index.html';
      const file = path.join(args.assets, p);
      if (!fs.existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
      const types = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
      return route.fulfill({ status: 200, body: fs.readFileSync(file), headers: { 'content-type': types[p.split('.').pop()] || 'application/octet-stream', 'content-security-policy': CSP } });
    });
  }
  if (args.mock) await installMocks(page);
  const login = await (await fetch(`${BASE}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: args.user || 'admin', password: args.password || 'admin' }) })).json();
  await page.goto(`${BASE}/#/login`);
  await page.evaluate(([t]) => { localStorage.setItem('argos.token', t); localStorage.setItem('argos.user', 'admin'); }, [login.token]);
  await page.goto(`${BASE}/${args.hash || '#/search'}`);
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(Number(args.wait || 300));
  if (args.click) { await page.locator(args.click).first().click(); await page.waitForTimeout(300); }
  if (args.hover) { const b = await page.locator(args.hover).first().boundingBox({ timeout: 3000 }).catch(() => null); if (b) await page.mouse.move(b.x + b.width * 0.6, b.y + b.height / 2); await page.waitForTimeout(100); }
  if (args.eval) console.log(await page.evaluate(args.eval));
  await page.screenshot({ path: args.out || '/tmp/argos-dev.png', fullPage: !!args.full });
  console.log(`wrote ${args.out || '/tmp/argos-dev.png'}`);
} finally {
  await browser.close();
}
