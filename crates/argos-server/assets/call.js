// Call page: header, legend, ladder diagram, selected message (raw + fields).
import { h, clear, tzLabel, usOf, fmtDateTime, fmtDateTimeUs, fmtDuration, fmtDelta, statusClass, msgLabel, hostOf } from './dom.js';
import { api, session } from './api.js';
import { drawLadder, LEG_COLORS } from './ladder.js';
import { LAST_SEARCH_KEY } from './search.js';
import { summaryBox, diagnosisBox } from './summary.js';
import { callTabs } from './qos.js';
import { allAliases, aliasOf, hostLabel, openAliasDialog } from './aliases.js';
import { diffView } from './diff.js';
import { saveFile, callText, ladderSvg, ladderPng, callBundle } from './export.js';

// HEP proto 100: log lines sent with the call (Kamailio/OpenSIPS/FreeSWITCH logs), listed in the Logs tab.
const PROTO_LOG = 100;

const enc = encodeURIComponent;

// Field order for the details table; anything else the API sends follows.
const FIELD_ORDER = ['id', 'ts', 'ts_us', 'src_ip', 'src_port', 'dst_ip', 'dst_port', 'transport', 'proto', 'proto_name',
  'capture_id', 'node', 'correlation_id', 'vlan', 'size',
  'method', 'status', 'reason', 'ruri', 'ruri_user', 'ruri_domain', 'from_user', 'from_domain', 'from_tag',
  'to_user', 'to_domain', 'to_tag', 'pai_user', 'contact_user', 'contact_ip', 'contact_port', 'auth_user',
  'call_id', 'a_leg', 'call_key', 'via_branch', 'cseq_num', 'cseq_method', 'diversion_user', 'reason_header',
  'content_type', 'user_agent', 'expires', 'sdp_media'];

function backHash() {
  return sessionStorage.getItem(LAST_SEARCH_KEY) || '#/search';
}

// Summary status like the calls list: highest final reply to the first request's method, else highest provisional.
function callStatus(messages) {
  const first = messages.find((m) => m.method && m.method !== 'ACK');
  if (!first) return null;
  let fin = null; let prov = null;
  for (const m of messages) {
    if (!m.status) continue;
    if (m.cseq_method && m.cseq_method !== first.method) continue;
    if (m.status >= 200) { if (!fin || m.status > fin.status) fin = m; } else if (!prov || m.status > prov.status) prov = m;
  }
  return fin || prov;
}

export async function renderCall(root, r, ctx) {
  const id = r.id;
  document.title = `${id} · Argos`;
  clear(root);
  const back = h('a.button', { href: backHash(), title: 'Back to the results (Esc)' }, '← Back to results');
  root.append(h('div.call-top', null, back, h('span.muted', null, 'Loading call ', h('code', null, id), '…')));

  const onKey = (ev) => {
    if (ev.key === 'Escape' && !ev.target.closest('input,select,textarea')) location.hash = backHash();
  };
  document.addEventListener('keydown', onKey);
  ctx.onCleanup(() => document.removeEventListener('keydown', onKey));

  let data;
  try {
    data = await api(`/api/v1/calls/${enc(id)}`, { signal: ctx.signal });
  } catch (e) {
    if (e && e.status === 404) {
      clear(root).append(h('div.call-top', null, back),
        h('div.empty', null, h('p', null, 'No message found for Call-ID ', h('code', null, id), '.'),
          h('p.muted', null, 'It may be older than the retention period, or the Call-ID is mistyped.')));
      return;
    }
    throw e;
  }
  if (ctx.signal.aborted) return;
  const all = (data && Array.isArray(data.messages)) ? data.messages : [];
  const logs = all.filter((m) => m.proto === PROTO_LOG);
  // The ladder shows packets between hosts; log lines have their own tab (unless the call is only logs).
  const messages = logs.length < all.length ? all.filter((m) => m.proto !== PROTO_LOG) : all;
  const callIds = (data && data.call_ids && data.call_ids.length) ? data.call_ids : [id];

  // ---- header ----
  const firstUs = messages.length ? usOf(messages[0].ts_us, messages[0].ts) : null;
  const lastUs = messages.length ? usOf(messages[messages.length - 1].ts_us, messages[messages.length - 1].ts) : null;
  const st = callStatus(messages);
  const init = messages.find((m) => m.method && m.method !== 'ACK') || {};
  const pcapUrl = `/api/v1/calls/${enc(id)}/pcap`;
  const pcapBtn = h('a.button', { href: pcapUrl, download: `${safeName(id)}.pcap`, title: 'Open in Wireshark' }, '↓ Download pcap');
  pcapBtn.addEventListener('click', (ev) => downloadPcap(ev, pcapUrl, `${safeName(id)}.pcap`, pcapBtn));
  const aliasBtn = h('button', { type: 'button', title: 'Name the hosts of this call (kept in this browser)' }, 'Host aliases…');
  const exportMenu = exportButtons(id, data, all, () => ladderBox, ctx);

  const dl = h('dl.call-facts');
  const fact = (k, ...v) => dl.append(h('div', null, h('dt', null, k), h('dd', null, ...v)));
  fact('Status', st ? h(`span.status.${statusClass(st.status)}`, null, `${st.status} ${st.reason || ''}`.trim())
    : h('span.status.st-none', null, 'no reply'));
  fact('Method', init.method || '—');
  fact('From', h('span.mono', null, init.from_user || '—'));
  fact('To', h('span.mono', null, init.to_user || '—'));
  if (init.ruri) fact('R-URI', h('span.mono', null, init.ruri));
  fact(`Start (${tzLabel()})`, h('span.mono', null, fmtDateTime(firstUs)));
  fact('End', h('span.mono', null, fmtDateTime(lastUs)));
  fact('Duration', firstUs !== null && lastUs !== null ? fmtDuration(lastUs - firstUs) : '—');
  fact('Messages', String(messages.length));

  const legend = h('ul.legend');

  // Tracker record and findings (absent from older servers). A finding's messages are marked in the ladder.
  let ladder = null;
  const record = data && data.record && typeof data.record === 'object' ? data.record : null;
  const summary = summaryBox(record);
  const diagnosis = diagnosisBox(data && data.diagnosis, {
    hasRecord: !!record,
    onPick: (ids) => {
      if (!ladder) return;
      const want = new Set(ids.map(String));
      const idx = [];
      messages.forEach((m, i) => { if (want.has(String(m.id))) idx.push(i); });
      if (!ladder.highlight(idx)) return;
      ladder.focus();
      const box = document.querySelector('.ladder-scroll');
      if (box) box.scrollIntoView({ block: 'nearest' });
    },
  });

  clear(root);
  root.append(
    h('div.call-top', null, back, h('h1.call-title', null, 'Call ', h('code', null, data.call_key || id)),
      h('span.spacer'), aliasBtn, exportMenu, pcapBtn),
    dl,
    summary || diagnosis ? h(`div.call-insight${summary && diagnosis ? '' : '.single'}`, null, summary, diagnosis) : null,
    legend,
  );

  if (!messages.length) {
    root.append(h('div.empty', null, 'This call has no messages.'));
    return;
  }

  const ladderBox = h('section.ladder');
  const diffBox = h('section.diff-panel', { hidden: true, 'aria-live': 'polite' });
  const details = h('section.details', { 'aria-live': 'polite' });
  root.append(ladderBox, diffBox, details);

  // Two messages picked for the diff (shift-click in the ladder, or the Compare box of a message).
  let picked = [];
  const togglePick = (i) => {
    picked = picked.includes(i) ? picked.filter((x) => x !== i) : [...picked, i].slice(-2);
    ladder.mark(picked);
    showDiff(diffBox, messages, picked, () => { picked = []; ladder.mark(picked); showDiff(diffBox, messages, picked); refreshDetails(); });
    refreshDetails();
  };
  const refreshDetails = () => {
    if (ladder.selected >= 0) showMessage(details, messages, ladder.selected, ladder, { picked, togglePick });
  };

  const drawFlow = () => {
    const aliases = allAliases();
    const sel = ladder ? ladder.selected : -1;
    ladder = drawLadder(ladderBox, messages, {
      hosts: data.hosts,
      callIds,
      width: ladderBox.clientWidth,
      alias: (host) => aliasOf(host, aliases),
      onMark: togglePick,
      onSelect: (i) => {
        showMessage(details, messages, i, ladder, { picked, togglePick });
        const m = messages[i];
        if (m && m.id !== undefined) history.replaceState(null, '', `#/call/${enc(id)}?msg=${enc(m.id)}`);
      },
    });
    ladder.mark(picked);
    if (sel >= 0) ladder.select(sel, { scroll: false });
  };
  drawFlow();
  // c: pick the selected message for the diff (like its Compare box).
  const onCompareKey = (ev) => {
    if (ev.key !== 'c' || ev.ctrlKey || ev.metaKey || ev.altKey || ev.target.closest('input,select,textarea,dialog')) return;
    if (ladderBox.hidden || ladder.selected < 0) return;
    togglePick(ladder.selected);
  };
  document.addEventListener('keydown', onCompareKey);
  ctx.onCleanup(() => document.removeEventListener('keydown', onCompareKey));
  aliasBtn.addEventListener('click', () => openAliasDialog(ladder.hosts, () => {
    drawFlow();
    showDiff(diffBox, messages, picked);
  }));

  ladder.legs.forEach((leg, k) => {
    legend.append(h('li', null,
      h(`span.swatch.leg${k % LEG_COLORS.length}`),
      h('code', null, leg.call_id || '(no Call-ID)'),
      h('span.muted', null, ` ${leg.hosts[0]} ⇄ ${leg.hosts[1]} · ${leg.count} msgs`)));
  });
  legend.append(h('li.muted.small.legend-keys', null,
    h('span.key-req'), ' request ', h('span.key-resp'), ' response ', h('span.badge', null, 'SDP'), ' has SDP · ↑/↓ step · c or shift-click: compare · Esc: back'));

  const want = r.query.get('msg');
  let idx = want !== null ? messages.findIndex((m) => String(m.id) === want) : -1;
  if (idx < 0) idx = 0;
  ladder.select(idx, { scroll: want !== null });
  ladder.focus();
  // Flow / QoS tabs, set up once the ladder has its width (qos.js).
  callTabs({
    before: legend,
    flowParts: [legend, ladderBox, diffBox, details],
    callId: id,
    ctx,
    initial: r.query.get('tab'),
    tabs: [{ key: 'logs', label: `Logs (${logs.length})`, render: (box) => renderLogs(box, logs, firstUs) }],
  });
}

function safeName(id) {
  return String(id).replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'call';
}

async function downloadPcap(ev, url, name, btn) {
  // Fetch with the bearer token (the cookie alone may be missing), then save the blob.
  if (ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
  ev.preventDefault();
  btn.classList.add('busy');
  try {
    const headers = {};
    if (session.token) headers.Authorization = `Bearer ${session.token}`;
    const res = await fetch(url, { headers, credentials: 'same-origin' });
    if (res.status === 401) { location.hash = '#/login'; return; }
    if (!res.ok) throw new Error(`pcap download failed: ${res.status} ${res.statusText}`);
    const blob = await res.blob();
    const obj = URL.createObjectURL(blob);
    const a = h('a', { href: obj, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(obj), 10000);
  } catch (e) {
    const { showError } = await import('./app.js');
    showError(e.message || String(e));
  } finally {
    btn.classList.remove('busy');
  }
}

// ---- selected message ---------------------------------------------------------

function showMessage(root, messages, i, ladder, { picked = [], togglePick = null } = {}) {
  const m = messages[i];
  clear(root);
  if (!m) return;
  const us = usOf(m.ts_us, m.ts);
  const prev = i > 0 ? usOf(messages[i - 1].ts_us, messages[i - 1].ts) : null;
  const first = usOf(messages[0].ts_us, messages[0].ts);

  const raw = typeof m.raw === 'string' ? m.raw : '';
  const copyBtn = h('button', {
    type: 'button',
    onclick: () => copyText(raw, copyBtn),
    disabled: !raw,
  }, 'Copy raw');

  root.append(
    h('div.details-head', null,
      h('button', { type: 'button', title: 'Previous message (↑)', disabled: i === 0, onclick: () => ladder.select(i - 1) }, '◀'),
      h('button', { type: 'button', title: 'Next message (↓)', disabled: i === messages.length - 1, onclick: () => ladder.select(i + 1) }, '▶'),
      h('span.muted', null, `${i + 1} / ${messages.length}`),
      m.method ? h('strong.method', null, m.method)
        : h(`strong.status.${statusClass(m.status)}`, null, msgLabel(m)),
      h('span.mono.msg-path', null, `${hostLabel(hostOf(m.src_ip, m.src_port))} → ${hostLabel(hostOf(m.dst_ip, m.dst_port))}`),
      h('span.mono.muted', null, `${(m.transport || '').toUpperCase()} ${fmtDateTimeUs(us)}`),
      h('span.muted', null, prev !== null ? ` ${fmtDelta(us - prev)} since previous, ${fmtDelta(us - first)} since first` : ''),
      h('span.spacer'),
      togglePick ? h('label.compare', { title: 'Pick two messages to compare them line by line (or shift-click arrows)' },
        h('input', { type: 'checkbox', checked: picked.includes(i), onchange: () => togglePick(i) }),
        picked.length === 1 && !picked.includes(i) ? ' Compare with the picked message' : ' Compare') : null,
      copyBtn),
    h('div.details-body', null,
      h('pre.raw', { tabindex: 0, 'aria-label': 'Raw SIP message' }, raw ? highlightSip(raw) : h('span.muted', null, '(no raw payload)')),
      fieldsTable(m)),
  );
}

function fieldsTable(m) {
  const tbody = h('tbody');
  const seen = new Set(['raw']);
  const row = (k) => {
    seen.add(k);
    const v = m[k];
    if (v === null || v === undefined || v === '') return;
    let text = typeof v === 'object' ? JSON.stringify(v) : String(v);
    if (k === 'ts_us') text = `${text} (${fmtDateTimeUs(v)})`;
    tbody.append(h('tr', null, h('th', null, k), h('td', null, text)));
  };
  for (const k of FIELD_ORDER) row(k);
  for (const k of Object.keys(m)) if (!seen.has(k)) row(k);
  return h('table.fields-table', null, h('caption', null, 'Fields'), tbody);
}

// Raw SIP -> DOM: one block per line (long lines wrap with a hanging indent), start line, header
// names and SDP keys highlighted. Text nodes only.
export function highlightSip(raw) {
  const frag = document.createDocumentFragment();
  const lines = raw.replace(/\r?\n$/, '').split(/\r?\n/);
  let inBody = false;
  lines.forEach((line, n) => {
    const ln = h('span.ln');
    frag.append(ln);
    if (n === 0) { ln.append(h('span.sl', null, line)); return; }
    if (!inBody && line === '') { inBody = true; return; }
    if (!inBody) {
      const mt = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)([ \t]*:)(.*)$/.exec(line);
      if (mt) { ln.append(h('span.hn', null, mt[1]), mt[2], mt[3]); return; }
      ln.append(line); // folded continuation line
      return;
    }
    const sd = /^([a-z])=(.*)$/.exec(line);
    if (sd) { ln.append(h('span.sk', null, sd[1]), '=', sd[2]); return; }
    ln.append(line);
  });
  return frag;
}

async function copyText(text, btn) {
  let ok = false;
  try { await navigator.clipboard.writeText(text); ok = true; } catch {
    const ta = h('textarea.offscreen');
    ta.value = text;
    document.body.append(ta);
    ta.select();
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    ta.remove();
  }
  const old = btn.textContent;
  btn.textContent = ok ? 'Copied' : 'Copy failed';
  setTimeout(() => { btn.textContent = old; }, 1200);
}

// ---- diff of two picked messages ------------------------------------------------

function msgTitle(messages, i) {
  const m = messages[i];
  const us = usOf(m.ts_us, m.ts);
  return `#${i + 1} ${msgLabel(m)} · ${hostLabel(hostOf(m.src_ip, m.src_port))} → ${hostLabel(hostOf(m.dst_ip, m.dst_port))} · ${fmtDateTimeUs(us)}`;
}

function showDiff(box, messages, picked, onClear) {
  clear(box);
  if (!picked.length) { box.hidden = true; return; }
  box.hidden = false;
  const clearBtn = h('button', { type: 'button', onclick: () => onClear && onClear() }, 'Clear');
  if (picked.length < 2) {
    box.append(h('div.diff-head', null,
      h('strong', null, 'Compare: '),
      h('span', null, msgTitle(messages, picked[0])),
      h('span.muted', null, ' — pick a second message (shift-click an arrow, or its Compare box).'),
      h('span.spacer'), onClear ? clearBtn : null));
    return;
  }
  // Older message on the left.
  const [a, b] = picked.slice().sort((x, y) => x - y);
  const raw = (i) => (typeof messages[i].raw === 'string' ? messages[i].raw : '');
  box.append(
    h('div.diff-head', null, h('strong', null, 'Diff of two messages'), h('span.spacer'), onClear ? clearBtn : null),
    diffView(raw(a), raw(b), { aTitle: msgTitle(messages, a), bTitle: msgTitle(messages, b) }));
}

// ---- Logs tab (HEP proto 100) ----------------------------------------------------

function renderLogs(box, logs, callStartUs) {
  clear(box);
  if (!logs.length) {
    box.append(h('div.empty', null,
      h('p', null, 'No log line for this call.'),
      h('p.muted', null, 'Log lines arrive as HEP proto 100 with the call\'s Call-ID as correlation id (e.g. Kamailio siptrace hlog, FreeSWITCH, OpenSIPS).')));
    return;
  }
  const first = callStartUs ?? usOf(logs[0].ts_us, logs[0].ts);
  const tbody = h('tbody');
  for (const m of logs) {
    const us = usOf(m.ts_us, m.ts);
    tbody.append(h('tr', null,
      h('td.mono.nowrap', null, fmtDateTimeUs(us)),
      h('td.mono.nowrap.muted', null, first !== null && us !== null ? fmtDelta(us - first) : ''),
      h('td.mono.nowrap', null, hostLabel(hostOf(m.src_ip, m.src_port))),
      h('td', null, h('pre.log-line', null, typeof m.raw === 'string' ? m.raw.replace(/\s+$/, '') : ''))));
  }
  box.append(h('p.muted.small', null, `${logs.length} log line${logs.length === 1 ? '' : 's'} (HEP proto 100), in time order.`),
    h('table.grid.call-logs', null,
      h('thead', null, h('tr', null, h('th', null, `Time (${tzLabel()})`), h('th', null, 'Since call start'), h('th', null, 'From'), h('th', null, 'Line'))),
      tbody));
}

// ---- exports ---------------------------------------------------------------------

function exportButtons(id, data, messages, ladderBox, ctx) {
  const name = safeName(id);
  const run = (btn, fn) => async () => {
    btn.disabled = true;
    try { await fn(); } catch (e) {
      if (e && e.name === 'AbortError') return;
      const { showError } = await import('./app.js');
      showError(`Export failed: ${e && e.message ? e.message : e}`);
    } finally { btn.disabled = false; }
  };
  const mk = (label, title, fn) => {
    const btn = h('button', { type: 'button', title, dataset: { export: label.toLowerCase() } }, label);
    btn.addEventListener('click', run(btn, fn));
    return btn;
  };
  const svgOf = () => {
    const svg = ladderSvg(ladderBox());
    if (!svg) throw new Error('open the Flow tab first');
    return svg;
  };
  return h('div.export-group', { role: 'group', 'aria-label': 'Export' },
    h('span.muted.small', null, 'Export'),
    mk('Text', 'All messages as plain text', () => saveFile(`${name}.txt`, callText(data.call_key || id, messages, hostLabel))),
    mk('SVG', 'The flow diagram as SVG', () => saveFile(`${name}.svg`, svgOf().text, 'image/svg+xml')),
    mk('PNG', 'The flow diagram as PNG', async () => saveFile(`${name}.png`, await ladderPng(ladderBox()))),
    mk('JSON', 'Call detail, QoS and diagnosis in one file', async () => {
      const bundle = await callBundle(id, data, ctx.signal);
      saveFile(`${name}.json`, JSON.stringify(bundle, null, 2), 'application/json');
    }));
}
