// Calls page: call records from the call tracker (GET /api/v1/call-records), one row per call.
import { h, clear, tzLabel, fmtDateTime, fmtMmSs, callStatusBadge, CALL_STATUSES, num } from './dom.js';
import { api, qs } from './api.js';
import { rangeFromQuery, rangeToQuery, rangeApiParams, rangeControl } from './range.js';
import { dataTable, field, textInput, summaryLine } from './table.js';
import { LAST_SEARCH_KEY } from './search.js';

const FILTERS = [
  ['from_user', 'From user', 'e.g. 1001 or 10*'],
  ['to_user', 'To user', ''],
  ['ruri_user', 'R-URI user', ''],
  ['src_ip', 'Source IP', ''],
  ['dst_ip', 'Destination IP', ''],
  ['node', 'Node', ''],
];
const DEFAULT_LIMIT = '200';

function stateFromQuery(q) {
  const st = { ...rangeFromQuery(q, '1h'), limit: q.get('limit') || DEFAULT_LIMIT, fields: {}, status: [] };
  const known = new Set(CALL_STATUSES.map(([v]) => v));
  st.status = (q.get('status') || '').split(',').map((x) => x.trim()).filter((x) => known.has(x));
  for (const [n] of FILTERS) if (q.get(n)) st.fields[n] = q.get(n);
  return st;
}

function hashFromState(st) {
  const u = new URLSearchParams();
  rangeToQuery(u, st);
  if (st.status.length) u.set('status', st.status.join(','));
  for (const [n] of FILTERS) if (st.fields[n]) u.set(n, st.fields[n]);
  if (st.limit && st.limit !== DEFAULT_LIMIT) u.set('limit', st.limit);
  return '#/calls?' + u.toString();
}

function apiParams(st, extra = {}) {
  const p = { ...rangeApiParams(st), limit: st.limit || DEFAULT_LIMIT, ...extra };
  if (st.status.length) p.status = st.status.join(',');
  for (const [n] of FILTERS) if (st.fields[n]) p[n] = st.fields[n].trim();
  return qs(p);
}

export const callHref = (c) => (c && c.call_key ? `#/call/${encodeURIComponent(c.call_key)}` : null);

const msOr = (v) => (num(v) === null ? '' : `${Math.round(v).toLocaleString()}`);

function mosCell(mos) {
  if (num(mos) === null) return '';
  const cls = mos >= 4 ? 'good' : mos >= 3.6 ? 'fair' : 'poor';
  return h(`span.mos.${cls}`, { title: 'Lowest MOS reported for the call' }, mos.toFixed(2));
}

const COLS = [
  { key: 'start', label: () => `Start (${tzLabel()})`, get: (c) => num(c.start_us), render: (c) => fmtDateTime(c.start_us), cls: 'mono nowrap' },
  { key: 'from', label: 'From', get: (c) => c.from_user || '', cls: 'mono clip-s', title: (c) => userAt(c.from_user, c.from_domain) },
  { key: 'to', label: 'To', get: (c) => c.to_user || '', cls: 'mono clip-s', title: (c) => [userAt(c.to_user, c.to_domain), c.ruri_user && c.ruri_user !== c.to_user ? `R-URI user ${c.ruri_user}` : ''].filter(Boolean).join('\n') },
  { key: 'status', label: 'Status', get: (c) => statusRank(c.status), render: (c) => callStatusBadge(c.status), cls: 'nowrap' },
  { key: 'code', label: 'Code', get: (c) => num(c.final_code), render: (c) => (c.final_code ? String(c.final_code) : ''), cls: 'num', title: (c) => [c.final_code, c.final_reason].filter(Boolean).join(' ') },
  { key: 'duration', label: 'Duration', get: (c) => num(c.duration_ms), render: (c) => fmtMmSs(c.duration_ms), cls: 'num nowrap', help: 'Talk time: answer to first BYE (mm:ss)' },
  { key: 'pdd', label: 'PDD ms', get: (c) => num(c.pdd_ms), render: (c) => msOr(c.pdd_ms), cls: 'num', help: 'Post-dial delay: INVITE to first 18x (or to the final answer)' },
  { key: 'codec', label: 'Codec', get: (c) => c.codec || '', cls: 'nowrap' },
  { key: 'mos', label: 'MOS', get: (c) => num(c.mos), render: (c) => mosCell(c.mos), cls: 'num' },
  { key: 'legs', label: 'Legs', get: (c) => (Array.isArray(c.legs) ? c.legs.length : null), cls: 'num', title: (c) => (Array.isArray(c.legs) ? c.legs.map((l) => `${l.call_id}  ${l.src} → ${l.dst}${l.final_code ? `  ${l.final_code}` : ''}`).join('\n') : '') },
  { key: 'ua', label: 'Caller UA', get: (c) => c.caller_ua || '', cls: 'clip' },
];

function userAt(u, d) { return u ? (d ? `${u}@${d}` : u) : ''; }
function statusRank(s) { const i = CALL_STATUSES.findIndex(([v]) => v === s); return i < 0 ? 99 : i; }

export async function renderCalls(root, r, ctx) {
  const st = stateFromQuery(r.query);
  document.title = 'Calls · Argos';
  sessionStorage.setItem(LAST_SEARCH_KEY, location.hash);
  clear(root);
  const form = buildForm(st);
  const results = h('section.results', { 'aria-live': 'polite' }, h('div.empty.muted', null, 'Loading call records…'));
  root.append(form, results);

  const table = dataTable(COLS, { sortKey: 'start', sortDir: -1, href: callHref, cls: 'call-records' });
  let rows = [];
  const limit = Number(st.limit) || Number(DEFAULT_LIMIT);
  const t0 = performance.now();
  let data;
  try {
    data = await api(`/api/v1/call-records?${apiParams(st)}`, { signal: ctx.signal });
  } catch (e) {
    if (e && e.name !== 'AbortError') clear(results).append(failure(e));
    throw e;
  }
  if (ctx.signal.aborted) return;
  rows = (data && Array.isArray(data.calls)) ? data.calls : [];
  const ms = performance.now() - t0;
  if (!rows.length) {
    clear(results).append(h('div.empty', null,
      h('p', null, 'No call records match these filters in this time range.'),
      h('p.muted', null, 'Call records are written by the call tracker for INVITE dialogs. Imported captures keep their original timestamps: try a wider range.'),
      st.range !== 'all' ? h('p', null, h('a.button', { href: hashFromState({ ...st, range: 'all', since: '', until: '' }) }, 'Show all time instead')) : null));
    return;
  }

  const head = h('div.summary-wrap');
  const more = h('div.more');
  const showHead = () => {
    clear(head).append(summaryLine(rows.length, rows.length === 1 ? 'call' : 'calls', Infinity, ms, null), statusCounts(rows, st));
  };
  const seen = new Set(rows.map((c) => c.call_key));
  const addMore = (lastBatch) => {
    clear(more);
    if (lastBatch < limit) return;
    const oldest = rows.reduce((m, c) => (num(c.start_us) !== null && c.start_us < m ? c.start_us : m), Infinity);
    if (!Number.isFinite(oldest)) return;
    const btn = h('button', {
      type: 'button',
      onclick: async () => {
        btn.disabled = true;
        btn.textContent = 'Loading…';
        try {
          // Newest first: the next page ends where this one stopped (ties de-duplicated by call key).
          const next = await api(`/api/v1/call-records?${apiParams(st, { until: ((oldest + 1) / 1e6).toFixed(6) })}`, { signal: ctx.signal });
          const batch = (next && Array.isArray(next.calls)) ? next.calls : [];
          const fresh = batch.filter((c) => !seen.has(c.call_key));
          for (const c of fresh) seen.add(c.call_key);
          rows = rows.concat(fresh);
          table.setRows(rows);
          showHead();
          addMore(fresh.length ? batch.length : 0);
        } catch (e) {
          if (e && e.name === 'AbortError') return;
          clear(more).append(h('span.error', null, `Loading more failed: ${e.message || e}`));
        }
      },
    }, `Load ${limit} older calls`);
    more.append(h('span.muted', null, `Showing the newest ${rows.length.toLocaleString()}. `), btn);
  };
  table.setRows(rows);
  showHead();
  addMore(rows.length);
  clear(results).append(head, h('div.table-wrap', null, table.el), more);
}

function failure(e) {
  const missing = e && (e.status === 404 || e.status === 405);
  return h('div.empty.error', null,
    h('p', null, 'Loading call records failed: ', e.message || String(e)),
    missing ? h('p.muted', null, 'This server has no call tracker API (GET /api/v1/call-records). Upgrade argos, or use Search.') : null);
}

// "20 answered · 10 busy · ..." — each a link that filters on that status.
function statusCounts(rows, st) {
  const counts = new Map();
  for (const c of rows) counts.set(c.status, (counts.get(c.status) || 0) + 1);
  const box = h('div.status-counts');
  for (const [v] of CALL_STATUSES) {
    const n = counts.get(v);
    if (!n) continue;
    box.append(h('a.count-link', { href: hashFromState({ ...st, status: [v] }), title: `Only ${v} calls` },
      callStatusBadge(v), h('span.count', null, n.toLocaleString())));
  }
  return box;
}

function buildForm(st) {
  const range = rangeControl();
  range.fill(st);
  const limitIn = h('input.num', { type: 'number', min: 1, max: 10000, step: 1, name: 'limit', value: st.limit, 'aria-label': 'Limit' });
  const inputs = {};
  const grid = h('div.fields');
  for (const [n, label, ph] of FILTERS) {
    inputs[n] = textInput(n, st.fields[n], ph);
    grid.append(field(label, inputs[n]));
  }
  const chips = h('div.chips', { role: 'group', 'aria-label': 'Status' },
    h('span.chips-label', null, 'Status'),
    CALL_STATUSES.map(([v, label, cls]) => h('label.chip', { title: `Show ${label} calls` },
      h('input', { type: 'checkbox', name: 'status', value: v, checked: st.status.includes(v) }),
      h(`span.${cls}`, null, label))),
    h('span.muted.small', null, 'none checked = any'));

  const form = h('form.toolbar', {
    autocomplete: 'off',
    onsubmit: (ev) => {
      ev.preventDefault();
      const next = {
        ...range.read(),
        limit: String(Math.max(1, Math.min(10000, Number(limitIn.value) || Number(DEFAULT_LIMIT)))),
        status: [...form.querySelectorAll('input[name=status]:checked')].map((i) => i.value),
        fields: {},
      };
      for (const [n] of FILTERS) if (inputs[n].value.trim()) next.fields[n] = inputs[n].value.trim();
      const hash = hashFromState(next);
      if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
      else location.hash = hash;
    },
  },
  h('div.row', null,
    h('h1.page-title', null, 'Calls'),
    ...range.nodes,
    h('label.inline', null, h('span', null, 'Limit'), limitIn),
    h('span.spacer'),
    h('a.button', { href: '#/calls', title: 'Clear all filters' }, 'Clear'),
    h('button.primary', { type: 'submit' }, 'Show')),
  grid,
  chips);
  // A status chip applies at once (like a filter toggle), the text fields on Enter.
  chips.addEventListener('change', () => form.requestSubmit());
  return form;
}
