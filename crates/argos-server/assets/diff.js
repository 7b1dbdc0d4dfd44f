// Line diff of two SIP messages (longest common subsequence), shown side by side or unified.
// Routing headers that differ on every hop (Via, Record-Route, Route, Max-Forwards,
// Content-Length) can be left out, so two legs of one call compare on what matters; long runs of
// unchanged lines fold away so a 100-header message stays readable.
import { h, clear, append } from './dom.js';

// Above this many line pairs the LCS table would be too big for a browser tab: compare line by line.
const MAX_CELLS = 4_000_000;

/**
 * Line diff of a and b (arrays of strings): [{op: '=', a, b} | {op: '-', a} | {op: '+', b}], in order.
 */
export function lineDiff(a, b) {
  const n = a.length;
  const m = b.length;
  // Common head and tail need no table (most SIP messages of one dialog share many lines).
  let pre = 0;
  while (pre < n && pre < m && a[pre] === b[pre]) pre += 1;
  let post = 0;
  while (post < n - pre && post < m - pre && a[n - 1 - post] === b[m - 1 - post]) post += 1;
  const A = a.slice(pre, n - post);
  const B = b.slice(pre, m - post);
  const out = [];
  for (let i = 0; i < pre; i += 1) out.push({ op: '=', a: a[i], b: b[i] });
  if ((A.length + 1) * (B.length + 1) > MAX_CELLS) {
    for (const x of A) out.push({ op: '-', a: x });
    for (const y of B) out.push({ op: '+', b: y });
  } else {
    // len[i][j] = LCS length of A[i..] and B[j..], one flat array.
    const w = B.length + 1;
    const len = new Uint32Array((A.length + 1) * w);
    for (let i = A.length - 1; i >= 0; i -= 1) {
      for (let j = B.length - 1; j >= 0; j -= 1) {
        len[i * w + j] = A[i] === B[j] ? len[(i + 1) * w + j + 1] + 1
          : Math.max(len[(i + 1) * w + j], len[i * w + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < A.length && j < B.length) {
      if (A[i] === B[j]) { out.push({ op: '=', a: A[i], b: B[j] }); i += 1; j += 1; }
      else if (len[(i + 1) * w + j] >= len[i * w + j + 1]) { out.push({ op: '-', a: A[i] }); i += 1; }
      else { out.push({ op: '+', b: B[j] }); j += 1; }
    }
    for (; i < A.length; i += 1) out.push({ op: '-', a: A[i] });
    for (; j < B.length; j += 1) out.push({ op: '+', b: B[j] });
  }
  for (let k = 0; k < post; k += 1) out.push({ op: '=', a: a[n - post + k], b: b[m - post + k] });
  return out;
}

export function splitLines(text) {
  return String(text || '').replace(/\r?\n$/, '').split(/\r?\n/);
}

// ---- which lines take part --------------------------------------------------------------

// Headers a proxy rewrites on every hop, by full and compact name (RFC 3261 §7.3.3: v = Via, l = Content-Length).
const ROUTING_HEADERS = new Map([
  ['via', 'Via'], ['v', 'Via'], ['record-route', 'Record-Route'], ['route', 'Route'],
  ['max-forwards', 'Max-Forwards'], ['content-length', 'Content-Length'], ['l', 'Content-Length'],
]);
/** What the ignore toggle names, in the order shown. */
export const IGNORABLE = ['Via', 'Record-Route', 'Route', 'Max-Forwards', 'Content-Length'];

/**
 * The lines of a message to compare: {lines, nums (1-based line numbers in the message), hidden
 * ({'Via': 3, ...})}. With `ignoreRouting`, routing header lines (and their folded continuation
 * lines) of the header part are left out; the body (after the first empty line) is always kept.
 */
export function comparableLines(text, ignoreRouting) {
  const all = splitLines(text);
  const lines = [];
  const nums = [];
  const hidden = {};
  let inHeaders = true;
  let skipping = null; // the routing header whose continuation lines are being left out
  all.forEach((line, i) => {
    if (inHeaders && i > 0) {
      if (line === '') { inHeaders = false; skipping = null; }
      else if (/^[ \t]/.test(line)) {
        // A folded continuation belongs to the header above it.
        if (skipping) { hidden[skipping] += 1; return; }
      } else {
        const m = /^([^:\s]+)\s*:/.exec(line);
        const name = ignoreRouting && m ? ROUTING_HEADERS.get(m[1].toLowerCase()) : undefined;
        skipping = name || null;
        if (name) { hidden[name] = (hidden[name] || 0) + 1; return; }
      }
    }
    lines.push(line);
    nums.push(i + 1);
  });
  return { lines, nums, hidden };
}

// ---- rows ----------------------------------------------------------------------------------

// ops with the message line number of each side: [{op, a, b, na, nb}].
function numbered(ops, numsA, numsB) {
  let i = 0;
  let j = 0;
  return ops.map((o) => {
    const r = { ...o, na: null, nb: null };
    if (o.op !== '+') { r.na = numsA[i] ?? null; i += 1; }
    if (o.op !== '-') { r.nb = numsB[j] ?? null; j += 1; }
    return r;
  });
}

// Pair up a run of removals with the additions that follow, so a changed line sits beside its
// old self: [{kind: 'same'|'chg', a, b, na, nb}] with a/b null where that side has no line.
function sideBySideRows(ops) {
  const rows = [];
  let k = 0;
  while (k < ops.length) {
    const o = ops[k];
    if (o.op === '=') { rows.push({ kind: 'same', a: o.a, b: o.b, na: o.na, nb: o.nb }); k += 1; continue; }
    const del = [];
    const add = [];
    while (k < ops.length && ops[k].op === '-') { del.push(ops[k]); k += 1; }
    while (k < ops.length && ops[k].op === '+') { add.push(ops[k]); k += 1; }
    for (let x = 0; x < Math.max(del.length, add.length); x += 1) {
      const d = del[x];
      const p = add[x];
      rows.push({ kind: 'chg', a: d ? d.a : null, b: p ? p.b : null, na: d ? d.na : null, nb: p ? p.nb : null });
    }
  }
  return rows;
}

// Unified order: each run of removals, then its additions; a removed line and the added line at
// the same place in the run are partners for the in-line marks.
function unifiedRows(ops) {
  const rows = [];
  let k = 0;
  while (k < ops.length) {
    const o = ops[k];
    if (o.op === '=') { rows.push({ kind: 'same', a: o.a, na: o.na, nb: o.nb }); k += 1; continue; }
    const del = [];
    const add = [];
    while (k < ops.length && ops[k].op === '-') { del.push(ops[k]); k += 1; }
    while (k < ops.length && ops[k].op === '+') { add.push(ops[k]); k += 1; }
    del.forEach((d, x) => rows.push({ kind: 'del', a: d.a, na: d.na, nb: null, partner: x < add.length ? add[x].b : null }));
    add.forEach((p, x) => rows.push({ kind: 'add', b: p.b, na: null, nb: p.nb, partner: x < del.length ? del[x].a : null }));
  }
  return rows;
}

// Unchanged lines kept around each change, and the shortest run worth folding.
const CONTEXT = 3;
const MIN_FOLD = 4;

// Rows with long unchanged runs replaced by {kind: 'fold', rows: [...]}: CONTEXT lines stay next
// to each change (and at the start, for the request/status line).
function foldRows(rows) {
  const out = [];
  let k = 0;
  while (k < rows.length) {
    if (rows[k].kind !== 'same') { out.push(rows[k]); k += 1; continue; }
    let end = k;
    while (end < rows.length && rows[end].kind === 'same') end += 1;
    // Keep the first line (request or status line) of a leading run, CONTEXT lines after a
    // change, and CONTEXT lines before the next one (none after the last change).
    const from = k === 0 ? Math.min(1, end) : k + CONTEXT;
    const to = end === rows.length ? end : end - CONTEXT;
    if (to - from >= MIN_FOLD) {
      for (let x = k; x < from; x += 1) out.push(rows[x]);
      out.push({ kind: 'fold', rows: rows.slice(from, to) });
      for (let x = to; x < end; x += 1) out.push(rows[x]);
    } else {
      for (let x = k; x < end; x += 1) out.push(rows[x]);
    }
    k = end;
  }
  return out;
}

// The part of `line` that differs from `other` (common head and tail cut off): text with the
// changed middle in a <mark>, or plain text when nothing in common is worth showing.
function marked(line, other) {
  if (other === null || other === undefined || line === '') return line;
  let pre = 0;
  const max = Math.min(line.length, other.length);
  while (pre < max && line[pre] === other[pre]) pre += 1;
  let post = 0;
  while (post < max - pre && line[line.length - 1 - post] === other[other.length - 1 - post]) post += 1;
  // Little in common: the whole line changed, marking a middle would only add noise.
  if (pre + post < 4 || pre + post < line.length * 0.25) return line;
  return [line.slice(0, pre), h('mark.chg', null, line.slice(pre, line.length - post)), line.slice(line.length - post)];
}

function lno(n) { return h('td.lno', null, n === null || n === undefined ? '' : String(n)); }

function splitRow(r) {
  if (r.kind === 'same') return h('tr.same', null, lno(r.na), h('td.txt.same', null, r.a), lno(r.nb), h('td.txt.same', null, r.b));
  return h('tr.chg', null,
    lno(r.na), h(`td.txt.${r.a === null ? 'none' : 'del'}`, null, r.a === null ? '' : ['− ', marked(r.a, r.b)]),
    lno(r.nb), h(`td.txt.${r.b === null ? 'none' : 'add'}`, null, r.b === null ? '' : ['+ ', marked(r.b, r.a)]));
}

function unifiedRow(r) {
  if (r.kind === 'same') return h('tr.same', null, lno(r.na), lno(r.nb), h('td.txt.same', null, '  ', r.a));
  if (r.kind === 'del') return h('tr.del', null, lno(r.na), lno(null), h('td.txt.del', null, '− ', marked(r.a, r.partner)));
  return h('tr.add', null, lno(null), lno(r.nb), h('td.txt.add', null, '+ ', marked(r.b, r.partner)));
}

// A fold row: "⋯ 42 unchanged lines", which a click replaces by the lines.
function foldRow(fold, rowFn, colspan) {
  const tr = h('tr.fold');
  const btn = h('button.linkish', {
    type: 'button',
    onclick: () => { tr.replaceWith(...fold.rows.map(rowFn)); },
  }, `⋯ ${fold.rows.length} unchanged lines (show)`);
  tr.append(h('td', { colspan }, btn));
  return tr;
}

// ---- the view ----------------------------------------------------------------------------------

const MODE_KEY = 'argos.diff.mode';
const IGNORE_KEY = 'argos.diff.ignore';
const prefs = {
  get mode() { return localStorage.getItem(MODE_KEY) === 'unified' ? 'unified' : 'split'; },
  set mode(v) { localStorage.setItem(MODE_KEY, v); },
  // On unless turned off: two legs of a call differ in these on every hop.
  get ignore() { return localStorage.getItem(IGNORE_KEY) !== '0'; },
  set ignore(v) { localStorage.setItem(IGNORE_KEY, v ? '1' : '0'); },
};

function diffTable(A, B, ops, mode, titles) {
  const n = numbered(ops, A.nums, B.nums);
  const tbody = h('tbody');
  if (mode === 'unified') {
    for (const r of foldRows(unifiedRows(n))) tbody.append(r.kind === 'fold' ? foldRow(r, unifiedRow, 3) : unifiedRow(r));
    return h('table.diff-table.unified', null,
      h('colgroup', null, h('col.lno'), h('col.lno'), h('col')),
      h('thead', null,
        h('tr', null, h('th', { colspan: 3 }, h('span.del-count', null, '− '), titles.a)),
        h('tr', null, h('th', { colspan: 3 }, h('span.add-count', null, '+ '), titles.b))),
      tbody);
  }
  for (const r of foldRows(sideBySideRows(n))) tbody.append(r.kind === 'fold' ? foldRow(r, splitRow, 4) : splitRow(r));
  return h('table.diff-table.split', null,
    h('colgroup', null, h('col.lno'), h('col'), h('col.lno'), h('col')),
    h('thead', null, h('tr', null, h('th', { colspan: 2 }, titles.a), h('th', { colspan: 2 }, titles.b))),
    tbody);
}

function hiddenSummary(hidden) {
  const parts = IGNORABLE.filter((k) => hidden[k]).map((k) => `${k} ×${hidden[k]}`);
  return parts.length ? parts.join(', ') : '';
}

let views = 0;

/**
 * Diff of two texts with its own controls: side by side or unified, and "ignore routing headers"
 * (on by default, remembered in this browser). titles label the two messages. Text nodes only.
 */
export function diffView(aText, bText, { aTitle = 'A', bTitle = 'B' } = {}) {
  const stats = h('p.diff-stats.small');
  const body = h('div.diff-body');
  // One radio group per view (a page may show more than one diff).
  const group = `diff-mode-${++views}`;
  const modeSeg = h('div.seg.diff-mode', { role: 'radiogroup', 'aria-label': 'Diff layout' },
    [['split', 'Side by side'], ['unified', 'Unified']].map(([v, label]) => h('label', null,
      h('input', { type: 'radio', name: group, value: v, checked: prefs.mode === v, onchange: () => { prefs.mode = v; draw(); } }),
      h('span', null, label))));
  const ignoreBox = h('input', { type: 'checkbox', name: 'diff-ignore', checked: prefs.ignore, onchange: () => { prefs.ignore = ignoreBox.checked; draw(); } });
  const ignoreLabel = h('label.diff-ignore', { title: 'Headers every proxy hop rewrites. On by default.' },
    ignoreBox, ` Ignore ${IGNORABLE.slice(0, -1).join(' / ')} / ${IGNORABLE[IGNORABLE.length - 1]}`, h('span.muted', null, ' (on by default)'));

  function draw() {
    const ignore = ignoreBox.checked;
    const A = comparableLines(aText, ignore);
    const B = comparableLines(bText, ignore);
    const ops = lineDiff(A.lines, B.lines);
    const removed = ops.filter((o) => o.op === '-').length;
    const added = ops.filter((o) => o.op === '+').length;
    const hiddenBoth = {};
    for (const hd of [A.hidden, B.hidden]) for (const [k, v] of Object.entries(hd)) hiddenBoth[k] = (hiddenBoth[k] || 0) + v;
    const hiddenText = hiddenSummary(hiddenBoth);
    append(clear(stats), [
      h('span.del-count', null, `− ${removed} line${removed === 1 ? '' : 's'}`), ' · ',
      h('span.add-count', null, `+ ${added} line${added === 1 ? '' : 's'}`),
      removed + added === 0 ? h('span.muted.diff-same', null, hiddenText ? ' · identical apart from the ignored headers' : ' · the two messages are identical') : null,
      hiddenText ? h('span.muted.diff-hidden', null, ` · not compared: ${hiddenText}`) : null]);
    const mode = modeSeg.querySelector('input:checked') ? modeSeg.querySelector('input:checked').value : 'split';
    clear(body).append(diffTable(A, B, ops, mode, { a: aTitle, b: bTitle }));
  }
  draw();
  return h('div.diff', null,
    h('div.diff-tools', null, modeSeg, ignoreLabel, h('span.spacer'), stats),
    body);
}
