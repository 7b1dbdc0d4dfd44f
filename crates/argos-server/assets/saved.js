// Saved searches: name -> search hash (#/search?...), kept in this browser's localStorage.
import { h, clear } from './dom.js';

const KEY = 'argos.savedSearches';
const MAX = 100;

/** [{name, hash}] in the order they were saved. */
export function savedSearches() {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) || '[]');
    return Array.isArray(v) ? v.filter((x) => x && typeof x.name === 'string' && typeof x.hash === 'string'
      && x.hash.startsWith('#/search')) : [];
  } catch { return []; }
}

function store(list) { localStorage.setItem(KEY, JSON.stringify(list.slice(-MAX))); }

/** Save (or replace, same name) a search. */
export function saveSearch(name, hash) {
  const n = String(name).trim().slice(0, 80);
  if (!n || !String(hash).startsWith('#/search')) return false;
  store([...savedSearches().filter((x) => x.name !== n), { name: n, hash: String(hash) }]);
  return true;
}

export function deleteSearch(name) {
  store(savedSearches().filter((x) => x.name !== name));
}

/** A "Saved searches" drop-down: save the current search under a name, open or delete a saved one. */
export function savedPanel(currentHash) {
  const list = h('ul.saved-list');
  const count = h('span.saved-count');
  const nameIn = h('input', { placeholder: 'name of this search', 'aria-label': 'Name of the saved search', maxlength: 80, spellcheck: 'false' });
  const panel = h('details.saved.dropdown', null,
    h('summary', { title: 'Saved searches (kept in this browser)' }, '★ Saved ', count),
    h('div.dropdown-body', null,
      h('form.saved-form', {
        onsubmit: (ev) => {
          ev.preventDefault();
          ev.stopPropagation();
          if (saveSearch(nameIn.value, currentHash())) { nameIn.value = ''; refresh(); }
        },
      }, nameIn, h('button', { type: 'submit' }, 'Save current')),
      list));
  function refresh() {
    const items = savedSearches();
    count.textContent = items.length ? `(${items.length})` : '';
    clear(list);
    if (!items.length) list.append(h('li.muted.small', null, 'No saved search yet.'));
    for (const it of items) {
      list.append(h('li', null,
        h('a', { href: it.hash, title: it.hash, onclick: () => { panel.open = false; } }, it.name),
        h('button.icon', {
          type: 'button', title: `Delete “${it.name}”`, 'aria-label': `Delete saved search ${it.name}`,
          onclick: () => { deleteSearch(it.name); refresh(); },
        }, '×')));
    }
  }
  refresh();
  return panel;
}
