// Sortable data table shared by the Calls, Devices, Alarms and Stats pages. Rows are built in a
// DocumentFragment; cells hold text nodes or elements, never HTML strings.
import { h, clear } from './dom.js';

// cols: [{key, label, get(row) -> sort value, render?(row) -> Node|string|array, cls?, title?(row)}]
// opts: {sortKey, sortDir, href?(row) -> '#/...', expand?(row) -> Node, rowClass?(row), onSort?(key, dir), caption?}
// Returns {el, setRows(rows), rows()}.
export function dataTable(cols, opts = {}) {
  let rows = [];
  let sortKey = opts.sortKey || null;
  let sortDir = opts.sortDir || 1;
  const tbody = h('tbody');
  const ths = cols.map((c) => {
    const label = typeof c.label === 'function' ? c.label() : c.label;
    if (c.sortable === false) return h(`th${isNum(c) ? '.num' : ''}`, { dataset: { key: c.key } }, h('span.th', null, label));
    const btn = h('button.sort', { type: 'button', title: c.help || null, onclick: () => sortBy(c.key) }, label, h('span.arrow'));
    return h(`th${isNum(c) ? '.num' : ''}`, { 'aria-sort': 'none', dataset: { key: c.key } }, btn);
  });
  const table = h(`table.grid${opts.cls ? '.' + opts.cls : ''}`, null,
    opts.caption ? h('caption', null, opts.caption) : null,
    h('thead', null, h('tr', null, ths)), tbody);

  function sortBy(key) {
    if (sortKey === key) sortDir = -sortDir; else { sortKey = key; sortDir = 1; }
    if (opts.onSort) opts.onSort(sortKey, sortDir);
    fill();
  }

  function sorted() {
    const col = cols.find((c) => c.key === sortKey);
    const list = rows.map((r, i) => [r, i]);
    if (col) {
      list.sort((a, b) => {
        const va = col.get(a[0]); const vb = col.get(b[0]);
        // Missing values sort last in either direction.
        const na = va === null || va === undefined || va === ''; const nb = vb === null || vb === undefined || vb === '';
        if (na || nb) return na === nb ? a[1] - b[1] : (na ? 1 : -1);
        let d;
        if (typeof va === 'number' && typeof vb === 'number') d = va - vb;
        else d = String(va).localeCompare(String(vb), undefined, { numeric: true, sensitivity: 'base' });
        return d * sortDir || a[1] - b[1];
      });
    }
    return list.map(([r]) => r);
  }

  function fill() {
    for (const th of ths) {
      const arrow = th.querySelector('.arrow');
      if (!arrow) continue;
      const on = th.dataset.key === sortKey;
      th.setAttribute('aria-sort', on ? (sortDir > 0 ? 'ascending' : 'descending') : 'none');
      arrow.textContent = on ? (sortDir > 0 ? ' ▲' : ' ▼') : '';
    }
    const frag = document.createDocumentFragment();
    for (const r of sorted()) {
      const link = opts.href ? opts.href(r) : null;
      const tr = h('tr', { tabindex: 0, class: opts.rowClass ? opts.rowClass(r) : null, dataset: link ? { href: link } : {} });
      tr._row = r;
      cols.forEach((c, i) => {
        const v = c.render ? c.render(r) : c.get(r);
        const td = h(`td${c.cls ? '.' + c.cls.split(' ').join('.') : ''}`);
        const kids = Array.isArray(v) ? v : [v];
        if (i === 0 && link) td.append(h('a', { href: link, tabindex: -1 }, ...kids.filter((k) => k !== null && k !== undefined)));
        else for (const k of kids) if (k !== null && k !== undefined) td.append(k);
        const t = c.title ? c.title(r) : (c.cls && c.cls.includes('clip') ? c.get(r) : null);
        if (t !== null && t !== undefined && t !== '') td.title = String(t);
        tr.append(td);
      });
      frag.append(tr);
    }
    clear(tbody).append(frag);
  }

  function toggle(tr) {
    const next = tr.nextElementSibling;
    if (next && next.classList.contains('detail')) {
      next.remove();
      tr.classList.remove('open');
      tr.setAttribute('aria-expanded', 'false');
      return;
    }
    const td = h('td', { colspan: cols.length }, opts.expand(tr._row));
    tr.after(h('tr.detail', null, td));
    tr.classList.add('open');
    tr.setAttribute('aria-expanded', 'true');
  }

  const activate = (tr) => {
    if (tr.dataset.href) location.hash = tr.dataset.href;
    else if (opts.expand) toggle(tr);
  };
  tbody.addEventListener('click', (ev) => {
    const tr = ev.target.closest('tr');
    if (!tr || tr.classList.contains('detail')) return;
    if (ev.target.closest('a')) return; // the link itself navigates (and supports new tab)
    if (window.getSelection && String(window.getSelection()).length) return; // user is selecting text
    activate(tr);
  });
  tbody.addEventListener('keydown', (ev) => {
    const tr = ev.target.closest('tr');
    if (!tr || ev.target !== tr) return;
    const step = (el, dir) => {
      let n = dir > 0 ? el.nextElementSibling : el.previousElementSibling;
      while (n && n.classList.contains('detail')) n = dir > 0 ? n.nextElementSibling : n.previousElementSibling;
      return n;
    };
    if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); activate(tr); }
    else if (ev.key === 'ArrowDown') { const n = step(tr, 1); if (n) { ev.preventDefault(); n.focus(); } }
    else if (ev.key === 'ArrowUp') { const n = step(tr, -1); if (n) { ev.preventDefault(); n.focus(); } }
  });

  return {
    el: table,
    setRows(list) { rows = list.slice(); fill(); },
    rows: () => rows,
  };
}

function isNum(c) { return !!(c.cls && c.cls.includes('num')); }

// Toolbar building blocks shared by the list pages.
export function field(label, input, cls = '') {
  return h(`label.field${cls ? '.' + cls : ''}`, null, h('span', null, label), input);
}

export function textInput(name, value, placeholder = '') {
  return h('input', { name, value: value || '', placeholder, spellcheck: 'false', autocomplete: 'off' });
}

export function selectInput(name, options, value) {
  const sel = h('select', { name }, options.map(([v, label]) => h('option', { value: v }, label)));
  sel.value = value || options[0][0];
  return sel;
}

// "N rows · ms · limit reached" line above a table.
export function summaryLine(n, noun, limit, ms, extra) {
  return h('div.summary', null,
    h('strong', null, `${n.toLocaleString()} ${noun}`),
    ms !== null && ms !== undefined ? h('span.muted', null, ` · ${Math.round(ms)} ms`) : null,
    n >= limit ? h('span.warn', null, ` · limit of ${limit} reached: narrow the time range or filters, or load more`) : null,
    extra || null);
}

// Label and control on one line, for the toolbar's first row.
export function inlineField(label, input) {
  return h('label.inline', null, h('span', null, label), input);
}
