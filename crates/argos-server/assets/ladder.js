// SIP ladder (sequence) diagram as inline SVG. Data goes into SVG text nodes only.
import { h, s, clear, tzLabel, usOf, fmtTime, fmtDelta, msgLabel, hostOf, isSdp } from './dom.js';

const GUTTER = 168;     // left column: time + delta
const ROW_H = 28;       // one message per row
const HEAD_H = 46;      // host header height
const CHAR_W = 6.9;     // approx. width of one 11.5px monospace character
// Leg colours live in app.css as .leg0 ... .leg7 (no inline styles: CSP friendly).
export const LEG_COLORS = ['#1a62c9', '#c2410c', '#15803d', '#7c3aed', '#be185d', '#0e7490', '#a16207', '#4b5563'];

// Index of host columns: the API's `hosts` order, then first appearance.
export function buildHosts(messages, hosts) {
  const cols = [];
  const index = new Map();
  const add = (key) => { index.set(key, cols.length); cols.push(key); };
  for (const hst of hosts || []) if (!index.has(hst)) add(String(hst));
  const colOf = (ip, port) => {
    const cands = [`${ip}:${port}`, `[${ip}]:${port}`, String(ip)];
    for (const c of cands) if (index.has(c)) return index.get(c);
    add(hostOf(ip, port));
    return cols.length - 1;
  };
  const src = new Array(messages.length);
  const dst = new Array(messages.length);
  messages.forEach((m, i) => { src[i] = colOf(m.src_ip, m.src_port); dst[i] = colOf(m.dst_ip, m.dst_port); });
  return { cols, src, dst };
}

// A leg is one Call-ID between one pair of hosts: a proxy keeps the Call-ID, so
// UAC->proxy and proxy->UAS are two legs; a B2BUA's legs also differ by Call-ID.
// Legs are ordered by the Call-ID order the server gives (a-leg first), then first appearance.
export function legIndex(messages, callIds) {
  const rank = new Map();
  (callIds || []).forEach((id, i) => { if (!rank.has(id)) rank.set(id, i); });
  const found = [];
  const idx = new Map();
  const keys = messages.map((m) => {
    const id = m.call_id || m.call_key || '';
    const a = `${m.src_ip}:${m.src_port}`;
    const b = `${m.dst_ip}:${m.dst_port}`;
    const pair = a <= b ? [a, b] : [b, a];
    const key = `${id}\u0000${pair[0]}\u0000${pair[1]}`;
    if (!idx.has(key)) {
      idx.set(key, found.length);
      found.push({ key, call_id: id, hosts: pair, first: found.length, count: 0 });
    }
    found[idx.get(key)].count += 1;
    return key;
  });
  const r = (id) => (rank.has(id) ? rank.get(id) : rank.size);
  const legs = found.slice().sort((x, y) => r(x.call_id) - r(y.call_id) || x.first - y.first);
  const pos = new Map(legs.map((l, i) => [l.key, i]));
  return { legs, of: keys.map((k) => pos.get(k)) };
}

function clip(text, maxChars) {
  if (text.length <= maxChars) return text;
  return text.slice(0, Math.max(1, maxChars - 1)) + '…';
}

// Draw into `root`; returns { select(i), focus(), mark(list) }. onSelect(i) is called on click / keys,
// onMark(i) on shift-click (pick messages to compare); alias(host) names a host column ('' for none).
export function drawLadder(root, messages, { hosts, callIds, onSelect, onMark, width, alias }) {
  clear(root);
  const { cols, src, dst } = buildHosts(messages, hosts);
  const { legs, of: legOf } = legIndex(messages, callIds);
  const n = Math.max(cols.length, 1);
  // Fit the visible width when possible (page and ladder scrollbars may appear later: keep a margin).
  const avail = Math.max(600, (width || 1200) - 40);
  const colW = Math.max(170, Math.min(360, Math.floor((avail - GUTTER - 40) / n)));
  const W = GUTTER + colW * n + 40; // +40: room for a self-loop label on the last column
  const BG_W = W + 4000; // row highlight spans the whole (CSS min-width: 100%) svg
  const H = messages.length * ROW_H + 12;
  const xOf = (c) => GUTTER + colW * c + colW / 2;

  // What each host is: the first User-Agent / Server it sent, as a hint under its address.
  const hostUa = new Array(cols.length).fill('');
  messages.forEach((m, i) => { if (m.user_agent && !hostUa[src[i]]) hostUa[src[i]] = m.user_agent; });

  // ---- header (sticky) ----
  const head = s('svg', { class: 'ladder-head-svg', width: W, height: HEAD_H, role: 'img', 'aria-label': 'Hosts' });
  head.append(
    s('text', { x: 8, y: 20, class: 'gutter-head' }, 'time'),
    s('text', { x: 8, y: 34, class: 'gutter-sub' }, tzLabel() === 'UTC' ? 'UTC' : 'local time'),
    s('text', { x: 100, y: 20, class: 'gutter-head' }, 'delta'),
    s('text', { x: 100, y: 34, class: 'gutter-sub' }, 'to previous'),
  );
  cols.forEach((c, j) => {
    const x = xOf(j);
    const maxC = Math.floor((colW - 10) / CHAR_W);
    const name = alias ? alias(c) : '';
    // An aliased host shows its name, then its address in place of the User-Agent (which stays in the tooltip).
    head.append(s('g', { class: name ? 'host aliased' : 'host', 'data-host': c },
      s('title', null, [name, c, hostUa[j]].filter(Boolean).join('\n')),
      s('rect', { x: x - colW / 2 + 5, y: 4, width: colW - 10, height: HEAD_H - 10, rx: 4 }),
      s('text', { x, y: 20, 'text-anchor': 'middle', class: name ? 'host-addr host-alias' : 'host-addr' }, clip(name || c, maxC)),
      s('text', { x, y: 34, 'text-anchor': 'middle', class: name ? 'host-ua host-sub' : 'host-ua' },
        clip(name ? c : (hostUa[j] || ''), Math.floor((colW - 10) / 6))),
    ));
  });

  // ---- body ----
  const body = s('svg', { class: 'ladder-svg', width: W, height: H });
  const frag = document.createDocumentFragment();
  const lifelines = s('g', { class: 'lifelines' });
  cols.forEach((_, j) => lifelines.append(s('line', { x1: xOf(j), y1: 0, x2: xOf(j), y2: H })));
  lifelines.append(s('line', { class: 'gutter-line', x1: GUTTER - 4, y1: 0, x2: GUTTER - 4, y2: H }));
  frag.append(lifelines);

  // Retransmissions: same direction, same request/reply, same transaction (Via branch + CSeq).
  const seenTx = new Set();
  const retrans = messages.map((m, i) => {
    if (!m.via_branch && !m.cseq_num) return false;
    const k = [src[i], dst[i], m.method || m.status, m.via_branch, m.cseq_num, m.cseq_method, m.to_tag].join('|');
    if (seenTx.has(k)) return true;
    seenTx.add(k);
    return false;
  });

  const named = (host) => { const a = alias ? alias(host) : ''; return a ? `${a} (${host})` : host; };
  let prevUs = null;
  const rows = new Array(messages.length);
  messages.forEach((m, i) => {
    const top = i * ROW_H + 4;
    const y = top + ROW_H - 8;
    const us = usOf(m.ts_us, m.ts);
    const delta = prevUs === null || us === null ? '' : fmtDelta(us - prevUs);
    prevUs = us ?? prevUs;
    const isReq = !!m.method;
    const leg = legOf[i];
    const g = s('g', {
      class: `msg ${isReq ? 'req' : 'resp'}${retrans[i] ? ' retrans' : ''} leg${leg % LEG_COLORS.length}`,
      'data-i': i,
    });
    const label = retrans[i] ? `${msgLabel(m)} (retrans.)` : msgLabel(m);
    g.append(
      s('title', null, `${label}\n${named(hostOf(m.src_ip, m.src_port))} → ${named(hostOf(m.dst_ip, m.dst_port))}\n${m.call_id || ''}`),
      s('rect', { class: 'rowbg', x: 0, y: top, width: BG_W, height: ROW_H }),
      s('text', { class: 'ts', x: 8, y: y + 4 }, fmtTime(us)),
      s('text', { class: 'delta', x: 100, y: y + 4 }, delta),
    );
    const a = src[i];
    const b = dst[i];
    const x1 = xOf(a);
    const x2 = xOf(b);
    let labelX;
    let anchor = 'middle';
    let maxC;
    if (a === b) {
      // Loop: out to the right, down, back with the head pointing left.
      const yTop = y - 9;
      g.append(
        s('path', { class: 'arrow', d: `M${x1} ${yTop} h30 v10 h-26`, fill: 'none' }),
        s('path', { class: 'head', d: `M${x1} ${yTop + 10} l7 -4 v8 z` }),
      );
      labelX = x1 + 36;
      anchor = 'start';
      maxC = Math.floor((colW / 2 + 20) / CHAR_W);
    } else {
      const dir = x2 > x1 ? 1 : -1;
      g.append(
        s('line', { class: 'arrow', x1, y1: y, x2: x2 - dir * 7, y2: y }),
        s('path', { class: 'head', d: `M${x2} ${y} l${-dir * 9} -4.5 v9 z` }),
      );
      labelX = (x1 + x2) / 2;
      maxC = Math.max(8, Math.floor((Math.abs(x2 - x1) - 16) / CHAR_W));
    }
    const sdp = isSdp(m);
    const text = clip(label, sdp ? Math.max(6, maxC - 5) : maxC);
    const tw = text.length * CHAR_W;
    if (sdp && anchor === 'middle') labelX -= 18; // keep label + badge centred
    g.append(s('text', { class: `label ${isReq ? 'lreq' : 'lresp'}`, x: labelX, y: y - 5, 'text-anchor': anchor }, text));
    if (sdp) {
      const bx = anchor === 'middle' ? labelX + tw / 2 + 5 : labelX + tw + 5;
      g.append(s('g', { class: 'sdp' },
        s('rect', { x: bx, y: y - 16, width: 27, height: 12, rx: 3 }),
        s('text', { x: bx + 13.5, y: y - 7, 'text-anchor': 'middle' }, 'SDP')));
    }
    rows[i] = g;
    frag.append(g);
  });
  body.append(frag);

  // ---- container ----
  const scroller = h('div.ladder-scroll', { tabindex: 0, 'aria-label': 'Call flow; arrow keys move between messages' },
    h('div.ladder-head', null, head),
    body);
  root.append(scroller);

  let selected = -1;
  function select(i, { scroll = true, notify = true } = {}) {
    if (i < 0 || i >= rows.length) return;
    if (selected >= 0 && rows[selected]) rows[selected].classList.remove('sel');
    selected = i;
    rows[i].classList.add('sel');
    if (scroll) {
      const top = i * ROW_H + 4;
      const viewTop = scroller.scrollTop;
      const viewH = scroller.clientHeight - HEAD_H;
      if (top < viewTop + 2) scroller.scrollTop = top - 2;
      else if (top + ROW_H > viewTop + viewH - 2) scroller.scrollTop = top + ROW_H - viewH + 2;
    }
    if (notify && onSelect) onSelect(i);
  }

  // Shift-click picks a message for the diff: keep the browser from selecting the text between clicks.
  body.addEventListener('mousedown', (ev) => { if (ev.shiftKey && onMark) ev.preventDefault(); });
  body.addEventListener('click', (ev) => {
    const g = ev.target.closest('g.msg');
    if (g && ev.shiftKey && onMark) { ev.preventDefault(); onMark(Number(g.getAttribute('data-i'))); return; }
    if (g) { select(Number(g.getAttribute('data-i')), { scroll: false }); scroller.focus({ preventScroll: true }); }
  });
  scroller.addEventListener('keydown', (ev) => {
    let i = null;
    const page = Math.max(1, Math.floor((scroller.clientHeight - HEAD_H) / ROW_H) - 1);
    switch (ev.key) {
      case 'ArrowDown': case 'j': i = selected + 1; break;
      case 'ArrowUp': case 'k': i = selected < 0 ? 0 : selected - 1; break;
      case 'PageDown': i = selected + page; break;
      case 'PageUp': i = selected - page; break;
      case 'Home': i = 0; break;
      case 'End': i = rows.length - 1; break;
      default: return;
    }
    ev.preventDefault();
    select(Math.max(0, Math.min(rows.length - 1, i)));
  });

  // Mark a set of messages (e.g. a diagnosis finding's) and select the first of them.
  let marked = [];
  function highlight(list) {
    for (const i of marked) if (rows[i]) rows[i].classList.remove('hl');
    marked = (list || []).filter((i) => rows[i]).sort((a, b) => a - b);
    for (const i of marked) rows[i].classList.add('hl');
    if (marked.length) select(marked[0]);
    return marked.length;
  }

  // Messages picked for comparison.
  let cmp = [];
  function mark(list) {
    for (const i of cmp) if (rows[i]) rows[i].classList.remove('cmp');
    cmp = (list || []).filter((i) => rows[i]);
    for (const i of cmp) rows[i].classList.add('cmp');
  }

  return {
    select,
    highlight,
    mark,
    root: scroller,
    focus: () => scroller.focus({ preventScroll: true }),
    legs,
    hosts: cols,
    get selected() { return selected; },
  };
}
