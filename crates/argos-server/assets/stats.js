// Stats page: call KPIs over time (GET /api/v1/stats/kpi), SIP message rates (/stats/messages) and
// top lists (/stats/top). Charts are inline SVG from chart.js, redrawn when the page is resized.
import { h, clear, fmtDuration, statusClass, num } from './dom.js';
import { api, qs } from './api.js';
import { rangeFromQuery, rangeToQuery, rangeControl, rangeBoundsUs } from './range.js';
import { dataTable, inlineField, selectInput } from './table.js';
import { timeChart, legend, fmtNum, timeLabel } from './chart.js';
import { LAST_SEARCH_KEY } from './search.js';

const BY = [['all', 'all calls'], ['node', 'node'], ['src_ip', 'source IP'], ['dst_ip', 'destination IP'],
  ['caller_ua', 'caller User-Agent'], ['dst_prefix', 'destination prefix']];
const BUCKETS = [['auto', 'auto'], ['10', '10 s'], ['60', '1 min'], ['300', '5 min'], ['900', '15 min'], ['3600', '1 h'], ['86400', '1 day']];
const TOP_N = 5;
// What the Home page shows of this page.
export const COMPACT_CHARTS = ['Calls', 'ASR / NER'];
export const COMPACT_TOPS = ['talkers', 'failing_destinations', 'response_codes'];
/** The KPI charts of the "all calls" view, by title (the Home page may show any of them). */
export const KPI_CHARTS = ['Calls', 'ASR / NER', 'ACD (average call duration)', 'PDD / setup time'];

function stateFromQuery(q) {
  const by = q.get('by') || 'all';
  const bucket = q.get('bucket') || 'auto';
  const pl = Number(q.get('prefix_len'));
  return {
    ...rangeFromQuery(q, '6h'),
    by: BY.some(([k]) => k === by) ? by : 'all',
    bucket: BUCKETS.some(([k]) => k === bucket) ? bucket : 'auto',
    prefix_len: Number.isInteger(pl) && pl > 0 && pl < 20 ? String(pl) : '4',
  };
}

function hashFromState(st) {
  const u = new URLSearchParams();
  rangeToQuery(u, st);
  if (st.by !== 'all') u.set('by', st.by);
  if (st.bucket !== 'auto') u.set('bucket', st.bucket);
  if (st.by === 'dst_prefix' && st.prefix_len !== '4') u.set('prefix_len', st.prefix_len);
  return '#/stats?' + u.toString();
}

// Bucket from the span shown: 10 s up to 15 min, 1 min up to 2 h, 5 min up to a day, 1 h up to a month.
export function autoBucket(spanS) {
  if (spanS <= 900) return 10;
  if (spanS <= 7200) return 60;
  if (spanS <= 86400) return 300;
  if (spanS <= 31 * 86400) return 3600;
  return 86400;
}

const bucketLabel = (b) => (BUCKETS.find(([k]) => Number(k) === b) || [null, `${b} s`])[1];
const secs = (us) => (us / 1e6).toFixed(6).replace(/\.?0+$/, '');

// First and last bucket with data in a KPI and a message-counter answer (µs), or null.
function dataSpan(kpi, msgs) {
  let lo = Infinity; let hi = -Infinity;
  const see = (t) => { if (num(t) !== null) { lo = Math.min(lo, t); hi = Math.max(hi, t); } };
  for (const sr of (kpi && kpi.series) || []) for (const p of sr.points || []) if ((p.attempts || 0) > 0) see(p.ts_us);
  const ms = msgs && msgs.series && typeof msgs.series === 'object' ? msgs.series : {};
  for (const pts of Object.values(ms)) if (Array.isArray(pts)) for (const p of pts) if (Array.isArray(p) && p[1] > 0) see(p[0]);
  return Number.isFinite(lo) ? [lo, hi] : null;
}

// The µs domain of the charts. "All time" asks the server where the data is: days with calls or
// messages, then the hours within them.
async function resolveDomain(st, signal) {
  const b = rangeBoundsUs(st);
  if (b.sinceUs !== null) return b;
  const probe = async (p) => dataSpan(...await Promise.all([
    api(`/api/v1/stats/kpi?${qs({ ...p, by: 'all' })}`, { signal }),
    api(`/api/v1/stats/messages?${qs(p)}`, { signal }),
  ]));
  const days = await probe({ since: 0, bucket: 86400 });
  if (!days) return { sinceUs: b.untilUs - 86400e6, untilUs: b.untilUs };
  const hours = await probe({ since: secs(days[0]), until: secs(days[1] + 86400e6), bucket: 3600 }) || [days[0], days[1] + 82800e6];
  return { sinceUs: hours[0], untilUs: Math.min(hours[1] + 3600e6, b.untilUs) };
}

/** Stats state from a hash query (range default 6h, by all, bucket auto). */
export function statsStateFromQuery(q) { return stateFromQuery(q); }

export async function renderStats(root, r, ctx) {
  const st = stateFromQuery(r.query);
  document.title = 'Stats · Argos';
  clear(root);
  const info = h('span.muted.small.range-info');
  const body = h('section.stats', { 'aria-live': 'polite' }, h('div.empty.muted', null, 'Loading statistics…'));
  root.append(buildForm(st, info), body);
  await fillStats(body, st, ctx, info);
}

/**
 * Fill `body` with the KPI tiles, charts and top lists of range `st` ({range, since, until, by, bucket,
 * prefix_len}); `info` gets the resolved range. compact: the Home page's subset, `charts` (KPI chart
 * titles) and `tops` (top list names) in the order given, by default calls, ASR/NER and three top lists.
 */
export async function fillStats(body, st, ctx, info, { compact = false, charts: chartList = COMPACT_CHARTS, tops: topList = COMPACT_TOPS } = {}) {
  const { signal } = ctx;
  let dom;
  try {
    dom = await resolveDomain(st, signal);
  } catch (e) {
    if (e && e.name !== 'AbortError') clear(body).append(failure('statistics', e));
    throw e;
  }
  if (signal.aborted) return;
  const spanS = Math.max(1, (dom.untilUs - dom.sinceUs) / 1e6);
  const bucket = st.bucket === 'auto' ? autoBucket(spanS) : Number(st.bucket);
  // Snap the domain to whole buckets so the first and last bars are complete.
  const x0 = Math.floor(dom.sinceUs / (bucket * 1e6)) * bucket * 1e6;
  const x1 = Math.ceil(dom.untilUs / (bucket * 1e6)) * bucket * 1e6;
  const msgBucket = Math.max(60, bucket); // message counters are kept per minute
  const range = { since: secs(x0), until: secs(x1) };
  info.textContent = `${timeLabel(x0, 60, true)} → ${timeLabel(x1, 60, true)} · ${bucketLabel(bucket)} buckets`;

  const kpiQ = { ...range, bucket, by: st.by, prefix_len: st.by === 'dst_prefix' ? st.prefix_len : null, limit: st.by === 'all' ? null : TOP_N };
  const get = (path) => api(path, { signal });
  const [kpi, msgs, ...tops] = await Promise.allSettled([
    get(`/api/v1/stats/kpi?${qs(kpiQ)}`),
    get(`/api/v1/stats/messages?${qs({ ...range, bucket: msgBucket })}`),
    ...TOPS.map((t) => get(`/api/v1/stats/top?${qs({ ...range, what: t.what, limit: 10 })}`)),
  ]);
  if (signal.aborted) return;
  if (kpi.status === 'rejected' && kpi.reason && kpi.reason.status === 401) throw kpi.reason;

  clear(body);
  const charts = [];
  const grid = h('div.chart-grid');
  const addChart = (title, series, opts = {}) => {
    if (compact && !chartList.includes(title)) return;
    const box = h('div.chart-body');
    const card = h('figure.card.chart', { dataset: { widget: title } }, h('figcaption', null, h('span.card-title', null, title), legend(series)), box);
    const draw = () => clear(box).append(timeChart({ ...opts, series, x0, x1, bucketUs: bucket * 1e6, width: box.clientWidth, label: title }));
    charts.push(draw);
    grid.append(card);
  };
  const addFailure = (title, e) => grid.append(h('figure.card.chart', null, h('figcaption', null, h('span.card-title', null, title)), failure(title, e)));

  if (kpi.status === 'fulfilled') {
    const series = ((kpi.value && kpi.value.series) || []).slice(0, st.by === 'all' ? 1 : TOP_N);
    if (series.some((sr) => Array.isArray(sr.points) && sr.points.length)) body.append(totals(st, series));
    else body.append(h('div.kpi-none.muted', null, 'No call (INVITE) in this time range: the KPI charts are empty.'));
    kpiCharts(st, series, x0, x1, bucket, addChart);
  } else {
    addFailure('Call KPIs', kpi.reason);
  }
  if (compact) { /* the Home page shows call KPIs only */ } else if (msgs.status === 'fulfilled') {
    const m = messageSeries(msgs.value, x0, x1, msgBucket);
    const box = h('div.chart-body');
    const title = `SIP messages per ${bucketLabel(msgBucket)}`;
    grid.append(h('figure.card.chart.wide', null, h('figcaption', null, h('span.card-title', null, title), legend(m)), box));
    charts.push(() => clear(box).append(timeChart({ series: m, x0, x1, bucketUs: msgBucket * 1e6, width: box.clientWidth, label: title, unit: 'msgs' })));
  } else {
    addFailure('SIP messages', msgs.reason);
  }
  if (compact) {
    // The Home page's order (charts are made in a fixed order above).
    const rank = (el) => chartList.indexOf(el.dataset.widget);
    [...grid.children].sort((a, b) => rank(a) - rank(b)).forEach((el) => grid.append(el));
  }
  if (grid.children.length) body.append(grid);

  const topGrid = h('div.top-grid');
  const shownTops = compact ? topList.map((w) => TOPS.findIndex((t) => t.what === w)).filter((i) => i >= 0) : TOPS.map((_, i) => i);
  for (const i of shownTops) topGrid.append(topCard(TOPS[i], tops[i], st));
  if (shownTops.length) body.append(h('h2.section-title', null, 'Top lists'), topGrid);

  const redraw = () => { for (const d of charts) d(); };
  redraw();
  let pending = 0;
  const ro = new ResizeObserver(() => { cancelAnimationFrame(pending); pending = requestAnimationFrame(redraw); });
  ro.observe(grid);
  ctx.onCleanup(() => { ro.disconnect(); cancelAnimationFrame(pending); });
}

// ---- KPI charts ---------------------------------------------------------------------

// Zero-filled counts (a bucket without calls had 0 attempts), as [[ts, v]].
function dense(points, field, from, x1, bucket) {
  const by = new Map(points.map((p) => [p.ts_us, p]));
  const step = bucket * 1e6;
  const x0 = Math.floor(from / step) * step; // buckets start at multiples of their width
  if ((x1 - x0) / step > 3000) return points.map((p) => [p.ts_us, num(p[field]) ?? 0]);
  const out = [];
  for (let t = x0; t < x1; t += step) { const p = by.get(t); out.push([t, p ? (num(p[field]) ?? 0) : 0]); }
  return out;
}
const sparse = (points, field) => points.map((p) => [p.ts_us, num(p[field])]);
const seriesName = (sr) => (sr.key === '' || sr.key === null || sr.key === undefined ? '(none)' : String(sr.key));
const pct = (v) => `${fmtNum(v)}%`;
const msTile = (v) => (num(v) === null ? '—' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`);

function kpiCharts(st, series, x0, x1, bucket, addChart) {
  const pts = (sr) => (Array.isArray(sr.points) ? sr.points : []);
  if (st.by === 'all') {
    const sr = series[0] || { points: [] };
    addChart('Calls', [
      { name: 'attempts', kind: 'bar', cls: 's0', dense: true, points: dense(pts(sr), 'attempts', x0, x1, bucket) },
      { name: 'answered', kind: 'bar', cls: 's2', dense: true, points: dense(pts(sr), 'answered', x0, x1, bucket) },
    ], { unit: 'calls' });
    addChart('ASR / NER', [
      { name: 'ASR', cls: 's0', points: sparse(pts(sr), 'asr'), title: 'Answer-seizure ratio: answered / attempts' },
      { name: 'NER', cls: 's2', points: sparse(pts(sr), 'ner'), title: 'Network effectiveness ratio: answered, busy, no answer, rejected by the user / attempts' },
    ], { yMax: 100, unit: '%', fmt: pct });
    addChart('ACD (average call duration)', [{ name: 'ACD', cls: 's3', points: sparse(pts(sr), 'acd_s') }], { unit: 's' });
    addChart('PDD / setup time', [
      { name: 'PDD', cls: 's1', points: sparse(pts(sr), 'pdd_ms'), title: 'Post-dial delay: INVITE to first 18x' },
      { name: 'setup', cls: 's5', points: sparse(pts(sr), 'setup_ms'), title: 'INVITE to 2xx' },
    ], { unit: 'ms' });
    return;
  }
  const per = (field, isCount) => series.map((sr, i) => ({
    name: seriesName(sr), cls: `s${i}`, dense: isCount,
    points: isCount ? dense(pts(sr), field, x0, x1, bucket) : sparse(pts(sr), field),
  }));
  const by = BY.find(([k]) => k === st.by)[1];
  addChart(`Attempts by ${by}`, per('attempts', true), { unit: 'calls' });
  addChart(`ASR by ${by}`, per('asr', false), { yMax: 100, unit: '%', fmt: pct });
  addChart(`NER by ${by}`, per('ner', false), { yMax: 100, unit: '%', fmt: pct });
  addChart(`ACD by ${by}`, per('acd_s', false), { unit: 's' });
  addChart(`PDD by ${by}`, per('pdd_ms', false), { unit: 'ms' });
}

// KPI totals: tiles for all calls, a table per series otherwise.
function totals(st, series) {
  const f = (v, unit = '') => (num(v) === null ? '—' : `${fmtNum(v)}${unit}`);
  if (st.by === 'all') {
    const t = (series[0] && series[0].total) || {};
    const tile = (label, value, help) => h('div.tile', { title: help || '' }, h('div.tile-value', null, value), h('div.tile-label', null, label));
    return h('div.tiles', null,
      tile('attempts', f(t.attempts)), tile('answered', f(t.answered)),
      tile('ASR', f(t.asr, '%'), 'Answer-seizure ratio'), tile('NER', f(t.ner, '%'), 'Network effectiveness ratio'),
      tile('ACD', num(t.acd_s) === null ? '—' : fmtDuration(t.acd_s * 1e6), 'Average call duration'),
      tile('PDD', msTile(t.pdd_ms), 'Average post-dial delay'), tile('setup', msTile(t.setup_ms), 'Average INVITE → 2xx'),
      tile('failed', f((t.rejected || 0) + (t.failed || 0) + (t.timeout || 0)), 'Rejected, failed and timed-out calls'));
  }
  const rows = series.map((sr, i) => ({ i, key: seriesName(sr), ...(sr.total || {}) }));
  const cols = [
    { key: 'key', label: BY.find(([k]) => k === st.by)[1], get: (x) => x.key, render: (x) => [h(`span.sw.s${x.i}`), x.key], cls: 'mono series-key' },
    { key: 'attempts', label: 'Attempts', get: (x) => num(x.attempts), cls: 'num' },
    { key: 'answered', label: 'Answered', get: (x) => num(x.answered), cls: 'num' },
    { key: 'asr', label: 'ASR %', get: (x) => num(x.asr), render: (x) => f(x.asr), cls: 'num' },
    { key: 'ner', label: 'NER %', get: (x) => num(x.ner), render: (x) => f(x.ner), cls: 'num' },
    { key: 'acd', label: 'ACD s', get: (x) => num(x.acd_s), render: (x) => f(x.acd_s), cls: 'num' },
    { key: 'pdd', label: 'PDD ms', get: (x) => num(x.pdd_ms), render: (x) => f(x.pdd_ms), cls: 'num' },
  ];
  const tbl = dataTable(cols, { sortKey: 'attempts', sortDir: -1, cls: 'compact' });
  tbl.setRows(rows);
  return h('div.card.series-totals', null, h('div.card-title', null, `Top ${series.length} by attempts`), tbl.el);
}

// ---- message rates ---------------------------------------------------------------------

// req:INVITE, req:REGISTER, other requests, then responses by class (rsp:NNN, not per method).
function messageSeries(data, x0, x1, bucket) {
  const src = (data && data.series && typeof data.series === 'object') ? data.series : {};
  const sums = new Map();
  const add = (name, ts, c) => {
    if (!sums.has(name)) sums.set(name, new Map());
    const m = sums.get(name);
    m.set(ts, (m.get(ts) || 0) + c);
  };
  for (const [name, pts] of Object.entries(src)) {
    if (!Array.isArray(pts)) continue;
    let label = null;
    if (name === 'req:INVITE' || name === 'req:REGISTER') label = name.slice(4);
    else if (name.startsWith('req:')) label = 'other requests';
    else { const m = /^rsp:(\d)\d\d$/.exec(name); if (m) label = `${m[1]}xx`; }
    if (!label) continue;
    for (const p of pts) if (Array.isArray(p) && num(p[0]) !== null) add(label, p[0], num(p[1]) || 0);
  }
  const order = ['INVITE', 'REGISTER', 'other requests', '1xx', '2xx', '3xx', '4xx', '5xx', '6xx'];
  const cls = { INVITE: 's0', REGISTER: 's3', 'other requests': 's7', '1xx': 's5', '2xx': 's2', '3xx': 's4', '4xx': 's6', '5xx': 's1', '6xx': 's1' };
  return order.filter((n) => sums.has(n)).map((n) => {
    const pts = [...sums.get(n)].map(([ts, c]) => ({ ts_us: ts, c }));
    return { name: n, cls: cls[n], dense: true, points: dense(pts, 'c', x0, x1, bucket) };
  });
}

// ---- top lists -------------------------------------------------------------------------

export const TOPS = [
  { what: 'talkers', title: 'Top talkers', key: 'Source IP', link: (k, st) => callsHash(st, { src_ip: k }) },
  { what: 'failing_destinations', title: 'Failing destinations', key: 'Prefix', link: (k, st) => callsHash(st, { ruri_user: `${k}*`, status: 'rejected,failed,timeout' }) },
  { what: 'user_agents', title: 'Caller User-Agents', key: 'User-Agent' },
  { what: 'response_codes', title: 'Response codes', key: 'Code', link: (k, st) => searchHash(st, { status: k }) },
];

function callsHash(st, extra) {
  const u = new URLSearchParams();
  rangeToQuery(u, st);
  for (const [k, v] of Object.entries(extra)) u.set(k, v);
  return `#/calls?${u}`;
}
function searchHash(st, extra) {
  const u = new URLSearchParams({ mode: 'messages' });
  rangeToQuery(u, st);
  for (const [k, v] of Object.entries(extra)) u.set(k, v);
  return `#/search?${u}`;
}

function topCard(t, res, st) {
  const card = h('div.card.top', { dataset: { widget: t.what } }, h('div.card-title', null, t.title));
  if (res.status === 'rejected') { card.append(failure(t.title, res.reason)); return card; }
  const rows = (res.value && Array.isArray(res.value.rows)) ? res.value.rows : [];
  if (!rows.length) { card.append(h('p.muted.small.none', null, 'Nothing in this range.')); return card; }
  const keyCol = {
    key: 'key', label: t.key, get: (x) => String(x.key ?? ''), cls: t.what === 'response_codes' ? 'nowrap' : 'mono clip-s',
    render: (x) => (t.what === 'response_codes' ? h(`span.status.${statusClass(x.key)}`, null, String(x.key))
      : x.key === '' || x.key === null || x.key === undefined ? h('span.muted', null, '(none)') : String(x.key)),
  };
  const cols = t.what === 'response_codes'
    ? [keyCol, { key: 'count', label: 'Count', get: (x) => num(x.count), render: (x) => fmtNum(x.count), cls: 'num' }]
    : [keyCol,
      { key: 'calls', label: 'Calls', get: (x) => num(x.calls), cls: 'num' },
      { key: 'answered', label: 'Ans.', get: (x) => num(x.answered), cls: 'num' },
      { key: 'failed', label: 'Failed', get: (x) => num(x.failed), cls: 'num' },
      { key: 'asr', label: 'ASR %', get: (x) => num(x.asr), render: (x) => (num(x.asr) === null ? '—' : fmtNum(x.asr)), cls: 'num' }];
  const tbl = dataTable(cols, {
    sortKey: t.what === 'response_codes' ? 'count' : 'calls', sortDir: -1, cls: 'compact',
    href: t.link ? (x) => (x.key === '' || x.key === null || x.key === undefined ? null : t.link(String(x.key), st)) : null,
  });
  tbl.setRows(rows);
  card.append(tbl.el);
  return card;
}

function failure(what, e) {
  const missing = e && (e.status === 404 || e.status === 405);
  return h('div.empty.error.small', null,
    h('p', null, `${what}: `, (e && e.message) || String(e)),
    missing ? h('p.muted', null, 'This server has no statistics API (/api/v1/stats/...).') : null);
}

function buildForm(st, info) {
  const range = rangeControl();
  range.fill(st);
  const bySel = selectInput('by', BY, st.by);
  const bucketSel = selectInput('bucket', BUCKETS, st.bucket);
  const plIn = h('input.num.short', { type: 'number', min: 1, max: 19, name: 'prefix_len', value: st.prefix_len, 'aria-label': 'Prefix length' });
  const plBox = inlineField('Prefix length', plIn);
  plBox.hidden = st.by !== 'dst_prefix';
  const form = h('form.toolbar', {
    autocomplete: 'off',
    onsubmit: (ev) => {
      ev.preventDefault();
      const hash = hashFromState({ ...range.read(), by: bySel.value, bucket: bucketSel.value, prefix_len: String(Number(plIn.value) || 4) });
      if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
      else location.hash = hash;
    },
  },
  h('div.row', null,
    h('h1.page-title', null, 'Stats'),
    ...range.nodes,
    inlineField('By', bySel), plBox,
    inlineField('Bucket', bucketSel),
    info,
    h('span.spacer'),
    h('button.primary', { type: 'submit' }, 'Show')));
  for (const sel of [bySel, bucketSel]) sel.addEventListener('change', () => form.requestSubmit());
  return form;
}
