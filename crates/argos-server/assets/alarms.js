// Alarms page: what the tracker's rules raised (GET /api/v1/alarms), newest first; a row expands
// to its evidence, each line linking to its call.
import { h, clear, tzLabel, fmtDateTime, fmtDateTimeUs, fmtAgo, num } from './dom.js';
import { api, qs } from './api.js';
import { rangeFromQuery, rangeToQuery, rangeApiParams, rangeControl } from './range.js';
import { dataTable, inlineField, selectInput, summaryLine } from './table.js';
import { LAST_SEARCH_KEY } from './search.js';

export const ALARM_KINDS = [
  ['scanner', 'Scanner'],
  ['sql_injection', 'SQL injection'],
  ['loop', 'Loop'],
  ['flood', 'Flood'],
  ['error_spike', 'Error spike'],
  ['registration_failures', 'Registration failures'],
];
const SEVERITY = { critical: ['cs-bad', 3], warning: ['cs-warn', 2], info: ['cs-live', 1] };
const DEFAULT_LIMIT = '200';

function stateFromQuery(q) {
  const kind = q.get('kind') || '';
  return {
    ...rangeFromQuery(q, '24h'),
    kind: ALARM_KINDS.some(([k]) => k === kind) ? kind : '',
    limit: q.get('limit') || DEFAULT_LIMIT,
  };
}

function hashFromState(st) {
  const u = new URLSearchParams();
  rangeToQuery(u, st);
  if (st.kind) u.set('kind', st.kind);
  if (st.limit && st.limit !== DEFAULT_LIMIT) u.set('limit', st.limit);
  return '#/alarms?' + u.toString();
}

const kindLabel = (k) => (ALARM_KINDS.find(([v]) => v === k) || [k, String(k || '')])[1];

export function severityBadge(sev) {
  const s = SEVERITY[sev];
  return h(`span.cstat.${s ? s[0] : 'cs-none'}`, { dataset: { severity: String(sev || '') } }, String(sev || '—'));
}

const COLS = [
  { key: 'severity', label: 'Severity', get: (a) => (SEVERITY[a.severity] || [0, 0])[1], render: (a) => [h('span.disclose', { 'aria-hidden': 'true' }), severityBadge(a.severity)], cls: 'nowrap' },
  { key: 'kind', label: 'Kind', get: (a) => kindLabel(a.kind), cls: 'nowrap' },
  { key: 'key', label: 'Key', get: (a) => a.key || '', cls: 'mono clip-m' },
  { key: 'first', label: () => `First seen (${tzLabel()})`, get: (a) => num(a.first_us), render: (a) => fmtDateTime(a.first_us), cls: 'mono nowrap' },
  { key: 'last', label: 'Last seen', get: (a) => num(a.last_us), render: (a) => h('span', { title: fmtAgo(a.last_us) }, fmtDateTime(a.last_us)), cls: 'mono nowrap' },
  { key: 'count', label: 'Count', get: (a) => num(a.count), render: (a) => (num(a.count) === null ? '' : a.count.toLocaleString()), cls: 'num' },
  { key: 'summary', label: 'Summary', get: (a) => a.summary || '', cls: 'wrap' },
];

function evidence(a) {
  const list = Array.isArray(a.evidence) ? a.evidence : [];
  if (!list.length) return h('div.evidence.muted', null, 'No evidence recorded for this alarm.');
  const frag = document.createDocumentFragment();
  for (const ev of list) {
    const link = ev.call_id ? `#/call/${encodeURIComponent(ev.call_id)}` : null;
    frag.append(h('li', null,
      h('span.mono.muted.nowrap', null, fmtDateTimeUs(ev.ts_us)),
      h('span.mono.nowrap', null, `${ev.src || '?'} → ${ev.dst || '?'}`),
      h('code.ev-line', null, ev.line || ''),
      link ? h('a.ev-call', { href: link, title: ev.call_id }, 'open call →') : h('span.muted.small', null, 'no Call-ID')));
  }
  return h('div.evidence', null,
    h('div.evidence-head', null, `Evidence (${list.length}${num(a.count) !== null && a.count > list.length ? ` of ${a.count.toLocaleString()}` : ''})`),
    h('ul.evidence-list', null, frag));
}

export async function renderAlarms(root, r, ctx) {
  const st = stateFromQuery(r.query);
  document.title = 'Alarms · Argos';
  sessionStorage.setItem(LAST_SEARCH_KEY, location.hash);
  clear(root);
  const results = h('section.results', { 'aria-live': 'polite' }, h('div.empty.muted', null, 'Loading alarms…'));
  root.append(buildForm(st), results);

  const t0 = performance.now();
  let data;
  try {
    data = await api(`/api/v1/alarms?${qs({ ...rangeApiParams(st), limit: st.limit, kind: st.kind })}`, { signal: ctx.signal });
  } catch (e) {
    if (e && e.name !== 'AbortError') {
      clear(results).append(h('div.empty.error', null, h('p', null, 'Loading alarms failed: ', e.message || String(e))));
    }
    throw e;
  }
  if (ctx.signal.aborted) return;
  const rows = (data && Array.isArray(data.alarms)) ? data.alarms : [];
  if (!rows.length) {
    clear(results).append(h('div.empty', null,
      h('p', null, st.kind ? `No ${kindLabel(st.kind).toLowerCase()} alarm in this time range.` : 'No alarm in this time range.'),
      h('p.muted', null, 'Alarms are raised for scanners, SQL injection attempts, loops, floods, error spikes and registration failure bursts.'),
      st.range !== 'all' ? h('p', null, h('a.button', { href: hashFromState({ ...st, range: 'all', since: '', until: '' }) }, 'Show all time instead')) : null));
    return;
  }
  const table = dataTable(COLS, { sortKey: 'last', sortDir: -1, cls: 'alarms', expand: evidence, rowClass: () => 'expandable' });
  table.setRows(rows);
  const counts = h('div.status-counts');
  for (const [k, label] of ALARM_KINDS) {
    const n = rows.filter((a) => a.kind === k).length;
    if (n) counts.append(h('a.count-link', { href: hashFromState({ ...st, kind: k }), title: `Only ${label.toLowerCase()} alarms` }, h('span.kind-chip', null, label), h('span.count', null, n.toLocaleString())));
  }
  clear(results).append(
    h('div.summary-wrap', null, summaryLine(rows.length, rows.length === 1 ? 'alarm' : 'alarms', Number(st.limit), performance.now() - t0,
      h('span.muted', null, ' · click a row for its evidence')), counts),
    h('div.table-wrap', null, table.el));
}

function buildForm(st) {
  const range = rangeControl();
  range.fill(st);
  const kindSel = selectInput('kind', [['', 'any'], ...ALARM_KINDS], st.kind);
  const limitIn = h('input.num', { type: 'number', min: 1, max: 10000, step: 1, name: 'limit', value: st.limit, 'aria-label': 'Limit' });
  const form = h('form.toolbar', {
    autocomplete: 'off',
    onsubmit: (ev) => {
      ev.preventDefault();
      const hash = hashFromState({
        ...range.read(), kind: kindSel.value,
        limit: String(Math.max(1, Math.min(10000, Number(limitIn.value) || Number(DEFAULT_LIMIT)))),
      });
      if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
      else location.hash = hash;
    },
  },
  h('div.row', null,
    h('h1.page-title', null, 'Alarms'),
    ...range.nodes,
    inlineField('Kind', kindSel),
    h('label.inline', null, h('span', null, 'Limit'), limitIn),
    h('span.spacer'),
    h('a.button', { href: '#/alarms', title: 'Clear all filters' }, 'Clear'),
    h('button.primary', { type: 'submit' }, 'Show')));
  kindSel.addEventListener('change', () => form.requestSubmit());
  return form;
}
