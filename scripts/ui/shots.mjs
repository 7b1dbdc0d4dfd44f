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
import { parseArgs } from './args.mjs';

const args = parseArgs();
const BASE = (args.url || 'http://127.0.0.1:19080').replace(/\/$/, '');
const OUT = args.out || '/tmp/argos-ui-shots';
const USER = args.user || 'admin';
const PASS = args.password || 'admin';
const CHROMIUM = args.chromium || process.env.CHROMIUM || '/usr/bin/chromium';
const ASSETS = args.assets ? path.resolve(args.assets) : '';
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
function hep3(sip, { src, sport, dst, dport, us, proto = 1, corr = null }) {
  const chunks = [
    hepChunk(1, u8(2)), hepChunk(2, u8(17)),
    hepChunk(3, ip4(src)), hepChunk(4, ip4(dst)),
    hepChunk(7, u16(sport)), hepChunk(8, u16(dport)),
    hepChunk(9, u32(Math.floor(us / 1e6))), hepChunk(10, u32(us % 1e6)),
    hepChunk(11, u8(proto)), hepChunk(12, u32(4242)),
    ...(corr ? [hepChunk(0x11, Buffer.from(corr, 'utf8'))] : []),
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
  // A proxy log line about the call (HEP proto 100, correlated by Call-ID), with markup in it.
  await send(hep3(XSS_LOG, { src: '192.0.2.20', sport: 5060, dst: '192.0.2.20', dport: 5060, us: now + 3000, proto: 100, corr: callId }));
  sock.close();
  return callId;
}
const XSS_LOG = 'NOTICE: <i>routing</i> 1001 -> 2002 rejected 486 <script>alert(5)</script>';

// A plain INVITE + 200 OK from `fromUser`, now (for the live search).
async function sendSimpleCall(hostPort, fromUser) {
  const [host, port] = [hostPort.slice(0, hostPort.lastIndexOf(':')), Number(hostPort.slice(hostPort.lastIndexOf(':') + 1))];
  const callId = `live-${Date.now()}@argos.test`;
  const now = Date.now() * 1000;
  const msg = (start) => [start, 'Via: SIP/2.0/UDP 192.0.2.60:5060;branch=z9hG4bK-live-1',
    `From: <sip:${fromUser}@192.0.2.60>;tag=l1`, 'To: <sip:4002@192.0.2.70>', `Call-ID: ${callId}`, 'CSeq: 1 INVITE',
    'Content-Length: 0', '', ''].join('\r\n');
  const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const send = (buf) => new Promise((res, rej) => sock.send(buf, port, host, (e) => (e ? rej(e) : res())));
  await send(hep3(msg('INVITE sip:4002@192.0.2.70 SIP/2.0'), { src: '192.0.2.60', sport: 5060, dst: '192.0.2.70', dport: 5060, us: now }));
  await send(hep3(msg('SIP/2.0 200 OK'), { src: '192.0.2.70', sport: 5060, dst: '192.0.2.60', dport: 5060, us: now + 1000 }));
  sock.close();
  return callId;
}

// ---- a call with quality reports: RTCP (proto 5) over 60 s, a proto-34 report with markup in its
// codec name, and a BYE whose X-RTP-Stat says the caller received nothing (one-way audio) --------
const XSS_CODEC = '<img src=x onerror=alert(4)>';
async function sendQosCall(hostPort) {
  const [host, port] = [hostPort.slice(0, hostPort.lastIndexOf(':')), Number(hostPort.slice(hostPort.lastIndexOf(':') + 1))];
  const callId = `qos-${Date.now()}@argos.test`;
  const t0 = Date.now() * 1000 - 120e6;
  const sdp = (ip, p) => `v=0\r\no=- 1 1 IN IP4 ${ip}\r\ns=-\r\nc=IN IP4 ${ip}\r\nt=0 0\r\nm=audio ${p} RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n`;
  const sipMsg = (start, extra, body = '') => [start, 'Via: SIP/2.0/UDP 192.0.2.30:5060;branch=z9hG4bK-qos-1',
    'From: <sip:3001@192.0.2.30>;tag=q1', 'To: <sip:3002@192.0.2.40>;tag=q2', `Call-ID: ${callId}`, ...extra,
    `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n');
  const offer = sdp('192.0.2.30', 4000);
  const answer = sdp('192.0.2.40', 5000);
  const caller = { src: '192.0.2.30', sport: 5060, dst: '192.0.2.40', dport: 5060 };
  const callee = { src: '192.0.2.40', sport: 5060, dst: '192.0.2.30', dport: 5060 };
  const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const send = (buf) => new Promise((res, rej) => sock.send(buf, port, host, (e) => (e ? rej(e) : res())));
  await send(hep3(sipMsg('INVITE sip:3002@192.0.2.40 SIP/2.0', ['CSeq: 1 INVITE', 'Content-Type: application/sdp'], offer), { ...caller, us: t0 }));
  await send(hep3(sipMsg('SIP/2.0 200 OK', ['CSeq: 1 INVITE', 'Content-Type: application/sdp'], answer), { ...callee, us: t0 + 2e6 }));
  // The callee's receiver reports about the caller's stream: jitter and loss grow mid-call.
  for (let i = 0; i < 12; i++) {
    const jitter = [40, 60, 80, 120, 300, 520, 640, 420, 200, 120, 80, 64][i];
    const frac = [0, 0, 1, 3, 8, 20, 16, 6, 2, 0, 0, 0][i];
    const rr = { ssrc: 2, type: 201, report_count: 1, report_blocks: [{ source_ssrc: 1, fraction_lost: frac, packets_lost: i * 3, highest_seq_no: 250 * (i + 1), ia_jitter: jitter, lsr: 0, dlsr: 0 }] };
    await send(hep3(JSON.stringify(rr), { src: '192.0.2.40', sport: 5001, dst: '192.0.2.30', dport: 4001, us: t0 + 5e6 + i * 5e6, proto: 5, corr: callId }));
    const sr = { sender_information: { ntp_timestamp_sec: 1, ntp_timestamp_usec: 2, rtp_timestamp: 3, packets: 250 * (i + 1), octets: 40000 * (i + 1) }, ssrc: 1, type: 200, report_count: 0, report_blocks: [] };
    await send(hep3(JSON.stringify(sr), { src: '192.0.2.30', sport: 4001, dst: '192.0.2.40', dport: 5001, us: t0 + 5.2e6 + i * 5e6, proto: 5, corr: callId }));
  }
  const probe = { CORRELATION_ID: callId, JITTER: 22.5, MAX_JITTER: 48, TOTAL_PK: 2950, EXPECTED_PK: 3000, PACKET_LOSS: 50, MOS: 3.4, RFACTOR: 68,
    SRC_IP: '192.0.2.30', SRC_PORT: 4000, DST_IP: '192.0.2.40', DST_PORT: 5000, CODEC_NAME: XSS_CODEC, REPORT_NAME: 'probe-a:9060', TYPE: 'HANGUP' };
  await send(hep3(JSON.stringify(probe), { src: '192.0.2.50', sport: 9, dst: '192.0.2.50', dport: 9, us: t0 + 62e6, proto: 34, corr: callId }));
  const bye = sipMsg('BYE sip:3002@192.0.2.40 SIP/2.0', ['CSeq: 2 BYE',
    `X-RTP-Stat: CS=0;PS=3000;ES=3000;OS=480000;PR=0;ER=0;OR=0;PL=0,50;EN=PCMA;DE=PCMA ${XSS_CODEC};JI=0,22;DL=40,20,60;IP=192.0.2.30:4000,192.0.2.40:5000`]);
  await send(hep3(bye, { ...caller, us: t0 + 63e6 }));
  sock.close();
  return callId;
}

async function qosTab(page) {
  if (!HEP) { log('skip  QoS tab (no --hep-udp)'); return; }
  const probe = await apiGet(page, '/api/v1/calls/none@x/qos');
  if (probe.status !== 404) { log(`skip  QoS tab: GET /calls/{id}/qos answered ${probe.status}`); return; }
  const callId = await sendQosCall(HEP);
  log(`sent QoS call ${callId}`);
  let q = null;
  for (let i = 0; i < 40; i++) {
    const r = await apiGet(page, `/api/v1/calls/${encodeURIComponent(callId)}/qos`);
    if (r.status === 200 && r.body && r.body.streams && r.body.streams.length >= 4) { q = r.body; break; }
    await page.waitForTimeout(200);
  }
  check(q !== null, `QoS call stored with its reports (${q ? q.streams.length : 0} streams)`);
  const scriptsBefore = await page.evaluate(() => document.scripts.length);
  await goHash(page, `#/call/${encodeURIComponent(callId)}?tab=qos`);
  check(await visible(page.locator('table.qos-streams tbody tr')), 'QoS tab: stream table shown');
  check(await page.locator('.call-tab.active', { hasText: 'QoS' }).count() === 1, 'QoS tab: tab is the active one');
  const rows = await page.locator('table.qos-streams tbody tr:not(.qos-extra)').count();
  check(rows >= 4, `QoS tab: a row per reporter and stream (${rows})`);
  await page.locator('.qos-charts svg.chart-svg').nth(2).waitFor({ timeout: 5000 }).catch(() => {});
  const charts = await page.locator('.qos-charts svg.chart-svg').count();
  check(charts === 3, `QoS tab: jitter, loss and MOS charts drawn (${charts})`);
  const lines = await page.locator('.qos-jitter_ms svg .series.line path').count();
  check(lines >= 1, `QoS tab: jitter over time drawn as a line (${lines})`);
  check(await page.locator('.qos-alert', { hasText: 'One-way audio' }).count() >= 1, 'QoS tab: one-way audio warning on top');
  check(await page.locator('table.qos-streams td.q-bad').count() > 0, 'QoS tab: worst values marked red');
  const codecText = await page.locator('table.qos-streams td', { hasText: XSS_CODEC }).count();
  check(codecText > 0, 'QoS tab: hostile codec name shown as text');
  await page.locator('table.qos-streams details summary').first().click().catch(() => {});
  const rawText = await page.locator('pre.qos-raw').first().textContent().catch(() => '');
  check(rawText.includes(XSS_CODEC), 'QoS tab: raw X-RTP-Stat shown as text');
  const injected = await page.evaluate(() => ({ scripts: document.scripts.length, imgs: document.querySelectorAll('img').length }));
  check(injected.scripts === scriptsBefore && injected.imgs === 0, `QoS tab: no markup from reports became elements (${JSON.stringify(injected)})`);
  // Hover read-out on the jitter chart.
  const hit = page.locator('.qos-jitter_ms svg .hit').first();
  await hit.scrollIntoViewIfNeeded().catch(() => {});
  const box = await hit.boundingBox().catch(() => null);
  if (box) {
    await page.mouse.move(box.x + box.width * 0.45, box.y + box.height / 2);
    check(await page.locator('.qos-jitter_ms svg .tip[visibility=visible]').count() === 1, 'QoS tab: chart hover read-out');
  }
  await shotFn('14-call-qos-charts.png');
  await page.mouse.move(0, 0);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shotFn('13-call-qos.png');
  await page.mouse.move(0, 0);
  // Back to the flow: the ladder is there again.
  await page.locator('.call-tab', { hasText: 'Flow' }).click();
  check(await page.locator('svg.ladder-svg').isVisible(), 'QoS tab: Flow tab shows the ladder again');
}

// ---- call tracker pages (Calls, Devices, Stats, Alarms) -----------------------------------------
let shotFn = null;
let fromUser = '';
const ALIAS = 'Lab UAC <b>1</b>';

// Click `what` and wait for the download it starts: { name, bytes }.
async function download(page, what) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 10000 }), page.locator(what).first().click()]);
  const file = await dl.path();
  return { name: dl.suggestedFilename(), bytes: file ? fs.readFileSync(file) : Buffer.alloc(0) };
}

async function callFeatures(page) {
  const legs = await page.locator('ul.legend li:not(.legend-keys)').count();
  check(legs >= 2, `call page: both legs of the proxied call in the flow (${legs} legs in the legend)`);

  // Host alias: name the first host; the ladder header and the message list show it.
  const host = await page.locator('svg.ladder-head-svg g.host').first().getAttribute('data-host');
  await page.locator('button', { hasText: 'Host aliases' }).click();
  const dlg = page.locator('dialog.alias-dialog');
  check(await visible(dlg), 'call page: host alias dialog opens');
  await dlg.locator(`input[data-host="${host}"]`).fill(ALIAS);
  await shotFn('15a-alias-dialog.png');
  await dlg.locator('button[type=submit]').click();
  await page.locator('svg.ladder-head-svg .host-alias').first().waitFor({ timeout: 5000 }).catch(() => {});
  const headText = await page.locator('svg.ladder-head-svg g.host').first().textContent();
  check(headText.includes(ALIAS) && headText.includes(host), `alias shown in the ladder header with the address (${JSON.stringify(headText)})`);
  await page.locator('svg.ladder-svg g.msg').first().locator('.arrow').click({ force: true });
  const pathText = await page.locator('.details-head .msg-path').textContent().catch(() => '');
  check(pathText.includes(ALIAS), `alias shown in the message details (${pathText})`);
  check(await page.locator('#view b').count() === 0, 'alias with markup stays text');
  await page.mouse.move(0, 0);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shotFn('15-call-alias.png');

  // diff.js against a brute-force LCS: both texts rebuilt, as many unchanged lines as the LCS length.
  const wrong = await page.evaluate(async () => {
    const { lineDiff } = await import('/diff.js');
    let bad = 0;
    for (let t = 0; t < 500; t += 1) {
      const r = () => Array.from({ length: Math.floor(Math.random() * 12) }, () => 'abcd'[Math.floor(Math.random() * 4)]);
      const a = r(); const b = r();
      const ops = lineDiff(a, b);
      const L = Array.from({ length: a.length + 1 }, () => new Array(b.length + 1).fill(0));
      for (let i = a.length - 1; i >= 0; i -= 1) for (let j = b.length - 1; j >= 0; j -= 1) L[i][j] = a[i] === b[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
      const left = ops.filter((o) => o.op !== '+').map((o) => o.a).join();
      const right = ops.filter((o) => o.op !== '-').map((o) => o.b).join();
      if (left !== a.join() || right !== b.join() || ops.filter((o) => o.op === '=').length !== L[0][0]) bad += 1;
    }
    return bad;
  });
  check(wrong === 0, `diff.js: minimal line diff on 500 random pairs (${wrong} wrong)`);

  // Diff: shift-click two messages.
  await page.locator('svg.ladder-svg g.msg').nth(0).locator('.arrow').click({ force: true, modifiers: ['Shift'] });
  await page.locator('svg.ladder-svg g.msg').nth(1).locator('.arrow').click({ force: true, modifiers: ['Shift'] });
  const diffShown = await visible(page.locator('.diff-panel table.diff-table'), 5000);
  check(diffShown, 'diff of two shift-clicked messages shown');
  const marked = await page.locator('svg.ladder-svg g.msg.cmp').count();
  const dels = await page.locator('.diff-table td.del').count();
  const adds = await page.locator('.diff-table td.add').count();
  check(marked === 2 && dels + adds > 0, `diff marks 2 messages and highlights changed lines (${dels} removed, ${adds} added)`);
  await page.locator('.diff-panel').scrollIntoViewIfNeeded();
  await page.mouse.move(0, 0);
  await shotFn('16-call-diff.png');
  await page.locator('.diff-panel button', { hasText: 'Clear' }).click();
  check(await page.locator('svg.ladder-svg g.msg.cmp').count() === 0 && await page.locator('.diff-panel').isHidden(), 'diff cleared');
  // The Compare box of the message details does the same.
  await page.locator('svg.ladder-svg g.msg').nth(0).locator('.arrow').click({ force: true });
  await page.locator('label.compare input').check();
  await page.locator('svg.ladder-svg g.msg').nth(2).locator('.arrow').click({ force: true });
  await page.locator('label.compare input').check();
  check(await visible(page.locator('.diff-panel table.diff-table'), 3000), 'diff from the Compare boxes of two messages');
  await page.locator('.diff-panel button', { hasText: 'Clear' }).click();
  // And the c key on the selected message.
  await page.locator('svg.ladder-svg g.msg').nth(3).locator('.arrow').click({ force: true });
  await page.keyboard.press('c');
  await page.locator('svg.ladder-svg g.msg').nth(5).locator('.arrow').click({ force: true });
  await page.keyboard.press('c');
  check(await page.locator('svg.ladder-svg g.msg.cmp').count() === 2 && await visible(page.locator('.diff-panel table.diff-table'), 3000), 'diff from the c key on two messages');
  await page.locator('.diff-panel button', { hasText: 'Clear' }).click();
  await diffViews(page);

  // Logs tab.
  check(await page.locator('.call-tab[data-tab=logs]').count() === 1, 'call page: Logs tab present');
  await page.locator('.call-tab[data-tab=logs]').click();
  check(await visible(page.locator('.logs-view .empty, .logs-view table.call-logs'), 3000), 'Logs tab: shows its lines or says there are none');
  await page.locator('.call-tab', { hasText: 'Flow' }).click();

  // Exports.
  const nMsgs = await page.locator('svg.ladder-svg g.msg').count();
  const svg = await download(page, '[data-export=svg]');
  const svgText = svg.bytes.toString('utf8');
  check(svg.name.endsWith('.svg') && svgText.includes('<svg') && svgText.includes('Lab UAC &lt;b&gt;1&lt;/b&gt;')
    && (svgText.match(/class="msg /g) || []).length === nMsgs && /fill="rgb/.test(svgText),
  `export SVG: ${svg.name}, ${svg.bytes.length} bytes, ${nMsgs} messages, styles inlined`);
  const png = await download(page, '[data-export=png]');
  check(png.name.endsWith('.png') && png.bytes.length > 1000 && png.bytes.subarray(1, 4).toString() === 'PNG', `export PNG: ${png.name}, ${png.bytes.length} bytes`);
  fs.writeFileSync(path.join(OUT, '18-export-flow.png'), png.bytes);
  const txt = await download(page, '[data-export=text]');
  const txtText = txt.bytes.toString('utf8');
  check(txt.name.endsWith('.txt') && (txtText.match(/^=== /gm) || []).length >= nMsgs && /Call-ID:/i.test(txtText), `export text: ${txt.name}, ${(txtText.match(/^=== /gm) || []).length} messages`);
  const json = await download(page, '[data-export=json]');
  let bundle = null;
  try { bundle = JSON.parse(json.bytes.toString('utf8')); } catch { bundle = null; }
  check(!!bundle && Array.isArray(bundle.call && bundle.call.messages) && bundle.call.messages.length >= nMsgs
    && 'qos' in bundle && Array.isArray(bundle.diagnosis), `export JSON bundle: ${json.name}, call + qos + diagnosis`);
  const pcap = await download(page, 'a.button[download$=".pcap"]');
  const magic = pcap.bytes.length >= 4 ? pcap.bytes.readUInt32LE(0) : 0;
  check(pcap.name.endsWith('.pcap') && (magic === 0xa1b2c3d4 || magic === 0xd4c3b2a1 || magic === 0xa1b23c4d), `pcap download: ${pcap.name}, ${pcap.bytes.length} bytes`);
}

// The two INVITEs of a proxied call (one per leg) differ in the Via and Record-Route the proxy
// adds: the unified view shows them, and the ignore toggle (on by default) leaves them out.
async function diffViews(page) {
  const invites = page.locator('svg.ladder-svg g.msg', { hasText: 'INVITE' });
  if (await invites.count() < 2) { log('skip  unified diff: this call has fewer than 2 INVITEs'); return; }
  await invites.nth(0).locator('.arrow').click({ force: true, modifiers: ['Shift'] });
  await invites.nth(1).locator('.arrow').click({ force: true, modifiers: ['Shift'] });
  await visible(page.locator('.diff-panel table.diff-table'), 3000);
  const ignore = page.locator('.diff-panel input[name=diff-ignore]');
  check(await ignore.isChecked(), 'diff: ignore routing headers is on by default');
  check(/on by default/.test(await page.locator('.diff-panel label.diff-ignore').textContent()), 'diff: the toggle says it is on by default');
  await page.locator('.diff-panel .diff-mode label', { hasText: 'Unified' }).click();
  check(await visible(page.locator('.diff-panel table.diff-table.unified'), 3000), 'diff: unified view shown');
  const viaChanged = () => page.locator('.diff-panel table.diff-table tr.del td.txt, .diff-panel table.diff-table tr.add td.txt')
    .evaluateAll((tds) => tds.filter((td) => /^[−+] (Via|v):/i.test(td.textContent)).length);
  const changedIgnored = await viaChanged();
  const hiddenNote = await page.locator('.diff-panel .diff-hidden').textContent().catch(() => '');
  check(changedIgnored === 0 && /Via ×\d/.test(hiddenNote), `unified diff, routing headers ignored: no Via line (${changedIgnored}), "${hiddenNote.trim()}"`);
  await page.locator('.diff-panel').scrollIntoViewIfNeeded();
  await page.mouse.move(0, 0);
  await shotFn('23-diff-unified-ignored.png');
  await ignore.uncheck();
  const changedAll = await viaChanged();
  check(changedAll > 0, `unified diff with routing headers: the proxy's Via line shown as changed (${changedAll})`);
  const adds = await page.locator('.diff-panel table.diff-table.unified tr.add').count();
  const dels = await page.locator('.diff-panel table.diff-table.unified tr.del').count();
  check(adds > 0 && adds + dels === await page.locator('.diff-panel table.diff-table.unified td.txt.add, .diff-panel table.diff-table.unified td.txt.del').count(), `unified diff: one row per changed line (${dels} removed, ${adds} added)`);
  await page.locator('.diff-panel').scrollIntoViewIfNeeded();
  await page.mouse.move(0, 0);
  await shotFn('24-diff-unified-all.png');
  // Back to the defaults for later runs in this browser.
  await ignore.check();
  await page.locator('.diff-panel .diff-mode label', { hasText: 'Side by side' }).click();
  check(await visible(page.locator('.diff-panel table.diff-table.split'), 3000), 'diff: back to side by side');
  // 150 headers apart from one changed line: the unchanged runs fold, a folded Via continuation is
  // ignored with its header, and a fold opens on click.
  const big = await page.evaluate(async () => {
    const { diffView } = await import('/diff.js');
    const msg = (via, v75) => ['INVITE sip:2002@192.0.2.20 SIP/2.0', `Via: SIP/2.0/UDP ${via};branch=z9hG4bK1`, '  ;received=192.0.2.99',
      ...Array.from({ length: 150 }, (_, i) => `X-Header-${i}: ${i === 75 ? v75 : `value ${i}`}`), 'Content-Length: 0', '', ''].join('\r\n');
    const el = diffView(msg('192.0.2.10', 'old'), msg('192.0.2.11', 'new'), { aTitle: 'a', bTitle: 'b' });
    document.body.append(el);
    const r = {
      rows: el.querySelectorAll('tbody tr').length,
      folds: el.querySelectorAll('tr.fold').length,
      changed: el.querySelectorAll('td.txt.del, td.txt.add').length,
      marked: el.querySelectorAll('mark.chg').length,
    };
    el.querySelector('tr.fold button').click();
    r.afterOpen = el.querySelectorAll('tbody tr').length;
    el.remove();
    return r;
  });
  check(big.changed === 2 && big.folds === 2 && big.rows <= 12 && big.marked === 2 && big.afterOpen > 60,
    `diff of two 150-header messages: 2 changed lines, unchanged runs folded to ${big.rows} rows, a fold opens (${JSON.stringify(big)})`);
  await page.locator('.diff-panel button', { hasText: 'Clear' }).click();
}

// ---- users, tokens, roles (Admin / Account page) -----------------------------------------------
const SHARED_SEARCH = 'team: lab calls';
const RO_USER = 'ro';
const U1_USER = 'u1';
const RO_PASS = `ro-pass-${process.pid}`;
const U1_PASS = `u1-first-${process.pid}`;
const U1_PASS2 = `u1-reset-${process.pid}`;
let savedOnServer = false;

// A message line (`sel`, e.g. '.create-msg.ok') of a card showing `text`: its text, '' when it never shows.
async function formMsg(scope, sel, text) {
  const loc = scope.locator(`.form-msg${sel}:not([hidden])`, { hasText: text }).first();
  return loc.waitFor({ timeout: 5000 }).then(() => loc.textContent(), () => '');
}

async function bearer(token, p) {
  const r = await fetch(`${BASE}${p}`, { headers: { Authorization: `Bearer ${token}` } });
  let body = null;
  try { body = await r.json(); } catch { body = null; }
  return { status: r.status, body };
}

async function accountPages(page) {
  await goHash(page, '#/account');
  const users = page.locator('section.account-users');
  check(await visible(users.locator('table.users tbody tr')), 'Admin page: users table shown to an admin');
  check((await page.locator('#nav-account').textContent()) === 'Admin' && await page.locator('#nav-account.active').count() === 1, 'Admin page: nav entry says Admin and is active');
  check((await page.locator('#user-role').textContent()) === 'admin', 'header: role shown next to the user name');

  // Create ro (read-only) and u1 (read-only first, then promoted to user) through the form.
  const form = users.locator('form.user-form');
  for (const [name, pass, role] of [[RO_USER, RO_PASS, 'read_only'], [U1_USER, U1_PASS, 'read_only']]) {
    await form.locator('input[name=new_user]').fill(name);
    await form.locator('input[name=new_user_password]').fill(pass);
    await form.locator('select[name=new_user_role]').selectOption(role);
    await form.locator('button[type=submit]').click();
    const ok = await formMsg(users, '.create-msg.ok', name);
    const row = users.locator(`table.users tr[data-user="${name}"]`);
    check(ok.includes(name) && await visible(row, 5000) && await row.locator('select').inputValue() === role, `Admin page: user ${name} created as ${role} ("${ok}")`);
  }
  const u1Role = users.locator(`table.users tr[data-user="${U1_USER}"] select`);
  await u1Role.selectOption('user');
  await formMsg(users, '.list-msg.ok', `${U1_USER} is now user`);
  const list = await apiGet(page, '/api/v1/users');
  const u1 = Array.isArray(list.body) ? list.body.find((u) => u.name === U1_USER) : null;
  check(!!u1 && u1.role === 'user', `Admin page: role of ${U1_USER} changed to user (server says ${u1 && u1.role})`);
  // Reset u1's password (u1 logs in with it below).
  await users.locator(`table.users tr[data-user="${U1_USER}"] button`, { hasText: 'Reset password' }).click();
  await users.locator('input[name=reset_password]:visible').fill(U1_PASS2);
  await users.locator('tr.reset-row:not([hidden]) button[type=submit]').click();
  check((await formMsg(users, '.list-msg.ok', `Password of ${U1_USER} reset`)) !== '', `Admin page: password of ${U1_USER} reset`);

  // API errors show in the page: a taken name (409), the last admin (409).
  expectedHttp.add('409 /api/v1/users');
  await form.locator('input[name=new_user]').fill(RO_USER);
  await form.locator('input[name=new_user_password]').fill(RO_PASS);
  await form.locator('button[type=submit]').click();
  const taken = await formMsg(users, '.create-msg.error', '409');
  check(/409/.test(taken), `Admin page: creating a taken name shows the API error ("${taken}")`);
  expectedHttp.add(`409 /api/v1/users/${USER}`);
  await users.locator(`table.users tr[data-user="${USER}"] button`, { hasText: 'Delete' }).click();
  const dlg = page.locator('dialog.confirm-dialog[open]');
  check(await visible(dlg, 3000), 'Admin page: deleting a user asks first (in-page dialog)');
  await page.mouse.move(0, 0);
  await shotFn('25-admin-confirm-delete.png');
  await dlg.locator('button[value=ok]').click();
  const lastAdmin = await formMsg(users, '.list-msg.error', '409');
  check(/409/.test(lastAdmin) && await users.locator(`table.users tr[data-user="${USER}"]`).count() === 1, `Admin page: deleting the last admin is refused, error shown ("${lastAdmin}")`);

  // A token: created through the form, its secret shown once and working, then revoked.
  const tokens = page.locator('section.account-tokens');
  await tokens.locator('input[name=token_name]').fill('ui-shots token');
  await tokens.locator('input[name=expires_in_days]').fill('30');
  await tokens.locator('form.token-form button[type=submit]').click();
  const secretLoc = tokens.locator('.token-secret code.secret');
  const secret = await visible(secretLoc, 5000) ? (await secretLoc.textContent()).trim() : '';
  check(secret.length > 16 && /will not be shown again/.test(await tokens.locator('.token-secret').textContent()), 'token created: secret shown once with a "will not be shown again" warning');
  check(await tokens.locator('.token-secret button', { hasText: 'Copy' }).count() === 1, 'token secret has a copy button');
  const who = secret ? await bearer(secret, '/api/v1/me') : { status: 0, body: null };
  check(who.status === 200 && who.body && who.body.name === USER, `the new token authenticates as ${USER} (${who.status})`);
  const row = tokens.locator('table.tokens tbody tr', { hasText: 'ui-shots token' });
  check(await visible(row, 3000), 'token listed in the tokens table');
  await page.mouse.move(0, 0);
  await shotFn('26-admin-token-created.png');
  await row.locator('button', { hasText: 'Revoke' }).click();
  await page.locator('dialog.confirm-dialog[open] button[value=ok]').click();
  await page.waitForFunction(() => ![...document.querySelectorAll('section.account-tokens table.tokens tbody tr')].some((tr) => tr.dataset.name === 'ui-shots token'), null, { timeout: 5000 }).catch(() => {});
  check(await row.count() === 0 && await tokens.locator('.token-secret').isHidden(), 'token revoked through the page: gone from the table');
  const after = secret ? await bearer(secret, '/api/v1/me') : { status: 0 };
  check(after.status === 401, `the revoked token is refused (${after.status})`);

  // Audit log: newest first; the action filter keeps only user creations.
  const audit = page.locator('section.account-audit');
  await audit.locator('button', { hasText: 'Refresh' }).click();
  await page.waitForFunction(() => [...document.querySelectorAll('section.account-audit select[name=audit_action] option')].some((o) => o.value === 'token.revoke'), null, { timeout: 5000 }).catch(() => {});
  await audit.locator('select[name=audit_action]').selectOption('user.create');
  const actions = await audit.locator('table.audit tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.action));
  check(actions.length >= 2 && actions.every((a) => a === 'user.create'), `Audit log: action filter keeps ${actions.length} user.create events`);
  await audit.locator('select[name=audit_action]').selectOption('');
  await audit.locator('select[name=audit_user]').selectOption(USER);
  const times = await audit.locator('table.audit tbody tr td:first-child').allTextContents();
  const first = await audit.locator('table.audit tbody tr').first().getAttribute('data-action');
  check(times.length >= 5 && [...times].sort().reverse().join() === times.join() && first === 'token.revoke', `Audit log: ${times.length} events of ${USER}, newest first (${first})`);
  await audit.locator('select[name=audit_user]').selectOption('');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.mouse.move(0, 0);
  await shotFn('27-admin.png');
  await audit.scrollIntoViewIfNeeded();
  await shotFn('28-admin-audit.png');
}

// Log in as `user` in a fresh browser context (own storage): {context, page, errors}.
async function loginFresh(browser, user, pass) {
  const context = await browser.newContext({ viewport: { width: W, height: H }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  const errors = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const at = (m.location() && m.location().url) || '';
    const st = /status of (\d{3})/.exec(m.text());
    if (st && isExpectedHttp(Number(st[1]), at)) return;
    errors.push(`console: ${m.text()}${at ? ` (${at})` : ''}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400 && !isExpectedHttp(r.status(), r.url())) errors.push(`${r.status()} ${new URL(r.url()).pathname}`); });
  page.on('dialog', (d) => { errors.push(`dialog opened: ${d.message()}`); d.dismiss().catch(() => {}); });
  if (ASSETS) await routeAssets(page);
  await page.goto(`${BASE}/`);
  await page.locator('form.login-card').waitFor();
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', pass);
  await page.click('form.login-card button[type=submit]');
  const ok = await page.locator('form.home-quick').waitFor().then(() => true, () => false);
  check(ok, `${user} logs in (fresh browser context)`);
  return { context, page, errors };
}

// A server without the saved-search route (faked 404): the panel keeps searches in this browser;
// once the route answers again, it offers to move them to the server.
async function savedFallback(page) {
  const LOCAL = 'kept in this browser';
  expectedHttp.add('404 /api/v1/saved-searches');
  await page.route(`${BASE}/api/v1/saved-searches`, (route) => route.fulfill({ status: 404, contentType: 'application/json', body: '{"error":"not found"}' }));
  await goHash(page, `#/search?mode=calls&range=all&to_user=${encodeURIComponent(fromUser)}`);
  await page.locator('form.search').waitFor();
  await page.locator('details.saved summary').click();
  await page.waitForFunction(() => /in this browser/.test((document.querySelector('.saved-where') || {}).textContent || ''), null, { timeout: 5000 }).catch(() => {});
  check(/Kept in this browser/.test(await page.locator('.saved-where').textContent()) && await page.locator('label.saved-shared').isHidden(),
    'saved searches: with the route missing (404) the panel keeps them in this browser, no "shared" box');
  await page.fill('.saved-form input[name=saved-name]', LOCAL);
  await page.locator('.saved-form button[type=submit]').click();
  check(await visible(page.locator('.saved-list a', { hasText: LOCAL }), 3000), 'saved searches: saved in this browser while the route is missing');
  await page.unroute(`${BASE}/api/v1/saved-searches`);
  await goHash(page, '#/home');
  await goHash(page, '#/search');
  await page.locator('form.search').waitFor();
  await page.locator('details.saved summary').click();
  const move = page.locator('.saved-move button');
  if (check(await visible(move, 5000), 'saved searches: the route is back, moving this browser\'s searches is offered')) {
    await move.click();
    await page.waitForFunction(() => document.querySelector('.saved-move').hidden, null, { timeout: 5000 }).catch(() => {});
    const items = ((await apiGet(page, '/api/v1/saved-searches')).body || {}).items || [];
    const moved = items.find((x) => x.name === LOCAL);
    check(!!moved && moved.owner === U1_USER && !moved.shared && await page.evaluate(() => JSON.parse(localStorage.getItem('argos.savedSearches') || '[]').length) === 0,
      `saved searches: moved to the server as ${U1_USER}'s, not shared, gone from the browser`);
  }
}

// A read-only user: the page offers no action the server would refuse.
async function readOnlyPages(browser) {
  const { context, page, errors } = await loginFresh(browser, RO_USER, RO_PASS);
  try {
    await page.waitForFunction(() => document.getElementById('user-role').textContent.length > 0, null, { timeout: 5000 }).catch(() => {});
    check((await page.locator('#user-role').textContent()) === 'read-only' && (await page.locator('#user-name').textContent()) === RO_USER, 'read-only user: name and role in the header');
    check((await page.locator('#nav-account').textContent()) === 'Account', 'read-only user: nav says Account, not Admin');
    await goHash(page, '#/account');
    await visible(page.locator('section.account-me'));
    await visible(page.locator('section.account-tokens .tokens-none, section.account-tokens table.tokens'), 5000);
    const offered = await page.evaluate(() => ({
      usersTable: document.querySelectorAll('section.account-users, table.users').length,
      audit: document.querySelectorAll('section.account-audit').length,
      createUser: document.querySelectorAll('form.user-form').length,
      password: document.querySelectorAll('form.password-form').length,
      tokenForm: document.querySelectorAll('form.token-form').length,
      revoke: [...document.querySelectorAll('#view button')].filter((b) => /Revoke|Delete|Reset/.test(b.textContent)).length,
    }));
    check(Object.values(offered).every((n) => n === 0), `read-only user: no users table, audit log or write action offered (${JSON.stringify(offered)})`);
    check(await page.locator('.ro-note').isVisible(), 'read-only user: the page says why');
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(OUT, '29-readonly-account.png') });
    log(`wrote ${path.join(OUT, '29-readonly-account.png')}`);
    // The saved-search panel lists the team's searches but offers no save or delete.
    await goHash(page, '#/search');
    await page.locator('details.saved summary').click();
    await page.waitForFunction(() => !!document.querySelector('.saved-where') && document.querySelector('.saved-where').textContent.length > 0, null, { timeout: 5000 }).catch(() => {});
    if (savedOnServer) {
      await visible(page.locator('.saved-list a', { hasText: SHARED_SEARCH }), 5000);
      check(await page.locator('.saved-form').isHidden() && await page.locator('.saved-list button.icon').count() === 0,
        'read-only user: shared searches listed, no save form or delete button');
    }
    check(errors.length === 0, `read-only user: no console errors or failed requests${errors.length ? ': ' + errors.slice(0, 3).join(' | ') : ''}`);
  } finally {
    await context.close();
  }
}

// u1 (promoted to user, password reset by the admin): sees the admin's shared saved search.
async function userPages(browser) {
  const { context, page, errors } = await loginFresh(browser, U1_USER, U1_PASS2);
  try {
    check((await page.locator('#user-role').textContent()) === 'user', `${U1_USER}: logged in with the reset password, role user`);
    await goHash(page, '#/account');
    await visible(page.locator('form.token-form'));
    check(await page.locator('form.password-form').count() === 1 && await page.locator('form.token-form').count() === 1
      && await page.locator('section.account-users, section.account-audit').count() === 0,
    `${U1_USER}: own password and tokens offered, users and audit log not`);
    if (savedOnServer) {
      await goHash(page, '#/search');
      await page.locator('details.saved summary').click();
      const item = page.locator('.saved-list li', { hasText: SHARED_SEARCH });
      const shown = await visible(item, 5000);
      const owner = shown ? await item.locator('.saved-owner').textContent().catch(() => '') : '';
      check(shown && owner === USER && await item.locator('.saved-badge').count() === 1 && await item.locator('button.icon').count() === 0,
        `${U1_USER} sees the search ${USER} shared, with its owner, and cannot delete it (owner "${owner}")`);
      await page.mouse.move(0, 0);
      await page.screenshot({ path: path.join(OUT, '30-saved-shared-u1.png') });
      log(`wrote ${path.join(OUT, '30-saved-shared-u1.png')}`);
      await item.locator('a').click();
      await page.locator('table.grid tbody tr').first().waitFor().catch(() => {});
      check(await page.inputValue('input[name=from_user]') === fromUser, `${U1_USER} opens the shared search (From user ${fromUser})`);
    } else {
      log('skip  shared saved search seen by u1: the server keeps no saved searches');
    }
    if (savedOnServer) await savedFallback(page);
    check(errors.length === 0, `${U1_USER}: no console errors or failed requests${errors.length ? ': ' + errors.slice(0, 3).join(' | ') : ''}`);
  } finally {
    await context.close();
  }
}

async function homePage(page) {
  await goHash(page, '#/home?range=all');
  check(await visible(page.locator('.home-stats svg.chart-svg')), 'Home: key charts drawn (latest activity)');
  await page.waitForLoadState('networkidle').catch(() => {});
  const charts = await page.locator('.home-stats svg.chart-svg').count();
  const tops = await page.locator('.home-stats .top table.grid').count();
  const tiles = await page.locator('.home-stats .tiles .tile').count();
  check(charts === 2 && tops >= 1 && tiles >= 4, `Home: ${tiles} KPI tiles, ${charts} charts, ${tops} top lists`);
  check(await visible(page.locator('.home-alarms li, .home-alarms p'), 3000), 'Home: recent alarms box');
  await page.mouse.move(0, 0);
  await shotFn('22-home.png');
  await arrangeHome(page);
  // Quick search: a number searches the From user.
  if (fromUser) {
    await page.fill('.home-quick input', fromUser);
    await page.locator('.home-quick button[type=submit]').click();
    await page.waitForFunction(() => location.hash.startsWith('#/search') && location.hash.includes('from_user='), null, { timeout: 5000 }).catch(() => {});
    check(await page.inputValue('input[name=from_user]').catch(() => '') === fromUser, 'Home: quick search opens the search by From user');
  }
}

// Home widgets arranged by the user: hide the alarms card, add the ACD chart, put Response codes
// first among the top lists; the layout survives a reload; Reset brings the default back.
async function arrangeHome(page) {
  const widgets = (sel) => page.locator(sel).evaluateAll((els) => els.map((e) => e.dataset.widget));
  await page.locator('a.arrange-toggle').click();
  await page.locator('section.arrange').waitFor({ timeout: 5000 }).catch(() => {});
  const item = (id) => page.locator(`section.arrange li.arrange-item[data-widget="${id}"]`);
  await item('alarms').locator('input[type=checkbox]').uncheck();
  await page.waitForFunction(() => !document.querySelector('.home-alarms'), null, { timeout: 5000 }).catch(() => {});
  await item('ACD (average call duration)').locator('input[type=checkbox]').check();
  await page.locator('.home-stats figure[data-widget="ACD (average call duration)"]').waitFor({ timeout: 10000 }).catch(() => {});
  for (let i = 0; i < 2; i++) {
    await item('response_codes').locator('button[title="Move up"]').click();
    await page.waitForTimeout(300);
  }
  await page.waitForLoadState('networkidle').catch(() => {});
  await shotFn('32-home-arrange.png');
  await page.reload();
  await page.locator('.home-stats .top-grid').waitFor({ timeout: 10000 }).catch(() => {});
  const tops = await widgets('.home-stats .top-grid > [data-widget]');
  const charts = await widgets('.home-stats .chart-grid > [data-widget]');
  check(await page.locator('.home-alarms').count() === 0 && tops[0] === 'response_codes'
    && charts.includes('ACD (average call duration)'),
  `Home arranged and kept over a reload (alarms hidden, tops ${JSON.stringify(tops)}, charts ${JSON.stringify(charts)})`);
  await page.locator('section.arrange button', { hasText: 'Reset' }).click();
  await page.locator('.home-alarms').waitFor({ timeout: 5000 }).catch(() => {});
  await page.locator('.home-stats .top-grid').waitFor({ timeout: 10000 }).catch(() => {});
  const again = await widgets('.home-stats .top-grid > [data-widget]');
  check(await page.locator('.home-alarms').count() === 1 && again[0] === 'talkers', `Reset brings the default Home back (${JSON.stringify(again)})`);
  await page.locator('a.arrange-toggle').click();
  await page.locator('section.arrange').waitFor({ state: 'detached', timeout: 5000 }).catch(() => {});
}

async function searchFeatures(page, context) {
  if (!fromUser) { log('skip  search page tools (no From user)'); return; }
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE }).catch(() => {});
  const hash = `#/search?mode=calls&range=all&from_user=${encodeURIComponent(fromUser)}`;
  await goHash(page, hash);
  await page.locator('table.grid tbody tr').first().waitFor().catch(() => {});
  const nRows = await page.locator('table.grid tbody tr').count();
  const counts = await page.locator('.summary .counts').textContent().catch(() => '');
  check(counts.includes(String(nRows)), `search counts shown: "${counts}"`);

  // Quick filter over the shown rows: one Call-ID keeps one row; the counts say shown / returned.
  const firstId = (await page.locator('table.grid tbody tr').first().getAttribute('data-href')) || '';
  const cid = decodeURIComponent(firstId.replace(/^#\/call\//, '').replace(/\?.*$/, ''));
  await page.fill('input.quick-filter', cid);
  const shown = await page.locator('table.grid tbody tr').count();
  const counts2 = await page.locator('.summary .counts').textContent();
  check(shown >= 1 && shown < nRows || nRows === 1, `quick filter by Call-ID keeps ${shown} of ${nRows} rows`);
  check(nRows === 1 || new RegExp(`^${shown} shown / ${nRows} `).test(counts2), `counts show rows shown / returned: "${counts2}"`);
  await page.fill('input.quick-filter', '');

  // Column chooser: hide Legs; the choice survives a reload.
  await page.locator('details.columns summary').click();
  await page.locator('details.columns input[value=legs]').uncheck();
  check(await page.locator('table.grid th[data-key=legs]').count() === 0, 'column chooser hides the Legs column');
  await page.locator('details.columns input[value=callkey]').check();
  check(await page.locator('table.grid th[data-key=callkey]').count() === 1, 'column chooser adds the Call key column');
  await page.reload();
  await page.locator('table.grid tbody tr').first().waitFor().catch(() => {});
  check(await page.locator('table.grid th[data-key=legs]').count() === 0 && await page.locator('table.grid th[data-key=callkey]').count() === 1,
    'column choice kept after a reload');
  await page.mouse.move(0, 0);
  await shotFn('19-search-columns.png');
  await page.locator('details.columns summary').click();
  await page.locator('details.columns input[value=legs]').check();
  await page.locator('details.columns input[value=callkey]').uncheck();
  await page.locator('details.columns summary').click();

  // Saved search: save, go elsewhere, reopen it from the list.
  const name = SHARED_SEARCH;
  await page.locator('details.saved summary').click();
  await page.fill('.saved-form input[name=saved-name]', name);
  // Shared with the team: u1 sees it (accountPages); the box is there only when the server keeps the list.
  const onServer = await page.locator('label.saved-shared input').isVisible().catch(() => false);
  if (onServer) await page.locator('label.saved-shared input').check();
  else log('skip  shared saved search: the server keeps no saved searches (GET /api/v1/saved-searches is 404)');
  await page.locator('.saved-form button[type=submit]').click();
  check(await visible(page.locator('.saved-list a', { hasText: name }), 5000) && await page.locator('.saved-list a', { hasText: name }).count() === 1, 'saved search listed');
  if (onServer) {
    const listed = await apiGet(page, '/api/v1/saved-searches');
    const item = ((listed.body && listed.body.items) || []).find((x) => x.name === name);
    check(!!item && item.shared === true && item.owner === USER && item.query.includes(`from_user=${fromUser}`),
      `saved search stored on the server, shared, owner ${USER} (${JSON.stringify(item || null)})`);
    check(await page.locator('.saved-list li', { hasText: name }).locator('.saved-badge').count() === 1, 'saved search marked shared in the list');
    savedOnServer = true;
  }
  await page.mouse.move(0, 0);
  await shotFn('20-search-saved.png');
  await goHash(page, '#/search');
  await page.locator('form.search').waitFor();
  await page.locator('details.saved').evaluate((d) => { d.open = true; });
  await page.locator('.saved-list a', { hasText: name }).click();
  await page.locator('table.grid tbody tr').first().waitFor().catch(() => {});
  check(await page.inputValue('input[name=from_user]') === fromUser && await page.locator('table.grid tbody tr').count() === nRows,
    `saved search reloads from the list (${nRows} rows from ${fromUser})`);

  // Share link: a new tab opens the same search, and a call from it.
  await page.locator('.search-tools button', { hasText: 'Copy link' }).click();
  await page.waitForFunction(() => !!document.querySelector('.search-tools button[data-url]'), null, { timeout: 3000 }).catch(() => {});
  const url = await page.locator('.search-tools button[data-url]').getAttribute('data-url').catch(() => null);
  if (check(!!url && url.includes('from_user='), `share link made: ${url}`)) {
    const p2 = await context.newPage();
    const errs = [];
    p2.on('pageerror', (e) => errs.push(e.message));
    await p2.goto(url);
    await p2.locator('table.grid tbody tr').first().waitFor().catch(() => {});
    const n2 = await p2.locator('table.grid tbody tr').count();
    check(n2 === nRows && await p2.inputValue('input[name=from_user]') === fromUser, `share link reproduces the search in a new tab (${n2} rows)`);
    await p2.locator('table.grid tbody tr').first().click();
    check(await visible(p2.locator('svg.ladder-svg g.msg')), 'share link: a call opens from the shared search');
    check(errs.length === 0, `share link tab: no page error${errs.length ? ': ' + errs[0] : ''}`);
    await p2.close();
  }

  // Live mode: the last 5 minutes, refreshed every 2 s; a call sent now appears as a new row.
  if (HEP) {
    const liveUser = `live${Date.now() % 100000}`;
    await goHash(page, `#/search?mode=calls&range=1h&from_user=${liveUser}`);
    await page.locator('#view .results .empty, table.grid').first().waitFor().catch(() => {});
    await page.locator('input[name=live]').check();
    await page.waitForFunction(() => location.hash.includes('live=5'), null, { timeout: 5000 }).catch(() => {});
    check(await visible(page.locator('.summary .live-note', { hasText: 'live' }), 3000), 'live mode on (every 2 s, last 5 min)');
    await sendSimpleCall(HEP, liveUser);
    const fresh = await visible(page.locator('table.grid tbody tr.new'), 8000);
    check(fresh, 'live mode: a call sent now appears highlighted as new');
    await page.mouse.move(0, 0);
    await shotFn('21-search-live.png');
    await page.locator('input[name=live]').uncheck();
    await page.waitForFunction(() => !location.hash.includes('live='), null, { timeout: 5000 }).catch(() => {});
  } else {
    log('skip  live mode (no --hep-udp)');
  }
}
async function apiGet(page, p) {
  // From node, not the page: a probe of a missing endpoint must not count as a failed page request.
  const token = await page.evaluate(() => localStorage.getItem('argos.token'));
  const r = await fetch(`${BASE}${p}`, { headers: { Authorization: `Bearer ${token}` } });
  let body = null;
  try { body = await r.json(); } catch { body = null; }
  return { status: r.status, body };
}
const goHash = (page, hash) => page.evaluate((x) => { location.hash = x; }, hash);
const visible = (loc, timeout = 8000) => loc.first().waitFor({ timeout }).then(() => true, () => false);

async function trackerPages(page, hostileCallId) {
  const probe = await apiGet(page, '/api/v1/call-records?since=0&limit=1000');
  if (probe.status !== 200) {
    log(`skip  Calls/Devices/Stats/Alarms pages: GET /api/v1/call-records answered ${probe.status} (this server has no call tracker API yet)`);
    return;
  }
  const records = (probe.body && probe.body.calls) || [];

  // Calls: the lab capture's records, a status badge on every row.
  await goHash(page, '#/calls?range=all');
  const rowsLoc = page.locator('table.call-records tbody tr');
  check(await visible(rowsLoc), 'Calls page: call records table shown');
  const nCalls = await rowsLoc.count();
  const nBadges = await page.locator('table.call-records tbody tr .cstat').count();
  check(nCalls >= 1 && nBadges === nCalls, `Calls page: ${nCalls} rows, each with a status badge (${nBadges})`);
  check(await page.locator('table.call-records .cstat.cs-ok[data-status=answered]').count() > 0, 'Calls page: answered calls shown green');
  check(await page.locator('#nav-calls.active').count() === 1, 'Calls tab is the active one');
  if (hostileCallId) {
    // The busy call with markup in its User-Agent: its record shows the UA as text.
    let rec = null;
    for (let i = 0; i < 50 && !rec; i++) {
      const r = await apiGet(page, `/api/v1/call-records?since=0&call_key=${encodeURIComponent(hostileCallId)}`);
      rec = r.body && r.body.calls && r.body.calls[0];
      if (!rec) await page.waitForTimeout(200);
    }
    if (rec) {
      await goHash(page, '#/calls?range=1h');
      await visible(page.locator('table.call-records tbody tr'));
      const uaCells = await page.locator('table.call-records td', { hasText: XSS_UA }).count();
      check(uaCells > 0, `Calls page: hostile caller User-Agent shown as text (status ${rec.status})`);
      await goHash(page, `#/call/${encodeURIComponent(hostileCallId)}`);
      await visible(page.locator('.call-summary'), 5000);
      const sum = await page.locator('.call-summary').textContent().catch(() => '');
      check(sum.includes(XSS_UA), 'call page: hostile User-Agent shown as text in the Summary');
      await goHash(page, '#/calls?range=all');
      await visible(page.locator('table.call-records tbody tr'));
    } else {
      log('skip  hostile call has no call record (tracker did not write it within 10 s)');
    }
  }
  await page.mouse.move(0, 0);
  await shotFn('07-calls.png');

  // Paging by limit: "Load older" appends the next page (newest first), without duplicates.
  if (nCalls > 10) {
    await goHash(page, '#/calls?range=all&limit=10');
    await page.waitForFunction(() => document.querySelectorAll('table.call-records tbody tr').length === 10, null, { timeout: 5000 }).catch(() => {});
    const more = page.locator('.more button');
    if (check(await more.count() === 1, 'Calls page: limit 10 offers to load older calls')) {
      await more.click();
      await page.waitForFunction(() => document.querySelectorAll('table.call-records tbody tr').length > 10, null, { timeout: 5000 }).catch(() => {});
      const keys = await page.locator('table.call-records tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.href));
      check(keys.length > 10 && new Set(keys).size === keys.length, `Calls page: older page appended (${keys.length} rows, no duplicate)`);
    }
    await goHash(page, '#/calls?range=all');
    await visible(page.locator('table.call-records tbody tr'));
  }

  // Status filter: one chip, the URL and every row follow it.
  await page.locator('.chips label.chip', { has: page.locator('input[value=cancelled]') }).click();
  await page.waitForFunction(() => location.hash.includes('status=cancelled'), null, { timeout: 5000 }).catch(() => {});
  await visible(page.locator('table.call-records tbody tr'));
  await page.waitForTimeout(150);
  const statuses = await page.locator('table.call-records tbody tr .cstat').evaluateAll((els) => els.map((e) => e.dataset.status));
  check(statuses.length > 0 && statuses.every((x) => x === 'cancelled'), `Calls page: status filter keeps only cancelled calls (${statuses.length})`);

  // Call page: Summary from the record, Diagnosis list; a finding marks its messages in the ladder.
  await goHash(page, '#/calls?range=all&status=answered');
  await visible(page.locator('table.call-records tbody tr'));
  await page.locator('table.call-records tbody tr').first().click();
  await visible(page.locator('svg.ladder-svg g.msg'));
  const hasSummary = await visible(page.locator('.call-summary'), 3000);
  check(hasSummary, 'call page: Summary box from the call record');
  if (hasSummary) {
    const txt = await page.locator('.call-summary').textContent();
    check(/answered/.test(txt) && /PDD/.test(txt), 'call page: Summary shows status and PDD');
  }
  check(await page.locator('.diagnosis').count() === 1, 'call page: Diagnosis box shown');
  const picks = page.locator('.diagnosis li.finding[tabindex]');
  if (await picks.count()) {
    await picks.first().click();
    const hl = await page.locator('svg.ladder-svg g.msg.hl').count();
    check(hl > 0, `call page: clicking a finding marks its messages in the ladder (${hl})`);
  } else {
    log('skip  no diagnosis finding with messages on this call');
  }
  await page.mouse.move(0, 0);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shotFn('08-call-summary.png');

  // Devices: registrations of the lab capture.
  const regs = await apiGet(page, '/api/v1/registrations?since=0&limit=10');
  await goHash(page, '#/devices?range=all');
  const nRegsApi = (regs.body && regs.body.registrations && regs.body.registrations.length) || 0;
  if (regs.status !== 200) {
    check(false, `Devices page: GET /api/v1/registrations answered ${regs.status}`);
  } else if (nRegsApi) {
    check(await visible(page.locator('table.registrations tbody tr')), 'Devices page: registrations table shown');
    const n = await page.locator('table.registrations tbody tr').count();
    const b = await page.locator('table.registrations tbody tr .cstat').count();
    check(n >= 1 && b === n, `Devices page: ${n} bindings, each with a status badge`);
  } else {
    check(await visible(page.locator('#view .empty')), 'Devices page: empty state shown');
    log('skip  Devices rows: the server has no registration records for this capture');
  }
  await page.mouse.move(0, 0);
  await shotFn('09-devices.png');

  // Stats around the capture's calls (imported captures keep their own timestamps).
  const starts = records.map((c) => c.start_us).filter((x) => typeof x === 'number').sort((a, b) => a - b);
  let statsHash = '#/stats?range=24h';
  if (starts.length) {
    // The lab capture's calls (not the hostile call just sent): the first start and the 10 minutes after.
    const first = starts[0];
    const last = starts.filter((t) => t - first < 600e6).pop();
    const since = new Date(Math.floor(first / 1000) - 60e3).toISOString();
    const until = new Date(Math.floor(last / 1000) + 60e3).toISOString();
    statsHash = `#/stats?range=custom&since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}`;
  }
  await goHash(page, statsHash);
  check(await visible(page.locator('svg.chart-svg')), 'Stats page: SVG charts drawn');
  await page.waitForLoadState('networkidle').catch(() => {});
  const nCharts = await page.locator('svg.chart-svg').count();
  const marks = await page.locator('svg.chart-svg .series rect, svg.chart-svg .series path, svg.chart-svg .series circle').count();
  check(nCharts >= 4, `Stats page: ${nCharts} charts`);
  check(marks > 0, `Stats page: charts have bars/lines (${marks} marks)`);
  check(await page.locator('.top table.grid').count() >= 1, 'Stats page: top lists shown');
  const hit = page.locator('svg.chart-svg .hit').first();
  if (await hit.count()) {
    // Over the first bar when there is one, else the middle of the chart.
    const bb = await hit.boundingBox();
    const bar = page.locator('svg.chart-svg').first().locator('.series rect').first();
    const bx = (await bar.count()) ? await bar.boundingBox() : null;
    await page.mouse.move(bx ? bx.x + bx.width / 2 : bb.x + bb.width * 0.45, bb.y + bb.height / 2);
    check(await page.locator('svg.chart-svg .tip[visibility=visible]').count() === 1, 'Stats page: hover read-out on a chart');
  }
  await shotFn('10-stats.png');
  await page.selectOption('form.toolbar select[name=by]', 'src_ip');
  await page.waitForFunction(() => location.hash.includes('by=src_ip'), null, { timeout: 5000 }).catch(() => {});
  const kpi = await apiGet(page, '/api/v1/stats/kpi?since=0&bucket=86400&by=src_ip');
  if (kpi.body && Array.isArray(kpi.body.series) && kpi.body.series.length) {
    check(await visible(page.locator('.series-totals table.grid tbody tr')), 'Stats page: by source IP lists its series');
  } else {
    check(await visible(page.locator('.kpi-none')), 'Stats page: by source IP says there are no KPIs');
    log(`skip  Stats series by source IP: GET /api/v1/stats/kpi has no series (answered ${kpi.status})`);
  }
  await page.mouse.move(0, 0);
  await shotFn('11-stats-by-src-ip.png');

  // Alarms: the lab capture's scanner; a row expands to its evidence.
  const alarms = await apiGet(page, '/api/v1/alarms?since=0&limit=10');
  await goHash(page, '#/alarms?range=all');
  const nAlarmsApi = (alarms.body && alarms.body.alarms && alarms.body.alarms.length) || 0;
  if (alarms.status !== 200) {
    check(false, `Alarms page: GET /api/v1/alarms answered ${alarms.status}`);
  } else if (nAlarmsApi) {
    check(await visible(page.locator('table.alarms tbody tr')), 'Alarms page: alarms table shown');
    await page.locator('table.alarms tbody tr').first().click();
    const ev = await visible(page.locator('table.alarms tr.detail .evidence-list li'), 3000);
    const links = await page.locator('table.alarms tr.detail a.ev-call').count();
    check(ev, `Alarms page: a row expands to its evidence (${links} call links)`);
  } else {
    check(await visible(page.locator('#view .empty')), 'Alarms page: empty state shown');
    log('skip  Alarms rows: the server raised no alarm for this capture');
  }
  await page.mouse.move(0, 0);
  await shotFn('12-alarms.png');

  const injected = await page.evaluate(() => ({ scripts: document.scripts.length, imgs: document.querySelectorAll('img').length, bold: document.querySelectorAll('#view b').length }));
  check(injected.scripts === 1 && injected.imgs === 0 && injected.bold === 0, `tracker pages: no markup from SIP data became elements (${JSON.stringify(injected)})`);
}

// Serve the UI from the working tree (--assets), everything else (API) from the server.
async function routeAssets(page) {
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
}

// HTTP errors a check provokes on purpose (a taken user name, deleting the last admin): "409 /api/v1/users".
// They count neither as failed requests nor as console errors (Chromium logs every 4xx fetch).
const expectedHttp = new Set();
const isExpectedHttp = (status, url) => {
  try { return expectedHttp.has(`${status} ${new URL(url).pathname}`); } catch { return false; }
};

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
    const st = /status of (\d{3})/.exec(m.text());
    if (st && isExpectedHttp(Number(st[1]), at)) return;
    consoleErrors.push(`console: ${m.text()}${at ? ` (${at})` : ''}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  let dialogs = 0;
  page.on('dialog', (d) => { dialogs += 1; consoleErrors.push(`dialog opened: ${d.message()}`); d.dismiss().catch(() => {}); });
  const apiErrors = [];
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (r.status() >= 400 && !(u.pathname === '/api/v1/login' && r.status() === 401) && !isExpectedHttp(r.status(), r.url())) apiErrors.push(`${r.status()} ${u.pathname}${u.search}`);
  });

  if (ASSETS) {
    await routeAssets(page);
    log(`UI files from ${ASSETS}`);
  }
  shotFn = async (name) => {
    const file = path.join(OUT, name);
    await page.screenshot({ path: file, fullPage: false });
    log(`wrote ${file}`);
  };
  const shot = shotFn;

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
  check(await page.locator('form.home-quick').waitFor().then(() => true, () => false), 'logged in: Home page shown');
  check(await page.locator('#nav-home.active').count() === 1, 'Home tab is the active one after login');
  await goHash(page, '#/search');
  check(await page.locator('form.search').waitFor().then(() => true, () => false), 'search form shown');
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

  // 2b. search by the From user of an answered call
  const answeredAll = page.locator('table.grid tbody tr', { has: page.locator('.status.st-2xx') }).filter({ hasText: 'INVITE' }).first();
  fromUser = ((await answeredAll.locator('td').nth(1).textContent().catch(() => '')) || '').trim();
  if (check(fromUser !== '', `an answered call has a From user (${fromUser})`)) {
    await page.fill('input[name=from_user]', fromUser);
    await page.click('form.search button[type=submit]');
    await page.waitForFunction(() => location.hash.includes('from_user='), null, { timeout: 5000 }).catch(() => {});
    await page.locator('table.grid:not(.stale) tbody tr').first().waitFor().catch(() => {});
    const froms = (await page.locator('table.grid tbody tr td:nth-child(2)').allTextContents()).map((t) => t.trim());
    check(froms.length > 0 && froms.every((f) => f === fromUser), `search by From user ${fromUser}: ${froms.length} calls, all from ${fromUser}`);
  }

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

  // 4a. call page tools: legs, host aliases, diff of two messages, Logs tab, exports, pcap
  await callFeatures(page);

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
  let hostileCallId = null;
  if (HEP) {
    const callId = await sendHostileCall(HEP);
    hostileCallId = callId;
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
    await page.locator('.call-tab[data-tab=logs]').click();
    await page.locator('table.call-logs pre.log-line').first().waitFor({ timeout: 10000 }).catch(() => {});
    const logLines = await page.locator('table.call-logs pre.log-line').allTextContents();
    check(logLines.some((t) => t.includes(XSS_LOG)), `Logs tab: the call's proto-100 log line shown as text (${logLines.length} lines)`);
    check(await page.locator('#view i, #view script').count() === 0, 'Logs tab: no markup from the log line became elements');
    await page.mouse.move(0, 0);
    await shot('17-call-logs.png');
    await page.locator('.call-tab', { hasText: 'Flow' }).click();
    check(dialogs === 0, 'no alert() dialog opened');
    await page.mouse.move(0, 0);
    await shot('06-hostile-user-agent.png');
  } else {
    log('skip  hostile User-Agent check (no --hep-udp)');
  }

  // 6. call tracker pages: Calls, call Summary/Diagnosis, Devices, Stats, Alarms
  await trackerPages(page, hostileCallId);

  // 7. a call's QoS tab: streams, charts, one-way audio, hostile report strings
  await qosTab(page);

  // 7b. Home: key charts, top lists, saved searches, recent alarms
  await homePage(page);

  // 8. search page tools: counts, quick filter, columns, saved searches, share link, live mode
  await searchFeatures(page, context);
  // Paging: "Load more" appends the next page to the table (messages by time cursor, calls by key).
  for (const [mode, n] of [['messages', 5], ['calls', 3]]) {
    await page.goto(`${BASE}/#/search?mode=${mode}&range=all&limit=${n}`);
    await page.waitForFunction((m) => document.querySelector(`table.grid.${m}:not(.stale)`), mode, { timeout: 10000 }).catch(() => {});
    const before = await page.locator('table.grid tbody tr').count();
    await page.locator('button.load-more').click({ timeout: 10000 }).catch(() => {});
    await page.locator('table.grid tbody tr').nth(2 * n - 1).waitFor({ timeout: 10000 }).catch(() => {});
    const links = await page.locator('table.grid tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.href || ''));
    const cells = await page.locator('table.grid tbody tr td:first-child').allTextContents();
    const distinct = mode === 'calls' ? new Set(links).size : links.length;
    const sorted = cells.every((c, i) => i === 0 || cells[i - 1] <= c);
    check(before === n && links.length === 2 * n && distinct === 2 * n && sorted,
      `${mode}: Load more appends page 2 (${before} → ${links.length} rows, ${distinct} distinct, in time order: ${sorted})`);
    if (mode === 'messages') await shot('31-load-more.png');
  }

  // A field given twice: the API refuses repeats, so the page says so before asking it.
  await page.goto(`${BASE}/#/search?mode=messages&range=all&from_tag=a&from_tag=b`);
  const twice = await page.locator('.empty.error').first().textContent({ timeout: 10000 }).catch(() => '');
  check(/"from_tag" is given twice/.test(twice), `a field given twice is explained, not sent (${JSON.stringify(twice.slice(0, 80))})`);

  // 9. Admin page: users (create ro and u1, role, password reset, API errors), a token created
  // and revoked, the audit log; then ro and u1 in fresh browser contexts
  await accountPages(page);
  await readOnlyPages(browser);
  await userPages(browser);

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
