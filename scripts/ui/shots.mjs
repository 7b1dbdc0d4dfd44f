// Drive the Argos web UI in headless Chromium against a running argos server, check each step,
// and write screenshots. Used by scripts/ui-screenshots.sh (which starts the server).
//
//   node shots.mjs --url http://127.0.0.1:19080 --out /tmp/argos-ui-shots \
//        [--user admin --password admin] [--hep-udp 127.0.0.1:19060] [--assets DIR] [--chromium /usr/bin/chromium]
//
// --assets DIR serves the UI files from DIR instead of the ones embedded in the binary (for UI work
// without rebuilding); the API still goes to the real server.
// Exit code 0 when every check passed, 1 otherwise (every failure is listed on stderr).
import { chromium } from 'playwright-core';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : '1']);
  return acc;
}, []));
const BASE = (args.url || 'http://127.0.0.1:19080').replace(/\/$/, '');
const OUT = args.out || '/tmp/argos-ui-shots';
const USER = args.user || 'admin';
const PASS = args.password || 'admin';
const CHROMIUM = args.chromium || process.env.CHROMIUM || '/usr/bin/chromium';
const ASSETS = args.assets || '';
const HEP = args['hep-udp'] || '';
const W = Number(args.width || 1440);
const H = Number(args.height || 900);

fs.mkdirSync(OUT, { recursive: true });
const failures = [];
const t0 = Date.now();
const log = (...a) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s]`, ...a);
function check(ok, what) {
  if (ok) log(`ok    ${what}`);
  else { log(`FAIL  ${what}`); failures.push(what); }
  return ok;
}

// ---- a hostile HEPv3 packet: markup in User-Agent and From display name ----------------------
const XSS_UA = '<script>alert(1)</script>';
function hepChunk(type, payload) {
  const b = Buffer.alloc(6 + payload.length);
  b.writeUInt16BE(0, 0); b.writeUInt16BE(type, 2); b.writeUInt16BE(6 + payload.length, 4);
  payload.copy(b, 6);
  return b;
}
const u8 = (v) => Buffer.from([v]);
const u16 = (v) => { const b = Buffer.alloc(2); b.writeUInt16BE(v); return b; };
const u32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); return b; };
const ip4 = (s) => Buffer.from(s.split('.').map(Number));
function hep3(sip, { src, sport, dst, dport, us }) {
  const chunks = [
    hepChunk(1, u8(2)), hepChunk(2, u8(17)),
    hepChunk(3, ip4(src)), hepChunk(4, ip4(dst)),
    hepChunk(7, u16(sport)), hepChunk(8, u16(dport)),
    hepChunk(9, u32(Math.floor(us / 1e6))), hepChunk(10, u32(us % 1e6)),
    hepChunk(11, u8(1)), hepChunk(12, u32(4242)),
    hepChunk(15, Buffer.from(sip, 'utf8')),
  ];
  const body = Buffer.concat(chunks);
  const head = Buffer.alloc(6);
  head.write('HEP3', 0, 'ascii'); head.writeUInt16BE(6 + body.length, 4);
  return Buffer.concat([head, body]);
}
async function sendHostileCall(hostPort) {
  const [host, port] = [hostPort.slice(0, hostPort.lastIndexOf(':')), Number(hostPort.slice(hostPort.lastIndexOf(':') + 1))];
  const callId = `xss-${Date.now()}@argos.test`;
  const now = Date.now() * 1000;
  const invite = [
    'INVITE sip:2002@192.0.2.20 SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-xss-1',
    'From: "<img src=x onerror=alert(2)>" <sip:1001@192.0.2.10>;tag=xss1',
    'To: <sip:2002@192.0.2.20>',
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    'Contact: <sip:1001@192.0.2.10:5060>',
    `User-Agent: ${XSS_UA}`,
    'Max-Forwards: 70',
    'Content-Length: 0',
    '', ''].join('\r\n');
  const busy = [
    'SIP/2.0 486 Busy <b>Here</b>',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-xss-1',
    'From: "<img src=x onerror=alert(2)>" <sip:1001@192.0.2.10>;tag=xss1',
    'To: <sip:2002@192.0.2.20>;tag=xss2',
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    `Server: ${XSS_UA}`,
    'Content-Length: 0',
    '', ''].join('\r\n');
  const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const send = (buf) => new Promise((res, rej) => sock.send(buf, port, host, (e) => (e ? rej(e) : res())));
  await send(hep3(invite, { src: '192.0.2.10', sport: 5060, dst: '192.0.2.20', dport: 5060, us: now }));
  await send(hep3(busy, { src: '192.0.2.20', sport: 5060, dst: '192.0.2.10', dport: 5060, us: now + 2500 }));
  sock.close();
  return callId;
}

// ---- browser ---------------------------------------------------------------------------------
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let exitCode = 1;
try {
  const context = await browser.newContext({ viewport: { width: W, height: H }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  const consoleErrors = [];
  let expect401Login = false; // the deliberate wrong-password attempt
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const at = (m.location() && m.location().url) || '';
    if (expect401Login && at.endsWith('/api/v1/login') && /401/.test(m.text())) return;
    consoleErrors.push(`console: ${m.text()}${at ? ` (${at})` : ''}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  let dialogs = 0;
  page.on('dialog', (d) => { dialogs += 1; consoleErrors.push(`dialog opened: ${d.message()}`); d.dismiss().catch(() => {}); });
  const apiErrors = [];
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (r.status() >= 400 && !(u.pathname === '/api/v1/login' && r.status() === 401)) apiErrors.push(`${r.status()} ${u.pathname}${u.search}`);
  });

  if (ASSETS) {
    // Serve the UI from the working tree, everything else (API) from the server.
    await page.route(`${BASE}/**`, async (route) => {
      const u = new URL(route.request().url());
      if (u.pathname.startsWith('/api/') || u.pathname === '/healthz' || u.pathname === '/metrics') return route.continue();
      let p = u.pathname.replace(/^\/+/, '') || 'index.html';
      if (!p.includes('.')) p = 'index.html';
      const file = path.join(ASSETS, p);
      if (!file.startsWith(path.resolve(ASSETS)) || !fs.existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
      const types = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
      return route.fulfill({
        status: 200, body: fs.readFileSync(file),
        headers: {
          'content-type': types[p.split('.').pop()] || 'application/octet-stream',
          'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
        },
      });
    });
    log(`UI files from ${ASSETS}`);
  }
  const shot = async (name) => {
    const file = path.join(OUT, name);
    await page.screenshot({ path: file, fullPage: false });
    log(`wrote ${file}`);
  };

  // 1. login page
  await page.goto(`${BASE}/`);
  const loginForm = page.locator('form.login-card');
  if (!check(await loginForm.isVisible().catch(() => false) || await loginForm.waitFor().then(() => true, () => false), 'login form shown')) throw new Error('no login form');
  await page.fill('input[name=username]', USER);
  await page.fill('input[name=password]', 'wrong-password');
  expect401Login = true;
  await page.click('form.login-card button[type=submit]');
  check(await page.locator('.login-error').waitFor().then(() => true, () => false), 'wrong password is refused with a message');
  expect401Login = false;
  await page.fill('input[name=password]', PASS);
  await shot('01-login.png');
  await page.click('form.login-card button[type=submit]');
  check(await page.locator('form.search').waitFor().then(() => true, () => false), 'logged in: search form shown');
  const status = await page.locator('#status-line').textContent({ timeout: 5000 }).catch(() => '');
  await page.waitForFunction(() => document.getElementById('status-line').textContent.length > 0, null, { timeout: 5000 }).catch(() => {});
  const statusText = await page.locator('#status-line').textContent();
  check(/messages/.test(statusText), `status line shows store statistics: "${statusText || status}"`);

  // 2. calls over all time
  await page.selectOption('select[name=range]', 'all');
  await page.click('form.search button[type=submit]');
  await page.locator('table.grid tbody tr').first().waitFor().catch(() => {});
  const nRows = await page.locator('table.grid tbody tr').count();
  check(nRows > 0, `calls search over all time returns rows (${nRows})`);
  await shot('02-results.png');
  if (!nRows) throw new Error('no call rows');

  // 3. an answered INVITE call
  const answered = page.locator('table.grid tbody tr', { has: page.locator('.status.st-2xx') })
    .filter({ hasText: 'INVITE' }).first();
  if (!check(await answered.count() > 0, 'an answered (2xx) INVITE call is listed')) throw new Error('no answered call');
  await answered.click();
  await page.locator('svg.ladder-svg g.msg').first().waitFor();
  const nHosts = await page.locator('svg.ladder-head-svg g.host').count();
  const nMsgs = await page.locator('svg.ladder-svg g.msg').count();
  check(nHosts >= 3, `ladder has at least 3 hosts (${nHosts})`);
  check(nMsgs >= 7, `ladder has the call's messages (${nMsgs})`);
  await page.mouse.move(0, 0);
  await shot('03-call-flow.png');

  // 4. click an arrow: the 200 OK to the INVITE when there is one, else the third message
  let target = page.locator('svg.ladder-svg g.msg.resp', { hasText: '200' }).first();
  if (!(await target.count())) target = page.locator('svg.ladder-svg g.msg').nth(2);
  await target.locator('.arrow').first().click({ force: true });
  const raw = page.locator('pre.raw');
  await raw.waitFor();
  const rawText = await raw.textContent();
  const selected = await target.evaluate((g) => g.classList.contains('sel'));
  check(selected, 'clicked arrow is selected');
  check(/^(SIP\/2\.0 \d{3}|[A-Z]+ \S+ SIP\/2\.0)/.test(rawText) && /Call-ID:/i.test(rawText), 'raw SIP message shown for the clicked arrow');
  check(await page.locator('.fields-table tbody tr').count() > 5, 'message fields table shown');
  await page.mouse.move(0, 0);
  // Show the selected arrow and the message under it.
  await page.evaluate(() => window.scrollTo(0, document.querySelector('.ladder').getBoundingClientRect().top + window.scrollY - 48));
  await shot('04-message.png');

  // 4b. a cancelled call (487: INVITE, CANCEL, 200 CANCEL, 487, ACK on both legs), when the capture has one
  await page.evaluate(() => { location.hash = '#/search?mode=calls&range=all&status=487&method=INVITE'; });
  await page.locator('table.grid tbody tr').first().waitFor({ timeout: 5000 }).catch(() => {});
  const cancelled = page.locator('table.grid tbody tr', { has: page.locator('.status.st-4xx') }).first();
  if (await cancelled.count()) {
    await cancelled.click();
    await page.locator('svg.ladder-svg g.msg').first().waitFor();
    const n = await page.locator('svg.ladder-svg g.msg').count();
    check(n >= 8, `cancelled call: ladder shows ${n} messages`);
    check(await page.locator('.call-facts .status.st-4xx').count() === 1, 'cancelled call: 4xx status in the call header');
    await page.mouse.move(0, 0);
    await shot('05-cancelled-call.png');
  } else {
    log('skip  no 487 call in this capture');
  }

  // 5. markup in SIP headers is shown as text, never run
  if (HEP) {
    const callId = await sendHostileCall(HEP);
    log(`sent hostile call ${callId} to hep+udp://${HEP}`);
    let found = false;
    for (let i = 0; i < 30 && !found; i++) {
      const r = await page.evaluate(async (cid) => {
        const tok = localStorage.getItem('argos.token');
        const res = await fetch(`/api/v1/messages?since=0&call_id=${encodeURIComponent(cid)}`, { headers: { Authorization: `Bearer ${tok}` } });
        return res.ok ? (await res.json()).count : -1;
      }, callId);
      found = r >= 2;
      if (!found) await page.waitForTimeout(200);
    }
    check(found, 'hostile call stored by the server');
    const scriptsBefore = await page.evaluate(() => document.scripts.length);
    await page.evaluate((cid) => { location.hash = `#/search?mode=messages&range=all&call_id=${encodeURIComponent(cid)}`; }, callId);
    await page.locator('table.grid tbody tr').first().waitFor().catch(() => {});
    const uaCell = await page.locator('table.grid tbody tr td', { hasText: XSS_UA }).count();
    check(uaCell > 0, 'hostile User-Agent shown as literal text in the messages table');
    await page.evaluate((cid) => { location.hash = `#/call/${encodeURIComponent(cid)}`; }, callId);
    await page.locator('svg.ladder-svg g.msg').first().waitFor();
    await page.waitForTimeout(300);
    const hostUa = await page.locator('svg.ladder-head-svg .host-ua').allTextContents();
    check(hostUa.some((t) => t.includes('<script>')), `hostile User-Agent shown as text under the host (${JSON.stringify(hostUa)})`);
    const fieldUa = await page.locator('.fields-table td', { hasText: XSS_UA }).count();
    check(fieldUa > 0, 'hostile User-Agent shown as text in the fields table');
    const injected = await page.evaluate(() => ({
      scripts: document.scripts.length,
      imgs: document.querySelectorAll('img').length,
      bold: document.querySelectorAll('#view b').length,
    }));
    check(injected.scripts === scriptsBefore && injected.imgs === 0 && injected.bold === 0,
      `no markup from SIP data became elements (${JSON.stringify(injected)})`);
    check(dialogs === 0, 'no alert() dialog opened');
    await page.mouse.move(0, 0);
    await shot('06-hostile-user-agent.png');
  } else {
    log('skip  hostile User-Agent check (no --hep-udp)');
  }

  const uniq = (a) => [...new Set(a)].slice(0, 5).join(' | ') + (new Set(a).size > 5 ? ' | ...' : '');
  check(consoleErrors.length === 0, `no console errors${consoleErrors.length ? ': ' + uniq(consoleErrors) : ''}`);
  check(apiErrors.length === 0, `no failed HTTP requests${apiErrors.length ? ': ' + uniq(apiErrors) : ''}`);
  exitCode = failures.length ? 1 : 0;
} catch (e) {
  failures.push(`aborted: ${e && e.message ? e.message.split('\n')[0] : e}`);
  log(`FAIL  aborted: ${e && e.stack ? e.stack : e}`);
} finally {
  await browser.close().catch(() => {});
}
if (failures.length) {
  console.error(`\n${failures.length} check(s) failed:`);
  for (const f of failures) console.error(`  - ${f}`);
} else {
  log(`all checks passed; screenshots in ${OUT}`);
}
process.exit(exitCode);
