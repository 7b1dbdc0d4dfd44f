// Search page: form (state in the URL hash) + sortable results table.
import { h, clear, tzLabel, usOf, fmtDateTime, fmtDuration, statusClass, hostOf } from './dom.js';
import { api, qs } from './api.js';
import { rangeFromQuery, rangeToQuery, rangeApiParams, rangeControl } from './range.js';
import { savedPanel } from './saved.js';
import { hostLabel } from './aliases.js';

// Live mode: re-run the search this often, over the last N minutes.
const LIVE_EVERY_MS = 2000;
const LIVE_MINUTES = ['1', '5', '15', '60'];

export const LAST_SEARCH_KEY = 'argos.lastSearch';

const METHODS = ['INVITE', 'REGISTER', 'BYE', 'CANCEL', 'ACK', 'OPTIONS', 'PRACK', 'UPDATE', 'INFO', 'REFER',
  'NOTIFY', 'SUBSCRIBE', 'MESSAGE', 'PUBLISH'];

// Fields shown as fixed inputs, in form order: [name, label, placeholder].
const MAIN_FIELDS = [
  ['from_user', 'From user', 'e.g. 1001 or 10*'],
  ['to_user', 'To user', ''],
  ['ruri_user', 'R-URI user', ''],
  ['call_id', 'Call-ID', ''],
  ['method', 'Method', ''],
  ['status', 'Status', 'e.g. 486 or 5*'],
  ['src_ip', 'Source IP', ''],
  ['dst_ip', 'Destination IP', ''],
  ['user_agent', 'User-Agent', 'e.g. *Yealink*'],
  ['text', 'Text in message', 'any header or string, e.g. Q.850;cause=34'],
];

// Every filterable API field (docs/API.md).
export const API_FIELDS = ['method', 'status', 'reason', 'ruri', 'ruri_user', 'ruri_domain', 'from_user',
  'from_domain', 'from_tag', 'to_user', 'to_domain', 'to_tag', 'pai_user', 'contact_user', 'contact_ip',
  'auth_user', 'call_id', 'a_leg', 'call_key', 'via_branch', 'cseq_method', 'diversion_user', 'content_type',
  'user_agent', 'src_ip', 'dst_ip', 'src_port', 'dst_port', 'transport', 'proto', 'capture_id', 'node',
  'correlation_id', 'text'];
const EXTRA_FIELDS = API_FIELDS.filter((f) => !MAIN_FIELDS.some(([n]) => n === f));
const RESERVED = new Set(['mode', 'range', 'since', 'until', 'limit', 'live']);

// ---- search state <-> hash ----------------------------------------------------

function stateFromQuery(q) {
  const st = {
    mode: q.get('mode') === 'messages' ? 'messages' : 'calls',
    ...rangeFromQuery(q, '1h'),
    limit: q.get('limit') || '100',
    live: LIVE_MINUTES.includes(q.get('live')) ? q.get('live') : '',
    fields: {},
    extra: [],
  };
  for (const [k, v] of q.entries()) {
    if (RESERVED.has(k) || v === '') continue;
    if (MAIN_FIELDS.some(([n]) => n === k)) st.fields[k] = v;
    else st.extra.push([k, v]);
  }
  return st;
}

function hashFromState(st) {
  const u = new URLSearchParams();
  u.set('mode', st.mode);
  rangeToQuery(u, st);
  for (const [n] of MAIN_FIELDS) if (st.fields[n]) u.set(n, st.fields[n]);
  for (const [k, v] of st.extra) if (k && v !== '') u.append(k, v);
  if (st.limit && st.limit !== '100') u.set('limit', st.limit);
  if (st.live) u.set('live', st.live);
  return '#/search?' + u.toString();
}

function apiParams(st) {
  // Live: the last N minutes, whatever range the form shows.
  const p = st.live ? { since: Math.floor(Date.now() / 1000) - Number(st.live) * 60 } : rangeApiParams(st);
  p.limit = st.limit || 100;
  const u = new URLSearchParams(qs(p));
  // Filters apply to each message, and a reply has a status but no method: "INVITE + 487" means
  // replies to INVITE with 487, i.e. cseq_method=INVITE (method=INVITE&status=487 never matches).
  const replyTo = st.fields.method && st.fields.status && !st.extra.some(([k]) => k === 'cseq_method');
  // The API takes each parameter once (a repeat is refused): say so here, with the way out.
  const add = (k, v) => {
    if (u.has(k)) throw new Error(`"${k}" is given twice: a search takes one value per field; for several values use a regex (${k.replace(/~$/, '')}~ = a|b) or "match any" with different fields`);
    u.append(k, v);
  };
  for (const [n] of MAIN_FIELDS) {
    if (!st.fields[n]) continue;
    add(n === 'method' && replyTo ? 'cseq_method' : n, st.fields[n].trim());
  }
  for (const [k, v] of st.extra) if (k && v !== '') add(k, String(v).trim());
  return u.toString();
}

// ---- page ----------------------------------------------------------------------

let page = null; // { root, form, results, readForm, fillForm }

export async function renderSearch(root, r, ctx) {
  if (!page || page.root !== root || !root.contains(page.form)) page = buildPage(root);
  const st = stateFromQuery(r.query);
  page.fillForm(st);
  if (!r.hasQuery) {
    page.showIntro();
    return;
  }
  sessionStorage.setItem(LAST_SEARCH_KEY, location.hash);
  document.title = `Search · Argos`;
  page.showLoading();
  const run = async () => {
    const t0 = performance.now();
    const data = await api(`/api/v1/${st.mode}?${apiParams(st)}`, { signal: ctx.signal });
    const rows = (st.mode === 'calls' ? data && data.calls : data && data.messages) || [];
    return { rows, ms: performance.now() - t0, truncated: !!(data && data.candidates_truncated) };
  };
  let res;
  try {
    res = await run();
  } catch (e) {
    if (e && e.name !== 'AbortError') page.showFailure(e.message || String(e));
    throw e;
  }
  if (ctx.signal.aborted) return;
  const limit = Number(st.limit || 100);
  const table = page.showResults(st, res.rows, limit, res.ms, st.live ? null : (shown) => loadMore(st, shown, limit, ctx));
  table.truncated(res.truncated);
  if (!st.live) return;
  // Live: refresh in place (sort, filter and columns stay); rows not seen before are marked new.
  let timer = null;
  const tick = async () => {
    try {
      const next = await run();
      if (ctx.signal.aborted) return;
      table.update(next.rows, next.ms);
      table.truncated(next.truncated);
    } catch (e) {
      if (ctx.signal.aborted || (e && e.name === 'AbortError')) return;
      table.note(`live refresh failed: ${e && e.message ? e.message : e}`);
    }
    if (!ctx.signal.aborted) timer = setTimeout(tick, LIVE_EVERY_MS);
  };
  timer = setTimeout(tick, LIVE_EVERY_MS);
  ctx.onCleanup(() => clearTimeout(timer));
}

/** Most rows the API gives for one request (docs/API.md). */
const API_MAX_LIMIT = 10000;

/**
 * The next page after `shown` rows (in the API's order, oldest first): the rows it returns that are
 * not shown yet. Messages continue from the newest shown timestamp (rows of that instant come again
 * and are dropped by id); calls, whose order is that of their first matching message, are asked
 * again with a limit grown by one page, and the new call keys kept. When the message cursor makes
 * no progress (a full page of one instant) it falls back to the grown limit too.
 */
async function loadMore(st, shown, limit, ctx) {
  const base = new URLSearchParams(apiParams(st));
  const get = async (params) => {
    const data = await api(`/api/v1/${st.mode}?${params}`, { signal: ctx.signal });
    return (st.mode === 'calls' ? data && data.calls : data && data.messages) || [];
  };
  const known = new Set(shown.map((r) => rowKey(st, r)));
  const fresh = (rows) => rows.filter((r) => !known.has(rowKey(st, r)));
  if (st.mode === 'messages') {
    const times = shown.map((m) => usOf(m.ts_us, m.ts) ?? 0);
    const lastUs = Math.max(...times);
    // The shown rows of the last instant come again: ask for that many more.
    const want = Math.min(API_MAX_LIMIT, limit + times.filter((t) => t === lastUs).length);
    const u = new URLSearchParams(base);
    u.set('since', (lastUs / 1e6).toFixed(6));
    u.set('limit', String(want));
    const rows = await get(u.toString());
    const add = fresh(rows);
    if (add.length || rows.length < want) return { rows: add, more: rows.length >= want };
  }
  const grown = Math.min(API_MAX_LIMIT, shown.length + limit);
  if (grown <= shown.length) return { rows: [], more: false, capped: true };
  const u = new URLSearchParams(base);
  u.set('limit', String(grown));
  const rows = await get(u.toString());
  return { rows: fresh(rows), more: rows.length >= grown && grown < API_MAX_LIMIT, capped: grown >= API_MAX_LIMIT };
}

function buildPage(root) {
  clear(root);
  const form = h('form.search', { autocomplete: 'off', onsubmit: (ev) => { ev.preventDefault(); submit(); } });

  // mode toggle
  const modeCalls = h('input', { type: 'radio', name: 'mode', value: 'calls', checked: true });
  const modeMsgs = h('input', { type: 'radio', name: 'mode', value: 'messages' });
  const modeBox = h('div.seg', { role: 'radiogroup', 'aria-label': 'Result type' },
    h('label', null, modeCalls, h('span', null, 'Calls')),
    h('label', null, modeMsgs, h('span', null, 'Messages')));

  // time range
  const range = rangeControl();
  const limitIn = h('input.num', { type: 'number', min: 1, max: 10000, step: 1, name: 'limit', value: '100', 'aria-label': 'Limit' });
  const liveBox = h('input', { type: 'checkbox', name: 'live', onchange: () => submit() });
  const liveMin = h('select', { name: 'live_minutes', 'aria-label': 'Live window', onchange: () => { if (liveBox.checked) submit(); } },
    LIVE_MINUTES.map((m) => h('option', { value: m }, `last ${m} min`)));
  liveMin.value = '5';

  // main fields
  const inputs = {};
  const grid = h('div.fields');
  for (const [name, label, ph] of MAIN_FIELDS) {
    let input;
    if (name === 'method') {
      input = h('select', { name }, h('option', { value: '' }, 'any'), METHODS.map((m) => h('option', { value: m }, m)));
    } else {
      input = h('input', { name, placeholder: ph || '', spellcheck: 'false' });
    }
    inputs[name] = input;
    grid.append(h('label.field', null, h('span', null, label), input));
  }

  // extra filters
  const extraBox = h('div.extra');
  function addExtra(name = '', value = '') {
    const sel = h('select', { 'aria-label': 'Field' }, EXTRA_FIELDS.map((f) => h('option', { value: f }, f)));
    if (name && !EXTRA_FIELDS.includes(name)) sel.append(h('option', { value: name }, name));
    sel.value = name || EXTRA_FIELDS[0];
    const val = h('input', { 'aria-label': 'Value', value, placeholder: 'value or pattern*', spellcheck: 'false' });
    const row = h('div.extra-row', null, sel, h('span.muted', null, '='), val,
      h('button.icon', { type: 'button', title: 'Remove this filter', 'aria-label': 'Remove filter', onclick: () => row.remove() }, '×'));
    extraBox.append(row);
    return val;
  }
  const addBtn = h('button.linkish', { type: 'button', onclick: () => addExtra().focus() }, '+ more filters');

  const submitBtn = h('button.primary', { type: 'submit' }, 'Search');
  const resetBtn = h('button', {
    type: 'button',
    onclick: () => { location.hash = '#/search'; },
    title: 'Clear all filters',
  }, 'Clear');

  form.append(
    h('div.row', null,
      modeBox,
      ...range.nodes,
      h('label.inline', null, h('span', null, 'Limit'), limitIn),
      h('label.inline.live-toggle', { title: `Re-run this search every ${LIVE_EVERY_MS / 1000} s over the last minutes; new rows are highlighted` },
        liveBox, h('span', null, 'Live'), liveMin),
      h('span.spacer'),
      resetBtn, submitBtn),
    grid,
    h('div.row', null, extraBox, addBtn,
      h('span.muted.small.hint', null, 'Exact match; use * as a wildcard (10*, *@example.com). All filters must match. Enter searches.')),
  );

  const results = h('section.results', { 'aria-live': 'polite' });
  const shareBtn = h('button', { type: 'button', title: 'Copy a link that opens this search (for a colleague or a ticket)' }, 'Copy link');
  shareBtn.addEventListener('click', () => shareLink(hashFromState(readForm()), shareBtn));
  const tools = h('div.search-tools', null, savedPanel(() => hashFromState(readForm())), shareBtn);
  root.append(form, tools, results);

  function readForm() {
    const st = {
      mode: modeMsgs.checked ? 'messages' : 'calls',
      ...range.read(),
      limit: String(Math.max(1, Math.min(10000, Number(limitIn.value) || 100))),
      live: liveBox.checked ? liveMin.value : '',
      fields: {}, extra: [],
    };
    for (const [n] of MAIN_FIELDS) {
      const v = inputs[n].value.trim();
      if (v) st.fields[n] = v;
    }
    for (const row of extraBox.children) {
      const [sel, , val] = row.children;
      if (val.value.trim()) st.extra.push([sel.value, val.value.trim()]);
    }
    return st;
  }

  function submit() {
    const st = readForm();
    const hash = hashFromState(st);
    if (location.hash === hash) {
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    } else {
      location.hash = hash;
    }
  }

  function fillForm(st) {
    modeCalls.checked = st.mode === 'calls';
    modeMsgs.checked = st.mode === 'messages';
    range.fill(st);
    limitIn.value = st.limit;
    liveBox.checked = !!st.live;
    if (st.live) liveMin.value = st.live;
    for (const [n] of MAIN_FIELDS) inputs[n].value = st.fields[n] || '';
    clear(extraBox);
    for (const [k, v] of st.extra) addExtra(k, v);
  }

  function setResults(...nodes) { clear(results); results.append(...nodes); }

  return {
    root, form,
    readForm, fillForm,
    showIntro() {
      setResults(h('div.empty', null,
        h('p', null, 'Set a time range and some filters, then press Search (or Enter).'),
        h('p.muted', null, 'Tip: search by number with From user / To user, or paste a Call-ID.')));
      inputs.from_user.focus();
    },
    showLoading() {
      const old = results.querySelector('table');
      if (old) old.classList.add('stale');
      else setResults(h('div.empty.muted', null, 'Searching…'));
    },
    showFailure(msg) {
      setResults(h('div.empty.error', null, h('p', null, 'Search failed: ', msg)));
    },
    showResults(st, rows, limit, ms, loadMore) {
      const t = resultsTable(st, rows, limit, ms, loadMore);
      setResults(t.el);
      return t;
    },
  };
}

// ---- results table ---------------------------------------------------------------

function statusCell(status, reason) {
  if (!status) return h('span.status.st-none', null, '—');
  return h(`span.status.${statusClass(status)}`, { title: reason || '' }, String(status));
}

const CALL_COLS = [
  { key: 'time', label: () => `Time (${tzLabel()})`, get: (c) => usOf(c.first_ts_us, c.first_ts), render: (c) => fmtDateTime(usOf(c.first_ts_us, c.first_ts)), cls: 'mono nowrap' },
  { key: 'from', label: 'From', get: (c) => c.from_user || '', cls: 'mono' },
  { key: 'to', label: 'To', get: (c) => c.to_user || '', cls: 'mono' },
  { key: 'ruri', label: 'R-URI user', get: (c) => c.ruri_user || '', cls: 'mono' },
  { key: 'method', label: 'Method', get: (c) => c.method || '' },
  { key: 'status', label: 'Status', get: (c) => Number(c.status) || 0, render: (c) => statusCell(c.status) },
  { key: 'legs', label: 'Legs', get: (c) => Number(c.legs) || 0, cls: 'num' },
  { key: 'messages', label: 'Msgs', get: (c) => Number(c.messages) || 0, cls: 'num' },
  {
    key: 'duration', label: 'Duration', cls: 'num nowrap',
    get: (c) => (usOf(c.last_ts_us, c.last_ts) ?? 0) - (usOf(c.first_ts_us, c.first_ts) ?? 0),
    render: (c) => fmtDuration((usOf(c.last_ts_us, c.last_ts) ?? 0) - (usOf(c.first_ts_us, c.first_ts) ?? 0)),
  },
  { key: 'callid', label: 'Call-ID', get: (c) => (c.call_ids && c.call_ids[0]) || c.call_key || '', cls: 'mono clip' },
];

const MSG_COLS = [
  { key: 'time', label: () => `Time (${tzLabel()})`, get: (m) => usOf(m.ts_us, m.ts), render: (m) => fmtDateTime(usOf(m.ts_us, m.ts)), cls: 'mono nowrap' },
  {
    key: 'path', label: 'Source → Destination', cls: 'mono nowrap',
    get: (m) => `${hostLabel(hostOf(m.src_ip, m.src_port))} → ${hostLabel(hostOf(m.dst_ip, m.dst_port))}`,
  },
  {
    key: 'what', label: 'Method / Status', cls: 'nowrap',
    get: (m) => m.method || String(m.status || ''),
    render: (m) => (m.method
      ? h('span.method', null, m.method)
      : m.status ? [statusCell(m.status, m.reason), ' ', h('span.muted', null, m.reason || '')]
        : h('span.muted', null, m.proto_name || '')),
  },
  { key: 'from', label: 'From', get: (m) => m.from_user || '', cls: 'mono' },
  { key: 'to', label: 'To', get: (m) => m.to_user || '', cls: 'mono' },
  { key: 'callid', label: 'Call-ID', get: (m) => m.call_id || m.call_key || '', cls: 'mono clip' },
  { key: 'ua', label: 'User-Agent', get: (m) => m.user_agent || '', cls: 'clip' },
];

function rowLink(st, row) {
  if (st.mode === 'calls') {
    const id = (row.call_ids && row.call_ids[0]) || row.call_key;
    return id ? `#/call/${encodeURIComponent(id)}` : null;
  }
  const id = row.call_id || row.call_key;
  return id ? `#/call/${encodeURIComponent(id)}${row.id !== undefined ? `?msg=${encodeURIComponent(row.id)}` : ''}` : null;
}

// Optional columns, hidden until chosen in the column chooser.
CALL_COLS.push(
  { key: 'end', label: () => `End (${tzLabel()})`, optional: true, get: (c) => usOf(c.last_ts_us, c.last_ts), render: (c) => fmtDateTime(usOf(c.last_ts_us, c.last_ts)), cls: 'mono nowrap' },
  { key: 'callkey', label: 'Call key', optional: true, get: (c) => c.call_key || '', cls: 'mono clip' },
);
MSG_COLS.push(
  { key: 'ruri', label: 'R-URI', optional: true, get: (m) => m.ruri || '', cls: 'mono clip' },
  { key: 'cseq', label: 'CSeq', optional: true, get: (m) => (m.cseq_num ? `${m.cseq_num} ${m.cseq_method || ''}`.trim() : ''), cls: 'mono nowrap' },
  { key: 'transport', label: 'Transport', optional: true, get: (m) => (m.transport || '').toUpperCase() },
  { key: 'size', label: 'Size', optional: true, get: (m) => Number(m.size) || 0, cls: 'num' },
  { key: 'node', label: 'Node', optional: true, get: (m) => m.node || '' },
);

const colsKey = (mode) => `argos.columns.${mode}`;

// Visible column keys for a mode: the saved choice, else every non-optional column.
function visibleCols(mode, cols) {
  try {
    const v = JSON.parse(localStorage.getItem(colsKey(mode)) || 'null');
    if (Array.isArray(v)) {
      const keep = cols.filter((c) => v.includes(c.key)).map((c) => c.key);
      if (keep.length) return keep;
    }
  } catch { /* default below */ }
  return cols.filter((c) => !c.optional).map((c) => c.key);
}

// Identity of a row across live refreshes.
function rowKey(st, r) {
  return st.mode === 'calls' ? String(r.call_key || (r.call_ids && r.call_ids[0]) || '') : String(r.id ?? '');
}

async function shareLink(hash, btn) {
  const url = `${location.origin}${location.pathname}${hash}`;
  let ok = false;
  try { await navigator.clipboard.writeText(url); ok = true; } catch { ok = false; }
  btn.dataset.url = url;
  const old = btn.textContent;
  btn.textContent = ok ? 'Link copied' : 'Copy failed: see the address bar';
  if (!ok && location.hash !== hash) location.hash = hash;
  setTimeout(() => { btn.textContent = old; }, 1500);
}

// Returns { el, update(rows, ms), note(text) }: sort, quick filter and columns survive live updates.
function resultsTable(st, rows, limit, ms, loadMore) {
  const allCols = st.mode === 'calls' ? CALL_COLS : MSG_COLS;
  const nounOf = (n) => (st.mode === 'calls' ? (n === 1 ? 'call' : 'calls') : (n === 1 ? 'message' : 'messages'));
  const countEl = h('strong.counts');
  const timing = h('span.muted');
  const liveEl = h('span.live-note');
  const limitEl = h('span.warn');
  const truncEl = h('span.warn', { hidden: true },
    ' · the OR / regex / type filters looked at the first 100,000 candidates only: more may match; narrow the time range or add a field filter');
  const summary = h('div.summary', null, countEl, timing, liveEl, limitEl, truncEl);
  const wrap = h('div.results-body');
  const el = h('div', null, summary, wrap);
  let shown = visibleCols(st.mode, allCols);
  let filterText = '';
  let fresh = new Set();
  let known = new Set(rows.map((r) => rowKey(st, r)));
  let sortKey = 'time';
  let sortDir = st.live ? -1 : 1; // live: newest on top

  const quick = h('input.quick-filter', {
    type: 'search', placeholder: 'Filter shown rows…', 'aria-label': 'Filter the rows shown', spellcheck: 'false',
    oninput: () => { filterText = quick.value.trim().toLowerCase(); fill(); },
  });
  const chooser = h('details.columns.dropdown', null, h('summary', { title: 'Choose the columns' }, 'Columns'),
    h('div.dropdown-body', null, allCols.map((c) => h('label.col-choice', null,
      h('input', {
        type: 'checkbox', value: c.key, checked: shown.includes(c.key),
        onchange: (ev) => {
          const on = ev.target.checked;
          const next = allCols.filter((x) => (x.key === c.key ? on : shown.includes(x.key))).map((x) => x.key);
          if (!next.length) { ev.target.checked = true; return; }
          shown = next;
          localStorage.setItem(colsKey(st.mode), JSON.stringify(shown));
          build();
        },
      }),
      ' ', typeof c.label === 'function' ? c.label() : c.label))));
  const tableTools = h('div.table-tools', null, quick, chooser);

  const tbody = h('tbody');
  let ths = [];
  let cols = [];
  const thead = h('thead');

  function sortBy(key) {
    if (sortKey === key) sortDir = -sortDir; else { sortKey = key; sortDir = 1; }
    fill();
  }

  function build() {
    cols = allCols.filter((c) => shown.includes(c.key));
    if (!cols.some((c) => c.key === sortKey)) sortKey = cols[0].key;
    ths = cols.map((c) => {
      const btn = h('button.sort', { type: 'button', onclick: () => sortBy(c.key) },
        typeof c.label === 'function' ? c.label() : c.label, h('span.arrow'));
      return h(`th${c.cls && c.cls.includes('num') ? '.num' : ''}`, { 'aria-sort': 'none', dataset: { key: c.key } }, btn);
    });
    clear(thead).append(h('tr', null, ths));
    fill();
  }

  const rowText = (r) => allCols.map((c) => String(c.get(r) ?? '')).join('\u0001').toLowerCase()
    + (st.mode === 'calls' ? `\u0001${(r.call_ids || []).join(' ')}`.toLowerCase() : '');

  function fill() {
    const col = cols.find((c) => c.key === sortKey) || cols[0];
    const kept = rows.map((r, i) => [r, i]).filter(([r]) => !filterText || rowText(r).includes(filterText));
    kept.sort((a, b) => {
      const va = col.get(a[0]); const vb = col.get(b[0]);
      let d;
      if (typeof va === 'number' && typeof vb === 'number') d = va - vb;
      else d = String(va ?? '').localeCompare(String(vb ?? ''), undefined, { numeric: true, sensitivity: 'base' });
      return d * sortDir || a[1] - b[1];
    });
    for (const th of ths) {
      const on = th.dataset.key === sortKey;
      th.setAttribute('aria-sort', on ? (sortDir > 0 ? 'ascending' : 'descending') : 'none');
      th.querySelector('.arrow').textContent = on ? (sortDir > 0 ? ' ▲' : ' ▼') : '';
    }
    const frag = document.createDocumentFragment();
    for (const [r] of kept) {
      const link = rowLink(st, r);
      const tr = h(`tr${fresh.has(rowKey(st, r)) ? '.new' : ''}`, { tabindex: 0, dataset: link ? { href: link } : {} });
      cols.forEach((c, i) => {
        const v = c.render ? c.render(r) : c.get(r);
        const td = h(`td${c.cls ? '.' + c.cls.split(' ').join('.') : ''}`);
        if (i === 0 && link) td.append(h('a', { href: link, tabindex: -1 }, v));
        else td.append(...(Array.isArray(v) ? v : [v]));
        if (c.cls && c.cls.includes('clip')) td.title = String(c.get(r));
        tr.append(td);
      });
      frag.append(tr);
    }
    clear(tbody).append(frag);
    countEl.textContent = kept.length === rows.length
      ? `${rows.length.toLocaleString()} ${nounOf(rows.length)}`
      : `${kept.length.toLocaleString()} shown / ${rows.length.toLocaleString()} ${nounOf(rows.length)} returned`;
    noMatch.hidden = !(rows.length && !kept.length);
  }

  // More rows may exist while every request so far came back full.
  let more = rows.length >= limit;
  function head(n, t) {
    timing.textContent = ` · ${Math.round(t)} ms`;
    limitEl.textContent = more && !loadMore ? ` · limit of ${limit} reached: narrow the time range or filters, or raise the limit` : '';
  }

  const moreNote = h('span.muted.small');
  const moreBtn = h('button.load-more', {
    type: 'button',
    onclick: async () => {
      moreBtn.disabled = true;
      moreNote.textContent = ' loading…';
      const t0 = performance.now();
      try {
        const page = await loadMore(rows);
        const keys = page.rows.map((r) => rowKey(st, r));
        for (const k of keys) known.add(k);
        fresh = new Set(keys);
        rows = rows.concat(page.rows);
        more = page.more;
        show(performance.now() - t0);
        moreNote.textContent = page.capped ? ` the API gives at most ${API_MAX_LIMIT.toLocaleString()} rows: narrow the search for more`
          : ` ${page.rows.length.toLocaleString()} more loaded`;
      } catch (e) {
        if (e && e.name === 'AbortError') return;
        moreNote.textContent = ` loading more failed: ${e && e.message ? e.message : e}`;
      } finally {
        moreBtn.disabled = false;
      }
    },
  }, `Load ${limit.toLocaleString()} more`);
  const moreBox = h('div.load-more-box', null, moreBtn, moreNote);
  function showMore() {
    moreBox.hidden = !loadMore || !more;
  }

  const open = (ev) => {
    const tr = ev.target.closest('tr[data-href]');
    if (!tr) return;
    if (ev.target.closest('a')) return; // the link itself navigates (and supports new tab)
    if (window.getSelection && String(window.getSelection()).length) return; // user is selecting text
    location.hash = tr.dataset.href;
  };
  tbody.addEventListener('click', open);
  tbody.addEventListener('keydown', (ev) => {
    const tr = ev.target.closest('tr');
    if (!tr) return;
    if (ev.key === 'Enter') { ev.preventDefault(); if (tr.dataset.href) location.hash = tr.dataset.href; }
    else if (ev.key === 'ArrowDown' && tr.nextElementSibling) { ev.preventDefault(); tr.nextElementSibling.focus(); }
    else if (ev.key === 'ArrowUp' && tr.previousElementSibling) { ev.preventDefault(); tr.previousElementSibling.focus(); }
  });

  const table = h(`table.grid.${st.mode}`, null, thead, tbody);
  const noMatch = h('div.empty.muted', { hidden: true }, 'No shown row matches the quick filter.');
  const tableBox = h('div', null, tableTools, h('div.table-wrap', null, table), noMatch, moreBox);

  function emptyBox() {
    const wider = st.range === 'all' || st.live ? null
      : h('p', null, h('a.button', { href: hashFromState({ ...st, range: 'all', since: '', until: '' }) }, 'Search all time instead'));
    return h('div.empty', null,
      h('p', null, st.live ? `No ${st.mode} in the last ${st.live} min yet: waiting for new ones…`
        : `No ${st.mode} match these filters in this time range.`),
      st.live ? null : h('p.muted', null, 'Try a wider time range (imported captures keep their original timestamps), fewer filters, or a * wildcard (e.g. 1001*).'),
      wider);
  }

  function show(t) {
    head(rows.length, t);
    showMore();
    if (!rows.length) {
      countEl.textContent = `0 ${nounOf(0)}`;
      clear(wrap).append(emptyBox());
      return;
    }
    if (!wrap.contains(tableBox)) clear(wrap).append(tableBox);
    fill();
  }

  build();
  show(ms);
  if (st.live) liveEl.textContent = ` · live, last ${st.live} min, every ${LIVE_EVERY_MS / 1000} s`;

  return {
    el,
    update(next, t) {
      const keys = next.map((r) => rowKey(st, r));
      fresh = new Set(keys.filter((k) => !known.has(k)));
      known = new Set(keys);
      rows = next;
      more = next.length >= limit;
      show(t);
      const now = new Date();
      liveEl.textContent = ` · live, last ${st.live} min · updated ${now.toLocaleTimeString()}${fresh.size ? ` · ${fresh.size} new` : ''}`;
    },
    note(text) { liveEl.textContent = ` · ${text}`; },
    /** The API said the extras chose from a cut candidate list (`candidates_truncated`). */
    truncated(on) { truncEl.hidden = !on; },
  };
}
