// Home: the landing page after login. A quick search, saved searches, recent alarms, and the Stats
// page's key charts and top lists (stats.js) over a short range. "Arrange" lets each user choose and
// order these widgets (homelayout.js, kept in the browser).
import { h, clear, fmtDateTime, fmtAgo } from './dom.js';
import { api, qs } from './api.js';
import { rangeBoundsUs } from './range.js';
import { fillStats } from './stats.js';
import { severityBadge } from './alarms.js';
import { savedSearches, loadSavedSearches } from './saved.js';
import { homeLayout, arrangePanel } from './homelayout.js';

const RANGES = [['1h', 'Last hour'], ['24h', 'Last 24 h'], ['7d', 'Last 7 days'], ['all', 'Latest activity']];
const ALARMS_SHOWN = 5;

// The quick search box: a Call-ID (has @ or is long and not a number), an IP, else a number (From user).
function quickHash(text, range) {
  const v = text.trim();
  const u = new URLSearchParams({ mode: 'calls', range });
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(v) || /^[0-9a-f:]+:[0-9a-f:]*$/i.test(v)) u.set('src_ip', v);
  else if (v.includes('@') || (v.length > 20 && !/^[+\d*]+$/.test(v))) u.set('call_id', v);
  else u.set('from_user', v);
  return `#/search?${u}`;
}

export async function renderHome(root, r, ctx) {
  document.title = 'Home · Argos';
  const range = RANGES.some(([k]) => k === r.query.get('range')) ? r.query.get('range') : '24h';
  const st = { range, since: '', until: '', by: 'all', bucket: 'auto', prefix_len: '4' };
  const arranging = r.query.get('arrange') === '1';
  const layout = homeLayout();
  clear(root);

  const q = h('input', { name: 'q', placeholder: 'number, Call-ID or IP', spellcheck: 'false', 'aria-label': 'Quick search' });
  const quick = h('form.home-quick', {
    onsubmit: (ev) => { ev.preventDefault(); if (q.value.trim()) location.hash = quickHash(q.value, range); },
  }, q, h('button.primary', { type: 'submit' }, 'Search'),
  h('span.muted.small', null, `${(RANGES.find(([k]) => k === range) || RANGES[1])[1].toLowerCase()}: a number searches the From user, text with @ the Call-ID, an address the source IP`));

  const savedBox = h('div.card.home-saved', { dataset: { widget: 'saved' } });
  const drawSaved = (saved) => clear(savedBox).append(h('div.card-title', null, 'Saved searches'),
    saved.length ? h('ul.saved-list', null, saved.map((x) => h('li', null,
      h('a', { href: x.hash, title: x.hash }, x.name),
      x.shared ? h('span.badge.saved-shared', { title: `shared by ${x.owner || 'a teammate'}` }, 'shared') : null,
      x.shared && x.owner ? h('span.muted.small', null, ` ${x.owner}`) : null)))
      : h('p.muted.small', null, 'None yet: save one from the Search page (★ Saved).'));
  drawSaved(savedSearches());
  // Searches teammates shared since the list was loaded show up without a reload.
  loadSavedSearches({ signal: ctx.signal }).then((c) => { if (!ctx.signal.aborted) drawSaved(c.items); }, () => {});

  const alarmsBox = h('div.card.home-alarms', { dataset: { widget: 'alarms' } }, h('div.card-title', null, 'Recent alarms'), h('p.muted.small', null, 'Loading…'));
  const hashWith = (k, arrange) => `#/home?range=${k}${arrange ? '&arrange=1' : ''}`;
  const seg = h('div.seg', { role: 'radiogroup', 'aria-label': 'Time range' }, RANGES.map(([k, label]) => h('label', null,
    h('input', { type: 'radio', name: 'home-range', value: k, checked: k === range, onchange: () => { location.hash = hashWith(k, arranging); } }),
    h('span', null, label))));
  // Arranging: the panel above the page; each change draws the page again in the new layout.
  const redraw = () => { if (!ctx.signal.aborted) window.dispatchEvent(new HashChangeEvent('hashchange')); };
  const arrangeBtn = h('a.button.arrange-toggle', { href: hashWith(range, !arranging), 'aria-pressed': String(arranging) },
    arranging ? 'Done' : 'Arrange');
  const cardsBox = h('div.home-cards', null,
    layout.cards.map((id) => (id === 'saved' ? savedBox : alarmsBox)));
  cardsBox.classList.toggle('single', cardsBox.children.length === 1);
  const info = h('span.muted.small.range-info');
  const body = h('section.stats.home-stats', { 'aria-live': 'polite' }, h('div.empty.muted', null, 'Loading statistics…'));

  root.append(...[
    h('div.home-top', null, h('h1.home-title', null, 'Home'), quick, h('span.spacer'), arrangeBtn),
    arranging ? arrangePanel(layout, redraw) : null,
    cardsBox.children.length ? cardsBox : null,
    h('div.home-range', null, seg, info, h('span.spacer'), h('a', { href: `#/stats?range=${range === 'all' ? 'all' : range}` }, 'All statistics →')),
    body,
  ].filter(Boolean));

  if (layout.cards.includes('alarms')) loadAlarms(alarmsBox, st, ctx);
  await fillStats(body, st, ctx, info, { compact: true, charts: layout.charts, tops: layout.tops });
  if (!layout.totals.includes('tiles')) body.querySelectorAll('.tiles').forEach((el) => el.remove());
}

async function loadAlarms(box, st, ctx) {
  const b = rangeBoundsUs(st);
  let res;
  try {
    res = await api(`/api/v1/alarms?${qs({ since: b.sinceUs === null ? 0 : Math.floor(b.sinceUs / 1e6), limit: ALARMS_SHOWN })}`, { signal: ctx.signal });
  } catch (e) {
    if (ctx.signal.aborted) return;
    clear(box).append(h('div.card-title', null, 'Recent alarms'), h('p.muted.small', null, `Alarms unavailable: ${e && e.message ? e.message : e}`));
    return;
  }
  if (ctx.signal.aborted) return;
  const list = Array.isArray(res && res.alarms) ? res.alarms.slice(0, ALARMS_SHOWN) : [];
  clear(box).append(h('div.card-title', null, 'Recent alarms'));
  if (!list.length) { box.append(h('p.muted.small', null, 'No alarm in this range.')); return; }
  box.append(h('ul.home-alarm-list', null, list.map((a) => h('li', null,
    severityBadge(a.severity),
    h('a', { href: `#/alarms?range=${st.range}${a.kind ? `&kind=${encodeURIComponent(a.kind)}` : ''}` }, String(a.summary || a.kind || 'alarm')),
    h('span.muted.small', { title: fmtDateTime(a.last_us) }, ` ${fmtAgo(a.last_us)}`)))));
}
