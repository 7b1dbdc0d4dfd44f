// Line diff of two SIP messages (longest common subsequence), shown side by side.
import { h } from './dom.js';

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

// Pair up a run of removals with the additions that follow, so a changed line sits beside its old self.
function sideBySideRows(ops) {
  const rows = [];
  let k = 0;
  while (k < ops.length) {
    if (ops[k].op === '=') { rows.push([ops[k].a, ops[k].b, 'same']); k += 1; continue; }
    const del = [];
    const add = [];
    while (k < ops.length && ops[k].op === '-') { del.push(ops[k].a); k += 1; }
    while (k < ops.length && ops[k].op === '+') { add.push(ops[k].b); k += 1; }
    for (let x = 0; x < Math.max(del.length, add.length); x += 1) {
      rows.push([x < del.length ? del[x] : null, x < add.length ? add[x] : null, 'chg']);
    }
  }
  return rows;
}

/** Side-by-side diff table of two texts; titles label the columns. Text nodes only. */
export function diffView(aText, bText, { aTitle = 'A', bTitle = 'B' } = {}) {
  const ops = lineDiff(splitLines(aText), splitLines(bText));
  const removed = ops.filter((o) => o.op === '-').length;
  const added = ops.filter((o) => o.op === '+').length;
  const tbody = h('tbody');
  let na = 0;
  let nb = 0;
  for (const [l, r, kind] of sideBySideRows(ops)) {
    const lcls = kind === 'same' ? 'same' : (l === null ? 'none' : 'del');
    const rcls = kind === 'same' ? 'same' : (r === null ? 'none' : 'add');
    if (l !== null) na += 1;
    if (r !== null) nb += 1;
    tbody.append(h(`tr.${kind}`, null,
      h('td.lno', null, l === null ? '' : String(na)),
      h(`td.txt.${lcls}`, null, l === null ? '' : (kind === 'same' ? l : ['− ', l])),
      h('td.lno', null, r === null ? '' : String(nb)),
      h(`td.txt.${rcls}`, null, r === null ? '' : (kind === 'same' ? r : ['+ ', r]))));
  }
  return h('div.diff', null,
    h('p.diff-stats.small', null,
      h('span.del-count', null, `− ${removed} line${removed === 1 ? '' : 's'}`), ' · ',
      h('span.add-count', null, `+ ${added} line${added === 1 ? '' : 's'}`),
      removed + added === 0 ? h('span.muted', null, ' · the two messages are identical') : null),
    h('table.diff-table', null,
      h('colgroup', null, h('col.lno'), h('col'), h('col.lno'), h('col')),
      h('thead', null, h('tr', null, h('th', { colspan: 2 }, aTitle), h('th', { colspan: 2 }, bTitle))),
      tbody));
}
