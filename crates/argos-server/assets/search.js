// Search page: form (state in the URL hash) + sortable results table.
import { h, clear, tzLabel, usOf, fmtDateTime, fmtDuration, statusClass, hostOf } from './dom.js';
import { api, qs } from './api.js';
import { rangeFromQuery, rangeToQuery, rangeApiParams, rangeControl } from './range.js';

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
const RESERVED = new Set(['mode', 'range', 'since', 'until', 'limit']);

// ---- search state <-> hash ----------------------------------------------------

function stateFromQuery(q) {
  const st = {
    mode: q.get('mode') === 'messages' ? 'messages' : 'calls',
    ...rangeFromQuery(q, '1h'),
    limit: q.get('limit') || '100',
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
  return '#/search?' + u.toString();
}

function apiParams(st) {
  const p = rangeApiParams(st);
  p.limit = st.limit || 100;
  const u = new URLSearchParams(qs(p));
  // Filters apply to each message, and a reply has a status but no method: "INVITE + 487" means
  // replies to INVITE with 487, i.e. cseq_method=INVITE (method=INVITE&status=487 never matches).
  const replyTo = st.fields.method && st.fields.status && !st.extra.some(([k]) => k === 'cseq_method');
  for (const [n] of MAIN_FIELDS) {
    if (!st.fields[n]) continue;
    u.append(n === 'method' && replyTo ? 'cseq_method' : n, st.fields[n].trim());
  }
  for (const [k, v] of st.extra) if (k && v !== '') u.append(k, String(v).trim());
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
  const url = `/api/v1/${st.mode}?${apiParams(st)}`;
  const t0 = performance.now();
  let data;
  try {
    data = await api(url, { signal: ctx.signal });
  } catch (e) {
    if (e && e.name !== 'AbortError') page.showFailure(e.message || String(e));
    throw e;
  }
  if (ctx.signal.aborted) return;
  const rows = (st.mode === 'calls' ? data && data.calls : data && data.messages) || [];
  page.showResults(st, rows, Number(st.limit || 100), performance.now() - t0);
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
      h('span.spacer'),
      resetBtn, submitBtn),
    grid,
    h('div.row', null, extraBox, addBtn,
      h('span.muted.small.hint', null, 'Exact match; use * as a wildcard (10*, *@example.com). All filters must match. Enter searches.')),
  );

  const results = h('section.results', { 'aria-live': 'polite' });
  root.append(form, results);

  function readForm() {
    const st = {
      mode: modeMsgs.checked ? 'messages' : 'calls',
      ...range.read(),
      limit: String(Math.max(1, Math.min(10000, Number(limitIn.value) || 100))),
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
    showResults(st, rows, limit, ms) {
      setResults(resultsTable(st, rows, limit, ms));
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
    get: (m) => `${hostOf(m.src_ip, m.src_port)} → ${hostOf(m.dst_ip, m.dst_port)}`,
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

function resultsTable(st, rows, limit, ms) {
  const cols = st.mode === 'calls' ? CALL_COLS : MSG_COLS;
  const noun = st.mode === 'calls' ? (rows.length === 1 ? 'call' : 'calls') : (rows.length === 1 ? 'message' : 'messages');
  const summary = h('div.summary', null,
    h('strong', null, `${rows.length.toLocaleString()} ${noun}`),
    h('span.muted', null, ` · ${Math.round(ms)} ms`),
    rows.length >= limit ? h('span.warn', null, ` · limit of ${limit} reached: narrow the time range or filters, or raise the limit`) : null);
  if (!rows.length) {
    const wider = st.range === 'all' ? null
      : h('p', null, h('a.button', { href: hashFromState({ ...st, range: 'all', since: '', until: '' }) }, 'Search all time instead'));
    return h('div', null, summary, h('div.empty', null,
      h('p', null, `No ${st.mode} match these filters in this time range.`),
      h('p.muted', null, 'Try a wider time range (imported captures keep their original timestamps), fewer filters, or a * wildcard (e.g. 1001*).'),
      wider));
  }

  let sortKey = 'time';
  let sortDir = 1;
  const tbody = h('tbody');
  const ths = cols.map((c) => {
    const btn = h('button.sort', { type: 'button', onclick: () => sortBy(c.key) },
      typeof c.label === 'function' ? c.label() : c.label, h('span.arrow'));
    return h(`th${c.cls && c.cls.includes('num') ? '.num' : ''}`, { 'aria-sort': 'none', dataset: { key: c.key } }, btn);
  });

  function sortBy(key) {
    if (sortKey === key) sortDir = -sortDir; else { sortKey = key; sortDir = 1; }
    fill();
  }

  function fill() {
    const col = cols.find((c) => c.key === sortKey);
    const sorted = rows.map((r, i) => [r, i]);
    sorted.sort((a, b) => {
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
    for (const [r] of sorted) {
      const link = rowLink(st, r);
      const tr = h('tr', { tabindex: 0, dataset: link ? { href: link } : {} });
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

  fill();
  const table = h(`table.grid.${st.mode}`, null, h('thead', null, h('tr', null, ths)), tbody);
  return h('div', null, summary, h('div.table-wrap', null, table));
}
