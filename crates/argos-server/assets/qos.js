// Call page "QoS" tab: one row per reporter and stream (GET /api/v1/calls/{id}/qos), the worst
// values coloured by the thresholds below, SVG charts of jitter, loss and MOS over time (chart.js),
// and one-way-audio findings on top. Every value from a report goes into text nodes only.
import { h, clear, num, fmtDateTime, fmtDuration, tzLabel } from './dom.js';
import { api } from './api.js';
import { timeChart, legend, fmtNum, SERIES_CLASSES } from './chart.js';

const enc = encodeURIComponent;

// Thresholds (docs/API.md, "Call quality"): amber from the first value, red from the second.
// MOS: ITU-T G.107 "some users dissatisfied" below 3.6, "many" below 3.1. Loss: 1 % is audible
// without PLC, 5 % with. Jitter: 30 ms fills a typical jitter buffer, 60 ms overflows it. RTT:
// G.114 150 ms one way (300 ms round trip) amber, 400 ms one way red.
export const THRESHOLDS = {
  mos: { warn: 3.6, bad: 3.1, low: true },
  loss: { warn: 1, bad: 5 },
  jitter: { warn: 30, bad: 60 },
  rtt: { warn: 300, bad: 800 },
};

export function level(metric, v) {
  const t = THRESHOLDS[metric];
  if (!t || num(v) === null) return '';
  if (t.low) return v < t.bad ? 'q-bad' : v < t.warn ? 'q-warn' : 'q-ok';
  return v > t.bad ? 'q-bad' : v > t.warn ? 'q-warn' : 'q-ok';
}

const KIND_LABELS = {
  rtcp: 'RTCP', rtcp_xr: 'RTCP-XR', rtp_report: 'RTP report', rtp_short_report: 'RTP short report',
  vq_rtcpxr: 'vq-rtcpxr', x_rtp_stat: 'X-RTP-Stat', p_rtp_stat: 'P-RTP-Stat', rtp_rx_tx_stat: 'RTP-Rx/TxStat',
};
const DIR_LABELS = { rx: 'received', tx: 'sent', seen: 'seen' };
const MEDIA_DIR = { caller_to_callee: 'caller → callee', callee_to_caller: 'callee → caller' };
const MOS_SOURCES = {
  reported_mos_cq: 'reported MOS-CQ', reported_mos_lq: 'reported MOS-LQ', reported: 'reported',
  estimated_e_model: 'estimated (E-model)',
};

const f1 = (v, d = 1) => (num(v) === null ? '—' : String(+v.toFixed(d)));
const hex = (v) => (num(v) === null ? '—' : `0x${(v >>> 0).toString(16).padStart(8, '0')}`);

// Tabs above the call flow: "Flow" (legend, ladder, message) and "QoS" (loaded on first show).
// initial: 'flow' | 'qos'. Returns nothing; keeps ?tab=qos in the URL while QoS is shown.
export function callTabs({ before, flowParts, callId, ctx, initial, tabs = [] }) {
  const qosBox = h('section.qos-view', { hidden: true, 'aria-live': 'polite' });
  // More tabs (e.g. Logs): { key, label, render(box) }, rendered on first show.
  const extra = tabs.map((t) => ({ ...t, box: h(`section.tab-view.${t.key}-view`, { hidden: true }), loaded: false }));
  let loaded = false;
  const buttons = {};
  const show = (which) => {
    for (const [k, b] of Object.entries(buttons)) {
      b.setAttribute('aria-selected', String(k === which));
      b.classList.toggle('active', k === which);
    }
    for (const el of flowParts) el.hidden = which !== 'flow';
    qosBox.hidden = which !== 'qos';
    for (const t of extra) {
      t.box.hidden = which !== t.key;
      if (which === t.key && !t.loaded) { t.loaded = true; t.render(t.box); }
    }
    const base = `#/call/${enc(callId)}`;
    if (location.hash.startsWith(base)) history.replaceState(null, '', which === 'flow' ? base : `${base}?tab=${which}`);
    if (which === 'qos' && !loaded) {
      loaded = true;
      renderQos(qosBox, callId, ctx);
    }
  };
  buttons.flow = h('button.call-tab', { type: 'button', role: 'tab', onclick: () => show('flow') }, 'Flow');
  buttons.qos = h('button.call-tab', { type: 'button', role: 'tab', onclick: () => show('qos') }, 'QoS');
  for (const t of extra) buttons[t.key] = h('button.call-tab', { type: 'button', role: 'tab', dataset: { tab: t.key }, onclick: () => show(t.key) }, t.label);
  before.before(h('div.call-tabs', { role: 'tablist', 'aria-label': 'Call views' }, Object.values(buttons)));
  const last = flowParts[flowParts.length - 1];
  last.after(qosBox, ...extra.map((t) => t.box));
  show(initial && buttons[initial] ? initial : 'flow');
}

export async function renderQos(box, callId, ctx) {
  clear(box).append(h('p.muted', null, 'Loading quality reports…'));
  let q;
  try {
    q = await api(`/api/v1/calls/${enc(callId)}/qos`, { signal: ctx.signal });
  } catch (e) {
    if (ctx.signal.aborted) return;
    clear(box).append(h('div.empty.error', null, `Could not load the QoS reports: ${e && e.message ? e.message : e}`));
    return;
  }
  if (ctx.signal.aborted) return;
  clear(box);
  const streams = Array.isArray(q && q.streams) ? q.streams : [];
  const oneWay = Array.isArray(q && q.one_way_audio) ? q.one_way_audio : [];

  for (const f of oneWay) {
    const ev = Array.isArray(f.evidence) ? f.evidence : [];
    box.append(h('div.qos-alert', { role: 'alert' },
      h('strong', null, '⚠ ', String(f.text || 'One-way audio')),
      ev.length ? h('ul', null, ev.map((e) => h('li.mono', null, String(e)))) : null));
  }

  if (!streams.length) {
    box.append(h('div.empty', null,
      h('p', null, 'No quality report for this call.'),
      h('p.muted', null, 'Reports come from RTCP (HEP proto 5: argos agent/import --rtcp, heplify, captagent, rtpengine, Asterisk, FreeSWITCH), '
        + 'RTP stream reports (HEP proto 34/35), SIP PUBLISH vq-rtcpxr and X-RTP-Stat / P-RTP-Stat / RTP-RxStat headers in the BYE.'),
      q && q.unreadable_reports ? h('p.muted', null, `${q.unreadable_reports} report(s) could not be read.`) : null));
    return;
  }

  box.append(summaryTiles(q.summary || {}, streams.length, q.unreadable_reports));
  box.append(streamTable(streams));
  box.append(h('p.muted.small.qos-legend', null,
    'Thresholds: MOS amber < 3.6, red < 3.1 · loss amber > 1 %, red > 5 % · jitter amber > 30 ms, red > 60 ms · RTT amber > 300 ms, red > 800 ms. ',
    'Times in ', tzLabel(), '. "estimated" MOS: HOMER\'s simplified E-model from loss, jitter and RTT (the G.107 E-model for the codec is under each row); "reported": the endpoint\'s own.'));
  box.append(charts(streams));
}

function tile(label, value, cls) {
  return h(`div.tile${cls ? `.${cls}` : ''}`, null, h('div.tile-value', null, value), h('div.tile-label', null, label));
}

function summaryTiles(s, n, unreadable) {
  return h('div.tiles.qos-tiles', null,
    tile('worst MOS', f1(s.worst_mos, 2), level('mos', s.worst_mos)),
    tile('worst loss %', f1(s.worst_loss_pct, 2), level('loss', s.worst_loss_pct)),
    tile('worst jitter ms', f1(s.worst_jitter_ms), level('jitter', s.worst_jitter_ms)),
    tile('streams', String(n)),
    tile('reports', String(num(s.reports) ?? 0)),
    unreadable ? tile('unreadable', String(unreadable), 'q-warn') : null);
}

function cell(text, cls = '', title) {
  return h(`td.num${cls ? `.${cls}` : ''}`, title ? { title } : null, text);
}

function streamTable(streams) {
  const head = ['#', 'Reporter', 'Direction', 'SSRC', 'From → To', 'Codec', 'Packets', 'Lost',
    'Loss % mean / max', 'Jitter ms mean / max', 'RTT ms', 'MOS min', 'R', 'Reports', 'Period'];
  const tbody = h('tbody');
  streams.forEach((s, i) => {
    const rep = s.reporter || {};
    const w = s.worst || {};
    const loss = s.loss_pct || {};
    const jit = s.jitter_ms || {};
    const rtt = s.rtt_ms || {};
    const mos = s.mos || {};
    const r = s.r_factor || {};
    const mosSrc = MOS_SOURCES[mos.source] || '';
    const mosCell = cell(f1(w.mos ?? mos.min, 2), level('mos', w.mos ?? mos.min), mosSrc);
    if (mosSrc) mosCell.append(h('div.muted.small', null, mosSrc));
    const period = num(s.first_us) !== null && num(s.last_us) !== null
      ? `${fmtDateTime(s.first_us).slice(11)} · ${fmtDuration(s.last_us - s.first_us)}` : '—';
    tbody.append(h('tr', { dataset: { kind: String(rep.kind || '') } },
      h('td', null, h(`span.sw.s${i % SERIES_CLASSES}`, { 'aria-hidden': 'true' }), String(i + 1)),
      h('td.mono', null, String(rep.addr || '?'),
        h('span.qos-kind', null, KIND_LABELS[rep.kind] || String(rep.kind || '')),
        rep.node ? h('span.muted', null, ` node ${rep.node}`) : null),
      h('td', null, DIR_LABELS[s.direction] || String(s.direction || ''),
        s.media_direction ? h('div.muted.small', null, MEDIA_DIR[s.media_direction] || String(s.media_direction)) : null),
      h('td.mono', null, hex(s.ssrc)),
      h('td.mono.clip-m', { title: `${s.src || '?'} → ${s.dst || '?'}` }, `${s.src || '?'} → ${s.dst || '?'}`),
      h('td', null, s.codec ? String(s.codec) : '—'),
      cell(num(s.packets) === null ? '—' : fmtNum(s.packets), s.packets === 0 ? 'q-bad' : ''),
      cell(num(s.lost) === null ? '—' : String(s.lost)),
      cell(`${f1(loss.mean, 2)} / ${f1(w.loss_pct ?? loss.max, 2)}`, level('loss', w.loss_pct ?? loss.max)),
      cell(`${f1(jit.mean)} / ${f1(w.jitter_ms ?? jit.max)}`, level('jitter', w.jitter_ms ?? jit.max)),
      cell(num(rtt.max) === null ? '—' : `${f1(rtt.mean)} / ${f1(rtt.max)}`, level('rtt', rtt.max)),
      mosCell,
      cell(f1(r.min ?? r.max, 0)),
      cell(String(num(s.reports) ?? '')),
      h('td.mono.nowrap', null, period)));
    const extra = [];
    const g107 = s.mos_g107 || {};
    if (num(g107.min) !== null) extra.push(`G.107 E-model MOS min ${f1(g107.min, 2)}, mean ${f1(g107.mean, 2)}`);
    if (num(s.mos_lq) !== null) extra.push(`MOS-LQ ${f1(s.mos_lq, 2)}`);
    if (num(s.mos_cq) !== null) extra.push(`MOS-CQ ${f1(s.mos_cq, 2)}`);
    if (num(s.discard_pct) !== null) extra.push(`discard ${f1(s.discard_pct, 2)} %`);
    if (num(s.burst_density_pct) !== null) extra.push(`burst density ${f1(s.burst_density_pct)} %`);
    if (num(s.gap_density_pct) !== null) extra.push(`gap density ${f1(s.gap_density_pct)} %`);
    if (num(s.one_way_delay_ms) !== null) extra.push(`one-way delay ${f1(s.one_way_delay_ms)} ms`);
    if (num(s.end_system_delay_ms) !== null) extra.push(`end-system delay ${f1(s.end_system_delay_ms)} ms`);
    if (extra.length || typeof s.raw === 'string') {
      tbody.append(h('tr.qos-extra', null, h('td'), h('td', { colspan: head.length - 1 },
        extra.length ? h('span.muted', null, extra.join(' · ')) : null,
        typeof s.raw === 'string' && s.raw ? h('details', null, h('summary', null, 'report text'), h('pre.raw.qos-raw', null, s.raw)) : null)));
    }
  });
  return h('div.table-wrap.qos-table-wrap', null,
    h('table.grid.qos-streams', null, h('thead', null, h('tr', null, head.map((t) => h('th', null, t)))), tbody));
}

// Time step shared by the charts: the usual gap between reports (so lines join), at most 600
// steps over the call.
function chartStep(streams, x0, x1) {
  const gaps = [];
  for (const s of streams) {
    const ts = (s.samples || []).map((p) => p.ts_us).filter((t) => num(t) !== null).sort((a, b) => a - b);
    for (let i = 1; i < ts.length; i++) if (ts[i] > ts[i - 1]) gaps.push(ts[i] - ts[i - 1]);
  }
  gaps.sort((a, b) => a - b);
  const typical = gaps.length ? gaps[Math.floor(gaps.length * 0.75)] : 1e6;
  const step = Math.max(1e6, Math.ceil(typical / 1e6) * 1e6, Math.ceil((x1 - x0) / 600 / 1e6) * 1e6);
  return step;
}

// One chart per metric; a series per stream with values, points bucketed to the step (worst
// value of a bucket kept).
function charts(streams) {
  let x0 = Infinity; let x1 = -Infinity;
  for (const s of streams) for (const p of s.samples || []) {
    if (num(p.ts_us) === null) continue;
    x0 = Math.min(x0, p.ts_us); x1 = Math.max(x1, p.ts_us);
  }
  const grid = h('div.chart-grid.qos-charts');
  if (!Number.isFinite(x0)) return grid;
  const step = chartStep(streams, x0, x1);
  x0 = Math.floor(x0 / step) * step;
  x1 = Math.max(x1 + step, x0 + 2 * step);
  const metrics = [
    ['Jitter', 'jitter_ms', 'ms', 'jitter', (a, b) => Math.max(a, b)],
    ['Loss', 'loss_pct', '%', 'loss', (a, b) => Math.max(a, b)],
    ['MOS', 'mos', '1–5', 'mos', (a, b) => Math.min(a, b), 5],
  ];
  for (const [title, key, unit, metric, worse, yMax] of metrics) {
    const series = [];
    streams.forEach((s, i) => {
      const byBucket = new Map();
      for (const p of s.samples || []) {
        const v = p[key];
        if (num(v) === null || num(p.ts_us) === null) continue;
        const b = Math.floor(p.ts_us / step) * step;
        byBucket.set(b, byBucket.has(b) ? worse(byBucket.get(b), v) : v);
      }
      if (!byBucket.size) return;
      const rep = s.reporter || {};
      series.push({
        name: `#${i + 1} ${rep.addr || '?'} ${DIR_LABELS[s.direction] || ''}`.trim(),
        title: `${KIND_LABELS[rep.kind] || rep.kind || ''} ${s.src || '?'} → ${s.dst || '?'}`,
        cls: `s${i % SERIES_CLASSES}`,
        points: [...byBucket.entries()],
      });
    });
    const body = h('div.chart-body');
    const worst = series.flatMap((sr) => sr.points.map(([, v]) => v));
    const wv = worst.length ? worst.reduce(worse) : null;
    const badge = wv === null ? null : h(`span.qos-worst.${level(metric, wv) || 'q-ok'}`, null, `worst ${fmtNum(wv)} ${metric === 'mos' ? '' : unit}`.trim());
    grid.append(h(`figure.card.chart.qos-chart.qos-${key}`, null,
      h('figcaption', null, h('span.card-title', null, `${title} (${unit})`), badge, legend(series)), body));
    // Drawn once laid out, so the chart fills its card.
    requestAnimationFrame(() => {
      clear(body).append(timeChart({
        series, x0, x1, bucketUs: step, width: body.clientWidth || 560, height: 170,
        yMax, unit: metric === 'mos' ? 'MOS' : unit, label: `${title} over time`, empty: `no ${title.toLowerCase()} reported`,
        fmt: (v) => fmtNum(v),
      }));
    });
  }
  return grid;
}
