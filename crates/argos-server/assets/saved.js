// Saved searches: a name for a search hash (#/search?...). Kept on the server
// (GET/POST /api/v1/saved-searches, DELETE /api/v1/saved-searches/{id}): one's own, plus those
// others shared with the team. A server without that route (404) falls back to this browser's
// localStorage, as before the route existed.
import { h, clear } from './dom.js';
import { api, ApiError, currentUser, hasRole } from './api.js';

const KEY = 'argos.savedSearches';
const MAX = 100;
const MAX_NAME = 80;
const API = '/api/v1/saved-searches';

// ---- this browser's list (fallback) -------------------------------------------------------------

function localList() {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) || '[]');
    return Array.isArray(v) ? v.filter((x) => x && typeof x.name === 'string' && typeof x.hash === 'string'
      && x.hash.startsWith('#/search')) : [];
  } catch { return []; }
}

function storeLocal(list) { localStorage.setItem(KEY, JSON.stringify(list.slice(-MAX))); }

const fromLocal = (x) => ({ id: `local:${x.name}`, name: x.name, hash: x.hash, shared: false, owner: '', created: '', local: true });

// ---- the list, from the server when it has the route ----------------------------------------------

// Last list loaded: {items, server}; null before the first load.
let cache = null;

function fromServer(x) {
  return {
    id: String(x.id || ''),
    name: String(x.name || ''),
    hash: String(x.query || ''),
    shared: x.shared === true,
    owner: String(x.owner || ''),
    created: String(x.created || ''),
    local: false,
  };
}

/**
 * Load the saved searches: {items: [{id, name, hash, shared, owner, created, local}], server}.
 * `server` is false when the server has no saved-search route (404): items are then this
 * browser's. Other errors are thrown.
 */
export async function loadSavedSearches({ signal } = {}) {
  try {
    const res = await api(API, { signal });
    const items = (res && Array.isArray(res.items) ? res.items : []).map(fromServer)
      .filter((x) => x.id && x.name && x.hash.startsWith('#/search'));
    cache = { items, server: true };
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) throw e;
    cache = { items: localList().map(fromLocal), server: false };
  }
  return cache;
}

/** The list last loaded (this browser's before any load), for pages that draw synchronously. */
export function savedSearches() {
  return cache ? cache.items : localList().map(fromLocal);
}

/** Save (or replace: same name, same owner) the search `hash` under `name`; returns the new list. */
export async function saveSearch(name, hash, { shared = false } = {}) {
  const n = String(name).trim().slice(0, MAX_NAME);
  if (!n) throw new Error('Give the search a name.');
  if (!String(hash).startsWith('#/search')) throw new Error('Only searches can be saved.');
  if (cache && cache.server) {
    await api(API, { method: 'POST', body: { name: n, query: String(hash), shared: !!shared } });
    return loadSavedSearches();
  }
  storeLocal([...localList().filter((x) => x.name !== n), { name: n, hash: String(hash) }]);
  cache = { items: localList().map(fromLocal), server: false };
  return cache;
}

/**
 * Copy this browser's saved searches to the server (not shared), then forget them here; returns
 * the new list. Stops at the first refusal, keeping what was not copied.
 */
export async function moveLocalToServer() {
  const pending = localList();
  for (const x of pending) {
    await api(API, { method: 'POST', body: { name: x.name, query: x.hash, shared: false } });
    storeLocal(localList().filter((y) => y.name !== x.name));
  }
  return loadSavedSearches();
}

/** Delete a saved search (an item of the list); returns the new list. */
export async function deleteSearch(item) {
  if (item.local) {
    storeLocal(localList().filter((x) => x.name !== item.name));
    cache = { items: localList().map(fromLocal), server: cache ? cache.server : false };
    return cache;
  }
  await api(`${API}/${encodeURIComponent(item.id)}`, { method: 'DELETE' });
  return loadSavedSearches();
}

// Who may delete: the owner or an admin on the server (a read-only user cannot write at all);
// anyone for this browser's own list.
function mayDelete(item) {
  if (item.local) return true;
  const me = currentUser();
  return hasRole('admin') || (hasRole('user') && !!me && item.owner === me.name);
}

// ---- the drop-down ------------------------------------------------------------------------------

/** A "Saved searches" drop-down: save the current search under a name, open or delete a saved one. */
export function savedPanel(currentHash) {
  const list = h('ul.saved-list');
  const count = h('span.saved-count');
  const where = h('p.muted.small.saved-where');
  const msg = h('p.form-msg.error', { role: 'alert', hidden: true });
  const nameIn = h('input', { name: 'saved-name', placeholder: 'name of this search', 'aria-label': 'Name of the saved search', maxlength: MAX_NAME, spellcheck: 'false' });
  const sharedIn = h('input', { type: 'checkbox', name: 'saved-shared' });
  const sharedLabel = h('label.saved-shared', { title: 'Everyone who logs in to this server sees it in their list' }, sharedIn, ' Shared with the team');
  const saveBtn = h('button', { type: 'submit' }, 'Save current');
  const form = h('form.saved-form', {
    onsubmit: async (ev) => {
      ev.preventDefault();
      ev.stopPropagation();
      saveBtn.disabled = true;
      showMsg(null);
      try {
        await saveSearch(nameIn.value, currentHash(), { shared: sharedIn.checked });
        nameIn.value = '';
        sharedIn.checked = false;
        draw();
      } catch (e) { showMsg(e); } finally { saveBtn.disabled = false; }
    },
  }, nameIn, saveBtn);
  // Searches saved in this browser before the server kept them: offered for moving.
  const moveBox = h('div.saved-move', { hidden: true });
  const panel = h('details.saved.dropdown', {
    // The list may have changed on the server (a colleague shared a search): reload on open.
    ontoggle: () => { if (panel.open) refresh(); },
  },
  h('summary', { title: 'Saved searches' }, '★ Saved ', count),
  h('div.dropdown-body', null, form, sharedLabel, msg, where, list, moveBox));

  function showMsg(e) {
    msg.hidden = !e;
    msg.textContent = e ? (e instanceof ApiError && e.status ? `${e.message} (HTTP ${e.status})` : (e.message || String(e))) : '';
  }

  function draw() {
    const server = !!(cache && cache.server);
    const items = savedSearches();
    const me = currentUser();
    // The server lets read-only users list but not save; this browser's list is anyone's.
    const maySave = !server || hasRole('user');
    form.hidden = !maySave;
    sharedLabel.hidden = !server || !maySave;
    where.textContent = server
      ? (maySave ? 'Kept on the server: yours, and those shared with the team.' : 'Shared with the team (a read-only account cannot save searches).')
      : 'Kept in this browser (this server does not store saved searches).';
    count.textContent = items.length ? `(${items.length})` : '';
    const waiting = server && maySave ? localList() : [];
    clear(moveBox);
    moveBox.hidden = !waiting.length;
    if (waiting.length) {
      const moveBtn = h('button', { type: 'button' }, `Move ${waiting.length} to the server`);
      moveBtn.addEventListener('click', async () => {
        moveBtn.disabled = true;
        showMsg(null);
        try { await moveLocalToServer(); } catch (e) { showMsg(e); }
        draw();
      });
      moveBox.append(h('span.muted.small', null, `${waiting.length} search${waiting.length === 1 ? ' is' : 'es are'} saved only in this browser: `), moveBtn);
    }
    clear(list);
    if (!items.length) list.append(h('li.muted.small', null, 'No saved search yet.'));
    for (const it of items) {
      const mine = it.local || (!!me && it.owner === me.name);
      list.append(h('li', { dataset: { id: it.id } },
        h('a', { href: it.hash, title: it.hash, onclick: () => { panel.open = false; } }, it.name),
        it.shared ? h('span.saved-badge', { title: 'Shared with the team' }, 'shared') : null,
        !it.local && !mine ? h('span.saved-owner.muted.small', { title: `Saved by ${it.owner}` }, it.owner) : null,
        mayDelete(it) ? h('button.icon', {
          type: 'button', title: `Delete “${it.name}”`, 'aria-label': `Delete saved search ${it.name}`,
          onclick: async () => {
            showMsg(null);
            try { await deleteSearch(it); draw(); } catch (e) { showMsg(e); }
          },
        }, '×') : null));
    }
  }

  async function refresh() {
    try { await loadSavedSearches(); showMsg(null); } catch (e) {
      if (e && e.name === 'AbortError') return;
      if (!(e instanceof ApiError && e.status === 401)) showMsg(e);
    }
    draw();
  }

  draw();
  refresh();
  return panel;
}
