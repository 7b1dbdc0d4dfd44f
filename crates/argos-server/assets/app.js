// Argos web UI: router, top bar, login. Pages: home.js, search.js, call.js, calls.js, devices.js,
// stats.js, alarms.js, users.js (account / admin).
import { h, clear, tz } from './dom.js';
import { api, session, setUnauthorizedHandler, ApiError, loadMe, currentUser, hasRole, roleLabel } from './api.js';
import { renderHome } from './home.js';
import { renderSearch } from './search.js';
import { renderCall } from './call.js';
import { renderCalls } from './calls.js';
import { renderDevices } from './devices.js';
import { renderStats } from './stats.js';
import { renderAlarms } from './alarms.js';
import { renderUsers } from './users.js';
import { loadSavedSearches } from './saved.js';

// Top-level pages: hash name -> [render, nav link id]. The call page belongs to no tab.
const PAGES = {
  home: renderHome,
  search: renderSearch,
  calls: renderCalls,
  devices: renderDevices,
  stats: renderStats,
  alarms: renderAlarms,
  account: renderUsers,
};

const view = document.getElementById('view');
const topbar = document.getElementById('topbar');
const banner = document.getElementById('banner');
const NEXT_KEY = 'argos.next';
// The landing page after login and for a bare URL.
const HOME = '#/home';

// Each render gets a controller; navigating away aborts the previous page's fetches.
let current = { name: null, abort: new AbortController(), cleanups: [] };

export function showError(msg) {
  clear(banner);
  if (!msg) { banner.hidden = true; return; }
  banner.append(
    h('span', null, String(msg)),
    h('button.linkish', { type: 'button', 'aria-label': 'Dismiss', onclick: () => showError(null) }, '×'),
  );
  banner.hidden = false;
}

export function parseHash(hash = location.hash) {
  let raw = hash.replace(/^#/, '');
  if (!raw.startsWith('/')) raw = '/' + raw;
  const qi = raw.indexOf('?');
  const path = qi >= 0 ? raw.slice(0, qi) : raw;
  const query = new URLSearchParams(qi >= 0 ? raw.slice(qi + 1) : '');
  const segs = path.split('/').filter(Boolean);
  if (segs[0] === 'login') return { name: 'login', query };
  if (segs[0] === 'call' && segs.length >= 2) {
    let id = segs.slice(1).join('/');
    try { id = decodeURIComponent(id); } catch { /* keep as is */ }
    return { name: 'call', id, query };
  }
  if (PAGES[segs[0]] && segs[0] !== 'search') return { name: segs[0], query };
  return { name: 'search', query, hasQuery: qi >= 0 && raw.length > qi + 1 };
}

// Navigate; re-renders even when the hash is unchanged (re-submitting a search refreshes it).
export function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function toLogin() {
  const r = parseHash();
  if (r.name !== 'login') sessionStorage.setItem(NEXT_KEY, location.hash || HOME);
  session.clear();
  if (r.name !== 'login') location.hash = '#/login';
  else route();
}
setUnauthorizedHandler(toLogin);

function route() {
  const r = parseHash();
  // Not logged in: straight to the login form (no API call that can only answer 401).
  if (r.name !== 'login' && !session.token) { toLogin(); return; }
  // Pages and the top bar depend on the role: ask GET /api/v1/me once per login, then render.
  // The saved searches come along so the Home page (which draws them synchronously) has them.
  if (r.name !== 'login' && !currentUser()) {
    Promise.all([loadMe(), loadSavedSearches().catch(() => null)]).then(() => { if (parseHash().name === r.name) route(); }, (e) => {
      if (e instanceof ApiError && e.status === 401) return;
      showError(`Could not ask the server who is logged in: ${e && e.message ? e.message : e}`);
    });
    return;
  }
  current.abort.abort();
  for (const fn of current.cleanups) { try { fn(); } catch { /* ignore */ } }
  const prevName = current.name;
  current = { name: r.name, abort: new AbortController(), cleanups: [] };
  const mine = current;
  const ctx = {
    signal: current.abort.signal,
    onCleanup: (fn) => { mine.cleanups.push(fn); },
    reuse: prevName === r.name,
  };
  showError(null);
  if (r.name === 'login') {
    topbar.hidden = true;
    renderLogin(view);
    return;
  }
  topbar.hidden = false;
  // Each tab returns to the view (filters, time range) it last showed in this browser tab.
  if (PAGES[r.name]) sessionStorage.setItem(`argos.view.${r.name}`, location.hash);
  for (const a of document.querySelectorAll('#topbar .nav a')) {
    const last = sessionStorage.getItem(`argos.view.${a.dataset.page}`);
    a.setAttribute('href', last && last.startsWith(`#/${a.dataset.page}`) ? last : `#/${a.dataset.page}`);
    const on = a.dataset.page === r.name;
    a.classList.toggle('active', on);
    if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  refreshTopbar();
  const handle = (e) => {
    if (e && e.name === 'AbortError') return;
    if (e instanceof ApiError && e.status === 401) return;
    showError(e && e.message ? e.message : String(e));
  };
  try {
    const p = r.name === 'call' ? renderCall(view, r, ctx) : PAGES[r.name](view, r, ctx);
    if (p && p.catch) p.catch(handle);
  } catch (e) { handle(e); }
}

// ---- top bar -----------------------------------------------------------------

let statusLoaded = 0;
function refreshTopbar() {
  const me = currentUser();
  document.getElementById('user-name').textContent = (me && me.name) || session.user || '';
  const role = document.getElementById('user-role');
  role.textContent = me ? roleLabel(me.role) : '';
  role.dataset.role = me ? me.role : '';
  role.title = me ? `Logged in as ${me.name} with the ${roleLabel(me.role)} role` : '';
  document.getElementById('nav-account').textContent = hasRole('admin') ? 'Admin' : 'Account';
  // The status line is informative only; refresh at most once a minute.
  if (Date.now() - statusLoaded < 60000) return;
  statusLoaded = Date.now();
  api('/api/v1/status').then((st) => {
    const line = document.getElementById('status-line');
    const d = describeStatus(st);
    line.textContent = d.text;
    line.title = d.title;
    line.classList.toggle('warn', d.warn);
  }).catch(() => { statusLoaded = 0; });
}

// GET /api/v1/status: {version, uptime_s, listeners: [..], messages_stored, bytes_on_disk, messages_received, dropped}
function describeStatus(st) {
  if (!st || typeof st !== 'object') return { text: '', title: '', warn: false };
  const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const parts = [];
  if (st.version) parts.push(`v${String(st.version).replace(/^v/, '')}`);
  const stored = num(st.messages_stored);
  if (stored !== null) parts.push(`${stored.toLocaleString()} messages stored`);
  const bytes = num(st.bytes_on_disk);
  if (bytes !== null) parts.push(`${fmtBytes(bytes)} on disk`);
  const recv = num(st.messages_received);
  const dropped = num(st.dropped);
  if (recv !== null) parts.push(`HEP since start: ${recv.toLocaleString()} received, ${(dropped || 0).toLocaleString()} dropped`);
  else if (dropped) parts.push(`${dropped.toLocaleString()} dropped`);
  const up = num(st.uptime_s);
  if (up !== null) parts.push(`up ${fmtUptime(up)}`);
  const listeners = Array.isArray(st.listeners) ? st.listeners.map(String) : [];
  const title = [
    `Argos ${st.version || ''}`.trim(),
    listeners.length ? `Listening on: ${listeners.join(', ')}` : 'No HEP listener',
    stored !== null ? `Messages stored: ${stored.toLocaleString()}` : '',
    bytes !== null ? `On disk: ${fmtBytes(bytes)}` : '',
    recv !== null ? `Received since start: ${recv.toLocaleString()}` : '',
    dropped !== null ? `Dropped since start: ${dropped.toLocaleString()}` : '',
    up !== null ? `Uptime: ${fmtUptime(up)}` : '',
  ].filter(Boolean).join('\n');
  return { text: parts.join(' · '), title, warn: !!dropped };
}

function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024; let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u += 1; }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

function fmtUptime(sec) {
  if (sec < 60) return `${Math.floor(sec)} s`;
  if (sec < 3600) return `${Math.floor(sec / 60)} min`;
  if (sec < 86400) return `${Math.floor(sec / 3600)} h ${Math.floor((sec % 3600) / 60)} min`;
  return `${Math.floor(sec / 86400)} d ${Math.floor((sec % 86400) / 3600)} h`;
}

document.getElementById('logout').addEventListener('click', async () => {
  try { await api('/api/v1/logout', { method: 'POST', allow401: true }); } catch { /* logged out anyway */ }
  session.clear();
  sessionStorage.removeItem(NEXT_KEY);
  statusLoaded = 0;
  location.hash = '#/login';
});

const tzBox = document.getElementById('tz-utc');
tzBox.checked = tz.utc;
tzBox.addEventListener('change', () => { tz.utc = tzBox.checked; current.name = null; route(); });

// ---- login -------------------------------------------------------------------

function renderLogin(root) {
  clear(root);
  const err = h('p.login-error', { role: 'alert', hidden: true });
  const user = h('input', { name: 'username', autocomplete: 'username', required: true, autofocus: true, value: session.user || 'admin' });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const btn = h('button.primary', { type: 'submit' }, 'Log in');
  const form = h('form.login-card', {
    onsubmit: async (ev) => {
      ev.preventDefault();
      err.hidden = true;
      btn.disabled = true;
      try {
        const res = await api('/api/v1/login', {
          method: 'POST', allow401: true, body: { username: user.value, password: pass.value },
        });
        session.set(res && res.token, (res && res.username) || user.value);
        statusLoaded = 0;
        const next = sessionStorage.getItem(NEXT_KEY);
        sessionStorage.removeItem(NEXT_KEY);
        location.hash = next && !next.startsWith('#/login') ? next : HOME;
      } catch (e) {
        err.textContent = e instanceof ApiError && e.status === 401 ? 'Wrong username or password.' : (e.message || String(e));
        err.hidden = false;
        pass.select();
      } finally {
        btn.disabled = false;
      }
    },
  },
  h('h1', null, 'Argos'),
  h('p.muted', null, 'SIP capture and troubleshooting'),
  h('label', null, 'Username', user),
  h('label', null, 'Password', pass),
  err,
  btn);
  root.append(h('div.login-wrap', null, form));
  (user.value ? pass : user).focus();
}

// Drop-down panels (<details class="dropdown">) close on a click outside them.
document.addEventListener('click', (ev) => {
  for (const d of document.querySelectorAll('details.dropdown[open]')) if (!d.contains(ev.target)) d.open = false;
});

window.addEventListener('hashchange', route);
if (!location.hash || location.hash === '#' || location.hash === '#/') history.replaceState(null, '', HOME);
route();
