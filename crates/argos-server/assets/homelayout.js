// The Home page's widgets as each user arranges them in this browser: which cards, KPI charts and
// top lists show, in what order. Kept in localStorage; "Reset" goes back to the default layout.
import { h } from './dom.js';
import { COMPACT_CHARTS, COMPACT_TOPS, KPI_CHARTS, TOPS } from './stats.js';

const KEY = 'argos.homeLayout';

/** Cards that are not charts or top lists: [id, label]. */
export const CARDS = [['saved', 'Saved searches'], ['alarms', 'Recent alarms']];

const GROUPS = [
  { key: 'cards', title: 'Cards', all: CARDS },
  { key: 'totals', title: 'Totals', all: [['tiles', 'KPI totals']] },
  { key: 'charts', title: 'Charts', all: KPI_CHARTS.map((t) => [t, t]) },
  { key: 'tops', title: 'Top lists', all: TOPS.map((t) => [t.what, t.title]) },
];

function defaults() {
  return { cards: CARDS.map(([id]) => id), totals: ['tiles'], charts: [...COMPACT_CHARTS], tops: [...COMPACT_TOPS] };
}

/** {cards, totals, charts, tops}: the ids shown, in order; unknown ids (an older layout) are dropped. */
export function homeLayout() {
  const d = defaults();
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) || 'null');
    if (!saved || typeof saved !== 'object') return d;
    const out = {};
    for (const g of GROUPS) {
      const known = new Set(g.all.map(([id]) => id));
      const list = Array.isArray(saved[g.key]) ? saved[g.key].filter((id) => known.has(id)) : d[g.key];
      out[g.key] = [...new Set(list)];
    }
    return out;
  } catch {
    return d;
  }
}

function store(layout) { localStorage.setItem(KEY, JSON.stringify(layout)); }

/**
 * The "Arrange" panel: every widget of each group with a checkbox (shown or not) and ↑ ↓ to move the
 * shown ones. Each change is saved and handed to `onChange(layout)`.
 */
export function arrangePanel(layout, onChange) {
  const change = (next) => { store(next); onChange(next); };
  const groups = GROUPS.map((g) => {
    const shown = layout[g.key];
    const hidden = g.all.map(([id]) => id).filter((id) => !shown.includes(id));
    const label = (id) => (g.all.find(([k]) => k === id) || [id, id])[1];
    const move = (id, by) => {
      const list = [...shown];
      const i = list.indexOf(id);
      const j = i + by;
      if (i < 0 || j < 0 || j >= list.length) return;
      [list[i], list[j]] = [list[j], list[i]];
      change({ ...layout, [g.key]: list });
    };
    const row = (id, on, i) => h('li.arrange-item', { dataset: { widget: id } },
      h('label', null,
        h('input', {
          type: 'checkbox', checked: on, 'aria-label': `Show ${label(id)}`,
          onchange: (ev) => change({ ...layout, [g.key]: ev.target.checked ? [...shown, id] : shown.filter((x) => x !== id) }),
        }),
        ' ', label(id)),
      on && shown.length > 1 ? h('span.arrange-moves', null,
        h('button.linkish', { type: 'button', title: 'Move up', 'aria-label': `Move ${label(id)} up`, disabled: i === 0, onclick: () => move(id, -1) }, '↑'),
        h('button.linkish', { type: 'button', title: 'Move down', 'aria-label': `Move ${label(id)} down`, disabled: i === shown.length - 1, onclick: () => move(id, 1) }, '↓'))
        : null);
    return h('div.arrange-group', null, h('div.card-title', null, g.title),
      h('ul.arrange-list', null, shown.map((id, i) => row(id, true, i)), hidden.map((id) => row(id, false, -1))));
  });
  return h('section.card.arrange', { 'aria-label': 'Arrange the Home page' },
    h('div.arrange-head', null,
      h('strong', null, 'Arrange this page'),
      h('span.muted.small', null, ' — kept in this browser'),
      h('span.spacer'),
      h('button', { type: 'button', onclick: () => { localStorage.removeItem(KEY); onChange(defaults()); } }, 'Reset')),
    h('div.arrange-groups', null, groups));
}
