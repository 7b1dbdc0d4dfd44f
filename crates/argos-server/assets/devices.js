// Devices page: registration bindings (GET /api/v1/registrations), latest state per AOR + contact.
import { h, clear, tzLabel, fmtDateTime, fmtShort, fmtSpan, fmtAgo, regStatusBadge, REG_STATUSES, num } from './dom.js';
import { api, qs } from './api.js';
import { rangeFromQuery, rangeToQuery, rangeApiParams, rangeControl } from './range.js';
import { dataTable, inlineField, textInput, selectInput, summaryLine } from './table.js';
import { LAST_SEARCH_KEY } from './search.js';

const DEFAULT_LIMIT = '500';

function stateFromQuery(q) {
  const status = q.get('status') || '';
  return {
    ...rangeFromQuery(q, '24h'),
    aor: q.get('aor') || '',
    status: REG_STATUSES.some(([v]) => v === status) ? status : '',
    limit: q.get('limit') || DEFAULT_LIMIT,
  };
}

function hashFromState(st) {
  const u = new URLSearchParams();
  rangeToQuery(u, st);
  if (st.aor) u.set('aor', st.aor);
  if (st.status) u.set('status', st.status);
  if (st.limit && st.limit !== DEFAULT_LIMIT) u.set('limit', st.limit);
  return '#/devices?' + u.toString();
}

// A bare user or domain finds more than an exact AOR: "1001" -> "1001@*", "@example.com" -> "*@example.com".
function aorPattern(v) {
  const t = v.trim();
  if (!t || t.includes('*')) return t;
  if (t.startsWith('@')) return `*${t}`;
  if (!t.includes('@')) return `${t}@*`;
  return t;
}

// The status to show: a "registered" binding whose expiry has passed with no refresh seen is expired.
function shownStatus(reg, nowUs = Date.now() * 1000) {
  if (reg.status === 'registered' && num(reg.expires_at_us) !== null && reg.expires_at_us < nowUs) return 'expired';
  return reg.status;
}

function statusCell(reg) {
  const shown = shownStatus(reg);
  const b = regStatusBadge(shown);
  if (shown !== reg.status) b.title = `Registered until ${fmtDateTime(reg.expires_at_us)}; no refresh seen since`;
  return b;
}

// Seconds left on a registration, from expires_at_us (negative: expired that long ago).
function secondsLeft(reg, nowUs) {
  return num(reg.expires_at_us) === null ? null : (reg.expires_at_us - nowUs) / 1e6;
}

function expiresText(reg, nowUs) {
  const left = secondsLeft(reg, nowUs);
  if (left === null) return reg.status === 'unregistered' ? 'unregistered' : '';
  if (reg.status === 'unregistered') return '—';
  if (left <= 0) return `expired ${fmtSpan(-left).replace(/ \d+ s$/, '')} ago`;
  return fmtSpan(left);
}

function whenCell(us) {
  if (num(us) === null || us <= 0) return '';
  return h('span', { title: `${fmtDateTime(us)} (${fmtAgo(us)})` }, fmtShort(us));
}

const COLS = [
  { key: 'aor', label: 'AOR', get: (r) => r.aor || '', cls: 'mono clip-m' },
  { key: 'contact', label: 'Contact', get: (r) => r.contact || '', cls: 'mono clip-s' },
  { key: 'src', label: 'Source', get: (r) => r.src || '', cls: 'mono nowrap' },
  { key: 'ua', label: 'User-Agent', get: (r) => r.user_agent || '', cls: 'clip-m' },
  { key: 'status', label: 'Status', get: (r) => REG_STATUSES.findIndex(([v]) => v === shownStatus(r)), render: statusCell, cls: 'nowrap' },
  {
    key: 'expires', label: 'Expires in', cls: 'num nowrap expires',
    get: (r) => num(r.expires_at_us),
    render: (r) => h('span', { dataset: { exp: num(r.expires_at_us) === null ? '' : String(r.expires_at_us) }, class: 'countdown' }, expiresText(r, Date.now() * 1000)),
    title: (r) => [r.expires_s ? `Granted ${r.expires_s} s` : '', num(r.expires_at_us) !== null ? `until ${fmtDateTime(r.expires_at_us)}` : ''].filter(Boolean).join(', '),
  },
  { key: 'ok', label: () => `Last OK (${tzLabel()})`, get: (r) => num(r.last_success_us), render: (r) => whenCell(r.last_success_us), cls: 'mono nowrap' },
  {
    key: 'fail', label: 'Last failure', get: (r) => num(r.last_failure_us), cls: 'mono nowrap',
    render: (r) => (num(r.last_failure_us) && r.last_failure_us > 0
      ? [r.last_failure_code ? h('span.code-bad', null, String(r.last_failure_code)) : null, ' ', whenCell(r.last_failure_us)]
      : ''),
  },
  {
    key: 'attempts', label: 'Att / Chal / Fail', help: 'REGISTER transactions / 401-407 challenges / failures (a challenge is not a failure)',
    get: (r) => num(r.attempts), cls: 'num nowrap',
    render: (r) => [String(r.attempts ?? '?'), h('span.muted', null, ' / '), String(r.challenges ?? '?'), h('span.muted', null, ' / '),
      r.failures ? h('span.code-bad', null, String(r.failures)) : String(r.failures ?? '?')],
  },
  { key: 'last', label: 'Last seen', get: (r) => num(r.last_us), render: (r) => whenCell(r.last_us), cls: 'mono nowrap' },
];

export async function renderDevices(root, r, ctx) {
  const st = stateFromQuery(r.query);
  document.title = 'Devices · Argos';
  sessionStorage.setItem(LAST_SEARCH_KEY, location.hash);
  clear(root);
  const results = h('section.results', { 'aria-live': 'polite' }, h('div.empty.muted', null, 'Loading registrations…'));
  root.append(buildForm(st), results);

  // "expired" also covers bindings still marked registered whose expiry has passed: those are
  // filtered here, on the status shown, rather than by the server.
  const p = { ...rangeApiParams(st), limit: st.limit, aor: aorPattern(st.aor), status: st.status === 'expired' ? '' : st.status };
  const t0 = performance.now();
  let data;
  try {
    data = await api(`/api/v1/registrations?${qs(p)}`, { signal: ctx.signal });
  } catch (e) {
    if (e && e.name !== 'AbortError') {
      clear(results).append(h('div.empty.error', null, h('p', null, 'Loading registrations failed: ', e.message || String(e))));
    }
    throw e;
  }
  if (ctx.signal.aborted) return;
  const all = (data && Array.isArray(data.registrations)) ? data.registrations : [];
  const rows = st.status ? all.filter((x) => shownStatus(x) === st.status) : all;
  if (!rows.length) {
    clear(results).append(h('div.empty', null,
      h('p', null, 'No registrations match in this time range.'),
      h('p.muted', null, 'A binding is listed when a REGISTER for it was seen in the range.'),
      st.range !== 'all' ? h('p', null, h('a.button', { href: hashFromState({ ...st, range: 'all', since: '', until: '' }) }, 'Show all time instead')) : null));
    return;
  }
  const table = dataTable(COLS, {
    sortKey: 'last', sortDir: -1, cls: 'registrations',
    // The REGISTER dialog's messages open in the call view.
    href: (reg) => (reg.call_id ? `#/call/${encodeURIComponent(reg.call_id)}` : null),
  });
  table.setRows(rows);
  const counts = h('div.status-counts');
  for (const [v] of REG_STATUSES) {
    const n = rows.filter((x) => shownStatus(x) === v).length;
    if (n) counts.append(h('a.count-link', { href: hashFromState({ ...st, status: v }), title: `Only ${v}` }, regStatusBadge(v), h('span.count', null, n.toLocaleString())));
  }
  clear(results).append(
    h('div.summary-wrap', null, summaryLine(rows.length, rows.length === 1 ? 'binding' : 'bindings', Number(st.limit), performance.now() - t0), counts),
    h('div.table-wrap', null, table.el));

  // Countdowns tick every second (text only: no re-render, no refetch).
  const timer = setInterval(() => {
    const now = Date.now() * 1000;
    for (const el of table.el.querySelectorAll('span.countdown')) {
      const tr = el.closest('tr');
      if (tr && tr._row) el.textContent = expiresText(tr._row, now);
    }
  }, 1000);
  ctx.onCleanup(() => clearInterval(timer));
}

function buildForm(st) {
  const range = rangeControl();
  range.fill(st);
  const aorIn = textInput('aor', st.aor, 'e.g. 1001, 10*, @example.com');
  const statusSel = selectInput('status', [['', 'any'], ...REG_STATUSES.map(([v, l]) => [v, l])], st.status);
  const limitIn = h('input.num', { type: 'number', min: 1, max: 10000, step: 1, name: 'limit', value: st.limit, 'aria-label': 'Limit' });
  const form = h('form.toolbar', {
    autocomplete: 'off',
    onsubmit: (ev) => {
      ev.preventDefault();
      const hash = hashFromState({
        ...range.read(), aor: aorIn.value.trim(), status: statusSel.value,
        limit: String(Math.max(1, Math.min(10000, Number(limitIn.value) || Number(DEFAULT_LIMIT)))),
      });
      if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
      else location.hash = hash;
    },
  },
  h('div.row', null,
    h('h1.page-title', null, 'Devices'),
    ...range.nodes,
    inlineField('AOR', aorIn),
    inlineField('Status', statusSel),
    h('label.inline', null, h('span', null, 'Limit'), limitIn),
    h('span.spacer'),
    h('a.button', { href: '#/devices', title: 'Clear all filters' }, 'Clear'),
    h('button.primary', { type: 'submit' }, 'Show')));
  statusSel.addEventListener('change', () => form.requestSubmit());
  return form;
}
